"""The UI thread's pulse, so that background loops step aside when it is starved of the GIL.

Python runs one thread at a time. A thread waiting for the GIL asks the holder to let go only
after a whole switch interval (5 ms) in which the GIL did not change hands, and a loop of many
small SQLite calls hands it over and takes it back on every call: the UI thread can then wait
for as long as the loop runs (the "convoy" effect). Seen with bench/ui_sync.py --stacks on a
first sync of 100,000 orders: gaps of 150 to 260 ms between the UI thread's timer ticks during
which the UI thread itself ran for 1 to 25 ms, while the sync thread was applying a page.

Decisions
---------
* **A pulse, not a priority.** The UI thread notes the time every ``interval`` ms (a QTimer);
  a background loop calls :func:`step_aside` every few dozen items, which sleeps while the last
  beat is older than ``late`` — sleeping releases the GIL for long enough that the UI thread
  gets it, runs what it has queued, and beats again. A UI thread that is merely idle beats on
  time, so the loop does not slow down; one that is busy in its own work (not waiting) also
  beats late, so the wait is bounded (``patience``).
* **And a lower CPU priority** for the sync threads (``lower_this_thread``, Linux): on two cores
  shared with a local server, the UI thread also waits for a core, not only for the GIL. With
  both, the longest stall of a 100,000-order first sync went from 353 ms to about 50 to 65 ms
  (p99 of the 5 ms heartbeat about 40 ms).
* **One per process**, installed by the app; without it :func:`step_aside` does nothing (the
  server, tests of the services, benchmarks of the floor).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from PySide6.QtCore import QObject, Qt, QTimer

_pulse: Pulse | None = None


class Pulse(QObject):
    """Beats on the thread it is created on (the UI thread) while installed."""

    def __init__(self, interval_ms: int = 10, late: float = 0.020, patience: float = 0.100,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.late = late
        self.patience = patience
        self.last = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._timer.start()

    def _beat(self) -> None:
        self.last = time.monotonic()

    def starved(self) -> bool:
        return time.monotonic() - self.last > self.late


def install(pulse: Pulse | None) -> None:
    """Make ``pulse`` the one :func:`step_aside` consults (None: none)."""
    global _pulse
    _pulse = pulse


def uninstall(pulse: Pulse) -> None:
    """Stop consulting ``pulse`` (if it is still the installed one)."""
    if _pulse is pulse:
        install(None)


def step_aside() -> None:
    """On a background thread: wait while the UI thread is late, up to the pulse's patience."""
    pulse = _pulse
    if pulse is None or not pulse.starved():
        return
    give_up = time.monotonic() + pulse.patience
    while pulse.starved() and time.monotonic() < give_up:
        time.sleep(0.002)


BACKGROUND_NICENESS = 10


def lower_this_thread() -> None:
    """Give the calling thread a lower CPU priority than the UI thread's (Linux, where nice
    values are per thread; elsewhere nothing): when the cores are busy, the scheduler then runs
    the UI thread first."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):  # not allowed here (a sandbox): keep the default
        os.setpriority(os.PRIO_PROCESS, 0, BACKGROUND_NICENESS)
