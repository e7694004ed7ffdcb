"""How campaigns and shipping requests are stored and read in the local cache, for ``LocalCache``
and the outbox (functions taking their connection; no Qt or HTTP).

Decisions
---------
* **Columns for the queue's queries** (schema 3): a request's ``state``, ``issue_state``,
  ``tracking_number`` (as compared: no spaces or dashes, upper case), ``accepted_at`` and
  ``updated_at`` (UTC stamps that compare as text) and ``version`` sit beside its JSON, indexed
  by campaign and state and by tracking number. A campaign of 10,000 requests is read in one query.
* **Server state plus pending changes**, as for orders: a request with pending outbox entries
  shows the server's copy with their predictions on top (``optimistic.predict_request``); the
  server's copy waits in ``server_json`` meanwhile, and the columns follow what is shown (tabs,
  counts and duplicate tracking numbers are about what the person sees). ``version`` is always
  the server's; a copy replaces ours only if it is not older.
* **Which entries touch which request** is the ``outbox_requests`` table (entry, request, the
  version shown when it was queued), written with the entry: a bulk action or a campaign's
  cancellation touches many requests, and a request's ``pending_actions`` counts them all.
  An entry the rules refuse on a newer server state is not shown (the server will refuse it too).
* **Counts are the cache's own.** The feed's campaigns carry no counts (they are the brand's
  working figures), so ``campaign_items`` counts the requests it holds, as shown: per state,
  ``issue_open`` and ``overdue``.
* **Overdue** is judged when a row is read, against the clock then.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litdesk.domain.orders import OrderRuleError, Role
from litdesk.domain.shipping import (
    SHIP_WITHIN,
    CampaignKind,
    CampaignStatus,
    IssueState,
    RequestState,
    ShippingAction,
    is_overdue,
)
from litdesk.domain.wire import ShippingRequestOut
from litdesk.services.messages import stamp
from litdesk.services.optimistic import (
    CAMPAIGN_CANCEL,
    SHIPPING_ACTION,
    SHIPPING_BULK,
    predict_campaign_cancel,
    predict_request,
    tracking_key,
)
from litdesk.services.records import CampaignItem, ChangeSet, RequestRow

Json = dict[str, Any]

# Step 3 of the cache's schema (see cache._MIGRATIONS): a v2 file is upgraded in place.
MIGRATION: tuple[str, ...] = (
    "ALTER TABLE requests ADD COLUMN state TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE requests ADD COLUMN issue_state TEXT NOT NULL DEFAULT 'none'",
    "ALTER TABLE requests ADD COLUMN tracking_number TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE requests ADD COLUMN accepted_at TEXT",
    "ALTER TABLE requests ADD COLUMN updated_at TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE requests ADD COLUMN server_json TEXT",
    """UPDATE requests SET state = coalesce(json_extract(json, '$.state'), ''),
        issue_state = coalesce(json_extract(json, '$.issue_state'), 'none'),
        tracking_number = upper(replace(replace(
            coalesce(json_extract(json, '$.tracking_number'), ''), ' ', ''), '-', '')),
        accepted_at = litdesk_stamp(json_extract(json, '$.accepted_at')),
        updated_at = coalesce(litdesk_stamp(json_extract(json, '$.updated_at')), ''),
        version = coalesce(json_extract(json, '$.version'), 0)""",
    "CREATE INDEX ix_requests_campaign_state ON requests (campaign_id, state)",
    "CREATE INDEX ix_requests_tracking ON requests (tracking_number) WHERE tracking_number <> ''",
    "CREATE TABLE outbox_requests (entry_id INTEGER NOT NULL, request_id INTEGER NOT NULL,"
    " version INTEGER, PRIMARY KEY (entry_id, request_id)) WITHOUT ROWID",
    "CREATE INDEX ix_outbox_requests_request ON outbox_requests (request_id, entry_id)",
)

_UPSERT = (
    "INSERT INTO requests (id, campaign_id, state, issue_state, tracking_number, accepted_at, "
    "updated_at, version, json, server_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) "
    "ON CONFLICT (id) DO UPDATE SET campaign_id = excluded.campaign_id, state = excluded.state, "
    "issue_state = excluded.issue_state, tracking_number = excluded.tracking_number, "
    "accepted_at = excluded.accepted_at, updated_at = excluded.updated_at, "
    "version = excluded.version, json = excluded.json, server_json = NULL "
    "WHERE excluded.version >= requests.version"
)
_SHOW = ("UPDATE requests SET state = ?, issue_state = ?, tracking_number = ?, accepted_at = ?, "
         "json = ?, server_json = ? WHERE id = ?")
_PENDING_COUNT = (
    "(SELECT count(*) FROM outbox_requests AS l JOIN outbox AS o ON o.id = l.entry_id "
    "WHERE l.request_id = r.id AND o.state = 'pending')"
)
_ROWS = f"SELECT r.json, {_PENDING_COUNT} FROM requests AS r"  # noqa: S608
_ROWS_OF = _ROWS + " WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id"  # noqa: S608


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def id_list(ids: Iterable[int]) -> str:
    """``ids`` as a JSON array, for ``json_each(?)`` (one parameter, however many ids)."""
    return dumps(sorted({int(i) for i in ids}))


# --- writing -------------------------------------------------------------------------------------

def _shown_columns(data: Mapping[str, Any]) -> tuple[Any, ...]:
    state, issue = data["state"], data.get("issue_state") or IssueState.NONE.value
    RequestState(state)
    IssueState(issue)
    return (state, issue, tracking_key(data.get("tracking_number")),
            stamp(data["accepted_at"]) if data.get("accepted_at") else None)


def store_request(conn: sqlite3.Connection, data: Mapping[str, Any]) -> None:
    """Write the server's copy of a request unless the cache holds a newer version; call
    :func:`rebase` for it afterwards if it may have pending entries."""
    state, issue, tracking, accepted = _shown_columns(data)
    conn.execute(_UPSERT, (int(data["id"]), int(data["campaign_id"]), state, issue, tracking,
                           accepted, stamp(data["updated_at"]), int(data["version"]),
                           dumps(data)))


def store_campaign(conn: sqlite3.Connection, data: Mapping[str, Any]) -> None:
    """Write a campaign from an answer (with counts) unless the cache holds a newer version.
    The feed's copies go through the cache's generic path."""
    conn.execute(
        "INSERT INTO campaigns (id, brand_id, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE "
        "SET brand_id = excluded.brand_id, json = excluded.json "
        "WHERE json_extract(excluded.json, '$.version') >= "
        "coalesce(json_extract(campaigns.json, '$.version'), 0)",
        (int(data["id"]), data.get("brand_id"), dumps(data)))


def delete_request(conn: sqlite3.Connection, request_id: int) -> int | None:
    """Delete a request; its campaign's id, if it was there."""
    found = conn.execute("DELETE FROM requests WHERE id = ? RETURNING campaign_id",
                         (request_id,)).fetchone()
    return int(found[0]) if found and found[0] is not None else None


@dataclass(frozen=True)
class _Pending:
    """A pending entry as the rebase applies it (its body read once for all its requests)."""

    kind: str
    body: Json
    items: dict[int, Json]
    at: datetime
    role: Role | None


def _pending_entries(conn: sqlite3.Connection, wanted: str
                     ) -> dict[int, list[_Pending]]:
    entries: dict[int, _Pending] = {}
    by_request: dict[int, list[_Pending]] = {}
    for entry_id, request_id, kind, body, created_at, role in conn.execute(
            "SELECT o.id, l.request_id, o.kind, o.body, o.created_at, o.role "
            "FROM outbox_requests AS l JOIN outbox AS o ON o.id = l.entry_id "
            "WHERE o.state = 'pending' AND l.request_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY o.id",
            (wanted,)):
        entry = entries.get(entry_id)
        if entry is None:
            parsed = json.loads(body)
            items = {int(i["id"]): i for i in parsed.get("items", ())}
            entry = _Pending(kind, parsed, items, datetime.fromisoformat(created_at),
                             Role(role) if role else None)
            entries[entry_id] = entry
        by_request.setdefault(request_id, []).append(entry)
    return by_request


def predict_entry(shown: Json, entry: _Pending) -> Json:
    """``shown`` with one pending entry applied; the rules' refusal as ``OrderRuleError``."""
    if entry.kind == CAMPAIGN_CANCEL:
        return predict_campaign_cancel(shown, str(entry.body.get("reason") or ""))
    if entry.role is None:
        return shown
    if entry.kind == SHIPPING_ACTION:
        inputs: Mapping[str, Any] = entry.body
    elif entry.kind == SHIPPING_BULK:
        inputs = {**entry.items.get(int(shown["id"]), {}), "reason": entry.body.get("reason")}
    else:
        return shown
    return predict_request(shown, ShippingAction(entry.body["action"]), entry.role, inputs,
                           at=entry.at)


def rebase(conn: sqlite3.Connection, request_ids: Iterable[int]) -> None:
    """Recompute what is shown for these requests: the server's copy with their pending entries
    applied in order (one the rules refuse on it is skipped)."""
    wanted = id_list(request_ids)
    if wanted == "[]":
        return
    pending = _pending_entries(conn, wanted)
    for request_id, server_text, overlaid in conn.execute(
            "SELECT id, coalesce(server_json, json), server_json IS NOT NULL FROM requests "
            "WHERE id IN (SELECT value FROM json_each(?))", (wanted,)).fetchall():
        entries = pending.get(request_id)
        if not entries and not overlaid:
            continue
        shown = json.loads(server_text)
        for entry in entries or ():
            try:
                shown = predict_entry(shown, entry)
            except OrderRuleError:
                continue
        base = server_text if entries else None
        conn.execute(_SHOW, (*_shown_columns(shown), dumps(shown) if base else server_text,
                             base, request_id))


def acknowledge_cancel(conn: sqlite3.Connection, request_ids: Iterable[int],
                       reason: str) -> None:
    """The server cancelled the campaign: its requests not yet sent *are* Cancelled. Their own
    copies follow in the feed (newer versions); until then the server's copy we hold says so,
    so the rows do not flicker back between the answer and the feed."""
    wanted = id_list(request_ids)
    for request_id, server_text in conn.execute(
            "SELECT id, coalesce(server_json, json) FROM requests "
            "WHERE id IN (SELECT value FROM json_each(?))", (wanted,)).fetchall():
        cancelled = predict_campaign_cancel(json.loads(server_text), reason)
        # Held as the server's copy; the rebase that follows shows it (and fills the columns).
        conn.execute("UPDATE requests SET server_json = ? WHERE id = ?",
                     (dumps(cancelled), request_id))


def touched(conn: sqlite3.Connection, request_ids: Iterable[int]) -> ChangeSet:
    """A ChangeSet naming these requests and their campaigns."""
    ids = {int(i) for i in request_ids}
    changes = ChangeSet(requests=ids)
    if ids:
        changes.campaigns = {int(r[0]) for r in conn.execute(
            "SELECT DISTINCT campaign_id FROM requests "
            "WHERE id IN (SELECT value FROM json_each(?)) "
            "AND campaign_id IS NOT NULL", (id_list(ids),))}
    return changes


# --- reading -------------------------------------------------------------------------------------

def _request_row(text: str, pending: int, now: datetime) -> RequestRow:
    request = ShippingRequestOut.model_validate_json(text)
    return RequestRow(request, is_overdue(request.state, request.accepted_at, now), pending)


def _pending_counts(conn: sqlite3.Connection) -> dict[int, int]:
    return {int(r[0]): int(r[1]) for r in conn.execute(
        "SELECT l.request_id, count(*) FROM outbox_requests AS l JOIN outbox AS o "
        "ON o.id = l.entry_id WHERE o.state = 'pending' GROUP BY l.request_id")}


def request_rows(conn: sqlite3.Connection, campaign_id: int, now: datetime) -> list[RequestRow]:
    """Every request of the campaign as shown, by id. The pending counts are read apart (a
    handful of rows; counted per request in the same query, reading took twice as long)."""
    pending = _pending_counts(conn)
    return [_request_row(text, pending.get(request_id, 0), now)
            for request_id, text in conn.execute(
                "SELECT id, json FROM requests WHERE campaign_id = ? ORDER BY id",
                (campaign_id,))]


def request_rows_of(conn: sqlite3.Connection, ids: Iterable[int],
                    now: datetime) -> list[RequestRow]:
    """The requests among ``ids`` that the cache holds, by id."""
    wanted = id_list(ids)
    if wanted == "[]":
        return []
    return [_request_row(text, n, now) for text, n in conn.execute(
        _ROWS_OF, (wanted,))]


def tracking_owner(conn: sqlite3.Connection, number: str) -> int | None:
    """The request already carrying this tracking number (as shown), compared normalised."""
    wanted = tracking_key(number)
    if not wanted:
        return None
    found = conn.execute("SELECT id FROM requests WHERE tracking_number = ? ORDER BY id LIMIT 1",
                         (wanted,)).fetchone()
    return int(found[0]) if found else None


def _counts(conn: sqlite3.Connection, now: datetime) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}

    def of(campaign_id: int) -> dict[str, int]:
        return counts.setdefault(campaign_id, {s.value: 0 for s in RequestState}
                                 | {"issue_open": 0, "overdue": 0})

    for campaign_id, state, issue, n in conn.execute(
            "SELECT campaign_id, state, issue_state, count(*) FROM requests "
            "WHERE campaign_id IS NOT NULL GROUP BY campaign_id, state, issue_state"):
        figures = of(campaign_id)
        figures[state] = figures.get(state, 0) + n
        if issue == IssueState.OPEN.value:
            figures["issue_open"] += n
    for campaign_id, n in conn.execute(
            "SELECT campaign_id, count(*) FROM requests WHERE state = ? AND accepted_at < ? "
            "GROUP BY campaign_id",
            (RequestState.READY_TO_SHIP.value, stamp((now - SHIP_WITHIN).isoformat()))):
        of(campaign_id)["overdue"] = n
    return counts


def campaign_items(conn: sqlite3.Connection, now: datetime) -> list[CampaignItem]:
    """Every cached campaign, newest first, with counts from the cached requests."""
    counts = _counts(conn, now)
    items = []
    for text, cancelling in conn.execute(
            "SELECT c.json, EXISTS (SELECT 1 FROM outbox AS o WHERE o.kind = ? "
            "AND o.entity = 'campaign' AND o.entity_id = c.id AND o.state = 'pending') "
            "FROM campaigns AS c", (CAMPAIGN_CANCEL,)):
        data = json.loads(text)
        status = CampaignStatus.CANCELLED if cancelling else CampaignStatus(data["status"])
        empty = {s.value: 0 for s in RequestState} | {"issue_open": 0, "overdue": 0}
        items.append(CampaignItem(
            id=int(data["id"]), name=str(data["name"]), kind=CampaignKind(data["kind"]),
            product=str(data["product"]), status=status, stock=data.get("stock"),
            brand_name=str(data.get("brand_name", "")),
            counts=counts.get(int(data["id"]), empty), version=int(data["version"]),
            created_at=datetime.fromisoformat(data["created_at"])))
    items.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    return items


def utcnow() -> datetime:
    return datetime.now(UTC)
