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
* **Files.** An action may carry files that the engine uploads before sending it, putting
  their ids into ``body[attach_to]``. They are checked and copied first (``stage_files``) into
  ``<cache>.files/outbox/<random>/<n>/<name>``, so the entry survives the original being moved
  or deleted, and a restart; the copies keep the files' names (the upload's Idempotency-Key is
  checked against name and bytes). They are deleted when the entry is accepted or dismissed,
  kept while it is refused so that it can be retried. The rules judge an order action as if
  the upload had happened (a screenshot is a proof).
* **Messages** (``send_message``) are written with a local echo in the same transaction; the
  echo follows the entry (failed with it, re-queued by ``retry_message`` under a new key,
  deleted with it) and is replaced by the server's copy when the entry is accepted. Refusing
  one message never fails the next ones: only an order's later entries depend on its earlier.
* **Shipping** (``shipping_action``, ``shipping_bulk``, ``shipping_message``,
  ``campaign_cancel``): checked, linked to the requests they change and predicted in the same
  transaction; settled by ``shipping_outbox.py`` (answers stored item by item).
* **Read markers** (``mark_read``) are moved in the cache at once; only the newest marker of a
  thread is kept for sending, and a marker that would not move forward queues nothing. A
  refused marker is dropped without a word: there is nothing the user could do about it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litdesk.domain.orders import (
    IllegalTransition,
    MissingInput,
    NotPermitted,
    OrderRuleError,
    Role,
)
from litdesk.services import messages as msg
from litdesk.services import shipping, shipping_outbox
from litdesk.services.cache import Json, LocalCache
from litdesk.services.errors import Invalid, NotAllowed, NotFound
from litdesk.services.messages import MARK_READ, SEND_MESSAGE
from litdesk.services.optimistic import ORDER_TRANSITION, SHIPPING_KINDS, predict
from litdesk.services.records import FAILED, ChangeSet

_DEPENDENT = "Not sent: an earlier change to this item was refused."


@dataclass(frozen=True)
class OutboxAction:
    """One mutation to send: ``method`` ``path`` with the JSON ``body``, about ``entity``
    ``entity_id`` ("order", 42). ``kind`` says how to apply it optimistically
    (``"order_transition"``, ``"send_message"``, ``"mark_read"``; other kinds are queued
    without an optimistic change). ``files`` are uploaded first and their ids put into
    ``body[attach_to]`` (a list for ``"attachment_ids"``, one id for ``"proof_attachment_id"``).
    """

    kind: str
    method: str
    path: str
    body: Json
    entity: str
    entity_id: int
    files: tuple[str, ...] = ()
    attach_to: str = ""


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
           "created_at, previous, files, attach_to FROM outbox")
_INSERT = ("INSERT INTO outbox (key, kind, method, path, body, entity, entity_id, role, "
           "previous, created_at, files, attach_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "RETURNING id")


def _entry(r: tuple[Any, ...]) -> OutboxEntry:
    action = OutboxAction(r[2], r[3], r[4], json.loads(r[5]), r[6], r[7],
                          tuple(json.loads(r[12])), r[13])
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

    def enqueue(self, action: OutboxAction, *, key: str | None = None) -> ChangeSet:
        """Queue ``action`` with a new Idempotency-Key (``key`` if given) and show its effect,
        in one transaction."""
        changes = ChangeSet()
        optimistic = action.kind == ORDER_TRANSITION and self.viewer_role is not None
        with self.cache.transaction() as conn:
            if action.kind == MARK_READ:
                return self._mark_read(conn, action)
            if action.kind in SHIPPING_KINDS:
                return self._enqueue_shipping(conn, action, key)
            previous = None
            if action.entity == "order":
                previous = self._shown(conn, action.entity_id)
                if optimistic:
                    if previous is None:
                        raise NotFound("That order is not in the local cache.", code="not_found")
                    assert self.viewer_role is not None
                    try:
                        predict(previous, msg.as_predicted(action.body, action.attach_to,
                                                           action.files), self.viewer_role)
                    except OrderRuleError as error:
                        raise _refusal(error) from error
            entry_id = self._insert(conn, action, previous, optimistic, key)
            if action.entity == "order":
                self.cache.rebase(conn, [action.entity_id])
                changes.orders = self.cache.rows(conn, [action.entity_id])
            if action.kind == SEND_MESSAGE:
                local_id = msg.insert_echo(conn, action.entity_id, entry_id,
                                           str(action.body.get("text", "")), action.files)
                _touch_thread(changes, action.entity_id, local_id)
        return changes

    def _enqueue_shipping(self, conn: sqlite3.Connection, action: OutboxAction,
                          key: str | None) -> ChangeSet:
        links = shipping_outbox.links_for(conn, action.kind, action.body, action.entity_id,
                                          self.viewer_role)
        entry_id = self._insert(conn, action, None, self.viewer_role is not None, key)
        shipping_outbox.link(conn, entry_id, links)
        ids = [request_id for request_id, _version in links]
        shipping.rebase(conn, ids)
        return shipping.touched(conn, ids)

    def _insert(self, conn: sqlite3.Connection, action: OutboxAction, previous: Json | None,
                optimistic: bool, key: str | None = None) -> int:
        found = conn.execute(_INSERT, (
            key or str(uuid.uuid4()), action.kind, action.method, action.path,
            json.dumps(action.body),
            action.entity, action.entity_id,
            self.viewer_role.value if optimistic and self.viewer_role else None,
            json.dumps(previous) if previous is not None else None,
            datetime.now(UTC).isoformat(), json.dumps(list(action.files)),
            action.attach_to)).fetchone()
        return int(found[0])

    def _mark_read(self, conn: sqlite3.Connection, action: OutboxAction) -> ChangeSet:
        thread_id = action.entity_id
        if not msg.move_read_marker(conn, thread_id, int(action.body["last_read_message_id"])):
            return ChangeSet()
        conn.execute("DELETE FROM outbox WHERE kind = ? AND entity_id = ? AND state = 'pending'",
                     (MARK_READ, thread_id))
        self._insert(conn, action, None, optimistic=False)
        return ChangeSet(threads={thread_id})

    def pending(self) -> list[OutboxEntry]:
        """Entries still to send, oldest first."""
        conn = self.cache.connection()
        return [_entry(r) for r in conn.execute(f"{_SELECT} WHERE state = 'pending' ORDER BY id")]

    def failed(self) -> list[OutboxEntry]:
        """Refused entries, oldest first, with the reason in ``error``."""
        conn = self.cache.connection()
        return [_entry(r) for r in conn.execute(f"{_SELECT} WHERE state = 'failed' ORDER BY id")]

    def is_pending(self, entry_id: int) -> bool:
        """The entry is still waiting to be sent (not accepted, refused or discarded)."""
        found = self.cache.connection().execute(
            "SELECT 1 FROM outbox WHERE id = ? AND state = 'pending'", (entry_id,)).fetchone()
        return found is not None

    def count(self) -> int:
        """How many entries wait to be sent."""
        conn = self.cache.connection()
        return int(conn.execute(
            "SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0])

    def mark_done(self, entry_id: int, answer: Json | None = None) -> ChangeSet:
        """The server accepted the entry: forget it. ``answer`` is the server's reply: for an
        order (``OrderOut`` as JSON) it is stored as the order's server state if it is not
        older; for a message (``MessageOut``) it replaces the local echo."""
        changes = ChangeSet()
        with self.cache.transaction() as conn:
            entry = self._get(conn, entry_id)
            if entry is None or entry.state != "pending":
                return changes
            conn.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
            action = entry.action
            if action.kind == SEND_MESSAGE:
                self._replace_echo(conn, entry, answer, changes)
            if action.kind in SHIPPING_KINDS:
                ids = shipping_outbox.settle_done(conn, entry_id, action.kind, action.body,
                                                  action.entity_id, answer)
                shipping.rebase(conn, ids)
                changes = shipping.touched(conn, ids)
            if action.entity == "order":
                if answer is not None and answer.get("id") == action.entity_id:
                    self.cache.store_order(conn, answer)
                    self._carry_version(conn, entry, answer)
                self.cache.rebase(conn, [action.entity_id])
                changes.orders = self.cache.rows(conn, [action.entity_id])
        remove_staged(entry.action.files, self.cache.outbox_files)
        return changes

    def _replace_echo(self, conn: sqlite3.Connection, entry: OutboxEntry, answer: Json | None,
                      changes: ChangeSet) -> None:
        echo = msg.echo_of(conn, entry.id)
        if echo is not None:
            conn.execute("DELETE FROM local_messages WHERE id = ?", (echo[0],))
            _touch_thread(changes, echo[1], echo[0])
        if answer is not None and "thread_id" in answer and "id" in answer:
            self.cache.store_message(conn, answer, match_echo=False)
            changes.message_ids.add(int(answer["id"]))
            changes.messages.add(int(answer["thread_id"]))
            changes.threads.add(int(answer["thread_id"]))

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
            if action.kind == MARK_READ:
                conn.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
                return changes
            conn.execute("UPDATE outbox SET state = 'failed', error = ? WHERE id = ?",
                         (reason, entry_id))
            echo = msg.echo_of(conn, entry_id)
            if echo is not None:
                msg.fail_echo(conn, echo[0], reason)
                _touch_thread(changes, echo[1], echo[0])
            if action.kind in SHIPPING_KINDS:
                ids = shipping_outbox.settle_refused(conn, entry_id, action.kind,
                                                     action.entity_id, current)
                shipping.rebase(conn, ids)
                return shipping.touched(conn, ids)
            if action.entity != "order":
                return changes
            conn.execute(
                "UPDATE outbox SET state = 'failed', error = ? WHERE state = 'pending' "
                "AND entity = ? AND entity_id = ? AND id > ?",
                (_DEPENDENT, action.entity, action.entity_id, entry_id))
            if current is not None and current.get("id") == action.entity_id:
                self.cache.store_order(conn, current)
            self.cache.rebase(conn, [action.entity_id])
            changes.orders = self.cache.rows(conn, [action.entity_id])
        return changes

    def dismiss(self, entry_id: int) -> ChangeSet:
        """Forget a failed entry once the user has seen why it failed (with its files and, for
        a message, its local echo)."""
        changes = ChangeSet()
        with self.cache.transaction() as conn:
            found = conn.execute("DELETE FROM outbox WHERE id = ? AND state = 'failed' "
                                 "RETURNING files", (entry_id,)).fetchone()
            conn.execute("DELETE FROM outbox_requests WHERE entry_id = ?", (entry_id,))
            echo = msg.echo_of(conn, entry_id) if found else None
            if echo is not None:
                conn.execute("DELETE FROM local_messages WHERE id = ?", (echo[0],))
                _touch_thread(changes, echo[1], echo[0])
        if found:
            remove_staged(json.loads(found[0]), self.cache.outbox_files)
        return changes

    def retry_message(self, local_id: int) -> ChangeSet:
        """Queue a refused message again, under a new Idempotency-Key, at the end of the
        queue; its echo shows "sending" again. Anything else is left alone."""
        changes = ChangeSet()
        with self.cache.transaction() as conn:
            found = msg.echo(conn, local_id)
            if found is None:
                return changes
            thread_id, entry_id, state = found
            entry = self._get(conn, entry_id) if entry_id is not None else None
            if entry is None or state != FAILED:
                return changes
            conn.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
            new_id = self._insert(conn, entry.action, None, optimistic=False)
            conn.execute("UPDATE local_messages SET outbox_id = ?, state = 'sending', error = '' "
                         "WHERE id = ?", (new_id, local_id))
            _touch_thread(changes, thread_id, local_id)
        return changes

    def discard_message(self, local_id: int) -> ChangeSet:
        """Delete a message that is not sent yet (failed, or still waiting), its entry and its
        files. One being sent at this very moment may still arrive; it then shows up as sent."""
        changes = ChangeSet()
        files: list[str] = []
        with self.cache.transaction() as conn:
            found = msg.echo(conn, local_id)
            if found is None:
                return changes
            thread_id, entry_id, _state = found
            conn.execute("DELETE FROM local_messages WHERE id = ?", (local_id,))
            gone = conn.execute("DELETE FROM outbox WHERE id = ? RETURNING files",
                                (entry_id,)).fetchone()
            files = json.loads(gone[0]) if gone else []
            _touch_thread(changes, thread_id, local_id)
        remove_staged(files, self.cache.outbox_files)
        return changes

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


# --- files waiting in the outbox --------------------------------------------------------------

def megabytes(size: int) -> str:
    """A size in MB (MiB, as the server counts) with one decimal, none when it is whole."""
    value = f"{size / (1024 * 1024):.1f}"
    return value[:-2] if value.endswith(".0") else value


def too_large(name: str, size: int, limit: int) -> str:
    """"photo.png is 12.3 MB; attachments can be at most 10 MB." """
    shown = megabytes(size)
    if shown == megabytes(limit):  # 10 MB and one byte: say it in bytes
        shown = f"{size:,} bytes"
    else:
        shown += " MB"
    return f"{name} is {shown}; attachments can be at most {megabytes(limit)} MB."


def check_files(paths: Sequence[str | Path], limit: int) -> list[tuple[Path, int]]:
    """Each file with its size; ``Invalid`` with a sentence for the user for the first one
    that is missing, unreadable, empty or over ``limit`` bytes."""
    checked = []
    for raw in paths:
        path = Path(raw)
        try:
            info = path.stat()
        except OSError as error:
            raise Invalid(f"Cannot attach {path.name}: {error.strerror or error}.") from error
        if not path.is_file():
            raise Invalid(f"Cannot attach {path.name}: it is not a file.")
        if info.st_size == 0:
            raise Invalid(f"{path.name} is empty; there is nothing to attach.")
        if info.st_size > limit:
            raise Invalid(too_large(path.name, info.st_size, limit))
        checked.append((path, info.st_size))
    return checked


def stage_files(paths: Sequence[str | Path], root: Path, limit: int) -> tuple[str, ...]:
    """Copy the files into ``root`` (after checking them all) and return the copies' paths,
    each keeping its file's name. Nothing is left behind when a copy fails."""
    checked = check_files(paths, limit)
    if not checked:
        return ()
    folder = root / uuid.uuid4().hex
    copies: list[str] = []
    try:
        for index, (path, _size) in enumerate(checked):
            target = folder / str(index) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copies.append(str(target))
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise Invalid(f"Cannot attach {path.name}: {error.strerror or error}.") from error
    return tuple(copies)


def remove_staged(files: Iterable[str], root: Path) -> None:
    """Delete staged copies and the folders made for them (only below ``root``)."""
    root = root.resolve()
    for name in files:
        path = Path(name).resolve()
        if root not in path.parents:
            continue
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == root or root not in folder.parents:
                break
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: another file of the entry is still there


def _touch_thread(changes: ChangeSet, thread_id: int, local_id: int) -> None:
    changes.messages.add(thread_id)
    changes.threads.add(thread_id)
    changes.local_messages.add(local_id)
