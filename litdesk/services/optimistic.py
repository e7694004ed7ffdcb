"""What an order will look like once the server accepts a transition: the optimistic change.

The cache shows an order as the server's last state with the pending outbox entries applied on top
(see ``cache.py``). Both the outbox (when an action is queued) and the cache (when a feed page
brings a newer server state under pending entries) need the same prediction, so it lives here,
pure and free of SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litdesk.domain.order_guidance import needs_action_by, progress
from litdesk.domain.orders import Action, OrderState, OrderStatus, Role, apply

ORDER_TRANSITION = "order_transition"
"""The outbox kind of ``POST /orders/{id}/transitions``; body: ``TransitionIn`` as JSON."""


def awaiting(status: OrderStatus) -> Role | None:
    """Whose move it is; the same choice the server makes (the first role by name)."""
    roles = sorted(needs_action_by(status))
    return roles[0] if roles else None


def order_state(order: Mapping[str, Any]) -> OrderState:
    held, update = order.get("held_from"), order.get("update_from")
    return OrderState(
        OrderStatus(order["status"]),
        held_from=OrderStatus(held) if held else None,
        update_from=OrderStatus(update) if update else None,
    )


def predict(order: Mapping[str, Any], body: Mapping[str, Any], role: Role) -> dict[str, Any]:
    """``order`` (the server's JSON shape) after ``role`` takes the transition in ``body``.

    Raises the domain's ``OrderRuleError`` when the rules refuse it. The version is left alone:
    only the server knows the next one, and the cache compares versions to decide which state
    is newer.
    """
    state = apply(order_state(order), Action(body["action"]), role, body)
    predicted = dict(order)
    waiting = awaiting(state.status)
    predicted.update(
        status=state.status.value,
        held_from=state.held_from.value if state.held_from else None,
        update_from=state.update_from.value if state.update_from else None,
        awaiting=waiting.value if waiting else None,
        progress=progress(state.status),
    )
    return predicted
