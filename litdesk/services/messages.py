"""Messages in the local cache: how threads, messages, read markers and local echoes are stored
and read, the offline search, and the files waiting in the outbox. ``LocalCache`` and
``Outbox`` call these functions with their connection; nothing here knows Qt or HTTP.

Decisions
---------
* **A thread's order** is the server's message ids, then the local echoes in the order they were
  written (``MessageItem.sort_key``). Ids follow creation on the server, and a message the user
  has not sent yet belongs at the bottom whatever the clock says.
* **Local echoes live in a table of their own** (``local_messages``), never in ``messages``
  with invented ids: the ``messages`` table holds exactly what the server sent. An echo points
  at its outbox entry; it goes away in the transaction that stores the server's copy (the POST
  answer), so the two are never shown together.
* **The answer may be lost.** When the server accepted a message but the answer never arrived
  (timeout, crash), its copy comes through the feed while the entry is still pending. A
  message of the user's own with the same text and number of files is taken to be the oldest
  such echo's copy: the echo is hidden (``server_id``) and deleted once the retried POST gets
  the stored answer. The same text sent from another device at the same moment would hide the
  echo a little early; it is shown again if its entry is refused.
* **Read markers** are kept per thread and only move forward, like the server's. Sending a
  message marks the thread read up to it (the server does the same), so one's own messages
  never count as unread. Unread = messages from others (LitDesk's own notices included) after
  the marker.
* **Time stamps** are stored as fixed-width UTC text (``2024-05-01T10:00:00.000000Z``) so that
  SQL can compare them; the server's JSON keeps its own form.
* **Search** is SQLite FTS5 over message text and attachment names (``unicode61``, diacritics
  folded), kept in step by triggers. What the user types is never FTS syntax: each word becomes
  a quoted phrase, the last one a prefix, so ``"``, ``*``, ``AND`` or ``NEAR(`` are just text.
  Hits come newest first (FTS5 walks its index by rowid, so the limit bounds the work).
  Only what the server has is searched: a message not sent yet is not a hit.
* **Downloads** are kept in ``<cache>.files/attachments/<id>/<name>`` and reused (the
  ``downloads`` table); outgoing files wait in ``<cache>.files/outbox`` (see ``outbox.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litdesk.services.records import (
    FAILED,
    SENDING,
    AttachmentRef,
    MessageHit,
    MessageItem,
    ThreadItem,
    thread_order,
)

Json = dict[str, Any]

SEND_MESSAGE = "send_message"
"""Outbox kind of ``POST /threads/{id}/messages`` (body: ``MessageIn``); it has a local echo."""
MARK_READ = "mark_read"
"""Outbox kind of ``POST /threads/{id}/read`` (body: ``ReadIn``); only the newest is kept."""

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # the server's default limit
MAX_ATTACHMENTS = 20                     # MessageIn.attachment_ids
MAX_TEXT = 20_000                        # MessageIn.text
SNIPPET_CHARS = 120
LOCAL_SENDER = "You"
UPLOAD_PLACEHOLDER = "upload-pending"

_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Step 2 of the cache's schema (see cache._MIGRATIONS). litdesk_stamp() is registered on every
# connection by LocalCache.
MIGRATION: tuple[str, ...] = (
    "ALTER TABLE messages ADD COLUMN sender_id INTEGER",
    "ALTER TABLE messages ADD COLUMN created_at TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE messages ADD COLUMN text TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE messages ADD COLUMN names TEXT NOT NULL DEFAULT ''",
    """UPDATE messages SET sender_id = json_extract(json, '$.sender_id'),
        created_at = coalesce(litdesk_stamp(json_extract(json, '$.created_at')), ''),
        text = coalesce(json_extract(json, '$.text'), ''),
        names = coalesce((SELECT group_concat(json_extract(a.value, '$.name'), ' ')
                          FROM json_each(messages.json, '$.attachments') AS a), '')""",
    "ALTER TABLE threads ADD COLUMN kind TEXT NOT NULL DEFAULT 'order'",
    "ALTER TABLE threads ADD COLUMN title TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE threads ADD COLUMN last_message_at TEXT",
    """UPDATE threads SET kind = coalesce(json_extract(json, '$.kind'), 'order'),
        title = coalesce(json_extract(json, '$.title'), ''),
        last_message_at = litdesk_stamp(json_extract(json, '$.last_message_at'))""",
    "CREATE INDEX ix_threads_order_id ON threads (order_id)",
    "CREATE INDEX ix_threads_request_id ON threads (request_id)",
    "CREATE VIRTUAL TABLE message_search USING fts5(text, names, content='messages',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO message_search (message_search) VALUES ('rebuild')",
    "CREATE TABLE attachment_messages (attachment_id TEXT NOT NULL, message_id INTEGER NOT NULL,"
    " PRIMARY KEY (attachment_id, message_id)) WITHOUT ROWID",
    "INSERT OR IGNORE INTO attachment_messages SELECT json_extract(a.value, '$.id'), m.id"
    " FROM messages AS m, json_each(m.json, '$.attachments') AS a",
    """CREATE TRIGGER messages_inserted AFTER INSERT ON messages BEGIN
        INSERT INTO message_search (rowid, text, names) VALUES (new.id, new.text, new.names);
        INSERT OR IGNORE INTO attachment_messages SELECT json_extract(a.value, '$.id'), new.id
            FROM json_each(new.json, '$.attachments') AS a;
    END""",
    """CREATE TRIGGER messages_deleted AFTER DELETE ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, text, names)
            VALUES ('delete', old.id, old.text, old.names);
        DELETE FROM attachment_messages WHERE message_id = old.id;
    END""",
    """CREATE TRIGGER messages_updated AFTER UPDATE ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, text, names)
            VALUES ('delete', old.id, old.text, old.names);
        INSERT INTO message_search (rowid, text, names) VALUES (new.id, new.text, new.names);
        DELETE FROM attachment_messages WHERE message_id = old.id;
        INSERT OR IGNORE INTO attachment_messages SELECT json_extract(a.value, '$.id'), new.id
            FROM json_each(new.json, '$.attachments') AS a;
    END""",
    "CREATE TABLE read_markers (thread_id INTEGER PRIMARY KEY,"
    " last_read_message_id INTEGER NOT NULL)",
    # state: 'sending' (its outbox entry is pending) or 'failed' (refused; error says why).
    # server_id: the server's copy arrived through the feed before the POST's answer (hidden).
    """CREATE TABLE local_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        thread_id INTEGER NOT NULL, outbox_id INTEGER,
        text TEXT NOT NULL, files TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL DEFAULT 'sending', error TEXT NOT NULL DEFAULT '',
        server_id INTEGER, created_at TEXT NOT NULL)""",
    "CREATE INDEX ix_local_messages_thread_id ON local_messages (thread_id, id)",
    "CREATE INDEX ix_local_messages_outbox_id ON local_messages (outbox_id)",
    "ALTER TABLE outbox ADD COLUMN files TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE outbox ADD COLUMN attach_to TEXT NOT NULL DEFAULT ''",
    "CREATE TABLE downloads (attachment_id TEXT PRIMARY KEY, path TEXT NOT NULL)",
    "ALTER TABLE sync_state ADD COLUMN user_id INTEGER",
    "ALTER TABLE sync_state ADD COLUMN markers_seeded INTEGER NOT NULL DEFAULT 0",
)

_UPSERT_MESSAGE = (
    "INSERT INTO messages (id, thread_id, sender_id, created_at, text, names, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET thread_id = excluded.thread_id, "
    "sender_id = excluded.sender_id, created_at = excluded.created_at, text = excluded.text, "
    "names = excluded.names, json = excluded.json WHERE messages.json IS NOT excluded.json"
)
_UPSERT_THREAD = (
    "INSERT INTO threads (id, order_id, request_id, kind, title, last_message_at, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, "
    "request_id = excluded.request_id, kind = excluded.kind, title = excluded.title, "
    "last_message_at = excluded.last_message_at, json = excluded.json"
)
_MARK_READ = (
    "INSERT INTO read_markers (thread_id, last_read_message_id) VALUES (?, ?) "
    "ON CONFLICT (thread_id) DO UPDATE SET last_read_message_id = "
    "max(last_read_message_id, excluded.last_read_message_id)"
)
# A message counts for unread when someone else (or LitDesk itself) sent it.
_THREADS = (
    "SELECT t.id, t.kind, t.order_id, t.request_id, t.title, t.last_message_at, "
    "(SELECT count(*) FROM messages AS m WHERE m.thread_id = t.id), "
    "(SELECT count(*) FROM messages AS m WHERE m.thread_id = t.id "
    "AND m.id > coalesce(r.last_read_message_id, 0) "
    "AND (m.sender_id IS NULL OR m.sender_id IS NOT :me)), "
    "(SELECT json_array(m.created_at, m.text, m.names) FROM messages AS m "
    "WHERE m.thread_id = t.id ORDER BY m.id DESC LIMIT 1) "
    "FROM threads AS t LEFT JOIN read_markers AS r ON r.thread_id = t.id"
)
_NTH_FROM_OTHERS = (
    "SELECT m.id FROM messages AS m WHERE m.thread_id = :thread "
    "AND (m.sender_id IS NULL OR m.sender_id IS NOT :me) ORDER BY m.id DESC LIMIT 1 OFFSET :n"
)
_FIRST_UNREAD = (
    "SELECT min(m.id) FROM messages AS m WHERE m.thread_id = :thread AND m.id > :marker "
    "AND (m.sender_id IS NULL OR m.sender_id IS NOT :me)"
)
# SQLite takes the bare columns from the row with max(id): each thread's newest echo.
_ECHOES_BY_THREAD = (
    "SELECT thread_id, count(*), max(id), created_at, text, files FROM local_messages "
    "WHERE server_id IS NULL {where} GROUP BY thread_id"
)
_MESSAGE_COLUMNS = "SELECT id, thread_id, sender_id, json FROM messages"
_ECHO_COLUMNS = "SELECT id, thread_id, text, files, state, error, created_at FROM local_messages"


# --- small pure helpers ----------------------------------------------------------------------

def stamp(value: str | datetime | None) -> str | None:
    """A time as fixed-width UTC text (naive times are taken as UTC); None stays None."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_STAMP_FORMAT)


def sql_stamp(value: object) -> str | None:
    """``stamp`` for SQL (``litdesk_stamp()``): what is not a time becomes NULL, so that one
    odd row cannot stop a file from being upgraded."""
    try:
        return stamp(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def fts_query(text: str) -> str | None:
    """An FTS5 query matching every word of ``text`` (the last as a prefix), or None when it
    has no word at all. Words are quoted, so nothing typed can be FTS syntax."""
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    phrases = ['"' + w.replace('"', '""') + '"' for w in words]
    phrases[-1] += "*"
    return " ".join(phrases)


def snippet(text: str, names: str = "") -> str:
    """The start of a message for a list: its first line, or its files' names."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = line or names
    return line if len(line) <= SNIPPET_CHARS else line[: SNIPPET_CHARS - 1].rstrip() + "…"


def with_attachments(body: Mapping[str, Any], attach_to: str, ids: Sequence[str]) -> Json:
    """``body`` with the uploaded files' ids in ``attach_to``: a list for a field named
    ``…_ids`` (``attachment_ids``), otherwise the single id (``proof_attachment_id``)."""
    filled = dict(body)
    if not attach_to:
        return filled
    if attach_to.endswith("_ids"):
        filled[attach_to] = [*filled.get(attach_to, ()), *ids]
    elif ids:
        filled[attach_to] = ids[0]
    return filled


def as_predicted(body: Mapping[str, Any], attach_to: str, files: Sequence[str]) -> Json:
    """``body`` as it will be sent, with placeholders for files not uploaded yet: what the
    order rules check when an action is queued (a proof screenshot meets "proof")."""
    return with_attachments(body, attach_to, [UPLOAD_PLACEHOLDER] * len(files))


# --- writing (inside the caller's transaction) -------------------------------------------------

def store_message(conn: sqlite3.Connection, data: Json, me: int | None, *,
                  match_echo: bool = True) -> int | None:
    """Write the server's copy of a message (keeping the search index in step). Returns the id
    of a pending local echo that a new message of the user's turned out to be the copy of (see
    the module's docstring); ``match_echo=False`` when the caller knows whose copy it is."""
    message_id, thread_id = int(data["id"]), int(data["thread_id"])
    sender = data.get("sender_id")
    attachments = data.get("attachments") or []
    names = " ".join(str(a.get("name", "")) for a in attachments)
    known = conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone()
    conn.execute(_UPSERT_MESSAGE, (message_id, thread_id, sender, stamp(data["created_at"]) or "",
                                   str(data.get("text", "")), names,
                                   json.dumps(data, separators=(",", ":"))))
    if me is None or sender != me:
        return None
    conn.execute(_MARK_READ, (thread_id, message_id))
    if known or not match_echo:
        return None
    found = conn.execute(
        "SELECT id FROM local_messages WHERE thread_id = ? AND server_id IS NULL AND state = ? "
        "AND text = ? AND json_array_length(files) = ? ORDER BY id LIMIT 1",
        (thread_id, SENDING, str(data.get("text", "")).strip(), len(attachments))).fetchone()
    if found is None:
        return None
    conn.execute("UPDATE local_messages SET server_id = ? WHERE id = ?", (message_id, found[0]))
    return int(found[0])


def delete_message(conn: sqlite3.Connection, message_id: int) -> int | None:
    """Remove a message; returns its thread's id if it was there."""
    found = conn.execute("DELETE FROM messages WHERE id = ? RETURNING thread_id",
                         (message_id,)).fetchone()
    return int(found[0]) if found else None


def store_thread(conn: sqlite3.Connection, data: Json) -> None:
    conn.execute(_UPSERT_THREAD, (
        int(data["id"]), data.get("order_id"), data.get("request_id"),
        str(data.get("kind") or "order"), str(data.get("title") or ""),
        stamp(data.get("last_message_at")), json.dumps(data, separators=(",", ":"))))


def move_read_marker(conn: sqlite3.Connection, thread_id: int, message_id: int) -> bool:
    """Move the thread's marker forward to ``message_id``; False if it was already there."""
    before = read_marker(conn, thread_id)
    if message_id <= before:
        return False
    conn.execute(_MARK_READ, (thread_id, message_id))
    return True


def seed_read_markers(conn: sqlite3.Connection, unread: Mapping[int, int],
                      me: int | None) -> set[int]:
    """Give threads without a marker the one that reproduces the server's unread count (the
    marker sits on the (n+1)-th newest message from others). Returns the threads changed."""
    seeded = set()
    for thread_id, count in unread.items():
        if conn.execute("SELECT 1 FROM read_markers WHERE thread_id = ?",
                        (thread_id,)).fetchone():
            continue
        if count == 0:
            found = conn.execute("SELECT max(id) FROM messages WHERE thread_id = ?",
                                 (thread_id,)).fetchone()
        else:
            found = conn.execute(_NTH_FROM_OTHERS,
                                 {"thread": thread_id, "me": me, "n": count}).fetchone()
        conn.execute("INSERT INTO read_markers (thread_id, last_read_message_id) VALUES (?, ?)",
                     (thread_id, int(found[0]) if found and found[0] else 0))
        seeded.add(thread_id)
    conn.execute("UPDATE sync_state SET markers_seeded = 1")
    return seeded


def insert_echo(conn: sqlite3.Connection, thread_id: int, outbox_id: int, text: str,
                files: Sequence[str]) -> int:
    """A local echo for the outbox entry ``outbox_id``; returns its local id."""
    described = [{"path": f, "name": Path(f).name, "size": _size(f)} for f in files]
    found = conn.execute(
        "INSERT INTO local_messages (thread_id, outbox_id, text, files, created_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (thread_id, outbox_id, text, json.dumps(described), stamp(datetime.now(UTC)))).fetchone()
    return int(found[0])


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def echo_of(conn: sqlite3.Connection, outbox_id: int) -> tuple[int, int] | None:
    """(local id, thread id) of the echo of an outbox entry."""
    found = conn.execute("SELECT id, thread_id FROM local_messages WHERE outbox_id = ?",
                         (outbox_id,)).fetchone()
    return (int(found[0]), int(found[1])) if found else None


def echo(conn: sqlite3.Connection, local_id: int) -> tuple[int, int | None, str] | None:
    """(thread id, outbox entry id, state) of a local echo."""
    found = conn.execute("SELECT thread_id, outbox_id, state FROM local_messages WHERE id = ?",
                         (local_id,)).fetchone()
    return (int(found[0]), found[1], str(found[2])) if found else None


def fail_echo(conn: sqlite3.Connection, local_id: int, reason: str) -> None:
    conn.execute("UPDATE local_messages SET state = ?, error = ?, server_id = NULL WHERE id = ?",
                 (FAILED, reason, local_id))


# --- reading ----------------------------------------------------------------------------------

def read_marker(conn: sqlite3.Connection, thread_id: int) -> int:
    found = conn.execute("SELECT last_read_message_id FROM read_markers WHERE thread_id = ?",
                         (thread_id,)).fetchone()
    return int(found[0]) if found else 0


def thread_items(conn: sqlite3.Connection, me: int | None, where: str = "",
                 params: Mapping[str, Any] | None = None) -> list[ThreadItem]:
    """Threads, newest activity first; ``where`` narrows them (a condition on ``t`` with
    named ``params``)."""
    sql = _THREADS + (f" WHERE {where}" if where else "")
    rows = conn.execute(sql, {**(params or {}), "me": me}).fetchall()
    ids = [int(r[0]) for r in rows]
    echoes = _echoes_by_thread(conn, ids) if ids else {}
    items = [_thread_item(r, echoes.get(int(r[0]))) for r in rows]
    items.sort(key=thread_order)
    return items


def _echoes_by_thread(conn: sqlite3.Connection,
                      ids: Sequence[int]) -> dict[int, tuple[int, str, str, str]]:
    where = "AND thread_id IN (SELECT value FROM json_each(?))"
    return {int(r[0]): (int(r[1]), str(r[3]), str(r[4]), str(r[5])) for r in conn.execute(
        _ECHOES_BY_THREAD.format(where=where), (json.dumps(list(ids)),))}


def _thread_item(row: Sequence[Any], echoes: tuple[int, str, str, str] | None) -> ThreadItem:
    thread_id, kind, order_id, request_id, title, last_at, count, unread, newest = row
    text, names, moments = "", "", [last_at]
    if newest:
        at, text, names = json.loads(newest)
        moments.append(at)
    if echoes:
        count += echoes[0]
        moments.append(echoes[1])
        text = echoes[2]
        names = " ".join(f["name"] for f in json.loads(echoes[3]))
    latest = max((m for m in moments if m), default=None)
    return ThreadItem(id=int(thread_id), kind=str(kind), order_id=order_id,
                      request_id=request_id, title=str(title), last_message_at=_time(latest),
                      message_count=int(count), unread=int(unread), snippet=snippet(text, names))


def messages(conn: sqlite3.Connection, me: int | None, thread_id: int, *,
             before: tuple[int, int] | None, limit: int) -> list[MessageItem]:
    """Up to ``limit`` messages of the thread that sort before ``before`` (the newest when
    None), oldest first."""
    if limit <= 0:
        return []
    echoes: list[MessageItem] = []
    if before is None or before[0] == 1:
        bound = before[1] if before else None
        echoes = [e for e in _echoes(conn, thread_id) if bound is None or -e.id < bound]
        echoes = echoes[-limit:]
    wanted = limit - len(echoes)
    server: list[MessageItem] = []
    if wanted > 0:
        below = before[1] if before and before[0] == 0 else None
        sql = _MESSAGE_COLUMNS + " WHERE thread_id = ?" + (" AND id < ?" if below else "")
        rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?",
                            (thread_id, *((below,) if below else ()), wanted)).fetchall()
        server = _message_items(conn, me, reversed(rows))
    return server + echoes


def messages_since(conn: sqlite3.Connection, me: int | None, thread_id: int,
                   key: tuple[int, int]) -> list[MessageItem]:
    """Every message of the thread from ``key`` on (inclusive), oldest first."""
    server: list[MessageItem] = []
    if key[0] == 0:
        rows = conn.execute(_MESSAGE_COLUMNS + " WHERE thread_id = ? AND id >= ? ORDER BY id",
                            (thread_id, key[1])).fetchall()
        server = _message_items(conn, me, rows)
    echoes = [e for e in _echoes(conn, thread_id) if e.sort_key >= key]
    return server + echoes


def _message_items(conn: sqlite3.Connection, me: int | None,
                   rows: Iterable[Sequence[Any]]) -> list[MessageItem]:
    parsed = [(int(r[0]), int(r[1]), r[2], json.loads(r[3])) for r in rows]
    wanted = {str(a["id"]) for *_, data in parsed for a in data.get("attachments") or ()}
    local = _downloads(conn, wanted) if wanted else {}
    return [MessageItem(
        id=message_id, thread_id=thread_id, sender_id=sender,
        sender_name=str(data.get("sender_name", "")), mine=me is not None and sender == me,
        system=bool(data.get("system")), text=str(data.get("text", "")),
        attachments=tuple(AttachmentRef(str(a["id"]), str(a["name"]), str(a["content_type"]),
                                        int(a["size"]), local.get(str(a["id"])))
                          for a in data.get("attachments") or ()),
        created_at=datetime.fromisoformat(data["created_at"]),
    ) for message_id, thread_id, sender, data in parsed]


def _downloads(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str]:
    found = conn.execute("SELECT attachment_id, path FROM downloads "
                         "WHERE attachment_id IN (SELECT value FROM json_each(?))",
                         (json.dumps(sorted(ids)),))
    return {str(r[0]): str(r[1]) for r in found if Path(r[1]).is_file()}


def _echoes(conn: sqlite3.Connection, thread_id: int) -> list[MessageItem]:
    rows = conn.execute(_ECHO_COLUMNS + " WHERE thread_id = ? AND server_id IS NULL ORDER BY id",
                        (thread_id,)).fetchall()
    return [MessageItem(
        id=-int(local_id), thread_id=int(thread), sender_id=None, sender_name=LOCAL_SENDER,
        mine=True, system=False, text=str(text),
        attachments=tuple(AttachmentRef("", f["name"], "", int(f["size"]), f["path"])
                          for f in json.loads(files)),
        created_at=datetime.fromisoformat(created_at), state=str(state), error=str(error),
    ) for local_id, thread, text, files, state, error, created_at in rows]


def message_count(conn: sqlite3.Connection, thread_id: int) -> int:
    found = conn.execute(
        "SELECT (SELECT count(*) FROM messages WHERE thread_id = :t) + (SELECT count(*) "
        "FROM local_messages WHERE thread_id = :t AND server_id IS NULL)",
        {"t": thread_id}).fetchone()
    return int(found[0])


def first_unread(conn: sqlite3.Connection, me: int | None, thread_id: int) -> int | None:
    found = conn.execute(_FIRST_UNREAD, {"thread": thread_id, "me": me,
                                         "marker": read_marker(conn, thread_id)}).fetchone()
    return int(found[0]) if found and found[0] is not None else None


def search(conn: sqlite3.Connection, text: str, limit: int) -> list[MessageHit]:
    query = fts_query(text)
    if query is None or limit <= 0:
        return []
    rows = conn.execute(
        "WITH hits AS (SELECT rowid AS id, snippet(message_search, -1, '', '', '…', 16) AS part "
        "FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC LIMIT ?) "
        "SELECT m.id, m.thread_id, coalesce(t.title, ''), "
        "coalesce(json_extract(m.json, '$.sender_name'), ''), hits.part, m.created_at "
        "FROM hits JOIN messages AS m ON m.id = hits.id "
        "LEFT JOIN threads AS t ON t.id = m.thread_id ORDER BY m.id DESC",
        (query, limit)).fetchall()
    return [MessageHit(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]),
                       datetime.fromisoformat(r[5])) for r in rows]


def messages_with_attachment(conn: sqlite3.Connection, attachment_id: str) -> list[tuple[int, int]]:
    """(message id, thread id) of the messages carrying the attachment."""
    return [(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT m.id, m.thread_id FROM attachment_messages AS a JOIN messages AS m "
        "ON m.id = a.message_id WHERE a.attachment_id = ?", (attachment_id,))]


# --- downloads ----------------------------------------------------------------------------------

def save_download(folder: Path, attachment_id: str, name: str, data: bytes) -> Path:
    """Write a downloaded attachment to ``folder/<id>/<name>`` (whole or not at all)."""
    path = folder / attachment_id / (Path(name).name or "attachment")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def copy_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target``; an existing ``target`` is replaced only by the whole."""
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        shutil.copyfile(source, part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
