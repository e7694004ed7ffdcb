"""Threads and messages: the part every other service needs (orders and shipping post into
threads). Uploads, reading and unread counts live in ``services/messages.py``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from litdesk.domain.wire import AttachmentOut, MessageOut, ThreadOut
from litdesk.server import changefeed
from litdesk.server.access import (
    order_audience,
    orders_visible_to,
    request_audience,
    requests_visible_to,
)
from litdesk.server.changefeed import Audience
from litdesk.server.errors import not_found
from litdesk.server.models import (
    Attachment,
    Message,
    Order,
    OrderEvent,
    ShippingRequest,
    Thread,
    User,
    utcnow,
)
from litdesk.server.services.order_events import record_event


def thread_for_order(session: Session, order: Order) -> Thread:
    thread = session.execute(select(Thread).where(Thread.order_id == order.id)).scalar_one_or_none()
    if thread is None:
        thread = Thread(order_id=order.id, message_count=0)
        session.add(thread)
        session.flush()
        record_thread(session, thread)
    return thread


def thread_for_request(session: Session, request: ShippingRequest) -> Thread:
    thread = session.execute(
        select(Thread).where(Thread.request_id == request.id)).scalar_one_or_none()
    if thread is None:
        thread = Thread(request_id=request.id, message_count=0)
        session.add(thread)
        session.flush()
        record_thread(session, thread)
    return thread


def thread_visible_clause(user: User) -> ColumnElement[bool]:
    """True for the threads of the orders and shipping requests ``user`` can see."""
    return or_(
        Thread.order_id.in_(orders_visible_to(user).with_only_columns(Order.id)),
        Thread.request_id.in_(requests_visible_to(user).with_only_columns(ShippingRequest.id)),
    )


def threads_visible_to(user: User) -> Select[Thread]:
    return select(Thread).where(thread_visible_clause(user))


def visible_thread(session: Session, user: User, thread_id: int) -> Thread:
    """The thread, or 404 when it does not exist or ``user`` may not see it."""
    thread = session.execute(
        threads_visible_to(user).where(Thread.id == thread_id)).scalar_one_or_none()
    if thread is None:
        raise not_found("thread")
    return thread


def thread_subject(session: Session, thread: Thread) -> Order | ShippingRequest:
    if thread.order_id is not None:
        order = session.get(Order, thread.order_id)
        assert order is not None
        return order
    request = session.get(ShippingRequest, thread.request_id)
    assert request is not None
    return request


def thread_audience(session: Session, thread: Thread) -> Audience:
    subject = thread_subject(session, thread)
    if isinstance(subject, Order):
        return order_audience(subject)
    return request_audience(subject)


def thread_out(session: Session, thread: Thread, unread: int = 0) -> ThreadOut:
    subject = thread_subject(session, thread)
    if isinstance(subject, Order):
        title = f"{subject.number} · {subject.space.title}"
        kind = "order"
    else:
        title = f"{subject.campaign.name} · {subject.creator.name}"
        kind = "request"
    return ThreadOut(id=thread.id, kind=kind, order_id=thread.order_id,
                     request_id=thread.request_id, title=title,
                     last_message_at=thread.last_message_at,
                     message_count=thread.message_count, unread=unread)


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id, thread_id=message.thread_id, sender_id=message.sender_id,
        sender_name=message.sender.name if message.sender else "LitDesk",
        system=message.system, text=message.text,
        attachments=[AttachmentOut.model_validate(a) for a in message.attachments],
        created_at=message.created_at,
    )


def record_thread(session: Session, thread: Thread) -> None:
    changefeed.record(session, "thread", thread.id,
                      lambda: (thread_out(session, thread).model_dump(mode="json"),
                               thread_audience(session, thread)))


def post_message(session: Session, thread: Thread, sender: User | None, text: str,
                 attachments: Sequence[Attachment] = (), *, system: bool = False) -> Message:
    """Add a message to ``thread`` (``sender=None`` for LitDesk's own notices)."""
    now = utcnow()
    message = Message(thread_id=thread.id, sender_id=sender.id if sender else None, text=text,
                      system=system or sender is None, created_at=now)
    message.attachments = list(attachments)
    session.add(message)
    thread.last_message_at = now
    # Incremented in SQL, not from the value this session read: on PostgreSQL two transactions
    # posting into one thread at once would otherwise both write the same count (lost update).
    thread.message_count = Thread.message_count + 1
    session.flush()
    if thread.order_id is not None:
        role = sender.role if sender else "system"
        event = OrderEvent(order_id=thread.order_id, actor_id=sender.id if sender else None,
                           actor_role=role, kind="message", note=text[:200], created_at=now)
        session.add(event)
        session.flush()
        record_event(session, event)
    changefeed.record(session, "message", message.id,
                      lambda: (message_out(message).model_dump(mode="json"),
                               thread_audience(session, thread)))
    record_thread(session, thread)
    return message
