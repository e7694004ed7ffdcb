"""The events log of an order: every transition, message, rating and proof is an entry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from litdesk.domain.wire import OrderEventOut
from litdesk.server import changefeed
from litdesk.server.access import order_audience
from litdesk.server.models import Order, OrderEvent


def event_out(event: OrderEvent) -> OrderEventOut:
    return OrderEventOut(
        id=event.id, order_id=event.order_id, actor_id=event.actor_id,
        actor_name=event.actor.name if event.actor else _system_name(event.actor_role),
        actor_role=event.actor_role, kind=event.kind,
        action=event.action, from_status=event.from_status,
        to_status=event.to_status, note=event.note,
        created_at=event.created_at,
    )


def _system_name(role: str) -> str:
    return "Payment system" if role == "payment_system" else "LitDesk"


def record_event(session: Session, event: OrderEvent) -> None:
    def produce() -> tuple[dict[str, object], changefeed.Audience]:
        order = session.get(Order, event.order_id)
        assert order is not None
        return event_out(event).model_dump(mode="json"), order_audience(order)

    changefeed.record(session, "order_event", event.id, produce)
