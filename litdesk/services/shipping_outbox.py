"""The shipping queue's outbox entries: what each kind touches, checks before it is queued, and
how the server's answer or refusal settles it (functions taking the outbox's connection).

Kinds (``optimistic.py``): ``shipping_action`` (one request), ``shipping_bulk`` (one action on
many), ``shipping_message`` (one text to many creators; nothing to predict) and
``campaign_cancel`` (every request not yet sent shows Cancelled).

Decisions
---------
* **Links.** An entry is linked to every request it predicts (``outbox_requests``), with the
  version shown when it was queued; the cache's rebase applies pending entries through these.
* **A bulk action is checked as a whole** (the role may take it, the reason is there) but not
  item by item: the server answers per item, and an item the rules refuse on the state shown is
  simply not predicted. Items the cache does not hold are sent and not shown.
* **The answer is the truth.** Each accepted item's copy from the ``BulkResult`` is stored; a
  refused item (or every item of an atomic batch that failed) shows the server's copy again, or
  the copy a 409 carried. The per-item outcome is reported by the engine.
* **Chained actions** (accept, then ship before the answer came): when the server accepts an
  action on a request, later pending entries built on the same version are moved to the
  answer's version, so the chain goes through as the person meant it, as for orders.
* **A refused single action fails the later single actions on that request** (they were made on
  top of it). Bulk entries are left to the server's per-item judgement.
* **Stock is not judged locally**: other people use it too; the server refuses and explains.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litdesk.domain.orders import NotPermitted, OrderRuleError, Role
from litdesk.domain.shipping import (
    SHIPPING_ACTION_LABELS,
    SHIPPING_ROLES,
    CampaignStatus,
    RequestState,
    ShippingAction,
)
from litdesk.services.errors import Invalid, NotAllowed, NotFound, ServiceError
from litdesk.services.optimistic import (
    CAMPAIGN_CANCEL,
    SHIPPING_ACTION,
    SHIPPING_BULK,
    SHIPPING_MESSAGE,
    predict_request,
)
from litdesk.services.shipping import (
    acknowledge_cancel,
    id_list,
    store_campaign,
    store_request,
)

Json = dict[str, Any]
Links = list[tuple[int, int | None]]  # (request id, version shown when queued)

DEPENDENT = "Not sent: an earlier change to this request was refused."


def refusal(error: OrderRuleError) -> ServiceError:
    """The rules' refusal as the error ``enqueue`` raises."""
    if isinstance(error, NotPermitted):
        return NotAllowed(error.reason, code="not_allowed")
    return Invalid(error.reason, code="rule_violation")


def _shown(conn: sqlite3.Connection, request_id: int) -> Json | None:
    found = conn.execute("SELECT json FROM requests WHERE id = ?", (request_id,)).fetchone()
    return json.loads(found[0]) if found else None


def links_for(conn: sqlite3.Connection, kind: str, body: Mapping[str, Any], entity_id: int,
              role: Role | None) -> Links:
    """The requests an entry will show changed, after checking it can be queued at all
    (``NotFound``, ``NotAllowed`` or ``Invalid`` otherwise, with nothing written)."""
    if kind == SHIPPING_ACTION:
        return _single(conn, body, entity_id, role)
    if kind == SHIPPING_BULK:
        return _bulk(conn, body, role)
    if kind == CAMPAIGN_CANCEL:
        return _cancel(conn, body, entity_id, role)
    if kind == SHIPPING_MESSAGE:
        if not str(body.get("text") or "").strip():
            raise Invalid("Write something to send.")
        if not body.get("request_ids"):
            raise Invalid("Select at least one request to message.")
        _require(role, Role.BRAND_STAFF, "message creators")
    return []


def _require(role: Role | None, needed: Role, what: str) -> None:
    if role is not None and role is not needed:
        raise NotAllowed(f"Only {needed.value.replace('_', ' ')} can {what}.",
                         code="not_allowed")


def _single(conn: sqlite3.Connection, body: Mapping[str, Any], request_id: int,
            role: Role | None) -> Links:
    shown = _shown(conn, request_id)
    if shown is None:
        raise NotFound("That request is not in the local cache.", code="not_found")
    if role is not None:
        try:
            predict_request(shown, ShippingAction(body["action"]), role, body,
                            at=datetime.now(UTC))
        except OrderRuleError as error:
            raise refusal(error) from error
    return [(request_id, int(shown["version"]))]


def _bulk(conn: sqlite3.Connection, body: Mapping[str, Any], role: Role | None) -> Links:
    action = ShippingAction(body["action"])
    label = SHIPPING_ACTION_LABELS[action].lower()
    _require(role, SHIPPING_ROLES[action], label)
    items = body.get("items") or []
    if not items:
        raise Invalid("Select at least one request.")
    if action in (ShippingAction.REFUSE, ShippingAction.REPORT_ISSUE) and not str(
            body.get("reason") or "").strip():
        raise Invalid(f"{SHIPPING_ACTION_LABELS[action]} needs a reason.")
    wanted = id_list(int(i["id"]) for i in items)
    return [(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT id, version FROM requests WHERE id IN (SELECT value FROM json_each(?))",
        (wanted,))]


def _cancel(conn: sqlite3.Connection, body: Mapping[str, Any], campaign_id: int,
            role: Role | None) -> Links:
    _require(role, Role.BRAND_STAFF, "cancel a campaign")
    found = conn.execute("SELECT json FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
    if found is None:
        raise NotFound("That campaign is not in the local cache.", code="not_found")
    campaign = json.loads(found[0])
    if campaign.get("status") == CampaignStatus.CANCELLED.value or conn.execute(
            "SELECT 1 FROM outbox WHERE kind = ? AND entity = 'campaign' AND entity_id = ? "
            "AND state = 'pending'", (CAMPAIGN_CANCEL, campaign_id)).fetchone():
        raise Invalid(f"The campaign “{campaign.get('name', '')}” is already cancelled.")
    if not str(body.get("reason") or "").strip():
        raise Invalid("Cancelling a campaign needs a reason.")
    return [(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT id, version FROM requests WHERE campaign_id = ? AND state IN (?, ?)",
        (campaign_id, RequestState.PENDING.value, RequestState.READY_TO_SHIP.value))]


def link(conn: sqlite3.Connection, entry_id: int, links: Links) -> None:
    conn.executemany("INSERT OR IGNORE INTO outbox_requests (entry_id, request_id, version) "
                     "VALUES (?, ?, ?)", [(entry_id, rid, v) for rid, v in links])


def linked(conn: sqlite3.Connection, entry_id: int) -> dict[int, int | None]:
    """The requests an entry is linked to, with the versions shown when it was queued."""
    return {int(r[0]): r[1] for r in conn.execute(
        "SELECT request_id, version FROM outbox_requests WHERE entry_id = ?", (entry_id,))}


def _unlink(conn: sqlite3.Connection, entry_id: int) -> None:
    conn.execute("DELETE FROM outbox_requests WHERE entry_id = ?", (entry_id,))


# --- settling ------------------------------------------------------------------------------------

def settle_done(conn: sqlite3.Connection, entry_id: int, kind: str, body: Mapping[str, Any],
                entity_id: int, answer: Json | None) -> set[int]:
    """Store what the server answered for an accepted entry and unlink it; the requests to
    rebase."""
    links = linked(conn, entry_id)
    touched = set(links)
    accepted: dict[int, int] = {}  # request id -> the answer's version
    if kind == SHIPPING_ACTION and answer is not None and answer.get("id") == entity_id:
        store_request(conn, answer)
        accepted[entity_id] = int(answer["version"])
    elif kind == SHIPPING_BULK and answer is not None:
        for result in answer.get("results") or ():
            copy = result.get("request") or _current(result)
            if isinstance(copy, dict) and "id" in copy:
                store_request(conn, copy)
                touched.add(int(copy["id"]))
                if result.get("ok"):
                    accepted[int(copy["id"])] = int(copy["version"])
    elif kind == CAMPAIGN_CANCEL and answer is not None and answer.get("id") == entity_id:
        store_campaign(conn, answer)
        acknowledge_cancel(conn, links, str(body.get("reason") or ""))
    _carry_versions(conn, entry_id, links, accepted)
    _unlink(conn, entry_id)
    return touched


def _current(result: Mapping[str, Any]) -> object:
    error = result.get("error") or {}
    return (error.get("details") or {}).get("current")


def settle_refused(conn: sqlite3.Connection, entry_id: int, kind: str, entity_id: int,
                   current: Json | None) -> set[int]:
    """The server refused the entry (already marked failed): store ``current`` (a 409's copy),
    fail the later single actions on the same request, unlink; the requests to rebase."""
    touched = set(linked(conn, entry_id))
    _unlink(conn, entry_id)
    if kind != SHIPPING_ACTION:
        return touched
    if current is not None and current.get("id") == entity_id and "state" in current:
        store_request(conn, current)
    for (later,) in conn.execute(
            "UPDATE outbox SET state = 'failed', error = ? WHERE state = 'pending' AND kind = ? "
            "AND entity = 'request' AND entity_id = ? AND id > ? RETURNING id",
            (DEPENDENT, SHIPPING_ACTION, entity_id, entry_id)).fetchall():
        touched |= set(linked(conn, later))
        _unlink(conn, later)
    return touched


def _carry_versions(conn: sqlite3.Connection, done_id: int, links: Mapping[int, int | None],
                    accepted: Mapping[int, int]) -> None:
    """Move later pending entries on the accepted requests from the version ``done_id`` was
    queued on to the answer's (see the module's docstring). They have not been sent: entries
    go out one at a time, oldest first."""
    moves = {rid: (links[rid], version) for rid, version in accepted.items()
             if links.get(rid) is not None}
    if not moves:
        return
    later: dict[int, list[int]] = {}
    for entry_id, request_id in conn.execute(
            "SELECT l.entry_id, l.request_id FROM outbox_requests AS l JOIN outbox AS o "
            "ON o.id = l.entry_id WHERE o.state = 'pending' AND l.entry_id > ? "
            "AND l.request_id IN (SELECT value FROM json_each(?))",
            (done_id, id_list(moves))).fetchall():
        later.setdefault(entry_id, []).append(request_id)
    for entry_id, request_ids in later.items():
        text = conn.execute("SELECT body FROM outbox WHERE id = ?", (entry_id,)).fetchone()[0]
        body = json.loads(text)
        for request_id in request_ids:
            base, version = moves[request_id]
            targets = [i for i in body.get("items", ()) if int(i["id"]) == request_id] or [body]
            for target in targets:
                if target.get("version") == base:
                    target["version"] = version
            conn.execute("UPDATE outbox_requests SET version = ? WHERE entry_id = ? "
                         "AND request_id = ?", (version, entry_id, request_id))
        conn.execute("UPDATE outbox SET body = ? WHERE id = ?", (json.dumps(body), entry_id))

