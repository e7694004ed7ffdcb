"""The UI thread's pulse (background loops step aside while it is starved) and the heap policy
(what is alive at settled moments is left out of later full collections)."""

from __future__ import annotations

import gc
import os
import sys
import threading
import weakref
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from litdesk.services import heap, pulse
from litdesk.services.cache import courteous


@pytest.fixture
def installed(qtbot: QtBot) -> Iterator[pulse.Pulse]:
    beat = pulse.Pulse(interval_ms=5, late=0.020, patience=30.0)
    pulse.install(beat)
    yield beat
    pulse.uninstall(beat)


def test_without_a_pulse_stepping_aside_returns_at_once() -> None:
    pulse.install(None)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (pulse.step_aside(), done.set()))
    worker.start()
    worker.join(5)
    assert done.is_set()


def test_a_background_loop_waits_while_the_ui_thread_is_late(
        qtbot: QtBot, installed: pulse.Pulse) -> None:
    installed.last = 0.0  # as if the UI thread had not beaten for a long time
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.extend(courteous(range(100))))
    worker.start()
    worker.join(0.2)  # the UI thread runs no events meanwhile: still late
    assert worker.is_alive()
    assert len(seen) < 100
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=5000)  # one beat lets it go
    assert seen == list(range(100))
    assert not installed.starved()


def test_uninstall_only_removes_the_pulse_it_is_given(qtbot: QtBot,
                                                      installed: pulse.Pulse) -> None:
    other = pulse.Pulse()
    pulse.uninstall(other)
    installed.last = 0.0
    worker = threading.Thread(target=pulse.step_aside)
    worker.start()
    worker.join(0.1)
    assert worker.is_alive()  # ``installed`` is still consulted
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=5000)


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_settle_exempts_what_is_alive_and_release_hands_it_back() -> None:
    node = _Node()
    gone = weakref.ref(node)
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert gone() is not None  # frozen: collections skip it
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None


@pytest.mark.skipif(sys.platform != "linux", reason="nice values are per thread only on Linux")
def test_a_background_thread_can_lower_its_own_priority_only() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[int] = []

    def work() -> None:
        pulse.lower_this_thread()
        seen.append(os.getpriority(os.PRIO_PROCESS, 0))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(5)
    assert seen == [max(before, pulse.BACKGROUND_NICENESS)]
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the calling thread is untouched
