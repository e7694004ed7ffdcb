"""Signing in to a remote server through the dialog; the token lives in the keyring only."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import Role
from litdesk.services.errors import Unauthorized, describe
from tests.live_server import PASSWORD
from tests.server.order_flow import new_space, place
from tests.ui.app_support import (
    AppFactory,
    MemoryKeyring,
    OwnServer,
    board_rows,
    files_containing,
    remember_sign_in,
    wait_for,
)


def _dialog_shown(app_factory_app: object) -> bool:
    dialog = getattr(app_factory_app, "sign_in_dialog", None)
    return dialog is not None and dialog.isVisible()


def test_signing_in_shows_the_servers_orders_and_keeps_the_token_in_the_keyring_only(
        qtbot: QtBot, own_server: OwnServer, memory_keyring: MemoryKeyring,
        make_app: AppFactory, home: Path) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    advertiser = own_server.account(Role.ADVERTISER)
    space = new_space(influencer)
    placed = [place(advertiser, space["id"], brief=f"Brief {n}") for n in range(3)]

    app = make_app(server=own_server.url)
    app.start()
    wait_for(qtbot, lambda: _dialog_shown(app))
    dialog = app.sign_in_dialog
    assert dialog is not None
    assert own_server.url in dialog.server_label.text()
    assert not dialog.sign_in_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(dialog.email_edit, influencer.email)
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.is_busy()  # the login runs off the UI thread; the dialog waits visibly
    assert not dialog.email_edit.isEnabled()

    wait_for(qtbot, lambda: {r.id for r in board_rows(app)} == {o["id"] for o in placed})
    assert not dialog.isVisible()
    wait_for(qtbot, lambda: app.window.status_line.state_label.text().startswith("Online"))

    key = ("LitDesk", f"{own_server.url}|{influencer.email}")
    wait_for(qtbot, lambda: key in memory_keyring.entries)
    token = memory_keyring.entries[key]
    assert token
    app.close()
    # Not in the settings, the cache or anything else under the data folder or the home.
    assert files_containing(make_app.data_dir, token) == []
    assert files_containing(home, token) == []


def test_a_wrong_password_is_explained_and_the_dialog_stays(
        qtbot: QtBot, own_server: OwnServer, memory_keyring: MemoryKeyring,
        make_app: AppFactory) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    app = make_app(server=own_server.url)
    app.start()
    wait_for(qtbot, lambda: _dialog_shown(app))
    dialog = app.sign_in_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.email_edit, influencer.email)
    qtbot.keyClicks(dialog.password_edit, "not the password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: not dialog.is_busy())
    assert dialog.isVisible()
    assert "Wrong email or password" in dialog.error_label.text()
    assert dialog.password_edit.text() == ""
    assert app.session is None
    assert memory_keyring.entries == {}


def test_the_next_start_uses_the_keyring_and_sign_out_forgets_the_token(
        qtbot: QtBot, own_server: OwnServer, memory_keyring: MemoryKeyring,
        make_app: AppFactory) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    first = make_app(server=own_server.url)
    first.start()
    wait_for(qtbot, lambda: _dialog_shown(first))
    dialog = first.sign_in_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.email_edit, influencer.email)
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: first.session is not None and first.session.synced)
    wait_for(qtbot, lambda: memory_keyring.entries)
    first.close()

    second = make_app(server=own_server.url)
    second.start()
    wait_for(qtbot, lambda: second.session is not None and second.session.synced)
    assert second.sign_in_dialog is None  # no question asked: the keyring had the token
    assert second.window.sign_out_action.isVisible()

    second.window.sign_out_action.trigger()
    wait_for(qtbot, lambda: _dialog_shown(second))
    wait_for(qtbot, lambda: memory_keyring.entries == {})
    assert second.session is None
    assert second.window.sign_in_action.isVisible()
    dialog = second.sign_in_dialog
    assert dialog is not None
    assert dialog.email() == influencer.email  # only the password is asked again


def test_without_a_keyring_the_app_says_so_once_and_asks_each_time(
        qtbot: QtBot, own_server: OwnServer, no_keyring: None, make_app: AppFactory,
        home: Path) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    for run in range(2):
        app = make_app(server=own_server.url)
        app.start()
        wait_for(qtbot, lambda app=app: _dialog_shown(app))
        notice = app.window.banner.text()
        dialog = app.sign_in_dialog
        assert dialog is not None
        if run == 0:
            assert "No system keyring" in notice
            qtbot.keyClicks(dialog.email_edit, influencer.email)
        else:
            assert notice == ""  # said once, not on every start
            assert dialog.email() == influencer.email  # remembered; only the password asked
        qtbot.keyClicks(dialog.password_edit, PASSWORD)
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        wait_for(qtbot, lambda app=app: app.session is not None and app.session.synced)
        token = app.session.who.token if app.session else ""
        app.close()
        assert files_containing(make_app.data_dir, token) == []
        assert files_containing(home, token) == []


def test_a_revoked_token_asks_to_sign_in_again_and_is_forgotten(
        qtbot: QtBot, own_server: OwnServer, memory_keyring: MemoryKeyring,
        make_app: AppFactory) -> None:
    influencer = own_server.account(Role.INFLUENCER)
    remember_sign_in(make_app.data_dir, memory_keyring, own_server.url, influencer)
    ok_status = influencer.client.post("/auth/logout").status_code
    assert ok_status == 204  # signed out elsewhere: the remembered token is dead
    app = make_app(server=own_server.url)
    app.start()
    wait_for(qtbot, lambda: _dialog_shown(app))
    dialog = app.sign_in_dialog
    assert dialog is not None
    assert dialog.notice_label.text() == describe(Unauthorized("expired"))
    assert dialog.email() == influencer.email
    wait_for(qtbot, lambda: memory_keyring.entries == {})


def test_settings_switch_from_the_built_in_server_to_a_remote_one(
        qtbot: QtBot, own_server: OwnServer, memory_keyring: MemoryKeyring,
        make_app: AppFactory) -> None:
    app = make_app()
    app.start()  # no server configured: the built-in one, its local account, no questions
    wait_for(qtbot, lambda: app.session is not None and app.session.synced)
    assert app.session is not None
    assert app.session.who.server_key == "local"
    assert app.sign_in_dialog is None
    assert not app.window.sign_out_action.isEnabled()  # nobody else to be

    app.window.settings_action.trigger()
    settings = app.settings_dialog
    assert settings is not None
    settings.url_edit.setText(own_server.url + "/")
    settings.accept()
    wait_for(qtbot, lambda: _dialog_shown(app))
    dialog = app.sign_in_dialog
    assert dialog is not None
    assert own_server.url in dialog.server_label.text()
    assert app.session is None
    assert app.settings.value("server/url") == own_server.url
    app.close()

    again = make_app()
    again.start()  # the setting is remembered
    wait_for(qtbot, lambda: _dialog_shown(again))
