"""Keeping Python's cycle collector from stalling the UI thread.

A full collection walks every container object alive, in whichever thread happens to allocate
when it is due, and holds the GIL throughout: the UI thread cannot run a line of Python until it
ends. Measured in the app's process (``bench/ui_sync.py``, ``gc.callbacks``): about 170,000
objects right after start-up — the imported modules of Qt, pydantic, httpx and, for the
built-in server, FastAPI and SQLAlchemy — took 230 ms, the longest stall of a first sync.

Decisions
---------
* **Freeze at settled moments.** ``settle()`` moves every object alive into the permanent
  generation (``gc.freeze``), which collections skip: after start-up, when the board holds the
  cached rows, after each large batch while catching up, and when the first sync has caught up.
  Without the freezes during catch-up, 100,000 orders arriving in pages made full collections
  of an ever larger heap: stalls of 200 to 260 ms late in a first sync, in which the UI thread
  ran for 1 or 2 ms and waited for the GIL the rest. Objects that are frozen and later dropped
  are still freed by reference counting; only a reference *cycle* among them is kept until
  ``release()``.
* **A young collection first**, so that the short-lived cycles of start-up are reclaimed rather
  than pinned; it costs a few milliseconds, where a full one would cost the stall we avoid.
* **Released with the session.** ``release()`` (sign-out, a change of account) hands the frozen
  objects back to the collector, so whatever a session leaves behind in cycles is reclaimed.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Exempt what is alive now from future collections (see the module's docstring)."""
    gc.collect(1)
    gc.freeze()


def release() -> None:
    """Let the collector see the frozen objects again."""
    gc.unfreeze()
