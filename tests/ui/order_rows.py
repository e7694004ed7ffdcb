"""A small factory of ``OrderRow``s for the board's tests: the model does no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from litdesk.domain.order_guidance import NEEDS_ACTION_BY
from litdesk.domain.orders import OrderStatus, Role
from litdesk.services.records import OrderRow

EPOCH = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
ADVERTISERS = ("Northwind Coffee", "Acme Outdoors", "Blue Lagoon Travel", "Zephyr Audio",
               "Maple & Co", "Orbit Fitness", "Lumen Skincare")
SPACES = ("Instagram story", "YouTube pre-roll", "TikTok duet", "Newsletter banner",
          "Podcast mid-roll")
_STATUSES = list(OrderStatus)


def _awaiting(status: OrderStatus) -> Role | None:
    roles = NEEDS_ACTION_BY[status]
    return next(iter(roles)) if len(roles) == 1 else None


def order_row(n: int, **changes: object) -> OrderRow:
    """Order ``n``: varied status, advertiser, space and value; created ``n`` hours after
    EPOCH. ``status`` in ``changes`` also sets ``awaiting`` unless that is given too."""
    status = OrderStatus(changes.pop("status", _STATUSES[n % len(_STATUSES)]))  # type: ignore[arg-type]
    created = EPOCH + timedelta(hours=n)
    row = OrderRow(
        id=n, number=f"LD-{n:06d}", status=status,
        advertiser_name=ADVERTISERS[n % len(ADVERTISERS)], influencer_name="Ivy Influencer",
        space_title=SPACES[(n // 2) % len(SPACES)],
        brief=f"Campaign brief number {n} about autumn launches",
        value_cents=10_000 + (n * 7919) % 90_000, currency="USD",
        created_at=created, updated_at=created + timedelta(minutes=30), version=1,
        awaiting=_awaiting(status),
    )
    return replace(row, **changes) if changes else row  # type: ignore[arg-type]


def order_rows(count: int, start: int = 1) -> list[OrderRow]:
    return [order_row(n) for n in range(start, start + count)]
