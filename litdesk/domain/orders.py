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


# Progress toward a settled order, for the progress bar (0-100). Problem states sit late in the
# bar because they can only arise after payment; final states are full.
PROGRESS: dict[OrderStatus, int] = {
    S.PENDING: 5,
    S.FEEDBACK_REQUIRED: 15,
    S.FEEDBACK_PROVIDED: 25,
    S.PAYMENT_REQUIRED: 35,
    S.UNCOLLECTABLE: 35,
    S.PAYMENT_RECEIVED: 50,
    S.PROCESSING: 70,
    S.HOLD: 70,
    S.UPDATE_REQUESTED: 70,
    S.COMPLETED: 100,
    S.REFUND_REQUESTED: 80,
    S.REFUND_DECLINED: 85,
    S.DISPUTE_OPENED: 80,
    S.DISPUTE_CLOSED: 90,
    S.MEDIATION_REQUIRED: 90,
    S.MEDIATION_COMPLETE: 100,
    S.REFUNDED: 100,
    S.CANCELLED: 100,
}


class StatusGroup(StrEnum):
    """The order board's columns; "needs my action" is per person and lives beside them."""

    NEW = "new"
    FEEDBACK = "feedback"
    PAYMENT = "payment"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PROBLEMS = "problems"
    CLOSED = "closed"


STATUS_GROUP: dict[OrderStatus, StatusGroup] = {
    S.PENDING: StatusGroup.NEW,
    S.FEEDBACK_REQUIRED: StatusGroup.FEEDBACK,
    S.FEEDBACK_PROVIDED: StatusGroup.FEEDBACK,
    S.PAYMENT_REQUIRED: StatusGroup.PAYMENT,
    S.PAYMENT_RECEIVED: StatusGroup.IN_PROGRESS,
    S.PROCESSING: StatusGroup.IN_PROGRESS,
    S.HOLD: StatusGroup.IN_PROGRESS,
    S.UPDATE_REQUESTED: StatusGroup.IN_PROGRESS,
    S.COMPLETED: StatusGroup.COMPLETED,
    S.REFUND_REQUESTED: StatusGroup.PROBLEMS,
    S.REFUND_DECLINED: StatusGroup.PROBLEMS,
    S.DISPUTE_OPENED: StatusGroup.PROBLEMS,
    S.DISPUTE_CLOSED: StatusGroup.PROBLEMS,
    S.MEDIATION_REQUIRED: StatusGroup.PROBLEMS,
    S.UNCOLLECTABLE: StatusGroup.PROBLEMS,
    S.CANCELLED: StatusGroup.CLOSED,
    S.REFUNDED: StatusGroup.CLOSED,
    S.MEDIATION_COMPLETE: StatusGroup.CLOSED,
}

# Whose move it is. The advertiser's move in Payment Required is paying (through the payment
# provider), which is not a row of the table; everywhere else it is an action the table allows.
NEEDS_ACTION_BY: dict[OrderStatus, frozenset[Role]] = {
    S.PENDING: frozenset({R.INFLUENCER}),
    S.FEEDBACK_REQUIRED: frozenset({R.ADVERTISER}),
    S.FEEDBACK_PROVIDED: frozenset({R.INFLUENCER}),
    S.PAYMENT_REQUIRED: frozenset({R.ADVERTISER}),
    S.UNCOLLECTABLE: frozenset({R.ADVERTISER}),
    S.PAYMENT_RECEIVED: frozenset({R.INFLUENCER}),
    S.PROCESSING: frozenset({R.INFLUENCER}),
    S.HOLD: frozenset({R.INFLUENCER}),
    S.UPDATE_REQUESTED: frozenset({R.INFLUENCER}),
    S.COMPLETED: frozenset(),
    S.REFUND_REQUESTED: frozenset({R.INFLUENCER}),
    S.REFUND_DECLINED: frozenset({R.ADVERTISER}),
    S.DISPUTE_OPENED: frozenset({R.INFLUENCER}),
    S.DISPUTE_CLOSED: frozenset({R.ADVERTISER}),
    S.MEDIATION_REQUIRED: frozenset({R.MEDIATOR}),
    S.MEDIATION_COMPLETE: frozenset(),
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
}


def progress(status: OrderStatus) -> int:
    return PROGRESS[status]


def needs_action_by(status: OrderStatus) -> frozenset[Role]:
    return NEEDS_ACTION_BY[status]


_W_ADV = "Nothing to do now: the advertiser has the next move."
_W_INF = "Nothing to do now: the influencer has the next move."
_W_MED = "Nothing to do now: the mediation team will decide."
_DONE = "This order is closed; nothing more to do."
_NOT_MEDIATION = "Nothing for the mediation team: this order is not in mediation."

NEXT_STEPS: dict[tuple[OrderStatus, Role], tuple[str, ...]] = {
    (S.PENDING, R.INFLUENCER): (
        "Review the brief and decide whether the placement fits your audience.",
        "Ask the advertiser for feedback if anything is unclear, or request payment.",
    ),
    (S.PENDING, R.ADVERTISER): (
        "The influencer is reviewing your order.",
        "Use the quick messages to add details about your campaign.",
    ),
    (S.FEEDBACK_REQUIRED, R.INFLUENCER): (_W_ADV, "Check the messages for their answer."),
    (S.FEEDBACK_REQUIRED, R.ADVERTISER): (
        "Answer the influencer's question about your product or brand.",
    ),
    (S.FEEDBACK_PROVIDED, R.INFLUENCER): (
        "Read the advertiser's feedback.",
        "Request payment if you are ready to go ahead, or ask a follow-up question.",
    ),
    (S.FEEDBACK_PROVIDED, R.ADVERTISER): (_W_INF,),
    (S.PAYMENT_REQUIRED, R.INFLUENCER): (_W_ADV, "You will be told when the payment arrives."),
    (S.PAYMENT_REQUIRED, R.ADVERTISER): ("Pay for the order so the influencer can start.",),
    (S.PAYMENT_RECEIVED, R.INFLUENCER): ("Payment is in: start working on the order.",),
    (S.PAYMENT_RECEIVED, R.ADVERTISER): ("Your payment was received; the influencer starts next.",),
    (S.PROCESSING, R.INFLUENCER): (
        "Deliver the placement as agreed.",
        "Complete the order with proof of delivery: a link or a screenshot.",
    ),
    (S.PROCESSING, R.ADVERTISER): (
        "The influencer is working on your order.",
        "Request an update if you want to know how it is going.",
    ),
    (S.HOLD, R.INFLUENCER): (
        "Sort out what put the order on hold, then resume it.",
    ),
    (S.HOLD, R.ADVERTISER): (
        "The order is paused. Send the information the influencer needs.",
    ),
    (S.UPDATE_REQUESTED, R.INFLUENCER): ("Post an update on the order's progress.",),
    (S.UPDATE_REQUESTED, R.ADVERTISER): (_W_INF,),
    (S.COMPLETED, R.INFLUENCER): ("Rate your collaboration with the advertiser.",),
    (S.COMPLETED, R.ADVERTISER): (
        "Check the proof of delivery.",
        "Rate your collaboration, and fill in the metrics survey when it is due.",
    ),
    (S.REFUND_REQUESTED, R.INFLUENCER): (
        "Discuss the refund request with the advertiser.",
        "Grant the refund, or decline it with a valid reason.",
    ),
    (S.REFUND_REQUESTED, R.ADVERTISER): (_W_INF,),
    (S.REFUND_DECLINED, R.INFLUENCER): (
        "Explain your decision in the messages; the advertiser may ask for mediation.",
    ),
    (S.REFUND_DECLINED, R.ADVERTISER): (
        "If you cannot agree with the influencer, request mediation.",
    ),
    (S.REFUNDED, R.INFLUENCER): (_DONE,),
    (S.REFUNDED, R.ADVERTISER): ("The payment has been returned to you.", _DONE),
    (S.DISPUTE_OPENED, R.INFLUENCER): (
        "Address the advertiser's dispute, then close it with a resolution note.",
    ),
    (S.DISPUTE_OPENED, R.ADVERTISER): (_W_INF,),
    (S.DISPUTE_CLOSED, R.INFLUENCER): (_W_ADV,),
    (S.DISPUTE_CLOSED, R.ADVERTISER): (
        "Read the influencer's resolution.",
        "If it does not settle the matter, request a refund or mediation.",
    ),
    (S.MEDIATION_REQUIRED, R.INFLUENCER): (_W_MED,),
    (S.MEDIATION_REQUIRED, R.ADVERTISER): (_W_MED,),
    (S.MEDIATION_REQUIRED, R.MEDIATOR): (
        "Review the order, its events and messages.",
        "Decide: mediation complete, or refund the advertiser.",
    ),
    (S.MEDIATION_COMPLETE, R.INFLUENCER): ("The mediation team has decided.", _DONE),
    (S.MEDIATION_COMPLETE, R.ADVERTISER): ("The mediation team has decided.", _DONE),
    (S.UNCOLLECTABLE, R.INFLUENCER): (
        "The payment could not be collected. Wait for the advertiser to pay, or cancel.",
    ),
    (S.UNCOLLECTABLE, R.ADVERTISER): (
        "Your payment could not be collected: pay again, or cancel the order.",
    ),
    (S.CANCELLED, R.INFLUENCER): (_DONE,),
    (S.CANCELLED, R.ADVERTISER): (_DONE,),
}
for _status in OrderStatus:
    NEXT_STEPS.setdefault(
        (_status, R.MEDIATOR),
        (_DONE,) if _status in FINAL_STATUSES else (_NOT_MEDIATION,),
    )


def next_steps(status: OrderStatus, role: Role) -> tuple[str, ...]:
    """What the person in ``role`` looking at an order in ``status`` should do now."""
    return NEXT_STEPS.get((status, role), ())
