"""Two signed-in LitDesk apps — the influencer's and the advertiser's — against one real server:
an order walked from Pending to Completed and rated, each step taken in one app's order view
and seen in the other's; a stale action rolled back and explained; refund → decline →
mediation. At every step each app offers exactly the actions the table allows its role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from litdesk.app import LitDeskApp
from litdesk.domain.orders import Action, OrderStatus, Role, allowed_actions
from litdesk.services.errors import Conflict, describe
from litdesk.services.optimistic import order_state
from litdesk.views.action_dialogs import ActionDialog, PaymentDialog
from litdesk.views.feedback_dialogs import RatingDialog, SurveyDialog
from litdesk.views.order_view import PAY, PAYABLE, OrderView
from tests.live_server import Account
from tests.server.order_flow import Json, new_space, ok, place
from tests.ui.app_support import (
    WAIT_MS,
    AppFactory,
    MemoryKeyring,
    OwnServer,
    remember_sign_in,
    row_for,
    wait_for,
)

PROOF = "https://social.example/p/launch-post"
S = OrderStatus


@dataclass
class Pair:
    influencer: LitDeskApp
    advertiser: LitDeskApp
    influencer_account: Account
    advertiser_account: Account
    order: Json

    @property
    def id(self) -> int:
        return int(self.order["id"])

    def apps(self) -> tuple[LitDeskApp, LitDeskApp]:
        return self.influencer, self.advertiser


def view(app: LitDeskApp) -> OrderView:
    return app.window.order_view


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def signed_in(qtbot: QtBot, factory: AppFactory, keyring: MemoryKeyring, server: OwnServer,
              account: Account) -> LitDeskApp:
    remember_sign_in(factory.data_dir, keyring, server.url, account)
    app = factory(server=server.url)
    app.start()
    wait_for(qtbot, lambda: app.session is not None and app.session.synced)
    return app


@pytest.fixture
def pair(qtbot: QtBot, tmp_path: Path, own_server: OwnServer,
         memory_keyring: MemoryKeyring) -> Iterator[Pair]:
    influencer = own_server.account(Role.INFLUENCER)
    advertiser = own_server.account(Role.ADVERTISER)
    space = new_space(influencer, title="Podcast mid-roll", price_cents=45_000)
    order = place(advertiser, space["id"], brief="Our autumn headphones.")
    factories = [AppFactory(qtbot, tmp_path / "influencer"),
                 AppFactory(qtbot, tmp_path / "advertiser")]
    try:
        apps = [signed_in(qtbot, f, memory_keyring, own_server, a)
                for f, a in zip(factories, (influencer, advertiser), strict=True)]
        for app in apps:
            wait_for(qtbot, lambda app=app: row_for(app, order["id"]) is not None)
            app.open_order(order["id"])
            assert view(app).order_id == order["id"]
        yield Pair(apps[0], apps[1], influencer, advertiser, order)
    finally:
        for factory in factories:
            factory.close_all()


def expected_offer(app: LitDeskApp) -> list[str]:
    """What the table allows this app's person now, on the order as the view shows it."""
    shown = view(app).order
    assert shown is not None
    assert app.session is not None
    role = app.session.who.user.role
    offer = [t.action.value for t in allowed_actions(order_state(shown.model_dump(mode="json")),
                                                     role)]
    if role is Role.ADVERTISER and S(shown.status) in PAYABLE:
        offer.insert(0, PAY)
    return offer


def settled(qtbot: QtBot, pair: Pair, status: OrderStatus, *, refused: int = 0) -> None:
    """Both apps show ``status`` (the server has it: nothing waits in either outbox), and
    offer exactly what the table allows each of them; ``refused`` entries were refused."""
    for app in pair.apps():
        qtbot.waitUntil(lambda app=app: _shows(app, status, refused), timeout=WAIT_MS)
        assert view(app).offered_actions() == expected_offer(app)


def _shows(app: LitDeskApp, status: OrderStatus, refused: int) -> None:
    session = app.session
    assert session is not None
    outbox = session.engine.outbox
    state = (view(app).header.badge.text(), outbox.count(), [e.error for e in outbox.failed()],
             app.window.banner.text(), app.window.status_line.status)
    assert state[:2] == (status.label, 0), state
    assert len(state[2]) <= refused, state


def take(qtbot: QtBot, app: LitDeskApp, action: Action, *, proof_url: str = "",
         **texts: str) -> None:
    """Take ``action`` in ``app``'s order view as a person would: the button, the dialog's
    fields, then the dialog's button (twice when it confirms)."""
    order_view = view(app)
    wait_for(qtbot, lambda: action.value in order_view.offered_actions())
    click(qtbot, order_view.action_buttons[action.value])
    dialog = order_view.current_dialog
    if dialog is None:
        return
    assert isinstance(dialog, ActionDialog)
    for need, edit in dialog.texts.items():
        qtbot.keyClicks(edit, texts[need.value])
    if dialog.proof is not None:
        qtbot.keyClicks(dialog.proof.link_edit, proof_url)
    click(qtbot, dialog.primary_button)
    if dialog.isVisible():  # a confirmation page
        assert dialog.pages.currentWidget() is dialog.confirm_page, dialog.problem()
        click(qtbot, dialog.primary_button)
    assert not dialog.isVisible()


def what_log_says(app: LitDeskApp) -> list[str]:
    model = view(app).events_model
    return [entry.what for entry in model.entries()]


def test_an_order_from_pending_to_completed_and_rated_in_two_apps(
        qtbot: QtBot, pair: Pair, own_server: OwnServer) -> None:
    inf, adv = pair.apps()
    settled(qtbot, pair, S.PENDING)
    assert view(adv).offered_actions() == [Action.CANCEL.value]  # nothing else before billing

    take(qtbot, inf, Action.REQUEST_FEEDBACK, question="Which colours should I show?")
    settled(qtbot, pair, S.FEEDBACK_REQUIRED)
    take(qtbot, adv, Action.PROVIDE_FEEDBACK, answer="The blue and the red ones.")
    settled(qtbot, pair, S.FEEDBACK_PROVIDED)
    wait_for(qtbot, lambda: "Provide feedback: The blue and the red ones." in what_log_says(inf))

    # A quick message is part of both logs too.
    thread_id = ok(pair.advertiser_account.client.get(f"/orders/{pair.id}/thread"))["id"]
    ok(pair.advertiser_account.client.post(f"/threads/{thread_id}/messages",
                                           json={"text": "Samples ship today."}), 201)
    for app in pair.apps():
        wait_for(qtbot, lambda app=app: "Message: Samples ship today." in what_log_says(app))

    take(qtbot, inf, Action.REQUEST_PAYMENT)
    settled(qtbot, pair, S.PAYMENT_REQUIRED)
    assert view(adv).action_buttons[PAY].text() == "Pay $450.00…"
    click(qtbot, view(adv).action_buttons[PAY])
    payment = view(adv).current_dialog
    assert isinstance(payment, PaymentDialog)
    click(qtbot, payment.pay_button)
    settled(qtbot, pair, S.PAYMENT_RECEIVED)

    take(qtbot, inf, Action.START_PROCESSING)
    settled(qtbot, pair, S.PROCESSING)
    take(qtbot, inf, Action.COMPLETE, proof_url=PROOF)
    settled(qtbot, pair, S.COMPLETED)
    assert PROOF in view(adv).fields.fields["proof"].text()
    assert view(adv).header.progress_bar.value() == 100

    # Both rate, once each; each sees the other's rating.
    for app, score, other in ((inf, 5, adv), (adv, 4, inf)):
        order_view = view(app)
        wait_for(qtbot, lambda order_view=order_view: order_view.rate_button.isVisible())
        click(qtbot, order_view.rate_button)
        dialog = order_view.current_dialog
        assert isinstance(dialog, RatingDialog)
        dialog.score_input.set_score(score)
        qtbot.keyClicks(dialog.comment_edit, "Smooth collaboration.")
        click(qtbot, dialog.send_button)
        assert not order_view.rate_button.isVisible()  # at once: no second rating offered
        wait_for(qtbot, lambda app=app, score=score: view(app).rating_label.text().startswith(
            f"You rated this collaboration {score}/5."))
        wait_for(qtbot, lambda other=other, score=score: f"rated it {score}/5." in
                 view(other).rating_label.text())
    for app in pair.apps():
        assert not view(app).rate_button.isVisible()
        wait_for(qtbot, lambda app=app: sum(text.startswith("Rated the collaboration")
                                            for text in what_log_says(app)) == 2)

    # Three days on, the advertiser is asked for the metrics survey; the influencer never is.
    assert not view(adv).survey_button.isVisible()
    view(adv).clock = lambda: datetime.now(UTC) + timedelta(days=3, minutes=1)
    adv.open_order(pair.id)
    assert view(adv).survey_button.isVisible()
    assert not view(inf).survey_button.isVisible()
    click(qtbot, view(adv).survey_button)
    survey = view(adv).current_dialog
    assert isinstance(survey, SurveyDialog)
    for key, value in (("impressions", "12000"), ("clicks", "340"), ("conversions", "12")):
        qtbot.keyClicks(survey.counts[key], value)
    survey.satisfaction_input.set_score(5)
    click(qtbot, survey.send_button)
    wait_for(qtbot, lambda: view(adv).survey_label.text() == "You answered the metrics survey.")
    wait_for(qtbot, lambda: view(inf).survey_label.text() ==
             "The advertiser has answered the metrics survey.")
    assert not view(adv).survey_button.isVisible()
    for app in pair.apps():
        assert app.window.banner.text() == ""  # nothing was refused on the way


def test_a_stale_action_is_rolled_back_and_explained_next_to_the_order(
        qtbot: QtBot, pair: Pair) -> None:
    inf, adv = pair.apps()
    assert inf.session is not None
    inf.session.engine.stop()  # the influencer's app hears nothing while the advertiser acts
    take(qtbot, adv, Action.CANCEL, reason="Plans changed.")
    wait_for(qtbot, lambda: view(adv).header.badge.text() == "Cancelled"
             and adv.session is not None and adv.session.engine.outbox.count() == 0)
    assert view(inf).header.badge.text() == "Pending"

    take(qtbot, inf, Action.REQUEST_PAYMENT)  # on the version it saw
    wait_for(qtbot, lambda: view(inf).header.badge.text() == "Payment Required")  # at once
    inf.session.engine.start()
    explained = describe(Conflict("stale"))
    wait_for(qtbot, lambda: view(inf).refusal.text() == explained)
    assert view(inf).header.badge.text() == "Cancelled"  # the server's state, not the guess
    assert view(inf).offered_actions() == []
    assert inf.window.banner.text() == explained
    # The advertiser's cancellation reaches the log with the change feed, after the refusal.
    wait_for(qtbot, lambda: "Cancel the order: Plans changed." in what_log_says(inf))
    settled(qtbot, pair, S.CANCELLED, refused=1)


def test_refund_declined_then_mediation(qtbot: QtBot, pair: Pair,
                                        own_server: OwnServer) -> None:
    inf, adv = pair.apps()
    influencer, advertiser = pair.influencer_account, pair.advertiser_account
    order = ok(influencer.client.post(f"/orders/{pair.id}/transitions", json={
        "action": "request_payment", "version": pair.order["version"]}))
    order = ok(advertiser.client.post(f"/orders/{pair.id}/pay",
                                      json={"version": order["version"]}))
    ok(influencer.client.post(f"/orders/{pair.id}/transitions", json={
        "action": "start_processing", "version": order["version"]}))
    settled(qtbot, pair, S.PROCESSING)

    take(qtbot, adv, Action.REQUEST_REFUND, reason="The post went out late.")
    settled(qtbot, pair, S.REFUND_REQUESTED)
    assert view(inf).offered_actions() == [Action.GRANT_REFUND.value,
                                           Action.DECLINE_REFUND.value]
    take(qtbot, inf, Action.DECLINE_REFUND, reason="It went out on the agreed day.")
    settled(qtbot, pair, S.REFUND_DECLINED)
    assert view(adv).offered_actions() == [Action.REQUEST_MEDIATION.value]
    take(qtbot, adv, Action.REQUEST_MEDIATION, reason="We cannot agree.")
    settled(qtbot, pair, S.MEDIATION_REQUIRED)
    for app in pair.apps():
        assert view(app).offered_actions() == []  # the mediation team decides now

    mediator = own_server.account(Role.MEDIATOR)
    current = ok(mediator.client.get(f"/orders/{pair.id}"))
    ok(mediator.client.post(f"/orders/{pair.id}/transitions", json={
        "action": "mediator_decides", "version": current["version"],
        "decision": "Delivered as agreed.", "outcome": "mediation_complete"}))
    settled(qtbot, pair, S.MEDIATION_COMPLETE)
    changes = [entry.change for entry in view(adv).events_model.entries() if entry.change]
    assert changes[-4:] == ["Processing → Refund Requested",
                            "Refund Requested → Refund Declined",
                            "Refund Declined → Mediation Required",
                            "Mediation Required → Mediation Complete"]


def test_completing_with_a_screenshot_as_proof(qtbot: QtBot, pair: Pair, tmp_path: Path) -> None:
    inf, adv = pair.apps()
    influencer, advertiser = pair.influencer_account, pair.advertiser_account
    order = ok(influencer.client.post(f"/orders/{pair.id}/transitions", json={
        "action": "request_payment", "version": pair.order["version"]}))
    order = ok(advertiser.client.post(f"/orders/{pair.id}/pay",
                                      json={"version": order["version"]}))
    ok(influencer.client.post(f"/orders/{pair.id}/transitions", json={
        "action": "start_processing", "version": order["version"]}))
    settled(qtbot, pair, S.PROCESSING)

    shot = tmp_path / "placement.png"
    shot.write_bytes(_PNG)
    order_view = view(inf)
    click(qtbot, order_view.action_buttons[Action.COMPLETE.value])
    dialog = order_view.current_dialog
    assert isinstance(dialog, ActionDialog)
    assert dialog.proof is not None
    dialog.proof.file_choice.setChecked(True)
    qtbot.keyClicks(dialog.proof.file_edit, str(shot))
    click(qtbot, dialog.primary_button)
    assert not dialog.isVisible(), dialog.problem()
    settled(qtbot, pair, S.COMPLETED)
    assert "Screenshot attached" in view(adv).fields.fields["proof"].text()
    wait_for(qtbot, lambda: any("Screenshot: placement.png" in text
                                for text in what_log_says(adv)))


# A 1x1 transparent PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa65d3a"
    "0000000049454e44ae426082")
