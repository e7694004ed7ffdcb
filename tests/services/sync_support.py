"""Helpers for the cache, outbox and sync-engine tests: feed pages read straight from the live
server (plain httpx, so these tests do not depend on ApiClient), and transitions as actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.server.models import OrderEvent
from litdesk.services.cache import LocalCache
from litdesk.services.optimistic import ORDER_TRANSITION
from litdesk.services.outbox import OutboxAction
from tests.live_server import Account, LiveServer
from tests.server.order_flow import ok

Json = dict[str, Any]


def page(account: Account, after: int = 0, limit: int = 5000) -> ChangesPage:
    return ChangesPage.model_validate(
        ok(account.client.get("/changes", params={"after": after, "limit": limit})))


def sync(cache: LocalCache, account: Account) -> None:
    """Bring ``cache`` up to date with ``account``'s feed, a page at a time."""
    while True:
        current = page(account, cache.cursor())
        cache.apply_page(current)
        if not current.more:
            return


def transition(order: Json, action: str, version: int | None = None,
               **inputs: Any) -> OutboxAction:
    body = {"action": action, "version": order["version"] if version is None else version,
            **inputs}
    return OutboxAction(ORDER_TRANSITION, "POST", f"/orders/{order['id']}/transitions", body,
                        "order", int(order["id"]))


def send(account: Account, action: OutboxAction, key: str) -> Json:
    """Send an outbox entry as the engine would (same path, body and key)."""
    answer: Json = ok(account.client.request(action.method, action.path, json=action.body,
                                             headers={"Idempotency-Key": key}))
    return answer


def order_change(data: Json, pos: int) -> ChangeOut:
    return ChangeOut(pos=pos, entity="order", id=str(data["id"]), op="upsert", data=data)


def transition_events(server: LiveServer, order_id: int, action: str) -> int:
    """How many times the server's events log says ``action`` was taken on the order."""
    with server.db.read() as session:
        return int(session.execute(
            select(func.count()).select_from(OrderEvent).where(
                OrderEvent.order_id == order_id, OrderEvent.kind == "transition",
                OrderEvent.action == action)).scalar_one())
