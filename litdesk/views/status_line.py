"""The status bar's permanent widgets: connection state with the last sync time, first-sync
progress, and the outbox's waiting changes."""

from __future__ import annotations

import math
import time
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from litdesk.models.order_cells import CellText
from litdesk.services.records import SyncStatus
from litdesk.views.text_styles import as_muted

_CELLS = CellText()


def sync_time(moment: datetime) -> str:
    """The time of day as the board writes it; with the date when it was not today."""
    local = moment.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return _CELLS.time(local)
    return f"{_CELLS.date(local)}, {_CELLS.time(local)}"


def state_text(status: SyncStatus, retry_in: int | None = None) -> str:
    """The words for the connection state: "Online · synced 14:02", "Offline — retrying in
    8 s", "Syncing… 3 pages". The engine's longer explanation goes to the tooltip."""
    message = status.message.strip()
    if status.state == "online":
        if status.last_sync is None:
            return "Online"
        return f"Online · synced {sync_time(status.last_sync)}"
    if status.state == "offline":
        if retry_in is None:
            return "Offline"
        return f"Offline — retrying in {retry_in} s" if retry_in > 0 else "Offline — retrying…"
    if status.state == "syncing":
        if status.progress is not None:
            return f"Syncing… {round(status.progress * 100)}%"
        # The engine's own words: "Connecting…", "Downloading changes: 3 pages, …".
        return message or "Syncing…"
    if status.state == "signed_out":
        return "Signed out"
    return message or status.state.capitalize()


def pending_text(count: int) -> str:
    if count <= 0:
        return ""
    return f"{count} change waiting to be sent" if count == 1 else \
        f"{count} changes waiting to be sent"


class StatusLine(QWidget):
    """Shows a ``SyncStatus``: the state label (with a live countdown while offline), a progress
    bar during a long sync, and how many changes wait in the outbox."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = SyncStatus(state="starting")
        self.state_label = QLabel("Starting…")
        # Right-aligned: the status bar shrinks this widget a moment after the text does.
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(120)
        self.progress_bar.setMaximumHeight(12)
        self.progress_bar.hide()
        self.pending_label = QLabel()
        as_muted(self.pending_label)
        self.pending_label.hide()

        # As wide as its text, at the bar's right end, next to the window's corner.
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 8, 0)
        layout.setSpacing(12)
        layout.addWidget(self.pending_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.state_label)

        # The engine reports "offline, next try in 8 s" once; the label counts down itself.
        self._retry_deadline: float | None = None
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick)

    def set_starting(self, text: str) -> None:
        """Before the engine runs: "Starting the built-in server…", "Signing in…"."""
        self._clock.stop()
        self._retry_deadline = None
        self.state_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()

    def set_status(self, status: SyncStatus) -> None:
        self.status = status
        self._clock.stop()
        self._retry_deadline = None
        if status.state == "offline" and status.retry_in is not None:
            self._retry_deadline = time.monotonic() + status.retry_in
            self._clock.start()
        self._render()

    def _tick(self) -> None:
        self._render()
        if self._retry_deadline is not None and time.monotonic() >= self._retry_deadline:
            self._clock.stop()

    def _render(self) -> None:
        status = self.status
        retry_in = None
        if self._retry_deadline is not None:
            retry_in = max(0, math.ceil(self._retry_deadline - time.monotonic()))
        self.state_label.setText(state_text(status, retry_in))
        self.state_label.setToolTip(status.message)
        if status.state == "syncing":
            if status.progress is None:
                self.progress_bar.setRange(0, 0)
            else:
                self.progress_bar.setRange(0, 1000)
                self.progress_bar.setValue(round(status.progress * 1000))
            self.progress_bar.show()
        else:
            self.progress_bar.hide()
        self.pending_label.setText(pending_text(status.pending))
        self.pending_label.setVisible(status.pending > 0)
