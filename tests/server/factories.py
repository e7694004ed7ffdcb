"""Small factories that put orders, campaigns and shipping requests (each with its thread)
straight into the test server's database, for tests that need one without going through the
orders or shipping endpoints."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from litdesk.domain.orders import OrderStatus
from litdesk.domain.shipping import CampaignKind, CampaignStatus, RequestState
from litdesk.server.models import Campaign, Order, ShippingRequest, Space, utcnow
from litdesk.server.services.threads import thread_for_order, thread_for_request
from tests.server.conftest import Account, LiveServer

_numbers = itertools.count(1)


@dataclass(frozen=True)
class OrderRef:
    id: int
    number: str
    space_id: int
    thread_id: int


@dataclass(frozen=True)
class RequestRef:
    id: int
    campaign_id: int
    thread_id: int


def make_order(server: LiveServer, influencer: Account, advertiser: Account, *,
               status: OrderStatus = OrderStatus.PENDING, title: str = "Instagram story",
               value_cents: int = 25_000, currency: str = "USD",
               brief: str = "Show our new sneakers.") -> OrderRef:
    """An order on a new space of ``influencer``, placed by ``advertiser``, with its thread."""
    with server.db.write() as session:
        space = Space(influencer_id=influencer.id, title=title, description="",
                      price_cents=value_cents, currency=currency, recurring=False)
        session.add(space)
        session.flush()
        now = utcnow()
        number = f"T{next(_numbers):04d}-{uuid.uuid4().hex[:8].upper()}"
        order = Order(number=number, space_id=space.id, influencer_id=influencer.id,
                      advertiser_id=advertiser.id, status=status.value, value_cents=value_cents,
                      currency=currency, brief=brief, created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        thread = thread_for_order(session, order)
        session.commit()
        return OrderRef(order.id, order.number, space.id, thread.id)


def make_campaign(server: LiveServer, brand_id: int, *,
                  kind: CampaignKind = CampaignKind.INFLUENCE, name: str | None = None,
                  product: str = "Trail runner") -> int:
    with server.db.write() as session:
        campaign = Campaign(brand_id=brand_id, name=name or f"Campaign {next(_numbers)}",
                            kind=kind.value, product=product, description="",
                            status=CampaignStatus.ACTIVE.value)
        session.add(campaign)
        session.commit()
        return campaign.id


def make_request(server: LiveServer, campaign_id: int, creator: Account, *,
                 state: RequestState = RequestState.PENDING) -> RequestRef:
    """A shipping request by ``creator`` in ``campaign_id``, with its thread."""
    with server.db.write() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        request = ShippingRequest(
            campaign_id=campaign_id, creator_id=creator.id, product=campaign.product,
            recipient_name="Robin Doe", address_line1="1 Main Street", city="Lyon",
            postal_code="69001", country="FR", state=state.value,
        )
        session.add(request)
        session.flush()
        thread = thread_for_request(session, request)
        session.commit()
        return RequestRef(request.id, campaign_id, thread.id)
