"""The app's own widgets on their own: sign-in and settings dialogs, account picker, status line
and main window (the order view has tests/ui/test_order_view.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import Role
from litdesk.domain.wire import UserOut
from litdesk.services.errors import Offline, Unauthorized, describe
from litdesk.services.records import SyncStatus
from litdesk.views.account_picker import AccountPicker
from litdesk.views.main_window import MainWindow
from litdesk.views.settings_dialog import SettingsDialog, check_server_url
from litdesk.views.sign_in_dialog import SignInDialog
from litdesk.views.status_line import StatusLine, pending_text, state_text


def test_sign_in_dialog_asks_without_signing_in_itself(qtbot: QtBot) -> None:
    dialog = SignInDialog("https://litdesk.example.com")
    qtbot.addWidget(dialog)
    assert "https://litdesk.example.com" in dialog.server_label.text()
    assert not dialog.sign_in_button.isEnabled()
    qtbot.keyClicks(dialog.email_edit, " ana@example.com ")
    qtbot.keyClicks(dialog.password_edit, "secret")
    with qtbot.waitSignal(dialog.sign_in_requested) as asked:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert asked.args == ["ana@example.com", "secret"]
    assert dialog.is_busy()
    assert dialog.sign_in_button.text() == "Signing in…"
    assert not dialog.sign_in_button.isEnabled()  # no second request while one is on its way
    assert not dialog.busy_bar.isHidden()

    dialog.show_error(Offline("refused"))
    assert not dialog.is_busy()
    assert dialog.error_label.text() == describe(Offline("refused"))
    assert dialog.password_edit.text() == ""
    assert dialog.email_edit.isEnabled()


def test_sign_in_dialog_shows_why_it_asks(qtbot: QtBot) -> None:
    notice = describe(Unauthorized("expired"))
    dialog = SignInDialog("https://x.example", email="ana@example.com", notice=notice)
    qtbot.addWidget(dialog)
    assert dialog.notice_label.text() == notice
    assert not dialog.notice_label.isHidden()
    assert dialog.email() == "ana@example.com"


@pytest.mark.parametrize(("text", "url", "ok"), [
    ("", "", True),
    ("  ", "", True),
    ("https://litdesk.example.com/", "https://litdesk.example.com", True),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
    ("litdesk.example.com", None, False),
    ("ftp://files.example.com", None, False),
    ("https://", None, False),
    ("https://x.example/?token=1", None, False),
])
def test_server_urls(text: str, url: str | None, ok: bool) -> None:
    checked, problem = check_server_url(text)
    assert (problem == "") is ok
    if url is not None:
        assert checked == url


def test_settings_dialog_only_accepts_a_usable_url(qtbot: QtBot) -> None:
    dialog = SettingsDialog("")
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled()  # empty: the built-in server
    qtbot.keyClicks(dialog.url_edit, "example.com")
    assert not dialog.ok_button.isEnabled()
    assert not dialog.problem_label.isHidden()
    dialog.url_edit.setText("https://example.com/")
    assert dialog.ok_button.isEnabled()
    assert dialog.server_url() == "https://example.com"


def test_account_picker_enter_uses_the_selected_account(qtbot: QtBot) -> None:
    accounts = [UserOut(id=1, email="influencer@demo.test", name="Maya", role=Role.INFLUENCER),
                UserOut(id=2, email="advertiser@demo.test", name="Northwind",
                        role=Role.ADVERTISER),
                UserOut(id=3, email="logistics@demo.test", name="Sam", role=Role.BRAND_STAFF)]
    picker = AccountPicker(accounts, preselect="advertiser@demo.test")
    qtbot.addWidget(picker)
    picker.show()
    assert picker.selected_email() == "advertiser@demo.test"
    assert picker.list.topLevelItem(2).text(2) == "Brand logistics"  # type: ignore[union-attr]
    picker.list.setCurrentItem(picker.list.topLevelItem(2))
    with qtbot.waitSignal(picker.account_chosen) as chosen:
        qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    assert chosen.args == ["logistics@demo.test"]


def test_status_words() -> None:
    synced = datetime.now(UTC)
    assert state_text(SyncStatus("online", last_sync=synced)).startswith("Online · synced ")
    assert state_text(SyncStatus("online")) == "Online"
    assert state_text(SyncStatus("offline", message=describe(Offline("x")))) == "Offline"
    assert state_text(SyncStatus("offline"), retry_in=8) == "Offline — retrying in 8 s"
    assert state_text(SyncStatus("syncing", message="Downloading changes: 3 pages")) == \
        "Downloading changes: 3 pages"
    assert state_text(SyncStatus("syncing", progress=0.25)) == "Syncing… 25%"
    assert pending_text(0) == ""
    assert pending_text(1) == "1 change waiting to be sent"
    assert pending_text(2) == "2 changes waiting to be sent"


def test_status_line_shows_progress_while_syncing_and_the_waiting_changes(qtbot: QtBot) -> None:
    line = StatusLine()
    qtbot.addWidget(line)
    line.set_status(SyncStatus("syncing", pending=2, message="Downloading changes: 3 pages"))
    assert not line.progress_bar.isHidden()
    assert line.pending_label.text() == "2 changes waiting to be sent"
    line.set_status(SyncStatus("online", last_sync=datetime.now(UTC)))
    assert line.progress_bar.isHidden()
    assert line.pending_label.isHidden()


def test_status_line_counts_down_to_the_next_attempt(qtbot: QtBot) -> None:
    line = StatusLine()
    qtbot.addWidget(line)
    line.set_status(SyncStatus("offline", retry_in=2.2, message=describe(Offline("x"))))
    assert line.state_label.text() == "Offline — retrying in 3 s"
    assert line.state_label.toolTip() == describe(Offline("x"))
    qtbot.waitUntil(lambda: line.state_label.text() == "Offline — retrying in 1 s",
                    timeout=3000)
    qtbot.waitUntil(lambda: line.state_label.text() == "Offline — retrying…", timeout=3000)


def test_main_window_views_and_banner(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_view("shipping")
    assert window.current_view() == "shipping"
    assert window.view_actions["shipping"].isChecked()
    window.view_actions["orders"].trigger()
    assert window.current_view() == "orders"
    with pytest.raises(ValueError, match="unknown view"):
        window.show_view("calendar")

    window.show_error("Refused.")
    assert window.banner.text() == "Refused."
    window.banner.close_button.click()
    assert window.banner.text() == ""
