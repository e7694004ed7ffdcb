"""The order lifecycle: eighteen statuses, who may do what, and one transition table.

Server and client share this module: the server enforces it, the client offers only the
actions that are legal now. Nothing here knows about Qt, HTTP or SQL.

Decisions where Lit's documentation (shared/seeds/000, 002, 003) leaves a gap
-----------------------------------------------------------------------------
* **Returning states.** *Resume* leaves Hold for the status the order had before the hold
  (Payment Received or Processing); *post update* leaves Update Requested for the status before
  the request (Payment Received, Processing or Hold). The two are remembered separately
  (``held_from``, ``update_from``) so that Hold → Update Requested → Hold → Processing works.
* **Who resumes.** Only the influencer resumes a hold, whoever put it on hold: the influencer does
  the work, the advertiser asks for it to continue through messages or *request update*.
* **Refunds and disputes** can be asked for at any point after payment, including while an
  update is awaited (DESIGN.md's table omitted Update Requested from *request refund* only).
* **Resting states.** Cancelled, Refunded and Mediation Complete are final. Refund Declined only
  leaves through mediation; Dispute Closed through a refund request or mediation; Completed
  through a refund request or a dispute.
* **Place order** is the one creating action: it has no source status.
* **Errors.** A role that may never take an action is refused as *not permitted* (HTTP 403); a role
  that may take it, but not from the current status, gets *illegal transition* (HTTP 422); a
  missing required input is *invalid input* (HTTP 422).
* **Payment.** Only the payment system moves an order out of Payment Required; the advertiser
  *pays* through the payment provider, which then reports success or failure. A failed payment
  can be retried from Uncollectable.
* **Mediators** are the platform's mediation team and may look at any order; they may act only in
  Mediation Required, choosing Mediation Complete or Refunded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    FEEDBACK_REQUIRED = "feedback_required"
    FEEDBACK_PROVIDED = "feedback_provided"
    PAYMENT_REQUIRED = "payment_required"
    PAYMENT_RECEIVED = "payment_received"
    PROCESSING = "processing"
    HOLD = "hold"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    REFUND_REQUESTED = "refund_requested"
    REFUND_DECLINED = "refund_declined"
    REFUNDED = "refunded"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CLOSED = "dispute_closed"
    MEDIATION_REQUIRED = "mediation_required"
    MEDIATION_COMPLETE = "mediation_complete"
    UNCOLLECTABLE = "uncollectable"
    UPDATE_REQUESTED = "update_requested"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PENDING: "Pending",
    OrderStatus.FEEDBACK_REQUIRED: "Feedback Required",
    OrderStatus.FEEDBACK_PROVIDED: "Feedback Provided",
    OrderStatus.PAYMENT_REQUIRED: "Payment Required",
    OrderStatus.PAYMENT_RECEIVED: "Payment Received",
    OrderStatus.PROCESSING: "Processing",
    OrderStatus.HOLD: "Hold",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.REFUND_REQUESTED: "Refund Requested",
    OrderStatus.REFUND_DECLINED: "Refund Declined",
    OrderStatus.REFUNDED: "Refunded",
    OrderStatus.DISPUTE_OPENED: "Dispute Opened",
    OrderStatus.DISPUTE_CLOSED: "Dispute Closed",
    OrderStatus.MEDIATION_REQUIRED: "Mediation Required",
    OrderStatus.MEDIATION_COMPLETE: "Mediation Complete",
    OrderStatus.UNCOLLECTABLE: "Uncollectable",
    OrderStatus.UPDATE_REQUESTED: "Update Requested",
}


class Role(StrEnum):
    """Everyone who acts on LitDesk's objects. Brand staff and creators act on shipping only."""

    INFLUENCER = "influencer"
    ADVERTISER = "advertiser"
    MEDIATOR = "mediator"
    PAYMENT_SYSTEM = "payment_system"
    BRAND_STAFF = "brand_staff"
    CREATOR = "creator"


class Action(StrEnum):
    PLACE_ORDER = "place_order"
    REQUEST_FEEDBACK = "request_feedback"
    PROVIDE_FEEDBACK = "provide_feedback"
    REQUEST_PAYMENT = "request_payment"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    START_PROCESSING = "start_processing"
    PUT_ON_HOLD = "put_on_hold"
    RESUME = "resume"
    REQUEST_UPDATE = "request_update"
    POST_UPDATE = "post_update"
    COMPLETE = "complete"
    CANCEL = "cancel"
    REQUEST_REFUND = "request_refund"
    GRANT_REFUND = "grant_refund"
    DECLINE_REFUND = "decline_refund"
    OPEN_DISPUTE = "open_dispute"
    CLOSE_DISPUTE = "close_dispute"
    REQUEST_MEDIATION = "request_mediation"
    MEDIATOR_DECIDES = "mediator_decides"


class Input(StrEnum):
    """Inputs an action may require; ``PROOF`` is met by ``proof_url`` or ``proof_attachment_id``.
    """

    SPACE = "space_id"
    BRIEF = "brief"
    QUESTION = "question"
    ANSWER = "answer"
    REASON = "reason"
    UPDATE_TEXT = "update_text"
    PROOF = "proof"
    RESOLUTION = "resolution"
    DECISION = "decision"
    OUTCOME = "outcome"


S = OrderStatus
R = Role
A = Action
I = Input  # noqa: E741 - a one-letter alias keeps the table below readable

_BOTH = frozenset({R.INFLUENCER, R.ADVERTISER})


@dataclass(frozen=True)
class Transition:
    """One row of the table. ``targets`` holds several statuses only when an input chooses
    (the mediator's decision); ``returns`` means "back to the remembered status"."""

    action: Action
    roles: frozenset[Role]
    sources: frozenset[OrderStatus]
    targets: frozenset[OrderStatus]
    required: tuple[Input, ...] = ()
    returns: bool = False
    destructive: bool = False

    def single_target(self) -> OrderStatus | None:
        return next(iter(self.targets)) if len(self.targets) == 1 else None


def _t(
    action: Action,
    roles: frozenset[Role] | Role,
    sources: tuple[OrderStatus, ...],
    targets: tuple[OrderStatus, ...],
    required: tuple[Input, ...] = (),
    *,
    returns: bool = False,
    destructive: bool = False,
) -> Transition:
    return Transition(
        action=action,
        roles=roles if isinstance(roles, frozenset) else frozenset({roles}),
        sources=frozenset(sources),
        targets=frozenset(targets),
        required=required,
        returns=returns,
        destructive=destructive,
    )


# The one transition table (DESIGN.md §1). Read it as: action, who, from, to, required inputs.
TRANSITIONS: tuple[Transition, ...] = (
    _t(A.PLACE_ORDER, R.ADVERTISER, (), (S.PENDING,), (I.SPACE, I.BRIEF)),
    _t(A.REQUEST_FEEDBACK, R.INFLUENCER, (S.PENDING, S.FEEDBACK_PROVIDED), (S.FEEDBACK_REQUIRED,),
       (I.QUESTION,)),
    _t(A.PROVIDE_FEEDBACK, R.ADVERTISER, (S.FEEDBACK_REQUIRED,), (S.FEEDBACK_PROVIDED,),
       (I.ANSWER,)),
    _t(A.REQUEST_PAYMENT, R.INFLUENCER, (S.PENDING, S.FEEDBACK_PROVIDED), (S.PAYMENT_REQUIRED,)),
    _t(A.PAYMENT_SUCCEEDED, R.PAYMENT_SYSTEM, (S.PAYMENT_REQUIRED, S.UNCOLLECTABLE),
       (S.PAYMENT_RECEIVED,)),
    _t(A.PAYMENT_FAILED, R.PAYMENT_SYSTEM, (S.PAYMENT_REQUIRED,), (S.UNCOLLECTABLE,)),
    _t(A.START_PROCESSING, R.INFLUENCER, (S.PAYMENT_RECEIVED,), (S.PROCESSING,)),
    _t(A.PUT_ON_HOLD, _BOTH, (S.PAYMENT_RECEIVED, S.PROCESSING), (S.HOLD,), (I.REASON,)),
    _t(A.RESUME, R.INFLUENCER, (S.HOLD,), (S.PAYMENT_RECEIVED, S.PROCESSING), returns=True),
    _t(A.REQUEST_UPDATE, R.ADVERTISER, (S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD),
       (S.UPDATE_REQUESTED,)),
    _t(A.POST_UPDATE, R.INFLUENCER, (S.UPDATE_REQUESTED,),
       (S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD), (I.UPDATE_TEXT,), returns=True),
    _t(A.COMPLETE, R.INFLUENCER, (S.PROCESSING,), (S.COMPLETED,), (I.PROOF,)),
    _t(A.CANCEL, _BOTH,
       (S.PENDING, S.FEEDBACK_REQUIRED, S.FEEDBACK_PROVIDED, S.PAYMENT_REQUIRED, S.UNCOLLECTABLE),
       (S.CANCELLED,), (I.REASON,), destructive=True),
    _t(A.REQUEST_REFUND, R.ADVERTISER,
       (S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD, S.UPDATE_REQUESTED, S.COMPLETED,
        S.DISPUTE_CLOSED),
       (S.REFUND_REQUESTED,), (I.REASON,)),
    _t(A.GRANT_REFUND, R.INFLUENCER, (S.REFUND_REQUESTED,), (S.REFUNDED,), destructive=True),
    _t(A.DECLINE_REFUND, R.INFLUENCER, (S.REFUND_REQUESTED,), (S.REFUND_DECLINED,), (I.REASON,)),
    _t(A.OPEN_DISPUTE, R.ADVERTISER,
       (S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD, S.COMPLETED, S.UPDATE_REQUESTED),
       (S.DISPUTE_OPENED,), (I.REASON,)),
    _t(A.CLOSE_DISPUTE, R.INFLUENCER, (S.DISPUTE_OPENED,), (S.DISPUTE_CLOSED,), (I.RESOLUTION,)),
    _t(A.REQUEST_MEDIATION, _BOTH, (S.REFUND_DECLINED, S.DISPUTE_OPENED, S.DISPUTE_CLOSED),
       (S.MEDIATION_REQUIRED,), (I.REASON,)),
    _t(A.MEDIATOR_DECIDES, R.MEDIATOR, (S.MEDIATION_REQUIRED,),
       (S.MEDIATION_COMPLETE, S.REFUNDED), (I.DECISION, I.OUTCOME)),
)

TRANSITION_BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}

FINAL_STATUSES = frozenset({S.CANCELLED, S.REFUNDED, S.MEDIATION_COMPLETE})
ORDER_ROLES = frozenset({R.INFLUENCER, R.ADVERTISER, R.MEDIATOR, R.PAYMENT_SYSTEM})


# --- errors -----------------------------------------------------------------------------------

class OrderRuleError(Exception):
    """A request the order rules refuse; ``reason`` is written for the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotPermitted(OrderRuleError):
    """This role may never take this action."""


class IllegalTransition(OrderRuleError):
    """This role may take this action, but not from the order's current status."""


class MissingInput(OrderRuleError):
    """A required input is absent or blank."""

    def __init__(self, reason: str, missing: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.missing = missing


# --- state and applying a transition -----------------------------------------------------------

@dataclass(frozen=True)
class OrderState:
    """What the rules need to know about an order: its status and the statuses to return to."""

    status: OrderStatus
    held_from: OrderStatus | None = None
    update_from: OrderStatus | None = None


def _present(inputs: Mapping[str, object], key: str) -> bool:
    value = inputs.get(key)
    if value is None:
        return False
    return not (isinstance(value, str) and not value.strip())


def missing_inputs(transition: Transition, inputs: Mapping[str, object]) -> tuple[str, ...]:
    missing: list[str] = []
    for need in transition.required:
        if need is I.PROOF:
            if not (_present(inputs, "proof_url") or _present(inputs, "proof_attachment_id")):
                missing.append("proof")
        elif not _present(inputs, need.value):
            missing.append(need.value)
    return tuple(missing)


def check(state: OrderState | None, action: Action, role: Role) -> Transition:
    """Return the row that lets ``role`` take ``action`` now, or raise why not."""
    transition = TRANSITION_BY_ACTION[action]
    if role not in transition.roles:
        raise NotPermitted(f"{role_label(role)} cannot {action_label(action).lower()}.")
    if action is A.PLACE_ORDER:
        if state is not None:
            raise IllegalTransition("This order has already been placed.")
        return transition
    if state is None:
        raise IllegalTransition(f"Cannot {action_label(action).lower()}: there is no order yet.")
    if state.status not in transition.sources:
        raise IllegalTransition(
            f"Cannot {action_label(action).lower()} while the order is {state.status.label}."
        )
    return transition


def apply(
    state: OrderState | None,
    action: Action,
    role: Role,
    inputs: Mapping[str, object] | None = None,
) -> OrderState:
    """The state after ``role`` takes ``action`` with ``inputs``, or an ``OrderRuleError``."""
    inputs = inputs or {}
    transition = check(state, action, role)
    missing = missing_inputs(transition, inputs)
    if missing:
        raise MissingInput(f"{action_label(action)} needs: {', '.join(missing)}.", missing)
    if state is None:
        return OrderState(S.PENDING)

    if action is A.MEDIATOR_DECIDES:
        outcome = str(inputs.get(I.OUTCOME.value, ""))
        try:
            target = OrderStatus(outcome)
        except ValueError:
            target = None
        if target not in transition.targets:
            choices = " or ".join(sorted(t.value for t in transition.targets))
            raise MissingInput(f"The mediator's outcome must be {choices}.", ("outcome",))
        return OrderState(target)
    if action is A.RESUME:
        back = state.held_from or S.PROCESSING
        return replace(state, status=back, held_from=None)
    if action is A.POST_UPDATE:
        back = state.update_from or S.PROCESSING
        held = state.held_from if back is S.HOLD else None
        return OrderState(back, held_from=held, update_from=None)
    target = transition.single_target()
    assert target is not None  # every other row has exactly one target
    if target is S.HOLD:
        return OrderState(S.HOLD, held_from=state.status)
    if target is S.UPDATE_REQUESTED:
        return OrderState(S.UPDATE_REQUESTED, held_from=state.held_from, update_from=state.status)
    return OrderState(target)


def allowed_actions(state: OrderState, role: Role) -> tuple[Transition, ...]:
    """Every row ``role`` may take now, in table order."""
    return tuple(
        t for t in TRANSITIONS if role in t.roles and state.status in t.sources
    )


def reachable_targets(transition: Transition, state: OrderState) -> frozenset[OrderStatus]:
    """Where taking ``transition`` from ``state`` can lead (used by invariant tests)."""
    if transition.action is A.RESUME:
        return frozenset({state.held_from or S.PROCESSING})
    if transition.action is A.POST_UPDATE:
        return frozenset({state.update_from or S.PROCESSING})
    return transition.targets


# --- labels, progress, groups and next steps -----------------------------------------------------

ROLE_LABELS: dict[Role, str] = {
    R.INFLUENCER: "An influencer",
    R.ADVERTISER: "An advertiser",
    R.MEDIATOR: "A mediator",
    R.PAYMENT_SYSTEM: "The payment system",
    R.BRAND_STAFF: "Brand staff",
    R.CREATOR: "A creator",
}

ACTION_LABELS: dict[Action, str] = {
    A.PLACE_ORDER: "Place order",
    A.REQUEST_FEEDBACK: "Request feedback",
    A.PROVIDE_FEEDBACK: "Provide feedback",
    A.REQUEST_PAYMENT: "Request payment",
    A.PAYMENT_SUCCEEDED: "Record payment",
    A.PAYMENT_FAILED: "Record failed payment",
    A.START_PROCESSING: "Start processing",
    A.PUT_ON_HOLD: "Put on hold",
    A.RESUME: "Resume",
    A.REQUEST_UPDATE: "Request an update",
    A.POST_UPDATE: "Post an update",
    A.COMPLETE: "Complete",
    A.CANCEL: "Cancel the order",
    A.REQUEST_REFUND: "Request a refund",
    A.GRANT_REFUND: "Grant the refund",
    A.DECLINE_REFUND: "Decline the refund",
    A.OPEN_DISPUTE: "Open a dispute",
    A.CLOSE_DISPUTE: "Close the dispute",
    A.REQUEST_MEDIATION: "Request mediation",
    A.MEDIATOR_DECIDES: "Decide",
}


def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


def action_label(action: Action) -> str:
    return ACTION_LABELS[action]
