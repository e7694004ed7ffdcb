"""The signed-in app following the server: live changes, going offline and coming back, the
outbox across a restart, refusals rolled back and explained."""

from __future__ import annotations

from dataclasses import dataclass

from pytestqt.qtbot import QtBot

from litdesk.app import LitDeskApp, Session
from litdesk.domain.orders import Action, OrderStatus, Role
from litdesk.domain.wire import TransitionIn
from litdesk.services.errors import Conflict, describe
from tests.live_server import Account
from tests.server.order_flow import Json, new_space, ok, place
from tests.services.sync_support import transition_events
from tests.ui.app_support import (
    AppFactory,
    MemoryKeyring,
    OwnServer,
    board_rows,
    remember_sign_in,
    row_for,
    wait_for,
)


@dataclass
class Scene:
    app: LitDeskApp
    influencer: Account
    advertiser: Account
    space: Json
    order: Json


def _synced_app(qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
                memory_keyring: MemoryKeyring) -> Scene:
    """An influencer with one space and an order on it, signed in from an earlier run."""
    influencer = own_server.account(Role.INFLUENCER)
    advertiser = own_server.account(Role.ADVERTISER)
    space = new_space(influencer)
    order = place(advertiser, space["id"])
    remember_sign_in(make_app.data_dir, memory_keyring, own_server.url, influencer)
    app = make_app(server=own_server.url)
    app.start()
    wait_for(qtbot, lambda: row_for(app, order["id"]) is not None)
    wait_for(qtbot, lambda: app.session is not None and app.session.synced)
    return Scene(app, influencer, advertiser, space, order)


def test_an_order_placed_on_the_server_appears_without_any_action(
        qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
        memory_keyring: MemoryKeyring) -> None:
    scene = _synced_app(qtbot, make_app, own_server, memory_keyring)
    app, advertiser, space, first = scene.app, scene.advertiser, scene.space, scene.order
    placed = place(advertiser, space["id"], brief="A second campaign")
    wait_for(qtbot, lambda: row_for(app, placed["id"]) is not None)
    row = row_for(app, placed["id"])
    assert row is not None
    assert row.brief == "A second campaign"
    assert {r.id for r in board_rows(app)} == {first["id"], placed["id"]}

    # The advertiser cancels the first one: the open order's pane follows too.
    app.open_order(first["id"])
    assert app.window.order_view.header.badge.text() == "Pending"
    ok(advertiser.client.post(f"/orders/{first['id']}/transitions", json={
        "action": "cancel", "version": first["version"], "reason": "Plans changed."}))
    wait_for(qtbot, lambda: app.window.order_view.header.badge.text() == "Cancelled")


def test_offline_action_survives_a_restart_and_is_applied_once_when_the_server_returns(
        qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
        memory_keyring: MemoryKeyring) -> None:
    scene = _synced_app(qtbot, make_app, own_server, memory_keyring)
    app, order = scene.app, scene.order
    own_server.stop()
    status_line = app.window.status_line
    wait_for(qtbot, lambda: status_line.status.state == "offline")
    assert status_line.state_label.text().startswith("Offline — retrying")

    # As the order view will: the influencer requests payment, based on the version shown.
    row = row_for(app, order["id"])
    assert row is not None
    assert app.session is not None
    app.session.engine.transition(order["id"], TransitionIn(
        action=Action.REQUEST_PAYMENT, version=row.version))
    wait_for(qtbot, lambda: getattr(row_for(app, order["id"]), "status", None)
             is OrderStatus.PAYMENT_REQUIRED)  # shown at once, before the server knows
    wait_for(qtbot, lambda: status_line.pending_label.text() == "1 change waiting to be sent")
    assert status_line.pending_label.isVisibleTo(app.window)
    app.close()

    again = make_app(server=own_server.url)
    again.start()  # still offline: the cache and the outbox carry the change
    wait_for(qtbot, lambda: getattr(row_for(again, order["id"]), "status", None)
             is OrderStatus.PAYMENT_REQUIRED)
    wait_for(qtbot, lambda: again.window.status_line.status.pending == 1)

    own_server.start()
    wait_for(qtbot, lambda: again.window.status_line.status.pending == 0)
    wait_for(qtbot, lambda: again.window.status_line.status.state == "online")
    assert again.window.status_line.pending_label.text() == ""
    row = row_for(again, order["id"])
    assert row is not None
    assert row.status is OrderStatus.PAYMENT_REQUIRED
    assert row.pending_actions == 0
    assert transition_events(own_server.live, order["id"], "request_payment") == 1
    assert again.window.banner.text() == ""


def test_a_stale_action_is_rolled_back_and_explained(
        qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
        memory_keyring: MemoryKeyring) -> None:
    scene = _synced_app(qtbot, make_app, own_server, memory_keyring)
    app, order = scene.app, scene.order
    app.open_order(order["id"])
    assert app.session is not None
    # Based on a version the server no longer has (as after someone else's change).
    app.session.engine.transition(order["id"], TransitionIn(
        action=Action.REQUEST_PAYMENT, version=order["version"] + 5))
    wait_for(qtbot, lambda: app.window.banner.text())
    assert app.window.banner.text() == describe(Conflict("stale"))
    wait_for(qtbot, lambda: getattr(row_for(app, order["id"]), "status", None)
             is OrderStatus.PENDING)
    assert app.window.order_view.header.badge.text() == "Pending"
    assert app.window.status_line.status.pending == 0
    assert transition_events(own_server.live, order["id"], "request_payment") == 0


def test_an_illegal_action_is_refused_and_explained_without_being_queued(
        qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
        memory_keyring: MemoryKeyring) -> None:
    scene = _synced_app(qtbot, make_app, own_server, memory_keyring)
    app, order = scene.app, scene.order
    assert app.session is not None
    app.session.engine.transition(order["id"], TransitionIn(
        action=Action.START_PROCESSING, version=order["version"]))  # not before payment
    wait_for(qtbot, lambda: app.window.banner.text())
    assert app.window.banner.kind == "error"
    row = row_for(app, order["id"])
    assert row is not None
    assert row.status is OrderStatus.PENDING
    assert app.session.engine.outbox.count() == 0


def test_a_first_sync_in_many_pages_shows_its_progress(
        qtbot: QtBot, make_app: AppFactory, own_server: OwnServer,
        memory_keyring: MemoryKeyring) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    advertiser = own_server.account(Role.ADVERTISER)
    space = new_space(influencer)
    placed = [place(advertiser, space["id"], brief=f"Campaign {n}") for n in range(6)]
    remember_sign_in(make_app.data_dir, memory_keyring, own_server.url, influencer)
    app = make_app(server=own_server.url, page_size=3)  # a "large" account: many pages
    seen: list[tuple[str, str, bool]] = []
    line = app.window.status_line

    def watch(session: Session) -> None:
        # Connected after the app's own slot, so the status line has already been updated.
        session.engine.status_changed.connect(lambda status: seen.append(
            (status.state, line.state_label.text(), not line.progress_bar.isHidden())))

    app.session_started.connect(watch)
    app.start()
    wait_for(qtbot, lambda: app.session is not None and app.session.synced)
    assert {r.id for r in board_rows(app)} == {o["id"] for o in placed}
    downloading = [entry for entry in seen if entry[0] == "syncing" and "pages" in entry[1]]
    assert len(downloading) >= 2, seen
    assert all(progress_shown for _state, _text, progress_shown in downloading)
    assert seen[-1][0] == "online"
    assert not line.progress_bar.isVisibleTo(app.window)
