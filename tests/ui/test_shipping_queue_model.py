"""ShippingQueueModel: Qt's model checks, tabs and counts, incremental signals per batch, sorting,
the issue and overdue roles; and the model following a real engine and cache.

Every model is attached to Qt's own QAbstractItemModelTester (``qtmodeltester``), and a Qt
warning fails the test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont, QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import IssueState, RequestState, ShippingAction
from litdesk.domain.wire import ShippingActionIn, ShippingRequestOut
from litdesk.models.shipping_queue import (
    TAB_KEYS,
    Column,
    IssueRole,
    OverdueRole,
    RequestIdRole,
    RequestRole,
    ShippingQueueModel,
    TrackingUrlRole,
)
from litdesk.services.records import ChangeSet, RequestRow
from tests.live_server import LiveServer
from tests.services import test_shipping_sync as sync_tests
from tests.services.test_shipping_sync import Start, new_queue, settled, synced

start = sync_tests.start  # the engine fixture, shared

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.usefixtures("qapp")]

NOW = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)
DESC = Qt.SortOrder.DescendingOrder


def request(request_id: int, state: RequestState = RequestState.PENDING, *,
            name: str = "", issue: str = "", accepted_days_ago: int | None = None,
            campaign_id: int = 1, **fields: Any) -> RequestRow:
    accepted = NOW - timedelta(days=accepted_days_ago) if accepted_days_ago is not None else None
    values: dict[str, Any] = dict(
        id=request_id, campaign_id=campaign_id, creator_id=request_id,
        creator_name=name or f"Creator {request_id:03d}", creator_handle=f"@c{request_id}",
        product="Trail runner", variant="42 EU", recipient_name="Robin Doe",
        address_line1="1 Main Street", address_line2="", city="Lyon", postal_code="69001",
        region="", country="FR", phone="", state=state,
        issue_state=IssueState.OPEN if issue else IssueState.NONE, issue_reason=issue,
        refused_reason="", cancelled_reason="", requested_at=NOW - timedelta(days=10),
        accepted_at=accepted, ship_by=accepted + timedelta(days=3) if accepted else None,
        carrier="", tracking_number="", reship_count=0, updated_at=NOW, version=1)
    out = ShippingRequestOut(**(values | fields))
    overdue = (state is RequestState.READY_TO_SHIP and accepted is not None
               and accepted + timedelta(days=3) < NOW)
    return RequestRow(out, overdue, 0)


class FakeSource:
    """What the cache offers the model, from a dict."""

    def __init__(self, rows: Iterable[RequestRow]) -> None:
        self.rows = {r.request.id: r for r in rows}

    def requests(self, campaign_id: int) -> list[RequestRow]:
        return sorted((r for r in self.rows.values() if r.request.campaign_id == campaign_id),
                      key=lambda r: r.request.id)

    def request_rows(self, ids: Iterable[int]) -> list[RequestRow]:
        return [self.rows[i] for i in sorted(set(ids)) if i in self.rows]

    def put(self, *rows: RequestRow) -> ChangeSet:
        for row in rows:
            self.rows[row.request.id] = row
        return ChangeSet(requests={r.request.id for r in rows})


class Recorder:
    def __init__(self, model: ShippingQueueModel) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in ("modelReset", "layoutChanged", "dataChanged", "rowsInserted",
                     "rowsRemoved", "counts_changed"):
            getattr(model, name).connect(
                lambda *args, name=name: self.events.append((name, args)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def ranges(self, name: str) -> list[tuple[int, int]]:
        return [(args[1], args[2]) for n, args in self.events if n == name]


def ids(model: ShippingQueueModel) -> list[int]:
    return [model.index(r, 0).data(RequestIdRole) for r in range(model.rowCount())]


def mixed() -> list[RequestRow]:
    return [
        request(1), request(2), request(3),
        request(4, RequestState.READY_TO_SHIP, accepted_days_ago=1),
        request(5, RequestState.READY_TO_SHIP, accepted_days_ago=5),
        request(6, RequestState.SENT, accepted_days_ago=8, issue="Parcel lost",
                tracking_number="1Z999AA10123456784", carrier="UPS"),
        request(7, RequestState.SENT, accepted_days_ago=8),
        request(8, RequestState.CANCELLED), request(9, RequestState.REFUSED),
        request(10, campaign_id=2),
    ]


def model_over(qtmodeltester: ModelTester, source: FakeSource,
               campaign_id: int | None = 1) -> ShippingQueueModel:
    model = ShippingQueueModel(source, clock=lambda: NOW)
    qtmodeltester.check(model)
    model.set_campaign(campaign_id)
    return model


def test_tabs_and_counts_with_refused_requests_under_cancelled(
        qtmodeltester: ModelTester) -> None:
    model = model_over(qtmodeltester, FakeSource(mixed()))
    assert model.campaign_id() == 1
    assert model.tab_counts() == {"pending": 3, "ready": 2, "sent": 2, "cancelled": 2}
    expected = {"pending": [1, 2, 3], "ready": [4, 5], "sent": [6, 7], "cancelled": [8, 9]}
    for key in TAB_KEYS:
        model.set_tab(key)
        assert model.tab() == key
        assert ids(model) == expected[key]
    assert model.issue_count() == 1
    assert model.overdue_count() == 1
    with pytest.raises(ValueError, match="unknown tab"):
        model.set_tab("refused")
    model.set_campaign(None)
    assert model.rowCount() == 0
    assert model.tab_counts() == dict.fromkeys(TAB_KEYS, 0)


def test_a_batch_moves_rows_between_tabs_incrementally(
        qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    source = FakeSource(mixed())
    model = model_over(qtmodeltester, source)
    recorder = Recorder(model)
    accepted = [replace(source.rows[i], request=source.rows[i].request.model_copy(update={
        "state": RequestState.READY_TO_SHIP, "accepted_at": NOW})) for i in (1, 2)]
    with qtbot.waitSignal(model.counts_changed):
        model.apply(source.put(*accepted))
    assert ids(model) == [3]
    assert recorder.ranges("rowsRemoved") == [(0, 1)]  # one contiguous run
    assert "modelReset" not in recorder.names()
    assert model.tab_counts()["ready"] == 4

    recorder.events.clear()
    new = [request(11), request(12), request(13, name="Aaron")]
    model.apply(source.put(*new))
    assert ids(model) == [3, 11, 12, 13]  # by requested date, then id
    assert recorder.ranges("rowsInserted") == [(1, 3)]

    recorder.events.clear()
    renamed = replace(source.rows[12], pending_actions=1)
    model.apply(source.put(renamed))
    assert recorder.names() == ["dataChanged"]
    assert model.request_at(model.row_of(12)).pending_actions == 1

    recorder.events.clear()
    del source.rows[11]
    model.apply(ChangeSet(requests={11, 99}))
    assert ids(model) == [3, 12, 13]
    assert recorder.ranges("rowsRemoved") == [(1, 1)]
    assert model.rows_for([13, 3, 42]) == [0, 2]
    assert model.row_of(4) == -1  # in another tab


def test_sorting_keeps_persistent_indexes_on_their_requests(
        qtmodeltester: ModelTester) -> None:
    rows = [request(i, name=n) for i, n in ((1, "Cleo"), (2, "abel"), (3, "Bea"))]
    model = model_over(qtmodeltester, FakeSource(rows))
    held = QPersistentModelIndex(model.index(model.row_of(3), Column.CREATOR))
    model.sort(Column.CREATOR)
    assert ids(model) == [2, 3, 1]  # case does not matter
    model.sort(Column.CREATOR, DESC)
    assert ids(model) == [1, 3, 2]
    assert held.row() == 1
    assert held.data(RequestIdRole) == 3
    model.sort(Column.AGE, DESC)
    assert model.sort_column() is Column.AGE


def test_an_open_issue_and_an_overdue_ship_by_are_shown_beyond_colour(
        qtmodeltester: ModelTester) -> None:
    model = model_over(qtmodeltester, FakeSource(mixed()))
    model.set_tab("sent")
    issue = model.index(model.row_of(6), Column.CREATOR)
    assert issue.data(IssueRole) is True
    assert isinstance(issue.data(Qt.ItemDataRole.BackgroundRole), QBrush)
    assert isinstance(issue.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert issue.data(Qt.ItemDataRole.ToolTipRole) == "Shipping issue: Parcel lost"
    assert "Shipping issue: Parcel lost" in issue.data(Qt.ItemDataRole.AccessibleTextRole)
    assert model.index(model.row_of(6), Column.ISSUE).data() == "Parcel lost"
    assert model.index(model.row_of(6), Column.TRACKING).data() == "1Z999AA10123456784"
    assert isinstance(issue.data(RequestRole), RequestRow)
    url = model.index(model.row_of(6), 0).data(TrackingUrlRole)
    assert url is None or "1Z999AA10123456784" in url
    calm = model.index(model.row_of(7), Column.CREATOR)
    assert calm.data(IssueRole) is False
    assert calm.data(Qt.ItemDataRole.BackgroundRole) is None
    assert calm.data(Qt.ItemDataRole.DecorationRole) is None

    model.set_tab("ready")
    late = model.index(model.row_of(5), Column.SHIP_BY)
    assert late.data(OverdueRole) is True
    assert late.data().endswith("— overdue")
    font = late.data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont)
    assert font.bold()
    on_time = model.index(model.row_of(4), Column.SHIP_BY)
    assert "overdue" not in on_time.data()
    assert on_time.data(Qt.ItemDataRole.FontRole) is None
    assert model.index(model.row_of(5), Column.AGE).data() == "5 days"
    assert model.index(model.row_of(5), Column.PRODUCT).data() == "Trail runner (42 EU)"
    assert model.index(model.row_of(5), Column.ADDRESS).data() == (
        "Robin Doe, 1 Main Street, 69001 Lyon, FR")
    assert model.headerData(Column.SHIP_BY, Qt.Orientation.Horizontal) == "Ship by"


def test_the_model_follows_the_engine_and_cache(
        qtbot: QtBot, qtmodeltester: ModelTester, start: Start,
        sqlite_server: LiveServer) -> None:
    queue = new_queue(sqlite_server)
    requests = queue.add_requests(3)
    client = start(queue.clerk, base_url=sqlite_server.url)
    synced(qtbot, client, *(r["id"] for r in requests))
    model = ShippingQueueModel(client.cache)
    qtmodeltester.check(model)
    client.engine.changed.connect(model.apply)
    model.set_campaign(queue.campaign["id"])
    assert model.tab_counts() == {"pending": 3, "ready": 0, "sent": 0, "cancelled": 0}
    recorder = Recorder(model)

    first = requests[0]
    with qtbot.waitSignal(model.counts_changed, timeout=10_000):
        client.engine.shipping_action(first["id"], ShippingActionIn(
            action=ShippingAction.ACCEPT, version=first["version"]))
    assert model.tab_counts() == {"pending": 2, "ready": 1, "sent": 0, "cancelled": 0}
    assert model.row_of(first["id"]) == -1
    settled(qtbot, client, first["id"], RequestState.READY_TO_SHIP)
    model.set_tab("ready")
    qtbot.waitUntil(lambda: model.request_at(0).pending_actions == 0, timeout=10_000)
    recorder.events.clear()

    # Someone else refuses one: the feed brings it to the Cancelled tab's count.
    other = requests[1]
    ok_refuse = queue.colleague().client.post(f"/requests/{other['id']}/actions",
                                              json={"action": "refuse", "reason": "No"})
    assert ok_refuse.status_code == 200
    qtbot.waitUntil(lambda: model.tab_counts()["cancelled"] == 1, timeout=10_000)
    assert "modelReset" not in recorder.names()
