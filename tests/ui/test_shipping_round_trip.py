"""The issue's round trip, end to end: 2,000 Ready to Ship requests on the real server reach the
logistics client's cache by the change feed, are exported to a real xlsx file, get their tracking
numbers typed in (by openpyxl, as a spreadsheet user would), are read back and previewed against
the cache, and ship in one all-or-nothing bulk request — after which the server has every one of
them Sent with its number."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import RequestState, ShippingAction
from litdesk.domain.wire import BulkShippingIn
from litdesk.server.models import ShippingRequest, utcnow
from litdesk.server.services.shipping import record_request
from litdesk.services.spreadsheets import Outcome, export_requests, preview, read_import, ship_items
from tests.server.order_flow import ok
from tests.ui.shipping_support import Shop, shop_fixture, ups  # noqa: F401 - the fixture

COUNT = 2_000
BULK_MS = 60_000


def _ready_requests(shop: Shop, count: int) -> list[int]:
    """``count`` accepted requests, written in one transaction through the server's models and
    recorded in its change feed (creating them one by one over HTTP would take most of a minute)."""
    creator = shop.creators[0]
    now = utcnow()
    with shop.server.db.write() as session:
        requests = [ShippingRequest(
            campaign_id=shop.campaign_id, creator_id=creator.id, product="Trail runner",
            variant=f"EU {36 + n % 10}", recipient_name=f"Recipient {n}",
            address_line1=f"{n} rue des Lilas", city="Lyon", postal_code="69001", country="FR",
            state=RequestState.READY_TO_SHIP.value, accepted_at=now)
            for n in range(count)]
        session.add_all(requests)
        session.flush()
        for request in requests:
            record_request(session, request)  # as the server's own services do
        session.commit()
        return [r.id for r in requests]


def test_two_thousand_requests_export_fill_in_reimport_and_ship_in_one_request(
        qtbot: QtBot, shop: Shop, tmp_path: Path) -> None:
    ids = _ready_requests(shop, COUNT)
    shop.cached(qtbot, *ids, state=RequestState.READY_TO_SHIP)
    rows = shop.cache.requests(shop.campaign_id)
    assert len(rows) == COUNT

    path = tmp_path / "approved.xlsx"
    assert export_requests([row.request for row in rows], path) == COUNT
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    id_column, tracking_column = header.index("Request ID") + 1, header.index("Tracking number") + 1
    for line in range(2, COUNT + 2):
        request_id = int(str(sheet.cell(line, id_column).value))
        sheet.cell(line, tracking_column, ups(request_id).lower())  # typed carelessly
    workbook.save(path)

    known = {row.request.id: row.request for row in shop.cache.requests(shop.campaign_id)}
    previewed = preview(read_import(path), known, shop.cache.tracking_owner)
    assert {row.outcome for row in previewed} == {Outcome.WILL_SHIP}
    assert sorted(row.request_id for row in previewed if row.request_id) == sorted(ids)
    items = ship_items(previewed, known)
    assert len(items) == COUNT

    with qtbot.waitSignal(shop.engine.bulk_finished, timeout=BULK_MS) as answered:
        token = shop.engine.bulk_shipping(BulkShippingIn(
            action=ShippingAction.SHIP, items=items, atomic=True))
    assert answered.args[0] == token
    result, error = answered.args[1], answered.args[2]
    assert error == ""
    assert (result.applied, result.failed) == (COUNT, 0)

    counts = ok(shop.staff.client.get(f"/campaigns/{shop.campaign_id}"))["counts"]
    assert counts.get("sent") == COUNT
    for request_id in (ids[0], ids[COUNT // 2], ids[-1]):
        on_server = shop.on_server(request_id)
        assert (on_server["state"], on_server["carrier"], on_server["tracking_number"]) == (
            "sent", "UPS", ups(request_id))
    shop.cached(qtbot, *ids, state=RequestState.SENT)
