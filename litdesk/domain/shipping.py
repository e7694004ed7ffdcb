"""The shipping queue's rules (Skeepers, shared/seeds/004): campaigns, requests, shipping issues.

Decisions where the seed leaves a gap
-------------------------------------
* **Gifted reviews** are approved on arrival: a new request starts Ready to Ship, accepted at the
  moment it was requested. Influence campaigns start Pending.
* **Stock.** A campaign may count its stock (``None`` means "not counted"). Accepting a request and
  reshipping one each use one unit; with no stock left both are refused. Refusing, cancelling and
  marking solved use none.
* **Shipping issues** are reported by the creator on a Sent request, one open issue at a time.
  *Reship* puts the request back to Ready to Ship (a new parcel, the old tracking number is kept
  in the history only), *Cancel the order* cancels it, *Mark as solved* keeps it Sent.
* **Cancel** is open to brand staff on Pending and Ready to Ship requests, and on a Sent request
  only through an open issue. Cancelling a campaign cancels every request not yet sent.
* A creator may submit content only once the item is marked shipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from litdesk.domain.orders import NotPermitted, OrderRuleError, Role

SHIP_WITHIN = timedelta(days=3)


class CampaignKind(StrEnum):
    INFLUENCE = "influence"
    GIFTED_REVIEW = "gifted_review"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class RequestState(StrEnum):
    PENDING = "pending"
    REFUSED = "refused"
    READY_TO_SHIP = "ready_to_ship"
    SENT = "sent"
    CANCELLED = "cancelled"


class IssueState(StrEnum):
    NONE = "none"
    OPEN = "open"
    SOLVED = "solved"


class ShippingAction(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    SHIP = "ship"
    REPORT_ISSUE = "report_issue"
    RESHIP = "reship"
    CANCEL = "cancel"
    MARK_SOLVED = "mark_solved"


SHIPPING_ACTION_LABELS: dict[ShippingAction, str] = {
    ShippingAction.ACCEPT: "Accept",
    ShippingAction.REFUSE: "Refuse",
    ShippingAction.SHIP: "Mark shipped",
    ShippingAction.REPORT_ISSUE: "Report a shipping problem",
    ShippingAction.RESHIP: "Reship",
    ShippingAction.CANCEL: "Cancel the order",
    ShippingAction.MARK_SOLVED: "Mark as solved",
}

# Which role takes each action, and which inputs it needs.
SHIPPING_ROLES: dict[ShippingAction, Role] = {
    ShippingAction.ACCEPT: Role.BRAND_STAFF,
    ShippingAction.REFUSE: Role.BRAND_STAFF,
    ShippingAction.SHIP: Role.BRAND_STAFF,
    ShippingAction.REPORT_ISSUE: Role.CREATOR,
    ShippingAction.RESHIP: Role.BRAND_STAFF,
    ShippingAction.CANCEL: Role.BRAND_STAFF,
    ShippingAction.MARK_SOLVED: Role.BRAND_STAFF,
}
SHIPPING_REQUIRED: dict[ShippingAction, tuple[str, ...]] = {
    ShippingAction.REFUSE: ("reason",),
    ShippingAction.REPORT_ISSUE: ("reason",),
}
USES_STOCK = frozenset({ShippingAction.ACCEPT, ShippingAction.RESHIP})


class ShippingRuleError(OrderRuleError):
    """A shipping action the rules refuse (from this state, or with these inputs)."""


@dataclass(frozen=True)
class RequestSnapshot:
    state: RequestState
    issue: IssueState = IssueState.NONE


def initial_state(kind: CampaignKind) -> RequestState:
    if kind is CampaignKind.GIFTED_REVIEW:
        return RequestState.READY_TO_SHIP
    return RequestState.PENDING


def allowed(snapshot: RequestSnapshot, action: ShippingAction) -> bool:
    """Whether ``action`` may be taken on a request in ``snapshot`` (ignoring role and stock)."""
    state, issue = snapshot.state, snapshot.issue
    match action:
        case ShippingAction.ACCEPT | ShippingAction.REFUSE:
            return state is RequestState.PENDING
        case ShippingAction.SHIP:
            return state is RequestState.READY_TO_SHIP
        case ShippingAction.REPORT_ISSUE:
            return state is RequestState.SENT and issue is not IssueState.OPEN
        case ShippingAction.RESHIP | ShippingAction.MARK_SOLVED:
            return state is RequestState.SENT and issue is IssueState.OPEN
        case ShippingAction.CANCEL:
            return state in (RequestState.PENDING, RequestState.READY_TO_SHIP) or (
                state is RequestState.SENT and issue is IssueState.OPEN
            )
    return False  # pragma: no cover - the match above is exhaustive


def allowed_shipping_actions(snapshot: RequestSnapshot, role: Role) -> tuple[ShippingAction, ...]:
    return tuple(
        a for a in ShippingAction if SHIPPING_ROLES[a] is role and allowed(snapshot, a)
    )


def apply_shipping(
    snapshot: RequestSnapshot,
    action: ShippingAction,
    role: Role,
    inputs: Mapping[str, object] | None = None,
    *,
    stock: int | None = None,
) -> RequestSnapshot:
    """The request's state after ``role`` takes ``action``, or a ``ShippingRuleError``."""
    inputs = inputs or {}
    label = SHIPPING_ACTION_LABELS[action]
    if SHIPPING_ROLES[action] is not role:
        raise NotPermitted(f"Only {SHIPPING_ROLES[action].value.replace('_', ' ')} can "
                           f"{label.lower()}.")
    if not allowed(snapshot, action):
        raise ShippingRuleError(f"Cannot {label.lower()}: the request is "
                                f"{describe(snapshot)}.")
    for key in SHIPPING_REQUIRED.get(action, ()):
        value = inputs.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ShippingRuleError(f"{label} needs a {key}.")
    if action in USES_STOCK and stock is not None and stock <= 0:
        raise ShippingRuleError(f"Cannot {label.lower()}: the campaign has no stock left.")

    match action:
        case ShippingAction.ACCEPT:
            return RequestSnapshot(RequestState.READY_TO_SHIP)
        case ShippingAction.REFUSE:
            return RequestSnapshot(RequestState.REFUSED)
        case ShippingAction.SHIP:
            return replace(snapshot, state=RequestState.SENT)
        case ShippingAction.REPORT_ISSUE:
            return replace(snapshot, issue=IssueState.OPEN)
        case ShippingAction.RESHIP:
            return RequestSnapshot(RequestState.READY_TO_SHIP, IssueState.SOLVED)
        case ShippingAction.CANCEL:
            issue = IssueState.SOLVED if snapshot.issue is IssueState.OPEN else snapshot.issue
            return RequestSnapshot(RequestState.CANCELLED, issue)
        case ShippingAction.MARK_SOLVED:
            return replace(snapshot, issue=IssueState.SOLVED)
    raise AssertionError(action)  # pragma: no cover


def describe(snapshot: RequestSnapshot) -> str:
    text = snapshot.state.value.replace("_", " ")
    if snapshot.issue is IssueState.OPEN:
        text += " with an open shipping issue"
    return text


def ship_by(accepted_at: datetime) -> datetime:
    """Packages should leave within three days of acceptance."""
    return accepted_at + SHIP_WITHIN


def is_overdue(state: RequestState, accepted_at: datetime | None, now: datetime) -> bool:
    return (
        state is RequestState.READY_TO_SHIP
        and accepted_at is not None
        and now > ship_by(accepted_at)
    )


def can_submit_content(state: RequestState) -> bool:
    return state is RequestState.SENT


def cancels_with_campaign(state: RequestState) -> bool:
    """Cancelling a campaign cancels every request not yet sent."""
    return state in (RequestState.PENDING, RequestState.READY_TO_SHIP)
