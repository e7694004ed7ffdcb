"""The notification centre and the tray: the list model (qtmodeltester, newest first, unread,
capped), the popup (empty state, badge, activation by click and Enter, "Mark all read"), the
whole path from another account's move on the real server to ``order_requested``, and the tray's
coalescing with an injected "show message" instead of a real tray."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon, QToolBar
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from litdesk.models.notifications import NotificationModel, OrderIdRole, UnreadRole
from litdesk.services.api_client import ApiClient
from litdesk.services.cache import LocalCache
from litdesk.services.notifications import Notification, NotificationFeed, NotificationKind
from litdesk.services.sync import SyncEngine
from litdesk.views.notification_centre import NotificationCentre
from litdesk.views.tray import NotificationTray
from tests.live_server import LiveServer
from tests.server.order_flow import new_deal

WAIT_MS = 10_000
_T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def note(n: int, *, order_id: int | None = None, request_id: int | None = None,
         kind: NotificationKind = NotificationKind.STATUS) -> Notification:
    if order_id is None and request_id is None:
        order_id = 100 + n
    return Notification(key=f"event:{n}", kind=kind, title=f"LD-{n}: Feedback Provided",
                        body=f"Ann Lee provided feedback #{n}.", at=_T0 + timedelta(minutes=n),
                        order_id=order_id, request_id=request_id)


@pytest.fixture
def window(qtbot: QtBot) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    return window


@pytest.fixture
def centre(window: QMainWindow) -> NotificationCentre:
    centre = NotificationCentre(NotificationModel(parent=window), window)
    toolbar = QToolBar("Main", window)
    toolbar.addAction(centre.action)
    window.addToolBar(toolbar)
    window.show()
    return centre


# --- the model -----------------------------------------------------------------------------------

def test_the_model_lists_newest_first_with_unread_state(qtmodeltester: ModelTester) -> None:
    model = NotificationModel(capacity=5)
    unread: list[int] = []
    model.unread_changed.connect(unread.append)
    arrived: list[list[Notification]] = []
    model.arrived.connect(arrived.append)
    qtmodeltester.check(model)

    model.add([note(1), note(2)])
    model.add([note(3), note(2)])  # a repeat is ignored
    qtmodeltester.check(model)
    assert [model.notification(r).key for r in range(model.rowCount())] == [
        "event:3", "event:2", "event:1"]
    assert [[n.key for n in batch] for batch in arrived] == [["event:1", "event:2"],
                                                             ["event:3"]]
    first = model.index(0)
    assert first.data() == "LD-3: Feedback Provided"
    assert first.data(OrderIdRole) == 103
    assert first.data(UnreadRole) is True
    assert first.data(Qt.ItemDataRole.FontRole).bold()
    assert model.unread_count() == 3

    model.mark_read(1)
    assert model.unread_count() == 2
    assert model.index(1).data(UnreadRole) is False
    assert not model.index(1).data(Qt.ItemDataRole.FontRole).bold()
    model.mark_all_read()
    assert model.unread_count() == 0
    assert unread == [2, 3, 2, 0]
    qtmodeltester.check(model)


def test_the_model_keeps_only_the_newest(qtmodeltester: ModelTester) -> None:
    model = NotificationModel(capacity=3)
    qtmodeltester.check(model)
    model.add([note(1), note(2)])
    model.mark_read(1)  # event:1, read
    model.add([note(3), note(4)])
    assert [model.notification(r).key for r in range(model.rowCount())] == [
        "event:4", "event:3", "event:2"]
    assert model.unread_count() == 3
    model.add([note(n) for n in range(5, 10)])  # more than fit at once
    assert [model.notification(r).key for r in range(model.rowCount())] == [
        "event:9", "event:8", "event:7"]
    assert model.unread_count() == 3
    model.add([note(1)])  # dropped long ago: news again
    assert model.notification(0).key == "event:1"
    qtmodeltester.check(model)


# --- the popup -----------------------------------------------------------------------------------

def test_the_empty_centre_says_what_will_appear(qtbot: QtBot, centre: NotificationCentre) -> None:
    centre.action.trigger()
    qtbot.waitUntil(centre.isVisible)
    assert centre.stack.currentWidget() is centre.empty_label
    assert "message" in centre.empty_label.text()
    assert "dispute" in centre.empty_label.text()
    assert not centre.mark_all_button.isEnabled()
    assert centre.label() == "Notifications"


def test_the_shortcut_opens_and_escape_closes_the_centre(
        qtbot: QtBot, window: QMainWindow, centre: NotificationCentre) -> None:
    assert centre.action.shortcut().toString() == "Ctrl+Shift+N"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(centre.isVisible)
    qtbot.keyClick(centre.mark_all_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not centre.isVisible())


def test_the_badge_counts_unread_and_mark_all_read_clears_it(
        qtbot: QtBot, centre: NotificationCentre) -> None:
    button = centre.make_button()
    qtbot.addWidget(button)
    plain = centre.action.icon().cacheKey()
    centre.model.add([note(1), note(2)])

    assert centre.label() == "Notifications (2 unread)"
    assert button.accessibleName() == "Notifications (2 unread)"
    assert "2 unread" in centre.action.toolTip()
    assert centre.action.icon().cacheKey() != plain  # the badge is drawn on the icon
    assert centre.stack.currentWidget() is centre.list

    centre.action.trigger()
    qtbot.waitUntil(centre.isVisible)
    assert centre.mark_all_button.isEnabled()
    qtbot.mouseClick(centre.mark_all_button, Qt.MouseButton.LeftButton)
    assert centre.model.unread_count() == 0
    assert centre.label() == "Notifications"
    assert not centre.mark_all_button.isEnabled()
    assert centre.action.icon().cacheKey() == plain  # no badge


def test_enter_on_an_item_opens_its_order(qtbot: QtBot, centre: NotificationCentre) -> None:
    centre.model.add([note(1, order_id=41), note(2, order_id=42), note(3, request_id=9)])
    centre.action.trigger()
    qtbot.waitUntil(lambda: centre.list.hasFocus())
    assert centre.list.currentIndex().row() == 0  # the newest: a shipping request's message
    with qtbot.waitSignal(centre.request_requested, timeout=1000) as requested:
        qtbot.keyClick(centre.list, Qt.Key.Key_Return)
    assert requested.args == [9]
    assert not centre.isVisible()

    centre.action.trigger()
    qtbot.waitUntil(lambda: centre.list.hasFocus())
    qtbot.keyClick(centre.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(centre.order_requested, timeout=1000) as opened:
        qtbot.keyClick(centre.list, Qt.Key.Key_Enter)
    assert opened.args == [42]
    assert centre.model.unread_count() == 1
    assert [centre.model.is_unread(r) for r in range(3)] == [False, False, True]


def test_a_click_on_an_item_opens_its_order_once(qtbot: QtBot,
                                                 centre: NotificationCentre) -> None:
    centre.model.add([note(1, order_id=41), note(2, order_id=42)])
    centre.open_near()
    qtbot.waitUntil(centre.isVisible)
    opened: list[int] = []
    centre.order_requested.connect(opened.append)
    second = centre.list.visualRect(centre.model.index(1)).center()
    qtbot.mouseClick(centre.list.viewport(), Qt.MouseButton.LeftButton, pos=second)
    assert opened == [41]
    assert not centre.isVisible()
    assert centre.model.is_unread(0)
    assert not centre.model.is_unread(1)


# --- from the server to order_requested ----------------------------------------------------------

@pytest.fixture
def engine_parts(tmp_path: Path) -> Iterator[list[tuple[SyncEngine, ApiClient, LocalCache]]]:
    parts: list[tuple[SyncEngine, ApiClient, LocalCache]] = []
    yield parts
    for engine, api, cache in parts:
        engine.stop()
        api.close()
        cache.close()


def test_the_other_partys_refund_request_opens_the_order(
        qtbot: QtBot, tmp_path: Path, sqlite_server: LiveServer, window: QMainWindow,
        engine_parts: list[tuple[SyncEngine, ApiClient, LocalCache]]) -> None:
    deal = new_deal(sqlite_server, first_message="Old news: before the session.")
    deal.drive("bill", "pay", "start")
    cache = LocalCache(tmp_path / "influencer.sqlite3")
    api = ApiClient(sqlite_server.url, token=deal.influencer.token)
    engine = SyncEngine(api, cache, viewer_role=deal.influencer.role, long_poll_seconds=30.0,
                        backoff=(0.05, 0.3))
    engine_parts.append((engine, api, cache))
    model = NotificationModel(NotificationFeed(cache, deal.influencer.id), parent=window)
    engine.changed.connect(model.apply)
    engine.status_changed.connect(model.set_status)
    centre = NotificationCentre(model, window)
    shown: list[tuple[str, str]] = []
    tray = NotificationTray(show_message=lambda title, body: shown.append((title, body)),
                            coalesce_ms=50, parent=window)
    model.arrived.connect(tray.notify)
    window.show()

    on_ui_thread: list[bool] = []
    model.rowsInserted.connect(
        lambda *_: on_ui_thread.append(QThread.currentThread() is model.thread()))
    online: list[str] = []
    engine.status_changed.connect(lambda status: online.append(status.state))
    engine.start()
    qtbot.waitUntil(lambda: online[-1:] == ["online"], timeout=WAIT_MS)
    assert model.rowCount() == 0

    deal.drive("ask_refund")
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert model.notification(0).kind is NotificationKind.REFUND
    assert on_ui_thread == [True]
    assert shown == [(model.notification(0).title, model.notification(0).body)]
    assert centre.label() == "Notifications (1 unread)"

    with qtbot.waitSignal(tray.order_requested, timeout=1000) as clicked:
        tray.message_clicked()
    assert clicked.args == [deal.id]

    centre.action.trigger()
    qtbot.waitUntil(lambda: centre.list.hasFocus())
    with qtbot.waitSignal(centre.order_requested, timeout=1000) as opened:
        qtbot.keyClick(centre.list, Qt.Key.Key_Return)
    assert opened.args == [deal.id]
    assert model.unread_count() == 0


# --- the tray ------------------------------------------------------------------------------------

@pytest.fixture
def shown() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def tray(qtbot: QtBot, shown: list[tuple[str, str]]) -> Iterator[NotificationTray]:
    tray = NotificationTray(show_message=lambda title, body: shown.append((title, body)),
                            coalesce_ms=200)
    yield tray
    tray.deleteLater()


def test_a_burst_becomes_one_summary(qtbot: QtBot, tray: NotificationTray,
                                     shown: list[tuple[str, str]]) -> None:
    tray.notify([note(1, order_id=41)])
    assert shown == [("LD-1: Feedback Provided", "Ann Lee provided feedback #1.")]

    for n in range(2, 7):  # during the quiet spell: held
        tray.notify([note(n, order_id=40 + n)])
    assert len(shown) == 1
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=2000)
    title, body = shown[1]
    assert title == "5 new notifications"
    assert body.splitlines() == ["LD-6: Feedback Provided", "LD-5: Feedback Provided",
                                 "LD-4: Feedback Provided", "…and 2 more"]
    last = tray.last_shown()
    assert last is not None
    assert last.order_id == 46

    raised: list[bool] = []
    tray.window_requested.connect(lambda: raised.append(True))
    with qtbot.waitSignal(tray.order_requested, timeout=1000) as clicked:
        tray.message_clicked()
    assert clicked.args == [46]
    assert raised == [True]


def test_several_at_once_are_a_summary_straight_away(tray: NotificationTray,
                                                     shown: list[tuple[str, str]]) -> None:
    tray.notify([note(1), note(2, request_id=8)])
    assert shown == [("2 new notifications", "LD-2: Feedback Provided\nLD-1: Feedback Provided")]
    requested: list[int] = []
    tray.request_requested.connect(requested.append)
    tray.message_clicked()
    assert requested == [8]


def test_desktop_notifications_can_be_turned_off(qtbot: QtBot, tray: NotificationTray,
                                                 shown: list[tuple[str, str]]) -> None:
    flags: list[bool] = []
    tray.enabled_changed.connect(flags.append)
    tray.toggle_action.trigger()
    assert not tray.is_enabled()
    assert flags == [False]
    tray.notify([note(1)])
    assert shown == []

    tray.set_enabled(True)
    assert tray.toggle_action.isChecked()
    tray.notify([note(2)])
    assert [title for title, _ in shown] == ["LD-2: Feedback Provided"]


def test_without_a_system_tray_nothing_is_shown_and_the_centre_still_works(
        qtbot: QtBot, centre: NotificationCentre) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen
    tray = NotificationTray(coalesce_ms=50)
    assert not tray.is_available()
    tray.notify([note(1)])
    assert tray.last_shown() is None
    opened: list[int] = []
    tray.order_requested.connect(opened.append)
    tray.message_clicked()
    assert opened == []

    centre.model.add([note(1, order_id=41)])
    centre.action.trigger()
    qtbot.waitUntil(lambda: centre.list.hasFocus())
    with qtbot.waitSignal(centre.order_requested, timeout=1000) as activated:
        qtbot.keyClick(centre.list, Qt.Key.Key_Return)
    assert activated.args == [41]
