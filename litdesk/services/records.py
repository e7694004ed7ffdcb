"""Plain records the services hand to models and views (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from litdesk.domain.orders import OrderStatus, Role


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
    threads: set[int] = field(default_factory=set)
    messages: set[int] = field(default_factory=set)            # thread ids with new messages
    campaigns: set[int] = field(default_factory=set)
    requests: set[int] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not (self.orders or self.removed_orders or self.order_events or self.threads
                    or self.messages or self.campaigns or self.requests)


@dataclass(frozen=True)
class SyncStatus:
    state: str  # "online", "offline", "syncing", "signed_out"
    last_sync: datetime | None = None
    pending: int = 0            # outbox entries waiting
    progress: float | None = None  # 0..1 during a large first sync
    message: str = ""
    retry_in: float | None = None  # offline: seconds until the next attempt
