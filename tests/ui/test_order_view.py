"""The order view on its own: what it shows, exactly which actions it offers for each status and
role, and how each action asks for its inputs and confirmation before it is requested. Dialogs
are opened with ``open()`` and driven like a person would (no nested event loop)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from litdesk.domain.order_guidance import next_steps
from litdesk.domain.orders import (
    Action,
    OrderState,
    OrderStatus,
    Role,
    action_label,
    allowed_actions,
)
from litdesk.domain.wire import PayIn, RatingIn, SurveyIn, TransitionIn
from litdesk.services.cache import LocalCache
from litdesk.services.order_details import (
    ORDER_RATING,
    OrderDetails,
    load_details,
    refused_order,
    version_seen,
)
from litdesk.services.outbox import Outbox, OutboxAction
from litdesk.views.action_dialogs import ActionDialog, PaymentDialog, check_proof_link
from litdesk.views.feedback_dialogs import RatingDialog, SurveyDialog
from litdesk.views.order_view import PAY, OrderView

NOW = datetime(2026, 3, 12, 14, 2, tzinfo=UTC)
ME = 1        # the influencer's user id
THEM = 2      # the advertiser's
S = OrderStatus

# The status an order in Hold / Update Requested came from: any legal one will do.
_CAME_FROM = {S.HOLD: {"held_from": "processing"},
              S.UPDATE_REQUESTED: {"update_from": "processing"}}


def order_json(status: OrderStatus = S.PROCESSING, **extra: Any) -> dict[str, Any]:
    return {
        "id": 7, "number": "LD-000007", "status": status.value, "progress": 70,
        "space": {"id": 1, "influencer_id": ME, "title": "Podcast mid-roll", "description": "",
                  "price_cents": 45_000, "currency": "USD", "recurring": True},
        "influencer": {"id": ME, "name": "Maya Laurent"},
        "advertiser": {"id": THEM, "name": "Northwind Audio"},
        "value_cents": 45_000, "currency": "USD", "brief": "Our autumn headphones.",
        "portfolio_ref": "https://portfolio.example/maya", "series_id": 5, "series_index": 2,
        "period_start": NOW.isoformat(),
        "created_at": NOW.isoformat(), "updated_at": (NOW + timedelta(days=1)).isoformat(),
        "version": 3, **_CAME_FROM.get(status, {}), **extra,
    }


def completed(**extra: Any) -> dict[str, Any]:
    return order_json(S.COMPLETED, completed_at=NOW.isoformat(),
                      survey_due_at=(NOW + timedelta(days=3)).isoformat(),
                      proof_url="https://social.example/p/1", **extra)


def details(order: dict[str, Any] | None = None, **extra: Any) -> OrderDetails:
    return OrderDetails(order=order or order_json(), **extra)


def make_view(qtbot: QtBot, role: Role = Role.INFLUENCER, user_id: int = ME,
              **options: Any) -> OrderView:
    view = OrderView(**options)
    qtbot.addWidget(view)
    view.set_viewer(role, user_id)
    view.resize(900, 700)
    view.show()
    return view


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose(qtbot: QtBot, radio: QWidget) -> None:
    """Click a radio button on its indicator (its widget may be wider than what reacts)."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def action_dialog(view: OrderView, action: Action) -> ActionDialog:
    view.action_buttons[action.value].click()
    dialog = view.current_dialog
    assert isinstance(dialog, ActionDialog)
    assert dialog.isVisible()
    return dialog


# --- what is offered -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.INFLUENCER, Role.ADVERTISER, Role.MEDIATOR])
def test_exactly_the_allowed_actions_are_offered_for_every_status(qtbot: QtBot,
                                                                  role: Role) -> None:
    view = make_view(qtbot, role)
    for status in OrderStatus:
        order = order_json(status)
        view.show_details(details(order))
        state = OrderState(status, held_from=S.PROCESSING if status is S.HOLD else None,
                           update_from=S.PROCESSING if status is S.UPDATE_REQUESTED else None)
        expected = [t.action.value for t in allowed_actions(state, role)]
        if role is Role.ADVERTISER and status in (S.PAYMENT_REQUIRED, S.UNCOLLECTABLE):
            expected.insert(0, PAY)
        assert view.offered_actions() == expected, (status, role)
        for key, button in view.action_buttons.items():
            assert button.isVisible()
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus  # reachable with Tab
            if key != PAY:
                assert button.accessibleName() == action_label(Action(key))
        assert view.no_actions_label.isVisible() == (not expected)


def test_the_top_shows_status_progress_next_steps_and_the_details(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    assert view.stack.currentWidget() is view.empty_page
    view.show_details(details())
    assert view.order_id == 7
    assert view.header.number_label.text() == "Order LD-000007"
    assert view.header.badge.text() == "Processing"
    assert view.header.badge.accessibleName() == "Status: Processing"
    assert view.header.progress_bar.value() == 70
    for step in next_steps(S.PROCESSING, Role.INFLUENCER):
        assert step in view.header.steps_label.text()
    fields = view.fields.fields
    assert fields["advertiser"].text() == "Northwind Audio"
    assert fields["value"].text() == "$450.00"
    assert fields["space"].text() == "Podcast mid-roll (monthly)"
    assert "2026" in fields["created"].text()
    assert fields["portfolio"].text() == "https://portfolio.example/maya"
    assert fields["series"].text().startswith("Month 2 of a monthly series")
    assert view.fields.brief_label.text() == "Our autumn headphones."
    assert not fields["proof"].isVisible()

    view.set_viewer(Role.ADVERTISER, THEM)  # the same order, seen by the other side
    assert "Request an update" in view.header.steps_label.text()
    view.show_details(details(completed()))
    assert fields["proof"].isVisible()
    assert "https://social.example/p/1" in fields["proof"].text()
    view.show_details(None)
    assert view.order_id is None
    assert view.stack.currentWidget() is view.empty_page


def test_an_unreadable_order_is_explained(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details({"id": 7, "status": "processing"}))
    assert view.order_id is None
    assert view.empty_title.text() == "This order could not be shown"


def test_a_waiting_change_is_said(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(pending_actions=1))
    assert view.pending_label.isVisible()
    assert "waiting to be sent" in view.pending_label.text()
    view.show_details(details())
    assert not view.pending_label.isVisible()


# --- taking actions ------------------------------------------------------------------------------

def test_an_action_without_inputs_is_requested_at_once(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PENDING)))
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, view.action_buttons[Action.REQUEST_PAYMENT.value])
    assert asked.args == [7, TransitionIn(action=Action.REQUEST_PAYMENT, version=3), ""]
    assert view.current_dialog is None


def test_an_action_button_works_from_the_keyboard(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PAYMENT_RECEIVED)))
    button = view.action_buttons[Action.START_PROCESSING.value]
    button.setFocus()
    with qtbot.waitSignal(view.transition_requested) as asked:
        qtbot.keyClick(button, Qt.Key.Key_Space)
    assert asked.args[1].action is Action.START_PROCESSING


def test_a_required_input_is_asked_for_and_blank_is_refused(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PENDING)))
    dialog = action_dialog(view, Action.REQUEST_FEEDBACK)
    sent: list[object] = []
    view.transition_requested.connect(lambda *args: sent.append(args))
    click(qtbot, dialog.primary_button)
    assert dialog.problem() == "Your question is required."
    assert dialog.isVisible()
    assert not sent

    qtbot.keyClicks(dialog.texts[next(iter(dialog.texts))], "  Which colours?  ")
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args == [7, TransitionIn(action=Action.REQUEST_FEEDBACK, version=3,
                                          question="Which colours?"), ""]
    assert not dialog.isVisible()


def test_a_destructive_action_confirms_first_and_back_keeps_the_text(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PENDING)))
    dialog = action_dialog(view, Action.CANCEL)
    sent: list[object] = []
    view.transition_requested.connect(lambda *args: sent.append(args))
    assert dialog.primary_button.text() == "Continue…"
    edit = next(iter(dialog.texts.values()))
    qtbot.keyClicks(edit, "Plans changed.")
    click(qtbot, dialog.primary_button)
    assert dialog.pages.currentWidget() is dialog.confirm_page
    assert dialog.primary_button.text() == "Cancel the order"
    assert "Reason: Plans changed." in dialog.summary_label.text()
    assert "cannot be reopened" in dialog.consequence_label.text()
    assert not sent  # nothing until confirmed

    click(qtbot, dialog.back_button)
    assert dialog.pages.currentWidget() is dialog.input_page
    assert edit.toPlainText() == "Plans changed."
    click(qtbot, dialog.primary_button)
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args[1] == TransitionIn(action=Action.CANCEL, version=3, reason="Plans changed.")


def test_cancelling_a_dialog_requests_nothing(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.REFUND_REQUESTED)))
    dialog = action_dialog(view, Action.GRANT_REFUND)  # no inputs: straight to confirming
    assert dialog.pages.currentWidget() is dialog.confirm_page
    assert not dialog.back_button.isVisible()
    sent: list[object] = []
    view.transition_requested.connect(lambda *args: sent.append(args))
    click(qtbot, dialog.cancel_button)
    assert not dialog.isVisible()
    assert not sent


@pytest.mark.parametrize("action", [Action.REQUEST_REFUND, Action.OPEN_DISPUTE])
def test_refunds_and_disputes_confirm_too(qtbot: QtBot, action: Action) -> None:
    view = make_view(qtbot, Role.ADVERTISER, THEM)
    view.show_details(details(order_json(S.PROCESSING)))
    dialog = action_dialog(view, action)
    qtbot.keyClicks(next(iter(dialog.texts.values())), "Late.")
    click(qtbot, dialog.primary_button)
    assert dialog.pages.currentWidget() is dialog.confirm_page
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args[1] == TransitionIn(action=action, version=3, reason="Late.")


def test_proof_of_delivery_as_a_link_must_be_http(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PROCESSING)))
    dialog = action_dialog(view, Action.COMPLETE)
    proof = dialog.proof
    assert proof is not None
    click(qtbot, dialog.primary_button)
    assert dialog.problem() == "Enter the link to the published placement."
    qtbot.keyClicks(proof.link_edit, "ftp://files.example/post")
    click(qtbot, dialog.primary_button)
    assert dialog.problem() == "The link must start with https:// or http:// and name a site."
    assert dialog.isVisible()
    proof.link_edit.setText("https://social.example/p/launch")
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args == [7, TransitionIn(action=Action.COMPLETE, version=3,
                                          proof_url="https://social.example/p/launch"), ""]


def test_proof_of_delivery_as_a_screenshot_file(qtbot: QtBot, tmp_path: Path) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PROCESSING)))
    dialog = action_dialog(view, Action.COMPLETE)
    proof = dialog.proof
    assert proof is not None
    choose(qtbot, proof.file_choice)
    assert proof.file_edit.isEnabled()
    assert not proof.link_edit.isEnabled()
    qtbot.keyClicks(proof.file_edit, str(tmp_path / "missing.png"))
    click(qtbot, dialog.primary_button)
    assert dialog.problem().startswith("There is no file")
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    proof.file_edit.setText(str(shot))
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args == [7, TransitionIn(action=Action.COMPLETE, version=3), str(shot)]


def test_check_proof_link() -> None:
    assert check_proof_link("https://x.example/p") == ""
    assert check_proof_link("http://x.example") == ""
    for wrong in ("", "x.example/p", "javascript:alert(1)", "https://", "mailto:a@b.c"):
        assert check_proof_link(wrong), wrong


def test_the_mediator_chooses_an_outcome_the_table_allows(qtbot: QtBot) -> None:
    view = make_view(qtbot, Role.MEDIATOR, 9)
    view.show_details(details(order_json(S.MEDIATION_REQUIRED)))
    dialog = action_dialog(view, Action.MEDIATOR_DECIDES)
    box = dialog.outcome_box
    assert box is not None
    assert sorted(box.itemData(i) for i in range(box.count())) == \
        ["mediation_complete", "refunded"]
    qtbot.keyClicks(next(iter(dialog.texts.values())), "The post went out as agreed.")
    click(qtbot, dialog.primary_button)
    assert dialog.problem() == "Choose the outcome."
    box.setCurrentIndex(box.findData("mediation_complete"))
    click(qtbot, dialog.primary_button)
    assert "Outcome: Mediation Complete" in dialog.summary_label.text()
    with qtbot.waitSignal(view.transition_requested) as asked:
        click(qtbot, dialog.primary_button)
    assert asked.args[1].outcome is S.MEDIATION_COMPLETE


def test_the_advertiser_pays_after_confirming(qtbot: QtBot) -> None:
    view = make_view(qtbot, Role.ADVERTISER, THEM)
    view.show_details(details(order_json(S.PAYMENT_REQUIRED)))
    assert view.action_buttons[PAY].text() == "Pay $450.00…"
    click(qtbot, view.action_buttons[PAY])
    dialog = view.current_dialog
    assert isinstance(dialog, PaymentDialog)
    with qtbot.waitSignal(view.payment_requested) as asked:
        click(qtbot, dialog.pay_button)
    assert asked.args == [7, PayIn(version=3)]


def test_a_refusal_is_shown_with_the_order_until_another_one_is_opened(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details())
    view.show_refusal("Someone else changed this first.")
    assert view.refusal.text() == "Someone else changed this first."
    view.show_details(details())  # the same order, rolled back: the reason stays
    assert view.refusal.text() == "Someone else changed this first."
    view.show_details(details(order_json(id=8, number="LD-000008")))
    assert view.refusal.text() == ""


def test_opening_another_order_closes_an_open_dialog(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PENDING)))
    dialog = action_dialog(view, Action.CANCEL)
    view.show_details(details(order_json(S.PENDING, id=8, number="LD-000008")))
    assert not dialog.isVisible()
    assert view.current_dialog is None


# --- after completion ----------------------------------------------------------------------------

def test_each_party_rates_once(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.show_details(details(order_json(S.PROCESSING)))
    assert not view.feedback_box.isVisible()
    view.show_details(details(completed()))
    assert view.feedback_box.isVisible()
    assert view.rate_button.isVisible()
    assert not view.survey_button.isVisible()  # the survey is the advertiser's
    click(qtbot, view.rate_button)
    dialog = view.current_dialog
    assert isinstance(dialog, RatingDialog)
    assert "Northwind Audio" in dialog.heading.text()
    click(qtbot, dialog.send_button)
    assert dialog.problem() == "Choose a score from 1 to 5."
    choose(qtbot, dialog.score_input.buttons[4])
    qtbot.keyClicks(dialog.comment_edit, "Clear brief, quick payment.")
    with qtbot.waitSignal(view.rating_requested) as asked:
        click(qtbot, dialog.send_button)
    assert asked.args == [7, RatingIn(score=4, comment="Clear brief, quick payment.")]

    view.show_details(details(completed(), rating_pending=True))
    assert not view.rate_button.isVisible()
    assert "being sent" in view.rating_label.text()
    mine = {"id": 1, "order_id": 7, "rater_id": ME, "score": 4, "comment": "",
            "created_at": NOW.isoformat()}
    theirs = {**mine, "id": 2, "rater_id": THEM, "score": 5}
    view.show_details(details(completed(), ratings=[mine, theirs]))
    assert not view.rate_button.isVisible()
    assert view.rating_label.text() == ("You rated this collaboration 4/5.\n"
                                        "Northwind Audio rated it 5/5.")


def test_the_metrics_survey_is_offered_to_the_advertiser_when_due(qtbot: QtBot) -> None:
    now = [NOW + timedelta(days=1)]
    view = make_view(qtbot, Role.ADVERTISER, THEM, clock=lambda: now[0])
    view.show_details(details(completed()))
    assert not view.survey_button.isVisible()
    assert view.survey_label.text().startswith("The metrics survey opens on")

    now[0] = NOW + timedelta(days=3, minutes=1)
    view.show_details(details(completed()))
    assert view.survey_button.isVisible()
    click(qtbot, view.survey_button)
    dialog = view.current_dialog
    assert isinstance(dialog, SurveyDialog)
    qtbot.keyClicks(dialog.counts["impressions"], "12,000")
    qtbot.keyClicks(dialog.counts["clicks"], "many")
    click(qtbot, dialog.send_button)
    assert dialog.problem() == "Clicks: enter a whole number such as 1200."
    dialog.counts["clicks"].setText("340")
    dialog.counts["conversions"].setText("12")
    click(qtbot, dialog.send_button)
    assert dialog.problem() == "Choose how satisfied you are, from 1 to 5."
    dialog.satisfaction_input.set_score(5)
    with qtbot.waitSignal(view.survey_requested) as asked:
        click(qtbot, dialog.send_button)
    assert asked.args == [7, SurveyIn(impressions=12_000, clicks=340, conversions=12,
                                      satisfaction=5)]

    view.show_details(details(completed(), survey={"id": 1}))
    assert not view.survey_button.isVisible()
    assert view.survey_label.text() == "You answered the metrics survey."


# --- the events log and the side panel -----------------------------------------------------------

def test_the_events_log_follows_the_same_order_without_a_reset(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    first = {"id": 1, "order_id": 7, "actor_name": "Northwind Audio", "actor_role": "advertiser",
             "kind": "created", "action": "place_order", "to_status": "pending",
             "note": "Podcast mid-roll", "created_at": NOW.isoformat()}
    view.show_details(details(events=[first]))
    assert view.events_model.rowCount() == 1
    resets: list[bool] = []
    view.events_model.modelReset.connect(lambda: resets.append(True))
    message = {**first, "id": 2, "kind": "message", "action": None, "to_status": None,
               "note": "Hello!", "created_at": (NOW + timedelta(minutes=1)).isoformat()}
    view.show_details(details(events=[message]))
    assert view.events_model.rowCount() == 2
    assert not resets
    assert view.events_table.accessibleName() == "Events log"


def test_the_view_says_when_another_order_is_shown(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    shown: list[int] = []
    view.order_changed.connect(shown.append)
    view.show_details(details())
    view.show_details(details(pending_actions=1))  # the same order again
    view.show_details(details(order_json(id=8, number="LD-000008")))
    view.clear()
    view.clear()
    assert shown == [7, 8, 0]


def test_the_quick_message_panel_goes_on_the_right(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    panel = QLabel("Quick messages")
    view.set_side_panel(panel)
    assert view.side_panel() is panel
    assert view.splitter.indexOf(panel) == 1
    assert view.splitter.indexOf(view.stack) == 0
    other = QLabel("Another panel")
    view.set_side_panel(other)
    assert view.splitter.indexOf(panel) == -1
    assert view.splitter.indexOf(other) == 1
    panel.deleteLater()


# --- what the view reads and sends -------------------------------------------------------------

def test_a_quick_second_action_carries_the_version_of_the_state_it_was_taken_on() -> None:
    shown = order_json(S.PROCESSING)  # predicted after the first action: the old version
    cached = {**shown, "version": 4}  # the server's answer, not shown yet
    assert version_seen(shown, cached, 3) == 4
    moved = {**cached, "status": "dispute_opened"}  # the other party moved first: stale
    assert version_seen(shown, moved, 3) == 3
    assert version_seen(shown, None, 3) == 3
    assert version_seen(shown, {**cached, "id": 8}, 3) == 3


def test_feedback_on_its_way_and_its_refusal_are_found_by_order(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    try:
        with cache.transaction() as conn:
            cache.store_order(conn, completed())
        outbox = Outbox(cache, viewer_role=Role.INFLUENCER)
        outbox.enqueue(OutboxAction(ORDER_RATING, "POST", "/orders/7/ratings",
                                    {"score": 5}, ORDER_RATING, 7))
        found = load_details(cache, outbox, 7)
        assert found is not None
        assert found.rating_pending
        assert found.rated_by(ME)
        assert not found.survey_answered()
        assert found.pending_actions == 0  # a rating changes no order row
        assert refused_order(outbox, 0) == 0  # nothing refused yet

        outbox.roll_back(outbox.pending()[0].id, "You have already rated this order.")
        again = load_details(cache, outbox, 7)
        assert again is not None
        assert not again.rating_pending  # offered again after a refusal
        assert refused_order(outbox, 0) == 7
        assert refused_order(outbox, 12) == 12
        assert load_details(cache, outbox, 99) is None
    finally:
        cache.close()
