"""Reading orders: the filtered, sorted, paged list and one order's full detail.

Text search (``q``) matches, case-insensitively, a substring of the order number, the brief, the
space's title or either party's name. It is ``lower(column) LIKE '%text%'`` with the user's
wildcards escaped, which both databases run the same way. (SQLite's ``lower`` folds ASCII
letters only, so on SQLite "É" does not find "é"; PostgreSQL folds every letter.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, UnaryExpression, case, func, or_, select
from sqlalchemy.orm import Session

from litdesk.domain.order_guidance import next_steps
from litdesk.domain.orders import ORDER_ROLES, OrderStatus, Role, allowed_actions
from litdesk.domain.wire import OrderDetailOut, OrderPage, OrderSort
from litdesk.server.access import orders_visible_to
from litdesk.server.models import MetricsSurvey, Order, OrderEvent, Rating, Space, User
from litdesk.server.services.order_events import event_out
from litdesk.server.services.order_feedback import rating_out, survey_out
from litdesk.server.services.orders import order_out, order_state, orders_out

_LIFECYCLE_RANK = {status.value: rank for rank, status in enumerate(OrderStatus)}


def _matches(q: str) -> ColumnElement[bool]:
    text = q.strip().lower()

    def has(column: SQLColumnExpression[str]) -> ColumnElement[bool]:
        return func.lower(column).contains(text, autoescape=True)

    users = select(User.id).where(has(User.name))
    spaces = select(Space.id).where(has(Space.title))
    return or_(has(Order.number), has(Order.brief), Order.space_id.in_(spaces),
               Order.advertiser_id.in_(users), Order.influencer_id.in_(users))


def _sort_keys(sort: OrderSort) -> list[UnaryExpression[Any]]:
    rank = case(_LIFECYCLE_RANK, value=Order.status, else_=len(_LIFECYCLE_RANK))
    keys: dict[OrderSort, list[UnaryExpression[Any]]] = {
        OrderSort.CREATED: [Order.created_at.asc(), Order.id.asc()],
        OrderSort.CREATED_DESC: [Order.created_at.desc(), Order.id.desc()],
        OrderSort.VALUE: [Order.value_cents.asc(), Order.id.asc()],
        OrderSort.VALUE_DESC: [Order.value_cents.desc(), Order.id.desc()],
        OrderSort.STATUS: [rank.asc(), Order.id.asc()],
        OrderSort.STATUS_DESC: [rank.desc(), Order.id.desc()],
    }
    return keys[sort]


def list_orders(session: Session, user: User, *,
                statuses: Sequence[OrderStatus] = (), q: str | None = None,
                needs_action: bool | None = None, sort: OrderSort = OrderSort.CREATED_DESC,
                limit: int = 100, offset: int = 0) -> OrderPage:
    """The orders ``user`` may see, filtered: any of ``statuses``; matching ``q``; and with
    ``needs_action`` true, those whose move is the caller's (false: those whose it is not)."""
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(Order.status.in_(sorted({s.value for s in statuses})))
    if q and q.strip():
        conditions.append(_matches(q))
    if needs_action is True:
        conditions.append(Order.awaiting == user.role)
    elif needs_action is False:
        conditions.append(or_(Order.awaiting.is_(None), Order.awaiting != user.role))
    visible = orders_visible_to(user).where(*conditions)
    total = session.execute(visible.with_only_columns(func.count(Order.id))).scalar_one()
    rows = session.execute(
        visible.order_by(*_sort_keys(sort)).limit(limit).offset(offset)
    ).unique().scalars().all()
    return OrderPage(items=orders_out(session, rows), total=total, offset=offset, limit=limit)


def order_detail(session: Session, order: Order, role: Role) -> OrderDetailOut:
    """The order with its events log (oldest first), ratings, survey, and what ``role`` may do
    and should do now."""
    events = session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).scalars().all()
    ratings = session.execute(
        select(Rating).where(Rating.order_id == order.id).order_by(Rating.id)
    ).scalars().all()
    survey = session.execute(
        select(MetricsSurvey).where(MetricsSurvey.order_id == order.id)
    ).scalar_one_or_none()
    state = order_state(order)
    actions = ([t.action for t in allowed_actions(state, role)
                if Role.PAYMENT_SYSTEM not in t.roles] if role in ORDER_ROLES else [])
    return OrderDetailOut(
        **order_out(session, order).model_dump(),
        events=[event_out(e) for e in events],
        ratings=[rating_out(r) for r in ratings],
        survey=survey_out(survey) if survey else None,
        allowed_actions=actions,
        next_steps=list(next_steps(state.status, role)),
    )
