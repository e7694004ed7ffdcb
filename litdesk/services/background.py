"""The one way LitDesk runs work off the UI thread.

``Background.run(fn, *args)`` runs ``fn`` on a thread pool of our own and hands back a ``Job``
whose ``succeeded(result)`` or ``failed(error)`` signal fires on the UI thread. Widgets never
start threads themselves; the composition root gives them a ``Background`` (or a callable that
uses one).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class Job(QObject):
    """One piece of background work. Lives on the UI thread; its signals fire there.

    Connect to ``succeeded``/``failed`` right after ``Background.run`` returns: delivery goes
    through the UI thread's event queue, so it cannot overtake code that is still running there.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()  # after succeeded or failed, whichever it was

    # Emitted from the worker thread; being a signal of this UI-thread object, it arrives here
    # through a queued connection.
    _done = Signal(bool, object)

    def __init__(self, job_id: int, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.name = name
        self.result: Any = None
        self.error: BaseException | None = None
        self.is_done = False


class _Runnable(QRunnable):
    def __init__(self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        # The pool must not delete us: Python owns this object and drops it once delivered.
        self.setAutoDelete(False)
        self._job = job
        self._fn = fn
        self._args = args

    def run(self) -> None:
        try:
            result = self._fn(*self._args)
        except Exception as exc:  # handed to the UI thread, which decides what to say
            self._job._done.emit(False, exc)
        else:
            self._job._done.emit(True, result)


class Background(QObject):
    """A small thread pool (not Qt's global one, which others may fill or wait on) whose jobs
    report back on the UI thread.

    PySide6 can crash when a ``QRunnable`` or its signal object is collected while Qt still
    uses it, so each job and its runnable are kept referenced here until delivered.
    """

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._running: dict[int, tuple[Job, _Runnable]] = {}
        self._closed = False

    def run(self, fn: Callable[..., Any], *args: Any, name: str = "",
            on_success: Callable[[Any], object] | None = None,
            on_failure: Callable[[BaseException], object] | None = None) -> Job:
        """Start ``fn(*args)`` on the pool; ``on_success``/``on_failure`` run on the UI thread."""
        if self._closed:
            raise RuntimeError("Background is shut down")
        job = Job(next(self._ids), name or getattr(fn, "__name__", "job"), self)
        if on_success is not None:
            job.succeeded.connect(on_success)
        if on_failure is not None:
            job.failed.connect(on_failure)
        job._done.connect(self._deliver)
        runnable = _Runnable(job, fn, args)
        self._running[job.job_id] = (job, runnable)
        self._pool.start(runnable)
        return job

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: object) -> None:
        job = self.sender()
        if not isinstance(job, Job):
            return
        self._running.pop(job.job_id, None)
        job.is_done = True
        if ok:
            job.result = value
            job.succeeded.emit(value)
        else:
            assert isinstance(value, BaseException)
            job.error = value
            job.failed.emit(value)
        job.finished.emit()
        job.deleteLater()

    def pending(self) -> int:
        """Jobs started and not yet delivered."""
        return len(self._running)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Refuse new work and wait for running jobs; results not yet delivered are dropped.

        Returns False when a job was still running after ``timeout_ms``.
        """
        self._closed = True
        self._pool.clear()  # jobs queued but not started never run
        finished = self._pool.waitForDone(timeout_ms)
        if finished:
            for job, _runnable in self._running.values():
                job._done.disconnect(self._deliver)
            self._running.clear()
        return finished
