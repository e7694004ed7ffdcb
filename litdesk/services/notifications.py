"""What deserves a notification: the other party's moves on an order, new messages, refunds and
disputes, read from the local cache after each applied batch (no Qt here).

``NotificationFeed(cache, user_id)`` is told the sync state (``set_status``) and each
``ChangeSet`` (``collect``) and answers with the new ``Notification`` records, oldest first.

Decisions
---------
* **High-water marks, per session.** The feed remembers the highest order-event id and message
  id it has looked at, starting from the cache's current maximum when it is built. While the
  engine says "syncing" (a first sync or a large catch-up) nothing is notified, and when the
  state leaves "syncing" the marks jump to the cache's maximum again: the initial download of a
  large account never floods the person with old news. The price is that what happened while
  the app was closed is not announced; it is in the events log and the unread counts. (The
  cache is read when the UI thread hears of the change, so a change applied in the instant
  between the last catch-up page and that moment counts as catch-up too.)
* **Stragglers.** Ids are handed out when a row is written, but transactions commit in the
  change feed's order, so on PostgreSQL a row with a lower id can arrive after a higher one.
  The mark is therefore a floor kept ``STRAGGLER_WINDOW`` ids below the highest id seen, plus
  the set of ids above the floor already looked at: a late row is still notified, once.
* **Someone else's doing.** An event or message counts when its actor or sender is not the
  signed-in user; LitDesk itself and the payment system (no actor) count as someone else, so an
  influencer hears that a payment arrived and an advertiser that one failed. The same account
  signed in elsewhere is "me".
* **One notification per happening.** A message on an order's thread also writes a "message"
  entry to the order's events log; only the message is announced. Ratings, surveys and other
  log entries are not announced (the issue asks for status, message, refund and dispute news).
* **Kinds.** Refund actions (request, grant, decline, a mediation that ends in a refund) are
  ``REFUND``; dispute and mediation actions are ``DISPUTE``; every other transition, and a new
  order, is ``STATUS``.
* **After an outage** the engine reports "offline" until a page arrives, so the first page of a
  catch-up is announced (what was missed during a short outage is news); the pages after it
  come while "syncing" and are not. The tray sums such a batch up in one message and the
  centre keeps only its newest entries.
* **Only the server's rows.** Local echoes live in a table of their own (``messages.py``), so
  the marks only ever see ids the server handed out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from litdesk.domain.orders import Action, OrderStatus
from litdesk.domain.wire import MessageOut, OrderEventOut
from litdesk.services.records import ChangeSet, SyncStatus

log = logging.getLogger(__name__)

W = TypeVar("W", OrderEventOut, MessageOut)

STRAGGLER_WINDOW = 1000
"""How far below the highest id seen a late-committed row is still noticed."""
BODY_CHARS = 160
"""Longer notes and message texts are cut to this many characters, with an ellipsis."""


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...


class CacheReader(Protocol):
    """What the feed needs of ``LocalCache`` (a protocol: the models and views that use this
    module must not import SQLite, even indirectly)."""

    def connection(self) -> Connection: ...


class NotificationKind(StrEnum):
    STATUS = "status"
    MESSAGE = "message"
    REFUND = "refund"
    DISPUTE = "dispute"


@dataclass(frozen=True, slots=True)
class Notification:
    """One piece of news for the signed-in person. ``key`` ("event:12", "message:40") is unique
    per happening; ``order_id`` or ``request_id`` says what to open (a message on a shipping
    request's thread has only ``request_id``)."""

    key: str
    kind: NotificationKind
    title: str
    body: str
    at: datetime
    order_id: int | None = None
    request_id: int | None = None


_REFUND_ACTIONS = frozenset({Action.REQUEST_REFUND, Action.GRANT_REFUND, Action.DECLINE_REFUND})
_DISPUTE_ACTIONS = frozenset({Action.OPEN_DISPUTE, Action.CLOSE_DISPUTE,
                              Action.REQUEST_MEDIATION, Action.MEDIATOR_DECIDES})

# What the actor did, after their name: "Ann Lee requested a refund."
_DONE: dict[Action, str] = {
    Action.PLACE_ORDER: "placed the order",
    Action.REQUEST_FEEDBACK: "asked for feedback",
    Action.PROVIDE_FEEDBACK: "provided feedback",
    Action.REQUEST_PAYMENT: "requested payment",
    Action.PAYMENT_SUCCEEDED: "received the payment",
    Action.PAYMENT_FAILED: "could not collect the payment",
    Action.START_PROCESSING: "started work on the order",
    Action.PUT_ON_HOLD: "put the order on hold",
    Action.RESUME: "resumed the order",
    Action.REQUEST_UPDATE: "asked for an update",
    Action.POST_UPDATE: "posted an update",
    Action.COMPLETE: "completed the order",
    Action.CANCEL: "cancelled the order",
    Action.REQUEST_REFUND: "requested a refund",
    Action.GRANT_REFUND: "granted the refund",
    Action.DECLINE_REFUND: "declined the refund",
    Action.OPEN_DISPUTE: "opened a dispute",
    Action.CLOSE_DISPUTE: "closed the dispute",
    Action.REQUEST_MEDIATION: "asked for mediation",
    Action.MEDIATOR_DECIDES: "decided the mediation",
}
_ACTIONS = {a.value: a for a in Action}


def kind_of(action: Action | None, to_status: OrderStatus | None) -> NotificationKind:
    """The kind of a transition's notification (see the module's docstring)."""
    if action in _REFUND_ACTIONS or (action is Action.MEDIATOR_DECIDES
                                     and to_status is OrderStatus.REFUNDED):
        return NotificationKind.REFUND
    if action in _DISPUTE_ACTIONS:
        return NotificationKind.DISPUTE
    return NotificationKind.STATUS


def shorten(text: str, limit: int = BODY_CHARS) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


@dataclass
class _Mark:
    """A high-water mark with a window for late rows (see "Stragglers")."""

    floor: int = 0
    seen: set[int] = field(default_factory=set)

    def reset(self, top: int) -> None:
        self.floor = top
        self.seen.clear()

    def take(self, ids: Iterable[int]) -> set[int]:
        """The ids not looked at before; they count as looked at from now on."""
        fresh = {i for i in ids if i > self.floor and i not in self.seen}
        self.seen |= fresh
        if self.seen:
            self.floor = max(self.floor, max(self.seen) - STRAGGLER_WINDOW)
            self.seen = {i for i in self.seen if i > self.floor}
        return fresh


class NotificationFeed:
    """Turns applied batches into notifications for ``user_id`` (see the module's docstring).

    Use it on one thread (the UI thread, where ``SyncEngine.changed`` arrives): it reads through
    that thread's cache connection.
    """

    def __init__(self, cache: CacheReader, user_id: int) -> None:
        self.cache = cache
        self.user_id = user_id
        self._events = _Mark()
        self._messages = _Mark()
        self._syncing = False
        self.catch_up()

    def catch_up(self) -> None:
        """Count everything in the cache now as already seen."""
        conn = self.cache.connection()
        self._events.reset(_max_id(conn, "order_events"))
        self._messages.reset(_max_id(conn, "messages"))

    def set_status(self, status: SyncStatus) -> None:
        """Follow the engine's state: quiet while syncing, marks moved up when it ends."""
        syncing = status.state == "syncing"
        if self._syncing and not syncing:
            self.catch_up()
        self._syncing = syncing

    def collect(self, changes: ChangeSet) -> list[Notification]:
        """The news in the cache since the last look, oldest first; none while syncing."""
        if self._syncing or not (changes.order_events or changes.messages):
            return []
        conn = self.cache.connection()
        found = [*self._event_news(conn), *self._message_news(conn)]
        found.sort(key=lambda n: n.at)
        return found

    # --- order events -----------------------------------------------------------------------

    def _event_news(self, conn: Connection) -> list[Notification]:
        fresh = self._events.take(_ids_after(conn, "order_events", self._events.floor))
        events = [e for e in _parse(OrderEventOut, _rows(conn, "order_events", fresh))
                  if self._announced(e)]
        numbers = _order_numbers(conn, {e.order_id for e in events})
        return [_event_notification(e, numbers.get(e.order_id, f"#{e.order_id}"))
                for e in events]

    def _announced(self, event: OrderEventOut) -> bool:
        if event.actor_id == self.user_id:
            return False
        return event.kind == "created" or (event.kind == "transition"
                                           and event.action in _ACTIONS)

    # --- messages ---------------------------------------------------------------------------

    def _message_news(self, conn: Connection) -> list[Notification]:
        fresh = self._messages.take(_ids_after(conn, "messages", self._messages.floor))
        messages = [m for m in _parse(MessageOut, _rows(conn, "messages", fresh))
                    if m.sender_id != self.user_id]
        threads = _threads(conn, {m.thread_id for m in messages})
        news: list[Notification] = []
        for message in messages:
            thread = threads.get(message.thread_id)
            if thread is None:
                continue  # a thread the cache does not hold has nothing to open
            news.append(_message_notification(message, *thread))
        return news


def _max_id(conn: Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])  # noqa: S608


def _ids_after(conn: Connection, table: str, floor: int) -> list[int]:
    # Ids only (the primary key's b-tree): the rows of the straggler window are looked at again
    # on every batch, their JSON is not.
    return [int(r[0]) for r in conn.execute(
        f"SELECT id FROM {table} WHERE id > ?", (floor,))]  # noqa: S608


def _rows(conn: Connection, table: str, ids: set[int]) -> list[tuple[int, str]]:
    if not ids:
        return []
    return [(int(r[0]), str(r[1])) for r in conn.execute(
        f"SELECT id, json FROM {table} "  # noqa: S608
        "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", (json.dumps(sorted(ids)),))]


def _parse(schema: type[W], rows: list[tuple[int, str]]) -> list[W]:
    parsed: list[W] = []
    for row_id, text in rows:
        try:
            parsed.append(schema.model_validate_json(text))
        except ValueError:
            # One unreadable row must not silence every later notification.
            log.warning("cannot read cached %s %s for a notification", schema.__name__, row_id,
                        exc_info=True)
    return parsed


def _order_numbers(conn: Connection, order_ids: set[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    return {int(r[0]): str(r[1]) for r in conn.execute(
        "SELECT id, json_extract(json, '$.number') FROM orders "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(order_ids)),))
        if r[1] is not None}


def _threads(conn: Connection,
             thread_ids: set[int]) -> dict[int, tuple[int | None, int | None, str]]:
    """thread id → (order id, request id, title)."""
    if not thread_ids:
        return {}
    found: dict[int, tuple[int | None, int | None, str]] = {}
    for thread_id, order_id, request_id, text in conn.execute(
            "SELECT id, order_id, request_id, json FROM threads "
            "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(thread_ids)),)):
        data: dict[str, Any] = json.loads(text)
        found[int(thread_id)] = (order_id, request_id, str(data.get("title", "")))
    return found


def _event_notification(event: OrderEventOut, number: str) -> Notification:
    if event.kind == "created":
        title = f"{number}: New order"
        done = _DONE[Action.PLACE_ORDER]
        kind = NotificationKind.STATUS
    else:
        action = _ACTIONS[event.action or ""]
        status = event.to_status.label if event.to_status else action.value
        title = f"{number}: {status}"
        done = _DONE[action]
        kind = kind_of(action, event.to_status)
    body = f"{event.actor_name} {done}."
    if event.note.strip():
        body += f" “{shorten(event.note)}”"
    return Notification(key=f"event:{event.id}", kind=kind, title=title, body=body,
                        at=event.created_at, order_id=event.order_id)


def _message_notification(message: MessageOut, order_id: int | None, request_id: int | None,
                          thread_title: str) -> Notification:
    title = f"{message.sender_name}: {thread_title}" if thread_title else message.sender_name
    if message.text.strip():
        body = shorten(message.text)
    else:
        files = len(message.attachments)
        body = f"Sent {files} attachment{'s' if files != 1 else ''}."
    return Notification(key=f"message:{message.id}", kind=NotificationKind.MESSAGE, title=title,
                        body=body, at=message.created_at, order_id=order_id,
                        request_id=None if order_id is not None else request_id)
