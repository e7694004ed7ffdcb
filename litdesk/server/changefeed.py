"""The change feed: every committed change gets a position, and no reader ever skips one.

Positions are handed out by updating the single ``feed_head`` row as the last statement before
COMMIT. That row lock serializes the tail of concurrent writing transactions, so positions become
visible strictly in order: when position *n* is visible, every position below it is committed or
was never handed out (a rolled-back transaction also rolls back its increment, leaving no gap).
A reader first reads the head, then the rows up to it, and can never miss one. PostgreSQL
sequences do not give this: ``nextval`` is taken early and commits out of order, so a reader
asking for ``seq > last`` skips rows that commit late (see tests/server/test_change_feed.py).

Writers call :func:`record` while they work; the ``before_commit`` hook installed by
:func:`install` turns what was recorded into rows at the end of the transaction, after the last
change to each object, so a change carries the object's final state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from litdesk.server.models import Change, FeedHead

_PENDING = "litdesk_pending_changes"
_SAVED = "litdesk_changes_at_savepoints"


@dataclass(frozen=True)
class Audience:
    """Who may see a change: up to two users, a brand's staff, and/or everyone with a role."""

    user_a: int | None = None
    user_b: int | None = None
    brand_id: int | None = None
    public_to_role: str | None = None


# Produces (data, audience) when the transaction commits.
Producer = Callable[[], tuple[dict[str, Any], Audience]]


def record(session: Session, entity: str, entity_id: object, producer: Producer,
           op: str = "upsert") -> None:
    """Note that ``entity`` ``entity_id`` changed; its final state is read at commit."""
    pending: dict[tuple[str, str], tuple[str, Producer]] = session.info.setdefault(_PENDING, {})
    key = (entity, str(entity_id))
    pending.pop(key, None)  # keep first-touch order but the latest producer
    pending[key] = (op, producer)


def _assign_positions(session: Session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint is not a commit: positions are taken at the real one
    pending: dict[tuple[str, str], tuple[str, Producer]] | None = session.info.pop(_PENDING, None)
    session.info.pop(_SAVED, None)
    if not pending:
        return
    session.flush()
    rows = []
    for (entity, entity_id), (op, producer) in pending.items():
        data, audience = producer()
        rows.append((entity, entity_id, op, data, audience))
    head = session.execute(
        update(FeedHead).where(FeedHead.id == 1)
        .values(pos=FeedHead.pos + len(rows)).returning(FeedHead.pos)
    ).scalar_one()
    first = head - len(rows) + 1
    for offset, (entity, entity_id, op, data, audience) in enumerate(rows):
        session.add(Change(
            pos=first + offset, entity=entity, entity_id=entity_id, op=op,
            data=json.dumps(data, separators=(",", ":"), default=str),
            user_a=audience.user_a, user_b=audience.user_b, brand_id=audience.brand_id,
            public_to_role=audience.public_to_role,
        ))
    session.flush()


def _savepoint_started(session: Session, transaction: SessionTransaction) -> None:
    """Remember what was recorded before a savepoint, to restore it if the savepoint rolls back."""
    if transaction.nested:
        saved: dict[SessionTransaction, dict[tuple[str, str], tuple[str, Producer]]] = \
            session.info.setdefault(_SAVED, {})
        saved[transaction] = dict(session.info.get(_PENDING, {}))


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    saved = session.info.get(_SAVED, {})
    if previous.nested and previous in saved:
        session.info[_PENDING] = saved.pop(previous)
    elif not previous.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVED, None)


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_commit", _assign_positions)
    event.listen(factory, "after_transaction_create", _savepoint_started)
    event.listen(factory, "after_soft_rollback", _rolled_back)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str
    brand_id: int | None


def read_page(session: Session, viewer: Viewer, after: int, limit: int
              ) -> tuple[list[Change], int, bool]:
    """The viewer's changes after ``after``: (changes, new cursor, more to come)."""
    head = session.execute(select(FeedHead.pos).where(FeedHead.id == 1)).scalar_one()
    if head <= after:
        return [], after, False
    visible = [Change.user_a == viewer.user_id, Change.user_b == viewer.user_id,
               Change.public_to_role == viewer.role]
    if viewer.brand_id is not None:
        visible.append(Change.brand_id == viewer.brand_id)
    rows = list(session.execute(
        select(Change).where(Change.pos > after, Change.pos <= head, or_(*visible))
        .order_by(Change.pos).limit(limit + 1)
    ).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1].pos if more else head
    return rows, cursor, more


class Notifier:
    """Wakes long-polling requests of this process when a change commits.

    Commits happen in worker threads; waiters are coroutines on the server's event loop. Other
    server processes sharing the database are caught by the waiters' periodic re-check.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._lock = threading.Lock()

    def current(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop or self._event is None:
                self._loop, self._event = loop, asyncio.Event()
            return self._event

    def notify(self) -> None:
        with self._lock:
            loop, event = self._loop, self._event
            if loop is None or event is None:
                return
            self._event = None  # the next waiter starts a fresh event
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
            loop.call_soon_threadsafe(self._wake, event)

    def _wake(self, event: asyncio.Event) -> None:
        event.set()
