"""Data for the benchmarks, written straight through the server's own services."""

from __future__ import annotations

from litdesk.domain.orders import Role
from litdesk.server import changefeed
from litdesk.server.accounts import create_user
from litdesk.server.changefeed import Audience
from litdesk.server.db import Database

PASSWORD = "bench"


def seed_changes(db: Database, count: int) -> str:
    """``count`` changes visible to a new mediator account; returns its email."""
    changefeed.install(db.write)
    email = "feed-reader@bench.test"
    with db.write() as session:
        create_user(session, email=email, name="Feed reader", role=Role.MEDIATOR,
                    password=PASSWORD)
        session.commit()
    batch = 500
    for start in range(0, count, batch):
        with db.write() as session:
            for n in range(start, min(count, start + batch)):
                data = {"id": n, "order_id": n // 5, "kind": "transition", "note": "x" * 60}
                changefeed.record(session, "order_event", f"bench-{n}",
                                  _constant(data))
            session.commit()
    return email


def _constant(data: dict[str, object]) -> changefeed.Producer:
    return lambda: (data, Audience(public_to_role=Role.MEDIATOR.value))
