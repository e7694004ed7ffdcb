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


def seed_orders(db: Database, influencers: int, orders_per_influencer: int
                ) -> list[tuple[str, int]]:
    """``influencers`` accounts, each with a space and that many orders from one advertiser; one
    order each is moved to Processing. Returns (email, processing order id) per influencer."""
    from litdesk.domain.orders import Action
    from litdesk.domain.wire import PayIn, PlaceOrderIn, SpaceIn, TransitionIn
    from litdesk.server.payments import BuiltInProvider
    from litdesk.server.services import orders

    changefeed.install(db.write)
    provider = BuiltInProvider()
    with db.write() as session:
        advertiser = create_user(session, email="buyer@bench.test", name="Bench buyer",
                                 role=Role.ADVERTISER, password=PASSWORD)
        session.commit()
        advertiser_id = advertiser.id
    result: list[tuple[str, int]] = []
    for n in range(influencers):
        email = f"seller{n}@bench.test"
        with db.write() as session:
            seller = create_user(session, email=email, name=f"Seller {n}",
                                 role=Role.INFLUENCER, password=PASSWORD)
            buyer = session.get(type(seller), advertiser_id)
            assert buyer is not None
            space = orders.create_space(session, seller, SpaceIn(
                title=f"Sponsored video #{n}", price_cents=50000 + n))
            first = None
            for k in range(orders_per_influencer):
                placed = orders.place_order(session, buyer, PlaceOrderIn(
                    space_id=space.id, brief=f"Benchmark order {k} for seller {n}"))
                first = first or placed
            assert first is not None
            session.flush()
            orders.transition(session, seller, first.id, TransitionIn(
                action=Action.REQUEST_PAYMENT, version=first.version))
            session.flush()
            orders.pay(session, buyer, first.id, PayIn(version=first.version), provider)
            session.flush()
            orders.transition(session, seller, first.id, TransitionIn(
                action=Action.START_PROCESSING, version=first.version))
            session.commit()
            result.append((email, first.id))
    return result
