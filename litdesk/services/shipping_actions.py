"""The shipping queue's actions as outbox entries, for the sync engine's ``shipping_action``,
``bulk_shipping``, ``bulk_message`` and ``cancel_campaign``, and the words for a bulk answer's
refused items. How entries are checked, predicted and settled: ``shipping_outbox.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from litdesk.domain.shipping import SHIPPING_ACTION_LABELS, ShippingAction
from litdesk.domain.wire import BulkResult, BulkShippingIn, ShippingActionIn
from litdesk.services.optimistic import (
    CAMPAIGN_CANCEL,
    SHIPPING_ACTION,
    SHIPPING_BULK,
    SHIPPING_MESSAGE,
)
from litdesk.services.outbox import OutboxAction
from litdesk.services.shipping import id_list


def single_action(request_id: int, body: ShippingActionIn) -> OutboxAction:
    return OutboxAction(SHIPPING_ACTION, "POST", f"/requests/{int(request_id)}/actions",
                        body.model_dump(mode="json", exclude_none=True), "request",
                        int(request_id))


def bulk_action(conn: sqlite3.Connection, body: BulkShippingIn) -> OutboxAction:
    """Entity "campaign" when every item the cache holds is in one campaign, else "requests"."""
    campaigns = {int(r[0]) for r in conn.execute(
        "SELECT DISTINCT campaign_id FROM requests WHERE campaign_id IS NOT NULL AND id IN "
        "(SELECT value FROM json_each(?))", (id_list(i.id for i in body.items),))}
    entity, entity_id = ("campaign", campaigns.pop()) if len(campaigns) == 1 else ("requests", 0)
    return OutboxAction(SHIPPING_BULK, "POST", "/requests/bulk",
                        body.model_dump(mode="json", exclude_none=True), entity, entity_id)


def message_action(request_ids: Sequence[int], text: str) -> OutboxAction:
    ids = list(dict.fromkeys(int(i) for i in request_ids))
    return OutboxAction(SHIPPING_MESSAGE, "POST", "/requests/bulk-message",
                        {"request_ids": ids, "text": text.strip()}, "requests", 0)


def cancel_action(campaign_id: int, reason: str) -> OutboxAction:
    return OutboxAction(CAMPAIGN_CANCEL, "POST", f"/campaigns/{int(campaign_id)}/cancel",
                        {"reason": reason.strip()}, "campaign", int(campaign_id))


def reports_per_item(kind: str) -> bool:
    """Kinds whose answer is a ``BulkResult`` (reported through ``bulk_finished``)."""
    return kind in (SHIPPING_BULK, SHIPPING_MESSAGE)


def bulk_summary(kind: str, body: Mapping[str, Any], result: BulkResult) -> str:
    """A sentence about the items the server refused ("" when none was)."""
    failed = [r for r in result.results if not r.ok and r.error is not None
              and r.error.code != "not_applied"]
    if not failed:
        return ""
    if kind == SHIPPING_MESSAGE:
        what = "could not be messaged"
    else:
        label = SHIPPING_ACTION_LABELS[ShippingAction(body["action"])].lower()
        what = f"could not be {_PAST.get(label, label)}"
    reasons = "; ".join(f"#{r.id}: {r.error.message.rstrip('.')}" for r in failed[:3]
                        if r.error)
    more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    total = len(result.results)
    text = f"{len(failed)} of {total} requests {what}: {reasons}{more}."
    if body.get("atomic") and result.applied == 0:
        text = "Nothing was applied (all or nothing). " + text
    return text


_PAST = {"accept": "accepted", "refuse": "refused", "mark shipped": "marked shipped",
         "report a shipping problem": "reported", "reship": "reshipped",
         "cancel the order": "cancelled", "mark as solved": "marked solved"}
