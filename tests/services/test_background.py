"""The one way to run work off the UI thread: results and errors arrive on the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from litdesk.services.background import Background
from litdesk.services.errors import Offline


@pytest.fixture
def background(qtbot: QtBot) -> Iterator[Background]:
    bg = Background()
    yield bg
    assert bg.shutdown()


def test_result_arrives_on_the_ui_thread(qtbot: QtBot, background: Background) -> None:
    ui_thread = QThread.currentThread()
    worker: list[threading.Thread] = []
    seen: list[tuple[object, bool]] = []

    def work(a: int, b: int) -> int:
        worker.append(threading.current_thread())
        return a + b

    job = background.run(work, 2, 3)
    job.succeeded.connect(lambda value: seen.append((value, QThread.currentThread() is ui_thread)))
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen == [(5, True)]
    assert worker[0] is not threading.main_thread()
    assert background.pending() == 0


def test_error_arrives_as_the_exception(qtbot: QtBot, background: Background) -> None:
    def fail() -> None:
        raise Offline("no route")

    errors: list[BaseException] = []
    job = background.run(fail, on_failure=errors.append,
                         on_success=lambda _: pytest.fail("should have failed"))
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(errors) == 1
    assert isinstance(errors[0], Offline)
    assert job.error is errors[0]


def test_many_jobs_all_deliver_once(qtbot: QtBot, background: Background) -> None:
    # Thousands of short jobs whose Python wrappers are dropped as soon as they deliver: a
    # lifetime bug in the runnable/signal handling shows up here as a crash or a lost result.
    results: list[int] = []
    for n in range(2000):
        background.run(lambda n=n: n * 2, on_success=results.append)
    qtbot.waitUntil(lambda: len(results) == 2000, timeout=20_000)
    assert sorted(results) == [n * 2 for n in range(2000)]
    assert background.pending() == 0


def test_shutdown_refuses_new_work(qtbot: QtBot) -> None:
    bg = Background()
    assert bg.shutdown()
    with pytest.raises(RuntimeError):
        bg.run(lambda: None)
