"""Desktop notifications through the system tray, for news that arrives while LitDesk is behind
other windows.

``NotificationTray.notify`` (a slot for ``NotificationModel.arrived``) shows a desktop message;
clicking the message emits ``window_requested`` and then ``order_requested`` (or
``request_requested``) for the news it was about.

Decisions
---------
* **Bursts become one summary.** The first notification after a quiet spell is shown at once;
  what arrives during the next ``coalesce_ms`` is held and then shown as a single "3 new
  notifications" message (and so on while the burst lasts). A batch of several at once is a
  summary straight away. Clicking a summary opens the newest item in it.
* **No tray, no trouble.** When ``QSystemTrayIcon.isSystemTrayAvailable()`` is False (offscreen,
  some Linux desktops) the wrapper creates no icon and ``notify`` does nothing; the
  notification centre still lists everything.
* **Off switch.** ``toggle_action`` (checkable, for the View menu or settings) turns desktop
  messages on and off and emits ``enabled_changed``; the app stores the flag under
  ``SETTINGS_KEY``. Turned off, the tray icon is hidden too: it exists only for these messages.
* **Testable without a tray.** A ``show_message(title, body)`` callable can be injected; the
  real one is ``QSystemTrayIcon.showMessage``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from litdesk.services.notifications import Notification

ShowMessage = Callable[[str, str], None]

SETTINGS_KEY = "notifications/desktop"
"""QSettings key of the "desktop notifications" flag (a bool, on by default)."""
DEFAULT_COALESCE_MS = 4000
SUMMARY_LINES = 3
MESSAGE_MS = 8000


class NotificationTray(QObject):
    """The tray icon and its desktop messages (see the module's docstring)."""

    order_requested = Signal(int)
    request_requested = Signal(int)
    window_requested = Signal()
    enabled_changed = Signal(bool)

    def __init__(self, *, show_message: ShowMessage | None = None, enabled: bool = True,
                 coalesce_ms: int = DEFAULT_COALESCE_MS, icon: QIcon | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icon: QSystemTrayIcon | None = None
        self._show = show_message
        if show_message is None and QSystemTrayIcon.isSystemTrayAvailable():
            self._icon = self._make_icon(icon)
            self._show = self._show_in_tray
        self._enabled = enabled
        self._pending: list[Notification] = []
        self._last: Notification | None = None
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(coalesce_ms)
        self._quiet.timeout.connect(self._burst_over)

        self.toggle_action = QAction(self.tr("&Desktop notifications"), self)
        self.toggle_action.setCheckable(True)
        self.toggle_action.setChecked(enabled)
        self.toggle_action.setStatusTip(self.tr(
            "Show a desktop notification when an order changes or a message arrives"))
        self.toggle_action.toggled.connect(self.set_enabled)
        self._update_icon()

    def _make_icon(self, icon: QIcon | None) -> QSystemTrayIcon:
        if icon is None or icon.isNull():
            icon = QApplication.windowIcon()
        if icon.isNull():
            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        tray = QSystemTrayIcon(icon, self)
        tray.setToolTip("LitDesk")
        tray.messageClicked.connect(self.message_clicked)
        tray.activated.connect(self._icon_activated)
        return tray

    # --- state ------------------------------------------------------------------------------

    def is_available(self) -> bool:
        """Whether desktop messages can be shown at all (a tray, or an injected callable)."""
        return self._show is not None

    def is_enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if not enabled:
            self._pending.clear()
            self._quiet.stop()
        self.toggle_action.setChecked(enabled)
        self._update_icon()
        self.enabled_changed.emit(enabled)

    def last_shown(self) -> Notification | None:
        """What a click on the current desktop message opens."""
        return self._last

    def _update_icon(self) -> None:
        if self._icon is not None:
            self._icon.setVisible(self._enabled)

    # --- showing ----------------------------------------------------------------------------

    def notify(self, notifications: Sequence[Notification]) -> None:
        """Show ``notifications`` (oldest first) now, or as part of a summary when a burst is
        under way."""
        if not notifications or not self._enabled or self._show is None:
            return
        self._pending.extend(notifications)
        if not self._quiet.isActive():
            self._flush()
            self._quiet.start()

    def _burst_over(self) -> None:
        if self._pending:
            self._flush()
            self._quiet.start()  # still busy: the next arrivals wait for another spell

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or self._show is None:
            return
        self._last = pending[-1]
        if len(pending) == 1:
            self._show(pending[0].title, pending[0].body)
            return
        newest_first = list(reversed(pending))
        lines = [n.title for n in newest_first[:SUMMARY_LINES]]
        if len(pending) > SUMMARY_LINES:
            lines.append(self.tr("…and %n more", "", len(pending) - SUMMARY_LINES))
        self._show(self.tr("%n new notifications", "", len(pending)), "\n".join(lines))

    def _show_in_tray(self, title: str, body: str) -> None:
        if self._icon is not None:
            self._icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information,
                                   MESSAGE_MS)

    # --- clicks -----------------------------------------------------------------------------

    def message_clicked(self) -> None:
        """The person clicked the desktop message: bring the window up on what it was about."""
        last = self._last
        if last is None:
            return
        self.window_requested.emit()
        if last.order_id is not None:
            self.order_requested.emit(last.order_id)
        elif last.request_id is not None:
            self.request_requested.emit(last.request_id)

    def _icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.window_requested.emit()
