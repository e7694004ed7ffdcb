"""Export approved orders and import tracking numbers through the queue's dialogs, against the real
server: a real xlsx written, edited as a clerk would, read back; the preview shows every row's
outcome with the counts; "Ship N requests" ships exactly the good rows in one atomic batch;
files that cannot be read are refused with a message and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import RequestState
from litdesk.services.spreadsheets import Outcome
from litdesk.views.shipping_io import OUTCOME_TEXT, ImportPreviewDialog, PreviewModel
from litdesk.views.shipping_queue import ShippingQueueView
from tests.ui.shipping_support import WAIT_MS, Shop, shop_fixture, ups  # noqa: F401 - the fixture
from tests.ui.test_shipping_queue_view import Files, make_view


def export(qtbot: QtBot, view: ShippingQueueView, path: Path) -> int:
    with qtbot.waitSignal(view.export_flow.finished, timeout=WAIT_MS) as finished:
        view.bar.export_button.click()
    count, written = finished.args
    assert written == str(path)
    assert path.exists()
    box = view.export_flow.message_box
    assert box is not None
    assert f"Exported {count} approved orders" in box.text()
    return int(count)


def preview(qtbot: QtBot, view: ShippingQueueView) -> ImportPreviewDialog:
    with qtbot.waitSignal(view.import_flow.previewed, timeout=WAIT_MS):
        view.bar.import_button.click()
    dialog = view.import_flow.preview_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def outcomes(dialog: ImportPreviewDialog) -> dict[int | None, Outcome]:
    return {row.request_id: row.outcome for row in dialog.rows}


def test_export_then_import_ships_the_good_rows(qtbot: QtBot, shop: Shop,
                                                tmp_path: Path) -> None:
    ready = [shop.ready(creator=i) for i in range(4)]
    shipped = shop.ready(creator=4)
    shop.cached(qtbot, *ready, shipped, state=RequestState.READY_TO_SHIP)
    path = tmp_path / "approved.xlsx"
    view = make_view(qtbot, shop, Files(save=path, open_=path))
    assert export(qtbot, view, path) == 5

    # The clerk fills in the sheet: moved columns and extra ones are fine.
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    id_col, tracking_col = header.index("Request ID") + 1, header.index("Tracking number") + 1
    by_id = {int(sheet.cell(row, id_col).value): row for row in range(2, sheet.max_row + 1)}
    assert set(by_id) == {*ready, shipped}
    sheet.cell(by_id[ready[0]], tracking_col, f" {ups(ready[0]).lower()} ")  # valid, sloppy
    # ready[1]: no tracking number, ships without one
    sheet.cell(by_id[ready[2]], tracking_col, ups(ready[2])[:-1] + "0"
               if not ups(ready[2]).endswith("0") else ups(ready[2])[:-1] + "1")
    sheet.cell(by_id[ready[3]], tracking_col, ups(ready[0]))  # the same number twice
    unknown = sheet.max_row + 1
    sheet.cell(unknown, id_col, 987654)
    book.save(path)
    shop.act(shipped, "ship")  # someone ships one meanwhile
    shop.cached(qtbot, shipped, state=RequestState.SENT)

    dialog = preview(qtbot, view)
    found = outcomes(dialog)
    assert found[ready[1]] is Outcome.WILL_SHIP
    assert found[ready[2]] is Outcome.INVALID_TRACKING
    assert found[shipped] is Outcome.ALREADY_SHIPPED
    assert found[987654] is Outcome.UNKNOWN_ID
    assert {found[ready[0]], found[ready[3]]} == {Outcome.DUPLICATE}
    assert dialog.summary_label.text() == ("1 will ship · 1 already shipped · 1 unknown id · "
                                           "1 invalid tracking number · 2 duplicate")
    model = dialog.model
    assert isinstance(model, PreviewModel)
    row = next(i for i, r in enumerate(dialog.rows) if r.request_id == ready[2])
    cell = model.index(row, PreviewModel.OUTCOME_COLUMN)
    assert cell.data() == OUTCOME_TEXT[Outcome.INVALID_TRACKING]
    assert cell.data(1) is not None  # an icon beside the word
    assert dialog.ship_button.text() == "Ship 1 request"
    dialog.grab().save("/tmp/import_preview.png")

    # Fix the sheet and import again: now three ship, in one batch.
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.cell(by_id[ready[2]], tracking_col, ups(ready[2]))
    sheet.cell(by_id[ready[3]], tracking_col).value = None
    book.save(path)
    dialog.reject()
    dialog = preview(qtbot, view)
    assert dialog.ship_count == 4, dialog.rows
    with qtbot.waitSignal(view.import_flow.applied, timeout=WAIT_MS) as applied:
        dialog.ship_button.click()
    assert applied.args == [4]
    assert not dialog.isVisible()
    for request_id in ready:
        assert shop.state(request_id) == "sent"
    assert shop.on_server(ready[0])["tracking_number"] == ups(ready[0])
    assert shop.on_server(ready[0])["carrier"] == "UPS"
    assert shop.on_server(ready[1])["tracking_number"] == ""


def test_an_atomic_batch_refused_ships_nothing(qtbot: QtBot, shop: Shop,
                                               tmp_path: Path) -> None:
    ready = [shop.ready(creator=i) for i in range(2)]
    shop.cached(qtbot, *ready, state=RequestState.READY_TO_SHIP)
    path = tmp_path / "approved.csv"
    view = make_view(qtbot, shop, Files(save=path, open_=path))
    assert export(qtbot, view, path) == 2
    dialog = preview(qtbot, view)
    assert dialog.ship_count == 2
    shop.engine.stop()
    shop.act(ready[1], "cancel", reason="Out of stock")  # the preview is now stale
    dialog.ship_button.click()
    assert dialog.sending
    assert not dialog.cancel_button.isEnabled()
    shop.engine.start()
    qtbot.waitUntil(lambda: "Nothing was shipped" in dialog.problem(), timeout=WAIT_MS)
    assert dialog.isVisible()
    assert dialog.cancel_button.isEnabled()
    assert shop.state(ready[0]) == "ready_to_ship"


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), "image"),
    ("empty.csv", b"", "empty"),
    ("notes.csv", b"Name;Tracking\nMaya;1Z999AA10123456784\n", "id"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "xls"),
])
def test_a_file_it_cannot_read_changes_nothing(qtbot: QtBot, shop: Shop, tmp_path: Path,
                                               name: str, content: bytes,
                                               expected: str) -> None:
    request_id = shop.ready(creator=0)
    shop.cached(qtbot, request_id, state=RequestState.READY_TO_SHIP)
    path = tmp_path / name
    path.write_bytes(content)
    view = make_view(qtbot, shop, Files(open_=path))
    with qtbot.waitSignal(view.import_flow.failed, timeout=WAIT_MS) as failed:
        view.bar.import_button.click()
    reason = str(failed.args[0])
    assert name in reason
    assert expected in reason.lower()
    box = view.import_flow.message_box
    assert box is not None
    assert "Nothing was changed." in box.text()
    assert view.import_flow.preview_dialog is None
    assert shop.engine.outbox.count() == 0
    assert shop.state(request_id) == "ready_to_ship"


def test_nothing_to_export_says_what_to_do(qtbot: QtBot, shop: Shop, tmp_path: Path) -> None:
    view = make_view(qtbot, shop, Files(save=tmp_path / "never.xlsx"))
    view.bar.export_button.click()
    box = view.export_flow.message_box
    assert box is not None
    assert "no approved orders" in box.text()
    assert not (tmp_path / "never.xlsx").exists()
