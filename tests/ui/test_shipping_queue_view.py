"""The shipping queue view against the real server: accept and ship (with and without a tracking
number) from the bar, a bulk action with a per-item result in the banner, the three resolutions
of a shipping issue, a bulk message, cancelling the campaign with its count, tracking links, and
the offered actions following the rules for the whole selection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import RequestState
from litdesk.models.shipping_queue import Column, ShippingQueueModel
from litdesk.services.records import ChangeSet
from litdesk.views.shipping_dialogs import BulkMessageDialog, ReasonDialog, ShipDialog
from litdesk.views.shipping_queue import ShippingQueueView
from tests.ui.shipping_support import WAIT_MS, Shop, shop_fixture, ups  # noqa: F401 - the fixture


class Files:
    """File dialogs that answer at once with a path chosen by the test."""

    def __init__(self, save: Path | None = None, open_: Path | None = None) -> None:
        self.save, self.open = save, open_

    def save_path(self, parent: QWidget, caption: str, suggested: str, filters: str,
                  done: Callable[[str], None]) -> None:
        done(str(self.save) if self.save else "")

    def open_path(self, parent: QWidget, caption: str, filters: str,
                  done: Callable[[str], None]) -> None:
        done(str(self.open) if self.open else "")


def make_view(qtbot: QtBot, shop: Shop, files: Files | None = None) -> ShippingQueueView:
    qtbot.waitUntil(lambda: any(c.id == shop.campaign_id for c in shop.cache.campaigns()),
                    timeout=WAIT_MS)
    model = ShippingQueueModel(shop.cache)
    view = ShippingQueueView(model, shop.cache, shop.engine, background=shop.background,
                             files=files or Files())
    qtbot.addWidget(view)

    def changed(changes: ChangeSet) -> None:
        model.apply(changes)
        view.on_changed(changes)

    shop.engine.changed.connect(changed)
    shop.engine.bulk_finished.connect(view.on_bulk_finished)
    shop.engine.request_refused.connect(view.on_request_refused)
    view.resize(1400, 640)
    view.show()
    assert view.select_campaign(shop.campaign_id)
    return view


def select(view: ShippingQueueView, tab: str, *ids: int) -> None:
    view.select_tab(tab)
    assert view.select_requests(ids) == len(ids)


def test_accept_then_ship_with_and_without_tracking(qtbot: QtBot, shop: Shop) -> None:
    first = int(shop.new_request(creator=0)["id"])
    second = int(shop.new_request(creator=1)["id"])
    shop.cached(qtbot, first, second, state=RequestState.PENDING)
    view = make_view(qtbot, shop)
    assert view.tabs.tabText(0) == "Pending Requests (2)"
    bar = view.bar

    select(view, "pending", first, second)
    assert bar.accept_button.isEnabled()
    assert bar.refuse_button.isEnabled()
    assert not bar.ship_button.isEnabled()
    assert bar.selection_label.text() == "2 selected"
    view.banner.dismiss()
    select(view, "pending", first)
    bar.accept_button.click()
    assert shop.on_server_state(qtbot, first, "ready_to_ship")["accepted_at"]
    assert "accepted" in view.banner.text()
    qtbot.waitUntil(lambda: view.tabs.tabText(1) == "Ready to Ship (1)", timeout=WAIT_MS)

    select(view, "ready", first)
    assert bar.ship_button.isEnabled()
    assert not bar.accept_button.isEnabled()
    bar.ship_button.click()
    dialog = bar.current_dialog
    assert isinstance(dialog, ShipDialog)
    qtbot.keyClicks(dialog.number_edit, "1z999aa1 0123456785")  # a wrong check digit
    dialog.primary_button.click()
    assert "check digit" in dialog.problem()
    assert dialog.isVisible()
    dialog.number_edit.setText(ups(first))
    assert "UPS" in dialog.detected_label.text()
    dialog.primary_button.click()
    answer = shop.on_server_state(qtbot, first, "sent")
    assert (answer["carrier"], answer["tracking_number"]) == ("UPS", ups(first))

    shop.cached(qtbot, second)
    select(view, "pending", second)
    bar.accept_button.click()
    shop.on_server_state(qtbot, second, "ready_to_ship")
    shop.cached(qtbot, second, state=RequestState.READY_TO_SHIP)
    select(view, "ready", second)
    bar.ship_button.click()
    dialog = bar.current_dialog
    assert isinstance(dialog, ShipDialog)
    dialog.primary_button.click()  # no tracking number
    assert shop.on_server_state(qtbot, second, "sent")["tracking_number"] == ""

    # The tracking number is a link to the carrier's page.
    opened: list[QUrl] = []
    view.open_url = opened.append
    shop.cached(qtbot, first, second, state=RequestState.SENT)
    select(view, "sent", first)
    view.table.setCurrentIndex(view.model.index(view.model.row_of(first), Column.TRACKING))
    assert view.open_tracking_page()
    assert opened
    assert opened[0].toString().startswith("https://www.ups.com/")
    assert ups(first) in opened[0].toString()
    select(view, "sent", second)
    assert not view.open_tracking_page()  # no number, no link


def test_bulk_accept_reports_each_item(qtbot: QtBot, shop: Shop) -> None:
    ids = [int(shop.new_request(creator=i)["id"]) for i in range(3)]
    shop.cached(qtbot, *ids, state=RequestState.PENDING)
    view = make_view(qtbot, shop)
    shop.engine.stop()  # someone else refuses one first; this client has not seen it
    shop.act(ids[1], "refuse", reason="Not our audience")

    select(view, "pending", *ids)
    view.bar.accept_button.click()
    assert "3 requests" in view.banner.text()
    shop.engine.start()
    qtbot.waitUntil(lambda: "refused:" in view.banner.text(), timeout=WAIT_MS)
    assert view.banner.text() == (f"2 accepted, 1 refused: LDR-{ids[1]} was changed by "
                                  "someone else.")
    assert view.banner.kind == "error"
    assert [shop.state(i) for i in ids] == ["ready_to_ship", "refused", "ready_to_ship"]


def test_a_single_action_the_server_refuses_is_named_in_the_banner(qtbot: QtBot,
                                                                    shop: Shop) -> None:
    request_id = int(shop.new_request(creator=0)["id"])
    shop.cached(qtbot, request_id, state=RequestState.PENDING)
    view = make_view(qtbot, shop)
    shop.engine.stop()  # a colleague refuses it first; this client has not seen it
    shop.act(request_id, "refuse", reason="Not our audience")
    select(view, "pending", request_id)
    view.bar.accept_button.click()
    shop.engine.start()
    qtbot.waitUntil(lambda: view.banner.text().startswith(f"LDR-{request_id} was not "),
                    timeout=WAIT_MS)
    assert "Someone else changed this first" in view.banner.text()
    assert shop.state(request_id) == "refused"


def test_refuse_asks_a_reason_and_message_goes_to_each_creator(qtbot: QtBot,
                                                               shop: Shop) -> None:
    ids = [int(shop.new_request(creator=i)["id"]) for i in range(2)]
    shop.cached(qtbot, *ids, state=RequestState.PENDING)
    view = make_view(qtbot, shop)

    select(view, "pending", *ids)
    view.bar.message_button.click()
    dialog = view.bar.current_dialog
    assert isinstance(dialog, BulkMessageDialog)
    assert "Maya Lopez" in dialog.recipients.text()
    assert "Noah Chen" in dialog.recipients.text()
    qtbot.keyClicks(dialog.text_edit, "The blue variant is back on the 12th.")
    dialog.primary_button.click()
    qtbot.waitUntil(lambda: view.banner.text() == "Message sent to 2 creators.",
                    timeout=WAIT_MS)
    for request_id in ids:
        thread = shop.on_server(request_id)["thread_id"]
        texts = [m["text"] for m in shop.creators[0 if request_id == ids[0] else 1].client.get(
            f"/threads/{thread}/messages").json()["items"]]
        assert "The blue variant is back on the 12th." in texts

    select(view, "pending", *ids)
    view.bar.refuse_button.click()
    dialog = view.bar.current_dialog
    assert isinstance(dialog, ReasonDialog)
    dialog.primary_button.click()
    assert dialog.problem() == "Enter a reason."
    qtbot.keyClicks(dialog.reason_edit, "Out of stock")
    dialog.primary_button.click()
    qtbot.waitUntil(lambda: all(shop.state(i) == "refused" for i in ids), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.banner.text() == "2 refused.", timeout=WAIT_MS)
    assert shop.on_server(ids[0])["refused_reason"] == "Out of stock"


def test_the_three_issue_resolutions(qtbot: QtBot, shop: Shop) -> None:
    reship, cancel, solve = (shop.with_issue(creator=i, reason=f"Problem {i}")
                             for i in range(3))
    shop.cached(qtbot, reship, cancel, solve, state=RequestState.SENT)
    qtbot.waitUntil(lambda: all(row.request.issue_reason for row in (
        shop.cache.request(i) for i in (reship, cancel, solve)) if row), timeout=WAIT_MS)
    view = make_view(qtbot, shop)
    bar = view.bar

    select(view, "sent", reship)
    assert bar.issue_panel.isVisibleTo(view)
    assert not bar.cancel_button.isVisibleTo(view)
    assert "Problem 0" in bar.issue_label.text()
    row = view.model.row_of(reship)
    assert "Problem 0" in str(view.model.index(row, Column.ISSUE).data())
    view.grab().save("/tmp/shipping_queue.png")
    bar.reship_button.click()
    dialog = bar.current_dialog
    assert isinstance(dialog, ReasonDialog)
    assert "stock" in dialog.consequence.text()
    dialog.primary_button.click()
    assert shop.on_server_state(qtbot, reship, "ready_to_ship")["reship_count"] == 1

    select(view, "sent", cancel)
    bar.cancel_order_button.click()
    dialog = bar.current_dialog
    assert isinstance(dialog, ReasonDialog)
    qtbot.keyClicks(dialog.reason_edit, "Refunded instead")
    dialog.primary_button.click()
    assert shop.on_server_state(qtbot, cancel, "cancelled")["issue_state"] == "solved"

    select(view, "sent", solve)
    bar.solved_button.click()
    qtbot.waitUntil(lambda: shop.on_server(solve)["issue_state"] == "solved", timeout=WAIT_MS)
    assert shop.state(solve) == "sent"
    shop.cached(qtbot, solve)
    select(view, "sent", solve)
    assert not bar.issue_panel.isVisibleTo(view)


def test_cancel_campaign_names_what_it_cancels(qtbot: QtBot, shop: Shop) -> None:
    pending = int(shop.new_request(creator=0)["id"])
    ready = shop.ready(creator=1)
    sent = shop.ready(creator=2)
    shop.act(sent, "ship")
    shop.cached(qtbot, pending, ready, sent)
    view = make_view(qtbot, shop)
    qtbot.waitUntil(lambda: view.tabs.tabText(2) == "Sent (1)", timeout=WAIT_MS)

    view.bar.cancel_campaign_button.click()
    dialog = view.bar.current_dialog
    assert isinstance(dialog, ReasonDialog)
    assert "2 requests not yet sent" in dialog.intro.text()
    assert "1 pending and 1 ready-to-ship" in dialog.consequence.text()
    assert dialog.primary_button.text() == "Cancel campaign and 2 requests"
    qtbot.keyClicks(dialog.reason_edit, "Launch moved to autumn")
    dialog.primary_button.click()
    qtbot.waitUntil(lambda: shop.state(pending) == "cancelled" and shop.state(ready) ==
                    "cancelled", timeout=WAIT_MS)
    assert shop.state(sent) == "sent"
    qtbot.waitUntil(lambda: not view.bar.cancel_campaign_button.isEnabled(), timeout=WAIT_MS)
    assert "cancelled" in view.campaign_box.currentText()


def test_empty_states_say_what_to_do(qtbot: QtBot, shop: Shop) -> None:
    view = make_view(qtbot, shop)
    assert view.model.rowCount() == 0
    assert view.empty_title.text() == "No pending requests"
    assert view.empty_title.isVisibleTo(view)
    view.select_tab("ready")
    assert view.empty_title.text() == "Nothing to ship"
    assert "Export approved orders" in view.empty_hint.text()
    assert not view.bar.slips_button.isEnabled()
