"""The outbox: the user's actions waiting for the server, kept in the cache file.

An action is written as an entry with a fresh Idempotency-Key *and* applied optimistically to the
cache in the same transaction, so what the user sees and what will be sent cannot disagree, even
after a crash. The sync engine sends entries oldest first, always with the entry's own key: a
retry after a timeout is recognised by the server and never applied twice.

Decisions
---------
* **Accepted entries are deleted**; refused ones stay, marked failed with the reason, so the UI
  can explain them; they are never retried (``dismiss`` removes one the user has seen).
* **Rolling back** shows the server's newest state of the object with the remaining pending
  entries on top (see ``cache.py``): the state before the action unless the server has sent a
  newer version since. Later pending entries on the same object fail with it: they were made on
  top of a change that did not happen.
* **Chained actions.** A second action on an order made while the first is pending carries the
  version the user saw, which the first one's acceptance makes stale. When the server accepts an
  entry exactly as predicted, later entries on that order built on the same version are moved
  to the new version, so the pair goes through as the user meant it.
* **Local rules first.** A transition the domain rules refuse on the order as shown is not
  queued: ``enqueue`` raises ``NotAllowed`` or ``Invalid`` with the rules' explanation.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litdesk.domain.orders import (
    IllegalTransition,
    MissingInput,
    NotPermitted,
    OrderRuleError,
    Role,
)
from litdesk.services.cache import Json, LocalCache
from litdesk.services.errors import Invalid, NotAllowed, NotFound
from litdesk.services.optimistic import ORDER_TRANSITION, predict
from litdesk.services.records import ChangeSet

_DEPENDENT = "Not sent: an earlier change to this item was refused."


@dataclass(frozen=True)
class OutboxAction:
    """One mutation to send: ``method`` ``path`` with the JSON ``body``, about ``entity``
    ``entity_id`` ("order", 42). ``kind`` says how to apply it optimistically
    (``"order_transition"``; other kinds are queued without an optimistic change)."""

    kind: str
    method: str
    path: str
    body: Json
    entity: str
    entity_id: int


@dataclass(frozen=True)
class OutboxEntry:
    """A queued action with its Idempotency-Key; ``state`` is "pending" or "failed" (then
    ``error`` says why). ``previous`` is the object as shown before the optimistic change."""

    id: int
    key: str
    action: OutboxAction
    state: str
    error: str
    created_at: datetime
    previous: Json | None


_SELECT = ("SELECT id, key, kind, method, path, body, entity, entity_id, state, error, "
           "created_at, previous FROM outbox")


def _entry(r: tuple[Any, ...]) -> OutboxEntry:
    action = OutboxAction(r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])
    return OutboxEntry(r[0], r[1], action, r[8], r[9], datetime.fromisoformat(r[10]),
                       json.loads(r[11]) if r[11] else None)


def _refusal(error: OrderRuleError) -> Invalid | NotAllowed:
    if isinstance(error, NotPermitted):
        return NotAllowed(error.reason, code="not_allowed")
    code = ("missing_input" if isinstance(error, MissingInput)
            else "illegal_transition" if isinstance(error, IllegalTransition)
            else "rule_violation")
    return Invalid(error.reason, code=code)


class Outbox:
    """The outbox entries in ``cache``. ``viewer_role`` is the signed-in person's role, which the
    order rules need to predict a transition; without one, actions are queued but not shown
    before the server accepts them."""

    def __init__(self, cache: LocalCache, *, viewer_role: Role | None = None) -> None:
        self.cache = cache
        self.viewer_role = viewer_role

    def enqueue(self, action: OutboxAction) -> ChangeSet:
        """Queue ``action`` with a new Idempotency-Key and show its effect, in one transaction."""
        changes = ChangeSet()
        optimistic = action.kind == ORDER_TRANSITION and self.viewer_role is not None
        with self.cache.transaction() as conn:
            previous = None
            if action.entity == "order":
                previous = self._shown(conn, action.entity_id)
                if optimistic:
                    if previous is None:
                        raise NotFound("That order is not in the local cache.", code="not_found")
                    assert self.viewer_role is not None
                    try:
                        predict(previous, action.body, self.viewer_role)
                    except OrderRuleError as error:
                        raise _refusal(error) from error
            conn.execute(
                "INSERT INTO outbox (key, kind, method, path, body, entity, entity_id, role, "
                "previous, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), action.kind, action.method, action.path,
                 json.dumps(action.body), action.entity, action.entity_id,
                 self.viewer_role.value if optimistic and self.viewer_role else None,
                 json.dumps(previous) if previous is not None else None,
                 datetime.now(UTC).isoformat()))
            if action.entity == "order":
                self.cache.rebase(conn, [action.entity_id])
                changes.orders = self.cache.rows(conn, [action.entity_id])
        return changes

    def pending(self) -> list[OutboxEntry]:
        """Entries still to send, oldest first."""
        conn = self.cache.connection()
        return [_entry(r) for r in conn.execute(f"{_SELECT} WHERE state = 'pending' ORDER BY id")]

    def failed(self) -> list[OutboxEntry]:
        """Refused entries, oldest first, with the reason in ``error``."""
        conn = self.cache.connection()
        return [_entry(r) for r in conn.execute(f"{_SELECT} WHERE state = 'failed' ORDER BY id")]

    def count(self) -> int:
        """How many entries wait to be sent."""
        conn = self.cache.connection()
        return int(conn.execute(
            "SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0])

    def mark_done(self, entry_id: int, answer: Json | None = None) -> ChangeSet:
        """The server accepted the entry: forget it. ``answer``, the server's reply for an order
        (``OrderOut`` as JSON), is stored as the order's server state if it is not older."""
        changes = ChangeSet()
        with self.cache.transaction() as conn:
            entry = self._get(conn, entry_id)
            if entry is None or entry.state != "pending":
                return changes
            conn.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
            action = entry.action
            if action.entity != "order":
                return changes
            if answer is not None and answer.get("id") == action.entity_id:
                self.cache.store_order(conn, answer)
                self._carry_version(conn, entry, answer)
            self.cache.rebase(conn, [action.entity_id])
            changes.orders = self.cache.rows(conn, [action.entity_id])
        return changes

    def roll_back(self, entry_id: int, reason: str, current: Json | None = None) -> ChangeSet:
        """The server refused the entry: mark it failed with ``reason`` (and fail later pending
        entries on the same object), and show the server's state again. ``current`` is the
        object as the server holds it now, when the refusal said (a 409's ``details.current``).
        """
        changes = ChangeSet()
        with self.cache.transaction() as conn:
            entry = self._get(conn, entry_id)
            if entry is None or entry.state != "pending":
                return changes
            action = entry.action
            conn.execute("UPDATE outbox SET state = 'failed', error = ? WHERE id = ?",
                         (reason, entry_id))
            conn.execute(
                "UPDATE outbox SET state = 'failed', error = ? WHERE state = 'pending' "
                "AND entity = ? AND entity_id = ? AND id > ?",
                (_DEPENDENT, action.entity, action.entity_id, entry_id))
            if action.entity != "order":
                return changes
            if current is not None and current.get("id") == action.entity_id:
                self.cache.store_order(conn, current)
            self.cache.rebase(conn, [action.entity_id])
            changes.orders = self.cache.rows(conn, [action.entity_id])
        return changes

    def dismiss(self, entry_id: int) -> None:
        """Forget a failed entry once the user has seen why it failed."""
        with self.cache.transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ? AND state = 'failed'", (entry_id,))

    # --- helpers --------------------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, entry_id: int) -> OutboxEntry | None:
        found = conn.execute(f"{_SELECT} WHERE id = ?", (entry_id,)).fetchone()
        return _entry(found) if found else None

    @staticmethod
    def _shown(conn: sqlite3.Connection, order_id: int) -> Json | None:
        found = conn.execute("SELECT json FROM orders WHERE id = ?", (order_id,)).fetchone()
        return json.loads(found[0]) if found else None

    def _carry_version(self, conn: sqlite3.Connection, done: OutboxEntry, answer: Json) -> None:
        """Move later transitions on the order from the version ``done`` was made on to the
        answer's version, if the server did exactly what was predicted (see the module's
        docstring). They have never been sent: entries go out one at a time, oldest first, and
        a failure to reach the server stops the whole flush."""
        base = done.action.body.get("version")
        expected = done.previous
        role = self.viewer_role
        if done.action.kind != ORDER_TRANSITION or None in (base, expected, role):
            return
        assert expected is not None
        assert role is not None
        try:
            predicted = predict(expected, done.action.body, role)
        except OrderRuleError:
            return
        if predicted["status"] != answer.get("status"):
            return
        for entry_id, body_text in conn.execute(
                "SELECT id, body FROM outbox WHERE state = 'pending' AND kind = ? "
                "AND entity = 'order' AND entity_id = ? AND id > ?",
                (ORDER_TRANSITION, done.action.entity_id, done.id)).fetchall():
            body = json.loads(body_text)
            if body.get("version") == base:
                body["version"] = answer["version"]
                conn.execute("UPDATE outbox SET body = ? WHERE id = ?",
                             (json.dumps(body), entry_id))
