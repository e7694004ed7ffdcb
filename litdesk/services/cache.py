"""The local cache: one SQLite file holding what the change feed brought, and the outbox.

Decisions
---------
* **One transaction per feed page.** :meth:`LocalCache.apply_page` writes every change of a page
  and the new cursor together, so a crash or an error leaves the cache exactly at the previous
  page; the next fetch asks again from the stored cursor. The cursor never moves backwards: a
  page that is not ahead of it is ignored.
* **Server state plus pending changes.** An order with pending outbox entries is shown as the
  server's last state with those entries' transitions applied on top; the server's state is kept
  in ``server_json`` meanwhile. Whenever either changes (a feed page, an answer, a refusal) the
  shown state is recomputed, so a feed page never makes a pending change flicker away and a
  refusal restores the server's newest state. ``version`` is always the server's.
* **Newest wins.** An order is replaced only by an equal or higher version (the server's answer
  to an action may land before the feed's older copy of that order).
* **Threads.** SQLite connections must not be shared between threads: each thread gets its own
  (``threading.local``), WAL lets the UI thread read while the sync thread writes, and writers
  take the lock up front (``BEGIN IMMEDIATE``) and wait for it (``busy_timeout``).
* **Durability.** ``synchronous=NORMAL``: a committed page or outbox entry survives the app
  crashing; only a power cut can lose the last commits (the feed then simply sends them again).
* **Messages** (schema 2) get columns for their queries, a full-text index, read markers and
  local echoes; see ``messages.py``. "Mine" and "unread" need the signed-in user's id, which
  the file keeps once told (``user_id``): a cache file belongs to one account.
* **Shipping requests** (schema 3) get columns for the queue's queries and are shown with
  their pending outbox entries predicted on top, like orders; see ``shipping.py``.
* **Long loops step aside for the UI thread.** A loop of many small SQLite calls can keep the
  UI thread waiting for the GIL for as long as it runs (``pulse.py``), so loops over many rows
  check the UI thread's pulse every few dozen rows (:func:`courteous`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from sys import intern
from typing import Any, TypeVar

from litdesk.domain.orders import OrderRuleError, OrderStatus, Role
from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.services import messages as msg
from litdesk.services import shipping
from litdesk.services.errors import ServerError
from litdesk.services.optimistic import ORDER_TRANSITION, predict
from litdesk.services.pulse import step_aside
from litdesk.services.records import (
    CampaignItem,
    ChangeSet,
    MessageHit,
    MessageItem,
    OrderRow,
    RequestRow,
    ThreadItem,
)

Json = dict[str, Any]

SCHEMA_VERSION = 3

# _MIGRATIONS[n] takes a file from user_version n to n + 1. Never edit a released step: add one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL, status TEXT NOT NULL,
            advertiser_name TEXT NOT NULL, influencer_name TEXT NOT NULL,
            space_title TEXT NOT NULL, brief TEXT NOT NULL,
            value_cents INTEGER NOT NULL, currency TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            version INTEGER NOT NULL, awaiting TEXT,
            json TEXT NOT NULL,
            server_json TEXT)""",
        "CREATE TABLE order_events (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
        " json TEXT NOT NULL)",
        "CREATE INDEX ix_order_events_order_id ON order_events (order_id)",
        "CREATE TABLE threads (id INTEGER PRIMARY KEY, order_id INTEGER, request_id INTEGER,"
        " json TEXT NOT NULL)",
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL,"
        " json TEXT NOT NULL)",
        "CREATE INDEX ix_messages_thread_id ON messages (thread_id, id)",
        "CREATE TABLE campaigns (id INTEGER PRIMARY KEY, brand_id INTEGER, json TEXT NOT NULL)",
        "CREATE TABLE requests (id INTEGER PRIMARY KEY, campaign_id INTEGER,"
        " json TEXT NOT NULL)",
        "CREATE TABLE ratings (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
        " json TEXT NOT NULL)",
        "CREATE TABLE surveys (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
        " json TEXT NOT NULL)",
        "CREATE TABLE sync_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " cursor INTEGER NOT NULL, last_sync TEXT)",
        "INSERT INTO sync_state (id, cursor) VALUES (1, 0)",
        # state: 'pending' (to send) or 'failed' (refused, kept to explain); accepted ones go.
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL,
            entity TEXT NOT NULL, entity_id INTEGER NOT NULL, role TEXT,
            state TEXT NOT NULL DEFAULT 'pending', error TEXT NOT NULL DEFAULT '',
            previous TEXT, created_at TEXT NOT NULL)""",
        "CREATE INDEX ix_outbox_entity ON outbox (entity, entity_id, state)",
    ),
    msg.MIGRATION,
    shipping.MIGRATION,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION

# The server's state replaces ours only if it is not older; it is the server's, so any overlay
# is dropped here and recomputed by rebase() for orders with pending entries.
_UPSERT_ORDER = (
    "INSERT INTO orders (id, number, status, advertiser_name, influencer_name, space_title, "
    "brief, value_cents, currency, created_at, updated_at, version, awaiting, json, server_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
    "ON CONFLICT (id) DO UPDATE SET number = excluded.number, status = excluded.status, "
    "advertiser_name = excluded.advertiser_name, influencer_name = excluded.influencer_name, "
    "space_title = excluded.space_title, brief = excluded.brief, "
    "value_cents = excluded.value_cents, currency = excluded.currency, "
    "created_at = excluded.created_at, updated_at = excluded.updated_at, "
    "version = excluded.version, awaiting = excluded.awaiting, json = excluded.json, "
    "server_json = NULL WHERE excluded.version >= orders.version"
)
_SHOW_ORDER = ("UPDATE orders SET status = ?, awaiting = ?, json = ?, server_json = ? "
               "WHERE id = ?")
# The board's columns in OrderRow's order, with the order's pending outbox entries counted.
_ROWS = (
    "SELECT o.id, o.number, o.status, o.advertiser_name, o.influencer_name, o.space_title, "
    "o.brief, o.value_cents, o.currency, o.created_at, o.updated_at, o.version, o.awaiting, "
    "coalesce(p.n, 0) FROM orders AS o LEFT JOIN ("
    "SELECT entity_id, count(*) AS n FROM outbox WHERE entity = 'order' AND state = 'pending' "
    "GROUP BY entity_id) AS p ON p.entity_id = o.id"
)
_ROWS_OF = _ROWS + " WHERE o.id IN (SELECT value FROM json_each(?)) ORDER BY o.id"  # noqa: S608

# entity -> (table, parent columns, ChangeSet field, which id goes into that field)
_OTHERS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "order_event": ("order_events", ("order_id",), "order_events", "order_id"),
    # A rating or survey is part of the order's log as the board sees it.
    "rating": ("ratings", ("order_id",), "order_events", "order_id"),
    "survey": ("surveys", ("order_id",), "order_events", "order_id"),
    "thread": ("threads", ("order_id", "request_id"), "threads", "id"),
    "message": ("messages", ("thread_id",), "messages", "thread_id"),
    "campaign": ("campaigns", ("brand_id",), "campaigns", "id"),
    "request": ("requests", ("campaign_id",), "requests", "id"),
}

_STATUS = {s.value: s for s in OrderStatus}
_ROLE = {r.value: r for r in Role}
_parse_time = datetime.fromisoformat


T = TypeVar("T")
_CHECK_EVERY = 32


def courteous(items: Iterable[T]) -> Iterator[T]:
    """``items``, stepping aside every few dozen while the UI thread is starved (see the
    module's docstring)."""
    for n, item in enumerate(items, 1):
        if n % _CHECK_EVERY == 0:
            step_aside()
        yield item


class CacheVersionError(RuntimeError):
    """The cache file was written by a newer LitDesk whose schema this version cannot read."""


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def order_columns(data: Json) -> tuple[Any, ...]:
    """The board's columns of an order (the server's JSON shape), in the table's order."""
    status = data["status"]
    awaiting = data.get("awaiting")
    if status not in _STATUS or (awaiting is not None and awaiting not in _ROLE):
        raise ValueError(f"unknown status {status!r} or role {awaiting!r}")
    return (int(data["id"]), str(data["number"]), status, str(data["advertiser"]["name"]),
            str(data["influencer"]["name"]), str(data["space"]["title"]), str(data["brief"]),
            int(data["value_cents"]), str(data["currency"]), str(data["created_at"]),
            str(data["updated_at"]), int(data["version"]), awaiting)


def _row(r: tuple[Any, ...]) -> OrderRow:
    awaiting = r[12]
    # Names, space titles and currencies repeat across thousands of orders; SQLite hands back a
    # new string each time, so one shared copy of each saves ~25 MB per 100,000 rows.
    return OrderRow(r[0], r[1], _STATUS[r[2]], intern(r[3]), intern(r[4]), intern(r[5]), r[6],
                    r[7], intern(r[8]), _parse_time(r[9]), _parse_time(r[10]), r[11],
                    _ROLE[awaiting] if awaiting else None, r[13])


class LocalCache:
    """The client's SQLite cache of server data, its change-feed cursor and the outbox.

    Safe to use from several threads (a connection per thread). ``transaction()``, ``rows()``,
    ``store_order()`` and ``rebase()`` are the outbox's way in; views and models only read.
    """

    def __init__(self, path: str | Path, *, user_id: int | None = None) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        try:
            self._migrate(self._conn())
            self._user_id: int | None = self._stored_user_id()
            if user_id is not None:
                self.set_user_id(user_id)
        except BaseException:
            self.close()
            raise

    # --- connections and transactions ------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so that close() may close every thread's connection;
            # each connection is otherwise used by the one thread that opened it.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.create_function("litdesk_stamp", 1, msg.sql_stamp, deterministic=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; use :meth:`transaction` to write)."""
        return self._conn()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection: committed, or rolled back on error."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; the cache must not be used afterwards."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with self.transaction():
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise CacheVersionError(
                    f"The local cache {self.path} was written by a newer LitDesk (schema "
                    f"{version}; this version reads up to {SCHEMA_VERSION}). Update LitDesk, "
                    f"or delete the file to download everything again (unsent changes in it "
                    f"would be lost).")
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    conn.execute(statement)
                # user_version lives in the file header, written by this same transaction.
                conn.execute(f"PRAGMA user_version = {step + 1}")

    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # --- the account and its files --------------------------------------------------------------

    @property
    def user_id(self) -> int | None:
        """The signed-in user's id ("mine", unread); None until the engine learns it."""
        return self._user_id

    def set_user_id(self, user_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE sync_state SET user_id = ?", (user_id,))
        self._user_id = user_id

    def _stored_user_id(self) -> int | None:
        found = self._conn().execute("SELECT user_id FROM sync_state").fetchone()[0]
        return int(found) if found is not None else None

    @property
    def files_dir(self) -> Path:
        """The folder beside the cache file for outgoing files and downloaded attachments."""
        return self.path.with_name(self.path.name + ".files")

    @property
    def outbox_files(self) -> Path:
        return self.files_dir / "outbox"

    @property
    def downloads_dir(self) -> Path:
        return self.files_dir / "attachments"

    # --- reading --------------------------------------------------------------------------------

    def cursor(self) -> int:
        return int(self._conn().execute("SELECT cursor FROM sync_state").fetchone()[0])

    def last_sync(self) -> datetime | None:
        value = self._conn().execute("SELECT last_sync FROM sync_state").fetchone()[0]
        return datetime.fromisoformat(value) if value else None

    def order_rows(self) -> list[OrderRow]:
        """Every order as the board shows it, with its pending outbox entries counted (one query;
        100k orders take a fraction of a second, see bench/sync.py)."""
        return [_row(r) for r in courteous(self._conn().execute(_ROWS))]

    def rows(self, conn: sqlite3.Connection, ids: Iterable[int]) -> list[OrderRow]:
        """The board rows of ``ids`` (those that exist), read through ``conn``."""
        wanted = _dumps(sorted(set(ids)))
        if wanted == "[]":
            return []
        return [_row(r) for r in courteous(conn.execute(_ROWS_OF, (wanted,)))]

    def order(self, order_id: int) -> Json | None:
        """The order as shown (the server's JSON with pending changes applied)."""
        found = self._conn().execute("SELECT json FROM orders WHERE id = ?",
                                     (order_id,)).fetchone()
        return json.loads(found[0]) if found else None

    def events(self, order_id: int) -> list[Json]:
        """The order's events log, oldest first."""
        return [json.loads(r[0]) for r in self._conn().execute(
            "SELECT json FROM order_events WHERE order_id = ? ORDER BY id", (order_id,))]

    # --- the shipping queue (see shipping.py) ----------------------------------------------------

    def campaigns(self) -> list[CampaignItem]:
        """Every cached campaign, newest first, with counts from the cached requests."""
        return shipping.campaign_items(self._conn(), shipping.utcnow())

    def requests(self, campaign_id: int) -> list[RequestRow]:
        """Every request of the campaign as shown (pending actions predicted), by id."""
        return shipping.request_rows(self._conn(), campaign_id, shipping.utcnow())

    def request_rows(self, ids: Iterable[int]) -> list[RequestRow]:
        """The requests among ``ids`` that the cache holds, by id."""
        return shipping.request_rows_of(self._conn(), ids, shipping.utcnow())

    def request(self, request_id: int) -> RequestRow | None:
        return next(iter(self.request_rows([request_id])), None)

    def tracking_owner(self, number: str) -> int | None:
        """The request already carrying this tracking number (spaces and case ignored)."""
        return shipping.tracking_owner(self._conn(), number)

    # --- messages (see messages.py) --------------------------------------------------------------

    def threads(self) -> list[ThreadItem]:
        """Every thread, latest activity first, with unread counts and the newest message's
        start."""
        return msg.thread_items(self._conn(), self._user_id)

    def thread_items(self, thread_ids: Iterable[int]) -> list[ThreadItem]:
        """The threads among ``thread_ids`` that exist, latest activity first."""
        wanted = _dumps(sorted(set(thread_ids)))
        if wanted == "[]":
            return []
        return msg.thread_items(self._conn(), self._user_id,
                                "t.id IN (SELECT value FROM json_each(:ids))", {"ids": wanted})

    def thread(self, thread_id: int) -> ThreadItem | None:
        return next(iter(self.thread_items([thread_id])), None)

    def thread_for_order(self, order_id: int) -> ThreadItem | None:
        found = msg.thread_items(self._conn(), self._user_id, "t.order_id = :id",
                                 {"id": order_id})
        return found[0] if found else None

    def thread_for_request(self, request_id: int) -> ThreadItem | None:
        found = msg.thread_items(self._conn(), self._user_id, "t.request_id = :id",
                                 {"id": request_id})
        return found[0] if found else None

    def messages(self, thread_id: int, *, before: tuple[int, int] | None = None,
                 limit: int = 100) -> list[MessageItem]:
        """A page of the thread, oldest first: the ``limit`` messages just older than
        ``before`` (a ``MessageItem.sort_key``), or the newest ones. Local echoes come last."""
        return msg.messages(self._conn(), self._user_id, thread_id, before=before, limit=limit)

    def messages_since(self, thread_id: int, key: tuple[int, int]) -> list[MessageItem]:
        """Every message of the thread whose ``sort_key`` is ``key`` or later, oldest first."""
        return msg.messages_since(self._conn(), self._user_id, thread_id, key)

    def message_count(self, thread_id: int) -> int:
        """Messages in the thread, local echoes included."""
        return msg.message_count(self._conn(), thread_id)

    def first_unread(self, thread_id: int) -> int | None:
        """The id of the oldest message from others after the read marker."""
        return msg.first_unread(self._conn(), self._user_id, thread_id)

    def read_marker(self, thread_id: int) -> int:
        """The id of the last message read in the thread (0: none)."""
        return msg.read_marker(self._conn(), thread_id)

    def search_messages(self, text: str, limit: int = 200) -> list[MessageHit]:
        """Messages whose text or attachment names hold every word of ``text`` (the last one as
        a prefix), newest first. Any text is safe: nothing typed is read as search syntax."""
        return msg.search(self._conn(), text, limit)

    def markers_seeded(self) -> bool:
        found = self._conn().execute("SELECT markers_seeded FROM sync_state").fetchone()
        return bool(found[0])

    def seed_read_markers(self, unread: dict[int, int]) -> ChangeSet:
        """Read markers for threads that have none, from the server's unread counts (a new
        cache would otherwise count a thread's whole history as unread); once per file."""
        with self.transaction() as conn:
            return ChangeSet(threads=msg.seed_read_markers(conn, unread, self._user_id))

    def download_path(self, attachment_id: str) -> Path | None:
        """The downloaded copy of an attachment, if there is one."""
        found = self._conn().execute("SELECT path FROM downloads WHERE attachment_id = ?",
                                     (attachment_id,)).fetchone()
        return Path(found[0]) if found and Path(found[0]).is_file() else None

    def record_download(self, attachment_id: str, path: Path) -> ChangeSet:
        """Remember a downloaded attachment; the messages carrying it have changed."""
        changes = ChangeSet()
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO downloads (attachment_id, path) VALUES (?, ?)",
                         (attachment_id, str(path)))
            for message_id, thread_id in msg.messages_with_attachment(conn, attachment_id):
                changes.message_ids.add(message_id)
                changes.messages.add(thread_id)
        return changes

    def entity(self, entity: str, entity_id: int) -> Json | None:
        """Any other cached object by its feed entity name ("thread", "message", ...)."""
        table = _OTHERS[entity][0]
        found = self._conn().execute(f"SELECT json FROM {table} WHERE id = ?",  # noqa: S608
                                     (entity_id,)).fetchone()
        return json.loads(found[0]) if found else None

    # --- writing --------------------------------------------------------------------------------

    def apply_page(self, page: ChangesPage) -> ChangeSet:
        """Apply one feed page and move the cursor to ``page.cursor``, in one transaction.

        A page that is not ahead of the stored cursor changes nothing (an empty one that has
        caught up only records the sync time). A change that cannot be read raises
        ``ServerError`` and leaves the cache as it was.
        """
        changes = ChangeSet()
        now = datetime.now(UTC).isoformat()
        with self.transaction() as conn:
            stored = int(conn.execute("SELECT cursor FROM sync_state").fetchone()[0])
            if page.cursor < stored or (page.cursor == stored and page.changes):
                return changes
            orders: set[int] = set()
            try:
                for change in courteous(page.changes):
                    self._apply_change(conn, change, changes, orders)
            except (KeyError, ValueError, TypeError) as error:
                raise ServerError(f"The server sent a change LitDesk cannot read "
                                  f"({type(error).__name__}: {error}).") from error
            self.rebase(conn, orders)
            shipping.rebase(conn, changes.requests)
            conn.execute("UPDATE sync_state SET cursor = ?, last_sync = ?", (page.cursor, now))
            changes.orders = self.rows(conn, orders - set(changes.removed_orders))
        return changes

    def _apply_change(self, conn: sqlite3.Connection, change: ChangeOut, changes: ChangeSet,
                      orders: set[int]) -> None:
        entity_id = int(change.id)
        if change.entity == "order":
            if change.op == "delete":
                conn.execute("DELETE FROM orders WHERE id = ?", (entity_id,))
                changes.removed_orders.append(entity_id)
                orders.discard(entity_id)
            else:
                self.store_order(conn, change.data)
                orders.add(entity_id)
                if entity_id in changes.removed_orders:
                    changes.removed_orders.remove(entity_id)
            return
        if change.entity in ("message", "thread"):
            self._apply_message_change(conn, change, changes)
            return
        if change.entity == "request":
            if change.op == "delete":
                campaign_id = shipping.delete_request(conn, entity_id)
            else:
                shipping.store_request(conn, change.data)
                campaign_id = int(change.data["campaign_id"])
            changes.requests.add(entity_id)
            if campaign_id is not None:
                changes.campaigns.add(campaign_id)  # its counts changed
            return
        table, parents, field, key = _OTHERS[change.entity]
        if change.op == "delete":
            found = conn.execute(
                f"DELETE FROM {table} WHERE id = ? RETURNING {', '.join(parents)}",  # noqa: S608
                (entity_id,)).fetchone()
            values = dict(zip(parents, found or (), strict=False))
        else:
            values = {p: change.data.get(p) for p in parents}
            conn.execute(
                f"INSERT OR REPLACE INTO {table} (id, {', '.join(parents)}, json) "  # noqa: S608
                f"VALUES (?, {', '.join('?' * len(parents))}, ?)",
                (entity_id, *values.values(), _dumps(change.data)))
        marked = entity_id if key == "id" else values.get(key)
        if marked is not None:
            getattr(changes, field).add(int(marked))

    def _apply_message_change(self, conn: sqlite3.Connection, change: ChangeOut,
                              changes: ChangeSet) -> None:
        entity_id = int(change.id)
        if change.entity == "thread":
            if change.op == "delete":
                conn.execute("DELETE FROM threads WHERE id = ?", (entity_id,))
            else:
                msg.store_thread(conn, change.data)
            changes.threads.add(entity_id)
            return
        if change.op == "delete":
            thread_id = msg.delete_message(conn, entity_id)
        else:
            thread_id = int(change.data["thread_id"])
            echo = msg.store_message(conn, change.data, self._user_id)
            if echo is not None:
                changes.local_messages.add(echo)
        changes.message_ids.add(entity_id)
        if thread_id is not None:
            changes.messages.add(thread_id)

    def store_message(self, conn: sqlite3.Connection, data: Json, *,
                      match_echo: bool = True) -> int | None:
        """Write the server's copy of a message (see ``messages.store_message``)."""
        return msg.store_message(conn, data, self._user_id, match_echo=match_echo)

    def store_order(self, conn: sqlite3.Connection, data: Json) -> None:
        """Write the server's state of an order, unless the cache already holds a newer version.
        Call :meth:`rebase` for it afterwards if it may have pending entries."""
        conn.execute(_UPSERT_ORDER, (*order_columns(data), _dumps(data)))

    def rebase(self, conn: sqlite3.Connection, order_ids: Iterable[int]) -> None:
        """Recompute what is shown for these orders: the server's state with their pending
        transitions applied in order. A transition the rules refuse on the newer state is not
        shown (the server will refuse it too, and the outbox then rolls it back)."""
        wanted = _dumps(sorted(set(order_ids)))
        pending: dict[int, list[tuple[Json, Role]]] = {}
        for order_id, body, role, attach_to, files in conn.execute(
                "SELECT entity_id, body, role, attach_to, files FROM outbox "
                "WHERE entity = 'order' AND state = 'pending' AND kind = ? AND role IS NOT NULL "
                "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (ORDER_TRANSITION, wanted)):
            predicted = msg.as_predicted(json.loads(body), attach_to, json.loads(files))
            pending.setdefault(order_id, []).append((predicted, Role(role)))
        overlaid = {r[0] for r in conn.execute(
            "SELECT id FROM orders WHERE server_json IS NOT NULL "
            "AND id IN (SELECT value FROM json_each(?))", (wanted,))}
        for order_id in pending.keys() | overlaid:
            found = conn.execute("SELECT coalesce(server_json, json) FROM orders WHERE id = ?",
                                 (order_id,)).fetchone()
            if found is None:
                continue
            server_text = found[0]
            shown = json.loads(server_text)
            for body, role in pending.get(order_id, ()):
                try:
                    shown = predict(shown, body, role)
                except OrderRuleError:
                    continue
            base = server_text if order_id in pending else None
            conn.execute(_SHOW_ORDER, (shown["status"], shown.get("awaiting"),
                                       _dumps(shown) if base else server_text, base, order_id))
