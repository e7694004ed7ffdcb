"""Plain records the services hand to models and views (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.shipping import CampaignKind, CampaignStatus
from litdesk.domain.wire import ShippingRequestOut


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order as the board shows it; built from the cache."""

    id: int
    number: str
    status: OrderStatus
    advertiser_name: str
    influencer_name: str
    space_title: str
    brief: str
    value_cents: int
    currency: str
    created_at: datetime
    updated_at: datetime
    version: int
    awaiting: Role | None = None
    pending_actions: int = 0  # outbox entries not yet accepted by the server


@dataclass
class ChangeSet:
    """What one applied batch (a feed page or an optimistic action) changed in the cache."""

    orders: list[OrderRow] = field(default_factory=list)       # inserted or updated, final state
    removed_orders: list[int] = field(default_factory=list)
    order_events: set[int] = field(default_factory=set)        # order ids whose log changed
    threads: set[int] = field(default_factory=set)             # thread ids (unread, title...)
    messages: set[int] = field(default_factory=set)            # thread ids with message changes
    # Campaign ids: the campaign itself or its requests changed (so its counts may have).
    campaigns: set[int] = field(default_factory=set)
    requests: set[int] = field(default_factory=set)            # request ids, stored or deleted
    # Which messages, for models that update rows one by one: server message ids stored or
    # deleted, and local echo ids (``-MessageItem.id``) written, changed or removed.
    message_ids: set[int] = field(default_factory=set)
    local_messages: set[int] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not (self.orders or self.removed_orders or self.order_events or self.threads
                    or self.messages or self.campaigns or self.requests or self.message_ids
                    or self.local_messages)


@dataclass(frozen=True)
class SyncStatus:
    state: str  # "online", "offline", "syncing", "signed_out"
    last_sync: datetime | None = None
    pending: int = 0            # outbox entries waiting
    progress: float | None = None  # 0..1 during a large first sync
    message: str = ""
    retry_in: float | None = None  # offline: seconds until the next attempt


# --- messages ---------------------------------------------------------------------------------

SENT = "sent"
SENDING = "sending"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A file attached to a message. ``id`` is the server's ("" while a local echo's file is not
    uploaded); ``content_type`` is the type the server detected ("" before that);
    ``local_path`` is a copy on this machine: the downloaded file, or a local echo's own copy."""

    id: str
    name: str
    content_type: str
    size: int
    local_path: str | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """One thread as the Messages area lists it. ``last_message_at`` is the last activity that
    this client knows of (the user's unsent messages count); ``unread`` counts messages from
    others after the read marker; ``snippet`` is the start of the newest message."""

    id: int
    kind: str  # "order" or "request"
    order_id: int | None
    request_id: int | None
    title: str
    last_message_at: datetime | None
    message_count: int
    unread: int
    snippet: str


def thread_order(item: ThreadItem) -> tuple[float, int]:
    """The Messages area's sort key: latest activity first, then the newest thread."""
    moment = item.last_message_at
    return (-moment.timestamp() if moment else float("inf"), -item.id)


@dataclass(frozen=True, slots=True)
class MessageItem:
    """One message of a thread. ``id`` is the server's id, or the negated local id of a local
    echo (a message written here that the server has not accepted yet: ``state`` "sending" or
    "failed", then ``error`` says why). A local echo's ``sender_name`` is "You"."""

    id: int
    thread_id: int
    sender_id: int | None
    sender_name: str
    mine: bool
    system: bool
    text: str
    attachments: tuple[AttachmentRef, ...]
    created_at: datetime
    state: str = SENT
    error: str = ""

    @property
    def is_local(self) -> bool:
        return self.id < 0

    @property
    def local_id(self) -> int:
        """The local echo's id (what ``retry_message``/``discard_message`` take), else 0."""
        return -self.id if self.id < 0 else 0

    @property
    def sort_key(self) -> tuple[int, int]:
        """A thread's order: server messages by id, then local echoes in the order written.
        ``LocalCache.messages(before=...)`` pages by this key."""
        return (1, -self.id) if self.id < 0 else (0, self.id)


@dataclass(frozen=True, slots=True)
class MessageHit:
    """A message found by the search, newest first; ``snippet`` is the matching part of its
    text (or of its attachments' names) with "…" where it was cut."""

    message_id: int
    thread_id: int
    thread_title: str
    sender_name: str
    snippet: str
    created_at: datetime


# --- the shipping queue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignItem:
    """A campaign as the campaign picker shows it. ``counts`` are computed from the requests in
    the cache (the feed carries none): one per ``RequestState`` value, plus ``issue_open`` and
    ``overdue``. ``status`` shows a cancellation still waiting in the outbox."""

    id: int
    name: str
    kind: CampaignKind
    product: str
    status: CampaignStatus
    stock: int | None
    brand_name: str
    counts: dict[str, int]
    version: int
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A shipping request as the queue shows it: the server's copy with the user's pending
    actions predicted on top, ``overdue`` (Ready to Ship past its ship-by date, judged when the
    row was read) and ``pending_actions`` (outbox entries on it not accepted yet)."""

    request: ShippingRequestOut
    overdue: bool = False
    pending_actions: int = 0

    @property
    def id(self) -> int:
        return self.request.id
