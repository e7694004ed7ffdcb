"""Orders: spaces, placing an order, moving it through the lifecycle, paying, recurring series.

Plain functions over a ``Session`` and the acting ``User``, free of HTTP types, so the routes and
the demo-data generator share them. The rules themselves live in ``litdesk.domain.orders``; this
module applies them to rows, writes the events log and records every change in the change feed.
Callers commit.

Decisions
---------
* **Numbers** are ``LD-`` and the id padded to six digits. The row is inserted with a temporary
  unique number and renumbered in the same transaction without touching the version counter, so
  a new order starts at version 1.
* **Stale versions.** Every change names the version the caller saw; another one answers 409 with
  the current order, and nothing changes. The row is locked first (``FOR UPDATE`` on PostgreSQL,
  the database write lock on SQLite), so two people acting at once are serialized and the second
  one gets the 409.
* **Paying.** The advertiser pays through the payment provider, which is called while the order is
  locked, so two concurrent payments cannot both charge. The provider's answer is applied as the
  payment system (``payment_succeeded`` / ``payment_failed``, actor ``payment_system``). A failed
  payment is a result, not an error: the order moves to Uncollectable, that is committed, and the
  provider's message is the event's note. The table has no row for a failed *retry* from
  Uncollectable; the order stays Uncollectable and the attempt is still logged (a
  ``payment_failed`` event from Uncollectable to Uncollectable) so both parties see it.
* **Recurring (monthly) spaces.** Lit: "each payment is considered its own order ... when the
  advertiser's next payment is received, a new order will be set up with the same details". We
  set the next month's order up when the current one is paid: same space, brief, portfolio
  reference and value (the value agreed, even if the space's price changed since), the same
  ``series_id`` (the first order's id), ``series_index`` + 1, ``period_start`` one calendar month
  later (counted from the first period, so days do not drift), its own thread and "created"
  event. It starts in Payment Required, awaiting the advertiser: the details were agreed on the
  first order, so there is nothing new to review. Paying it sets up the one after; cancelling it
  ends the series. Each order sets up at most one successor.
* **Proof of delivery** is a link (http or https only: clients show it as a link) and/or a
  screenshot the influencer uploaded (an attachment id); anything else answers 422.
* **Event notes** carry the text a transition asks for (question, answer, update, resolution,
  decision or reason); quick messages stay a separate thing.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from litdesk.domain.order_guidance import needs_action_by, progress
from litdesk.domain.orders import (
    Action,
    OrderState,
    OrderStatus,
    Role,
    apply,
)
from litdesk.domain.wire import (
    OrderOut,
    PartyOut,
    PayIn,
    PlaceOrderIn,
    SpaceIn,
    SpaceOut,
    TransitionIn,
)
from litdesk.server import changefeed
from litdesk.server.access import order_audience, require_role, visible_order
from litdesk.server.errors import ApiError, conflict, not_found
from litdesk.server.models import Attachment, Order, OrderEvent, Space, Thread, User, utcnow
from litdesk.server.payments import PaymentProvider, PaymentResult
from litdesk.server.services.order_events import record_event
from litdesk.server.services.threads import post_message, thread_for_order

SURVEY_DELAY = timedelta(days=3)
"""How long after completion the advertiser is asked for the metrics survey."""

PAYABLE = frozenset({OrderStatus.PAYMENT_REQUIRED, OrderStatus.UNCOLLECTABLE})

# The input whose text becomes the event's note, per action; others use ``reason``.
_NOTE_FIELD: dict[Action, str] = {
    Action.REQUEST_FEEDBACK: "question",
    Action.PROVIDE_FEEDBACK: "answer",
    Action.POST_UPDATE: "update_text",
    Action.CLOSE_DISPUTE: "resolution",
    Action.MEDIATOR_DECIDES: "decision",
}
_TEXT_FIELDS = ("reason", "question", "answer", "update_text", "resolution", "decision")


# --- reading an order ----------------------------------------------------------------------------

def awaiting(status: OrderStatus) -> Role | None:
    """The one role whose move it is in ``status`` (None in resting states)."""
    roles = sorted(needs_action_by(status))
    return roles[0] if roles else None


def order_state(order: Order) -> OrderState:
    return OrderState(
        OrderStatus(order.status),
        held_from=OrderStatus(order.held_from) if order.held_from else None,
        update_from=OrderStatus(order.update_from) if order.update_from else None,
    )


def thread_ids(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    """Each order's thread id, in one query."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Thread.order_id, Thread.id).where(Thread.order_id.in_(order_ids)))
    return {order_id: thread_id for order_id, thread_id in rows if order_id is not None}


def order_out(session: Session, order: Order,
              threads: Mapping[int, int] | None = None) -> OrderOut:
    """The wire shape of ``order``; pass ``threads`` (from :func:`thread_ids`) for many."""
    if threads is None:
        threads = thread_ids(session, [order.id])
    status = OrderStatus(order.status)
    return OrderOut(
        id=order.id, number=order.number, status=status,
        held_from=OrderStatus(order.held_from) if order.held_from else None,
        update_from=OrderStatus(order.update_from) if order.update_from else None,
        awaiting=Role(order.awaiting) if order.awaiting else None,
        progress=progress(status),
        space=SpaceOut.model_validate(order.space),
        influencer=PartyOut(id=order.influencer.id, name=order.influencer.name),
        advertiser=PartyOut(id=order.advertiser.id, name=order.advertiser.name),
        value_cents=order.value_cents, currency=order.currency, brief=order.brief,
        portfolio_ref=order.portfolio_ref, series_id=order.series_id,
        series_index=order.series_index, period_start=order.period_start,
        proof_url=order.proof_url, proof_attachment_id=order.proof_attachment_id,
        completed_at=order.completed_at,
        survey_due_at=order.completed_at + SURVEY_DELAY if order.completed_at else None,
        thread_id=threads.get(order.id),
        created_at=order.created_at, updated_at=order.updated_at, version=order.version,
    )


def orders_out(session: Session, orders: Sequence[Order]) -> list[OrderOut]:
    threads = thread_ids(session, [o.id for o in orders])
    return [order_out(session, o, threads) for o in orders]


def record_order(session: Session, order: Order) -> None:
    """Put ``order``'s state at commit into the change feed, for both parties and mediators."""
    changefeed.record(session, "order", order.id,
                      lambda: (order_out(session, order).model_dump(mode="json"),
                               order_audience(order)))


def check_version(session: Session, order: Order, version: int) -> None:
    """Refuse (409, with the current order) a change based on a version that is not current."""
    if version != order.version:
        raise conflict(
            f"Order {order.number} has changed since you loaded it (it is at version "
            f"{order.version}, you sent {version}). Reload it and try again.",
            current=order_out(session, order).model_dump(mode="json"),
        )


def add_event(session: Session, order: Order, *, actor: User | None, actor_role: str, kind: str,
              action: str | None = None, from_status: OrderStatus | None = None,
              to_status: OrderStatus | None = None, note: str = "",
              at: datetime | None = None) -> OrderEvent:
    """Write an entry of the order's events log and put it in the change feed."""
    event = OrderEvent(
        order_id=order.id, actor_id=actor.id if actor else None, actor_role=actor_role,
        kind=kind, action=action,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note, created_at=at or utcnow(),
    )
    event.actor = actor
    session.add(event)
    session.flush()
    record_event(session, event)
    return event


# --- spaces --------------------------------------------------------------------------------------

def create_space(session: Session, influencer: User, body: SpaceIn) -> Space:
    """A new space ``influencer`` offers to advertisers."""
    require_role(influencer, Role.INFLUENCER)
    space = Space(influencer_id=influencer.id, title=body.title.strip(),
                  description=body.description, price_cents=body.price_cents,
                  currency=body.currency, recurring=body.recurring)
    space.influencer = influencer
    session.add(space)
    session.flush()
    return space


def list_spaces(session: Session, user: User) -> list[Space]:
    """An influencer's own spaces; every space for advertisers (to order from) and mediators."""
    role = require_role(user, Role.INFLUENCER, Role.ADVERTISER, Role.MEDIATOR)
    query = select(Space).order_by(Space.id)
    if role is Role.INFLUENCER:
        query = query.where(Space.influencer_id == user.id)
    return list(session.execute(query).scalars())


# --- placing an order ----------------------------------------------------------------------------

def _new_order(session: Session, *, space: Space, influencer: User, advertiser: User,
               status: OrderStatus, value_cents: int, currency: str, brief: str,
               portfolio_ref: str | None, series_id: int | None, series_index: int,
               period_start: datetime | None, now: datetime) -> Order:
    """Insert an order and give it its number (and, for a new series, its series id)."""
    waiting_for = awaiting(status)
    order = Order(
        number=f"new-{uuid.uuid4().hex[:16]}", space_id=space.id,
        influencer_id=influencer.id, advertiser_id=advertiser.id, status=status.value,
        awaiting=waiting_for.value if waiting_for else None,
        value_cents=value_cents, currency=currency, brief=brief, portfolio_ref=portfolio_ref,
        series_id=series_id, series_index=series_index, period_start=period_start,
        created_at=now, updated_at=now,
    )
    order.space, order.influencer, order.advertiser = space, influencer, advertiser
    session.add(order)
    session.flush()
    values: dict[str, object] = {"number": f"LD-{order.id:06d}"}
    if space.recurring and series_id is None:
        values["series_id"] = order.id
    # A Core UPDATE leaves the version counter alone: the order is created at version 1.
    table = cast(Table, Order.__table__)
    session.execute(update(table).where(table.c.id == order.id).values(**values))
    for key, value in values.items():
        set_committed_value(order, key, value)
    return order


def place_order(session: Session, advertiser: User, body: PlaceOrderIn) -> Order:
    """A new order on a space: Pending, with a thread holding the optional first message."""
    role = Role(advertiser.role)
    apply(None, Action.PLACE_ORDER, role, {"space_id": body.space_id, "brief": body.brief})
    space = session.get(Space, body.space_id)
    if space is None:
        raise not_found("space")
    now = utcnow()
    portfolio = (body.portfolio_ref or "").strip() or None
    order = _new_order(
        session, space=space, influencer=space.influencer, advertiser=advertiser,
        status=OrderStatus.PENDING, value_cents=space.price_cents, currency=space.currency,
        brief=body.brief.strip(), portfolio_ref=portfolio, series_id=None, series_index=1,
        period_start=now if space.recurring else None, now=now,
    )
    thread = thread_for_order(session, order)
    add_event(session, order, actor=advertiser, actor_role=role.value, kind="created",
              action=Action.PLACE_ORDER.value, to_status=OrderStatus.PENDING,
              note=space.title, at=now)
    first_message = (body.first_message or "").strip()
    if first_message:
        post_message(session, thread, advertiser, first_message)
    record_order(session, order)
    return order


# --- transitions ---------------------------------------------------------------------------------

def _set_state(order: Order, state: OrderState, now: datetime) -> None:
    order.status = state.status.value
    order.held_from = state.held_from.value if state.held_from else None
    order.update_from = state.update_from.value if state.update_from else None
    role = awaiting(state.status)
    order.awaiting = role.value if role else None
    order.updated_at = now


def _note(body: TransitionIn) -> str:
    preferred = _NOTE_FIELD.get(body.action, "reason")
    for name in (preferred, *_TEXT_FIELDS):
        value = getattr(body, name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _invalid_proof(message: str) -> ApiError:
    return ApiError(422, "invalid_proof", message)


def _store_proof(session: Session, order: Order, influencer: User, body: TransitionIn) -> str:
    """Check and store the proof of delivery; returns the events-log note describing it."""
    described: list[str] = []
    if body.proof_url is not None and body.proof_url.strip():
        url = body.proof_url.strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            raise _invalid_proof("The proof of delivery link must be an http or https address.")
        order.proof_url = url
        described.append(url)
    if body.proof_attachment_id is not None and body.proof_attachment_id.strip():
        attachment = session.get(Attachment, body.proof_attachment_id.strip())
        if attachment is None or attachment.uploader_id != influencer.id:
            raise _invalid_proof("The proof of delivery screenshot must be a file you uploaded.")
        order.proof_attachment_id = attachment.id
        described.append(f"Screenshot: {attachment.name}")
    return "Proof of delivery: " + "; ".join(described)


def transition(session: Session, user: User, order_id: int, body: TransitionIn) -> Order:
    """Take ``body.action`` on the order as ``user``: 404 if they cannot see it, 409 on a stale
    version, 403/422 when the rules refuse."""
    order = visible_order(session, user, order_id, for_update=True)
    check_version(session, order, body.version)
    role = Role(user.role)
    before = order_state(order)
    inputs = body.model_dump(mode="json", exclude={"action", "version"}, exclude_none=True)
    after = apply(before, body.action, role, inputs)
    now = utcnow()
    note = _note(body)
    if body.action is Action.COMPLETE:
        note = _store_proof(session, order, user, body)
        order.completed_at = now
    _set_state(order, after, now)
    add_event(session, order, actor=user, actor_role=role.value, kind="transition",
              action=body.action.value, from_status=before.status, to_status=after.status,
              note=note, at=now)
    record_order(session, order)
    return order


# --- paying --------------------------------------------------------------------------------------

def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def pay(session: Session, advertiser: User, order_id: int, body: PayIn,
        provider: PaymentProvider) -> Order:
    """Charge the advertiser through ``provider`` and record the outcome as the payment system.

    A declined payment is committed like a successful one (the order becomes Uncollectable);
    only a refusal to try (wrong role 403, unknown order 404, stale version 409, not payable now
    422) is an error.
    """
    require_role(advertiser, Role.ADVERTISER)
    order = visible_order(session, advertiser, order_id, for_update=True)
    check_version(session, order, body.version)
    before = order_state(order)
    if before.status not in PAYABLE:
        raise ApiError(422, "illegal_transition",
                       f"Cannot pay while the order is {before.status.label}: payment is due "
                       "in Payment Required or Uncollectable.")
    result = provider.charge(order.number, order.value_cents, order.currency,
                             body.payment_method)
    now = utcnow()
    if result.ok:
        _payment_succeeded(session, order, before, result, now)
    else:
        _payment_failed(session, order, before, result, now)
    record_order(session, order)
    return order


def _payment_succeeded(session: Session, order: Order, before: OrderState,
                       result: PaymentResult, now: datetime) -> None:
    after = apply(before, Action.PAYMENT_SUCCEEDED, Role.PAYMENT_SYSTEM)
    _set_state(order, after, now)
    note = f"Paid {_money(order.value_cents, order.currency)} (reference {result.reference})."
    add_event(session, order, actor=None, actor_role=Role.PAYMENT_SYSTEM.value,
              kind="transition", action=Action.PAYMENT_SUCCEEDED.value,
              from_status=before.status, to_status=after.status, note=note, at=now)
    if order.space.recurring:
        continue_series(session, order, now)


def _payment_failed(session: Session, order: Order, before: OrderState,
                    result: PaymentResult, now: datetime) -> None:
    # From Uncollectable there is no row to take: the order stays, the attempt is logged.
    after = (apply(before, Action.PAYMENT_FAILED, Role.PAYMENT_SYSTEM)
             if before.status is OrderStatus.PAYMENT_REQUIRED else before)
    _set_state(order, after, now)
    message = result.message or "The payment could not be collected."
    add_event(session, order, actor=None, actor_role=Role.PAYMENT_SYSTEM.value,
              kind="transition", action=Action.PAYMENT_FAILED.value,
              from_status=before.status, to_status=after.status,
              note=f"{message} (reference {result.reference})", at=now)


# --- recurring series ----------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months; the day is clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def continue_series(session: Session, paid: Order, now: datetime) -> Order | None:
    """Set up the next month's order of ``paid``'s series (see the module's docstring).

    Returns None if that order already exists.
    """
    if paid.series_id is None:  # an order placed before its space became recurring
        paid.series_id = paid.id
    series_id = paid.series_id
    next_index = paid.series_index + 1
    exists = session.execute(
        select(Order.id).where(Order.series_id == series_id, Order.series_index == next_index)
    ).first()
    if exists is not None:
        return None
    first = session.get(Order, series_id) or paid
    anchor = first.period_start or first.created_at
    following = _new_order(
        session, space=paid.space, influencer=paid.influencer, advertiser=paid.advertiser,
        status=OrderStatus.PAYMENT_REQUIRED, value_cents=paid.value_cents,
        currency=paid.currency, brief=paid.brief, portfolio_ref=paid.portfolio_ref,
        series_id=series_id, series_index=next_index,
        period_start=add_months(anchor, next_index - 1), now=now,
    )
    thread_for_order(session, following)
    period = following.period_start
    assert period is not None
    add_event(session, following, actor=None, actor_role="system", kind="created",
              to_status=OrderStatus.PAYMENT_REQUIRED,
              note=f"Month {next_index} of the recurring order {first.number}, "
                   f"from {period:%Y-%m-%d}; set up when {paid.number} was paid.", at=now)
    record_order(session, following)
    return following
