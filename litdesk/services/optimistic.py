"""What an order will look like once the server accepts a transition: the optimistic change.

The cache shows an order as the server's last state with the pending outbox entries applied on top
(see ``cache.py``). Both the outbox (when an action is queued) and the cache (when a feed page
brings a newer server state under pending entries) need the same prediction, so it lives here,
pure and free of SQL. The same goes for shipping requests (``predict_request``), whose outbox
kinds are named here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litdesk.domain.order_guidance import needs_action_by, progress
from litdesk.domain.orders import Action, OrderState, OrderStatus, Role, apply
from litdesk.domain.shipping import (
    IssueState,
    RequestSnapshot,
    RequestState,
    ShippingAction,
    apply_shipping,
    cancels_with_campaign,
    ship_by,
)
from litdesk.domain.tracking import normalize

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


# --- the shipping queue ---------------------------------------------------------------------------
# Outbox kinds (see services/shipping_outbox.py). A request's pending entries are found through
# the ``outbox_requests`` links, whatever the entry's own entity is.
SHIPPING_ACTION = "shipping_action"
"""``POST /requests/{id}/actions``; body ``ShippingActionIn``; entity "request"."""
SHIPPING_BULK = "shipping_bulk"
"""``POST /requests/bulk``; body ``BulkShippingIn``; entity "campaign" or "requests"."""
SHIPPING_MESSAGE = "shipping_message"
"""``POST /requests/bulk-message``; body ``BulkMessageIn``; nothing predicted."""
CAMPAIGN_CANCEL = "campaign_cancel"
"""``POST /campaigns/{id}/cancel``; body ``CampaignCancelIn``; entity "campaign"."""
SHIPPING_KINDS = frozenset({SHIPPING_ACTION, SHIPPING_BULK, SHIPPING_MESSAGE, CAMPAIGN_CANCEL})


def normalise_tracking(value: str | None) -> str:
    """Tracking numbers as the server stores them: no spaces, upper case."""
    return "".join((value or "").split()).upper()


def tracking_key(value: str | None) -> str:
    """A tracking number as compared for duplicates: no spaces or dashes of any kind, upper
    case (``domain/tracking.normalize``)."""
    return normalize(value or "")


def predict_request(request: Mapping[str, Any], action: ShippingAction, role: Role,
                    inputs: Mapping[str, Any], *, at: datetime) -> dict[str, Any]:
    """``request`` (the server's JSON shape) after ``role`` takes ``action`` at ``at``, with the
    fields the server would set (``services/shipping.py`` on the server). Raises the domain's
    ``ShippingRuleError``/``NotPermitted`` when the rules refuse it. Stock is not judged here:
    the cache cannot know what other people's actions used meanwhile; the server decides."""
    before = RequestSnapshot(RequestState(request["state"]), IssueState(request["issue_state"]))
    reason = str(inputs.get("reason") or "").strip()
    after = apply_shipping(before, action, role, {"reason": reason})
    predicted = dict(request)
    when = at.isoformat()
    match action:
        case ShippingAction.ACCEPT:
            predicted.update(accepted_at=when, ship_by=ship_by(at).isoformat())
        case ShippingAction.REFUSE:
            predicted["refused_reason"] = reason
        case ShippingAction.SHIP:
            predicted.update(shipped_at=when, carrier=str(inputs.get("carrier") or "").strip(),
                             tracking_number=normalise_tracking(inputs.get("tracking_number")))
        case ShippingAction.REPORT_ISSUE:
            predicted.update(issue_reason=reason, issue_reported_at=when)
        case ShippingAction.RESHIP:
            predicted.update(carrier="", tracking_number="", shipped_at=None, accepted_at=when,
                             ship_by=ship_by(at).isoformat(),
                             reship_count=int(request.get("reship_count") or 0) + 1)
        case ShippingAction.CANCEL:
            predicted["cancelled_reason"] = reason
        case ShippingAction.MARK_SOLVED:
            pass
    predicted.update(state=after.state.value, issue_state=after.issue.value)
    return predicted


def predict_campaign_cancel(request: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """``request`` once its campaign is cancelled: Cancelled if not yet sent, else unchanged."""
    predicted = dict(request)
    if cancels_with_campaign(RequestState(request["state"])):
        predicted.update(state=RequestState.CANCELLED.value, cancelled_reason=reason.strip())
    return predicted
