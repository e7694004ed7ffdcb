"""Who may see what. Every endpoint finds objects through these functions, so someone else's
object is simply not found (404) and nothing about it leaks.

* An influencer sees the orders on their own spaces; an advertiser the orders they placed;
  mediators (the platform's mediation team) see every order.
* Brand staff see their brand's campaigns and those campaigns' requests; a creator sees their own
  requests and the active campaigns they may request from.
"""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from litdesk.domain.orders import Role
from litdesk.domain.shipping import CampaignStatus
from litdesk.server.changefeed import Audience
from litdesk.server.errors import ApiError, not_found
from litdesk.server.models import Campaign, Order, ShippingRequest, User


def orders_visible_to(user: User) -> Select[Order]:
    query = select(Order)
    match Role(user.role):
        case Role.INFLUENCER:
            return query.where(Order.influencer_id == user.id)
        case Role.ADVERTISER:
            return query.where(Order.advertiser_id == user.id)
        case Role.MEDIATOR:
            return query
        case _:
            return query.where(false())


def visible_order(session: Session, user: User, order_id: int, *,
                  for_update: bool = False) -> Order:
    query = orders_visible_to(user).where(Order.id == order_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Order)
    order = session.execute(query).unique().scalar_one_or_none()
    if order is None:
        raise not_found("order")
    return order


def order_audience(order: Order) -> Audience:
    return Audience(user_a=order.influencer_id, user_b=order.advertiser_id,
                    public_to_role=Role.MEDIATOR.value)


def campaigns_visible_to(user: User) -> Select[Campaign]:
    query = select(Campaign)
    match Role(user.role):
        case Role.BRAND_STAFF:
            return query.where(Campaign.brand_id == user.brand_id)
        case Role.CREATOR:
            mine = select(ShippingRequest.campaign_id).where(ShippingRequest.creator_id == user.id)
            return query.where(or_(Campaign.status == CampaignStatus.ACTIVE.value,
                                   Campaign.id.in_(mine)))
        case _:
            return query.where(false())


def visible_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    campaign = session.execute(
        campaigns_visible_to(user).where(Campaign.id == campaign_id)
    ).unique().scalar_one_or_none()
    if campaign is None:
        raise not_found("campaign")
    return campaign


def campaign_audience(campaign: Campaign) -> Audience:
    return Audience(brand_id=campaign.brand_id, public_to_role=Role.CREATOR.value)


def requests_visible_to(user: User) -> Select[ShippingRequest]:
    query = select(ShippingRequest)
    match Role(user.role):
        case Role.BRAND_STAFF:
            return query.join(Campaign, ShippingRequest.campaign_id == Campaign.id).where(
                Campaign.brand_id == user.brand_id)
        case Role.CREATOR:
            return query.where(ShippingRequest.creator_id == user.id)
        case _:
            return query.where(false())


def visible_request(session: Session, user: User, request_id: int) -> ShippingRequest:
    found = session.execute(
        requests_visible_to(user).where(ShippingRequest.id == request_id)
    ).unique().scalar_one_or_none()
    if found is None:
        raise not_found("shipping request")
    return found


def request_audience(request: ShippingRequest) -> Audience:
    return Audience(user_a=request.creator_id, brand_id=request.campaign.brand_id)


def require_role(user: User, *roles: Role) -> Role:
    """Refuse (403) a caller whose role may never use this endpoint."""
    role = Role(user.role)
    if role not in roles:
        names = " or ".join(r.value.replace("_", " ") for r in roles)
        raise ApiError(403, "not_allowed", f"Only {names} accounts can do this.")
    return role
