"""Guidance beside the order table: progress, board groups, whose move it is, next steps.

Each status has a progress value for the progress bar and, per role, the recommended next steps
(what the person looking at the order should do now), as Lit's documentation describes.
"""

from __future__ import annotations

from enum import StrEnum

from litdesk.domain.orders import FINAL_STATUSES, OrderStatus, Role

S = OrderStatus
R = Role


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
