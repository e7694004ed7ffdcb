"""The Messages area: the caller's threads with unread counts, pages of messages, sending, and
read markers.

Unread: a message counts as unread for a user when someone else (or LitDesk itself) sent it and
its id is above the user's ``ThreadRead.last_read_message_id`` for that thread. Read markers only
move forward, and sending a message marks the thread read up to it (replying means you saw it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from litdesk.domain.wire import MessagePage, ThreadOut, ThreadPage
from litdesk.server.access import visible_order, visible_request
from litdesk.server.errors import ApiError, not_found
from litdesk.server.models import (
    Attachment,
    Message,
    Order,
    ShippingRequest,
    Thread,
    ThreadRead,
    User,
)
from litdesk.server.services.threads import (
    message_out,
    post_message,
    thread_out,
    threads_visible_to,
)


def _from_others(user: User) -> ColumnElement[bool]:
    return or_(Message.sender_id.is_(None), Message.sender_id != user.id)


def unread_counts(session: Session, user: User, thread_ids: Iterable[int]) -> dict[int, int]:
    """Unread messages per thread for ``user`` (threads with none are absent)."""
    ids = list(thread_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Message.thread_id, func.count())
        .select_from(Message)
        .outerjoin(ThreadRead, and_(ThreadRead.thread_id == Message.thread_id,
                                    ThreadRead.user_id == user.id))
        .where(Message.thread_id.in_(ids),
               Message.id > func.coalesce(ThreadRead.last_read_message_id, 0),
               _from_others(user))
        .group_by(Message.thread_id)
    ).all()
    return {thread_id: count for thread_id, count in rows}


def _preload_subjects(session: Session, threads: Sequence[Thread]) -> None:
    """Load the threads' orders and requests in two queries (thread_out then finds them in the
    session instead of asking once per thread)."""
    order_ids = [t.order_id for t in threads if t.order_id is not None]
    request_ids = [t.request_id for t in threads if t.request_id is not None]
    if order_ids:
        session.execute(select(Order).where(Order.id.in_(order_ids))).unique().all()
    if request_ids:
        session.execute(
            select(ShippingRequest).where(ShippingRequest.id.in_(request_ids))).unique().all()


def thread_view(session: Session, user: User, thread: Thread) -> ThreadOut:
    """One thread as ``user`` sees it, with their unread count."""
    return thread_out(session, thread, unread_counts(session, user, [thread.id]).get(thread.id, 0))


def list_threads(session: Session, user: User, *, offset: int, limit: int) -> ThreadPage:
    """The threads of every order and shipping request ``user`` can see, most recent activity
    first (a thread without messages counts from its creation)."""
    visible = threads_visible_to(user)
    total = session.execute(
        select(func.count()).select_from(visible.subquery())).scalar_one()
    activity = func.coalesce(Thread.last_message_at, Thread.created_at)
    threads = list(session.execute(
        visible.order_by(activity.desc(), Thread.id.desc()).offset(offset).limit(limit)
    ).scalars())
    _preload_subjects(session, threads)
    unread = unread_counts(session, user, (t.id for t in threads))
    return ThreadPage(items=[thread_out(session, t, unread.get(t.id, 0)) for t in threads],
                      total=total, offset=offset, limit=limit)


def order_thread(session: Session, user: User, order_id: int) -> Thread:
    order = visible_order(session, user, order_id)
    thread = session.execute(
        select(Thread).where(Thread.order_id == order.id)).scalar_one_or_none()
    if thread is None:  # every order gets its thread when it is placed
        raise not_found("thread")
    return thread


def request_thread(session: Session, user: User, request_id: int) -> Thread:
    request = visible_request(session, user, request_id)
    thread = session.execute(
        select(Thread).where(Thread.request_id == request.id)).scalar_one_or_none()
    if thread is None:  # every shipping request gets its thread when it is made
        raise not_found("thread")
    return thread


def message_page(session: Session, thread: Thread, *, before: int | None,
                 limit: int) -> MessagePage:
    """Up to ``limit`` messages older than message ``before`` (the newest ones without it),
    oldest first, and whether older ones remain."""
    query = select(Message).where(Message.thread_id == thread.id)
    if before is not None:
        query = query.where(Message.id < before)
    rows = list(session.execute(
        query.order_by(Message.id.desc()).limit(limit + 1)).unique().scalars())
    has_more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return MessagePage(items=[message_out(m) for m in rows], has_more=has_more)


def _sender_attachments(session: Session, sender: User,
                        attachment_ids: Sequence[str]) -> list[Attachment]:
    ids = list(dict.fromkeys(attachment_ids))
    if not ids:
        return []
    found = {a.id: a for a in session.execute(
        select(Attachment).where(Attachment.id.in_(ids))).scalars()}
    # Someone else's attachment and a missing one get the same answer: nothing leaks.
    refused = [i for i in ids if i not in found or found[i].uploader_id != sender.id]
    if refused:
        raise ApiError(422, "invalid_attachment",
                       "Attach only files you uploaded yourself (POST /attachments).",
                       {"attachment_ids": refused})
    return [found[i] for i in ids]


def send_message(session: Session, sender: User, thread: Thread, text: str,
                 attachment_ids: Sequence[str]) -> Message:
    """Post ``text`` and/or the sender's own uploads into ``thread``."""
    text = text.strip()
    attachments = _sender_attachments(session, sender, attachment_ids)
    if not text and not attachments:
        raise ApiError(422, "empty_message", "Write something or attach a file.")
    message = post_message(session, thread, sender, text, attachments)
    mark_read(session, sender, thread, message.id)
    return message


def mark_read(session: Session, user: User, thread: Thread, last_read_message_id: int) -> None:
    """Move ``user``'s read marker in ``thread`` forward to ``last_read_message_id``.

    The marker never moves backwards and never past the thread's newest message (message ids are
    shared by all threads, so a larger id would silently mark future messages read). The upsert
    is one statement, so two devices marking at once cannot collide on the primary key.
    """
    newest = session.execute(
        select(func.max(Message.id)).where(Message.thread_id == thread.id)).scalar_one()
    target = min(last_read_message_id, newest or 0)
    if target <= 0:
        return
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(ThreadRead).values(
            thread_id=thread.id, user_id=user.id, last_read_message_id=target)
        session.execute(pg.on_conflict_do_update(
            index_elements=[ThreadRead.thread_id, ThreadRead.user_id],
            set_={"last_read_message_id": func.greatest(
                ThreadRead.last_read_message_id, pg.excluded.last_read_message_id)}))
    else:
        lite = sqlite.insert(ThreadRead).values(
            thread_id=thread.id, user_id=user.id, last_read_message_id=target)
        session.execute(lite.on_conflict_do_update(
            index_elements=[ThreadRead.thread_id, ThreadRead.user_id],
            set_={"last_read_message_id": func.max(
                ThreadRead.last_read_message_id, lite.excluded.last_read_message_id)}))
