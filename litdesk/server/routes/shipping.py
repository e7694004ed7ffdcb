"""Shipping endpoints: campaigns, creators' requests, the brand's queue and its bulk actions.
The work happens in ``services/shipping*.py``; these only translate HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from litdesk.domain.shipping import IssueState, RequestState
from litdesk.domain.wire import (
    ID_MAX,
    BulkMessageIn,
    BulkResult,
    BulkShippingIn,
    CampaignCancelIn,
    CampaignIn,
    CampaignOut,
    ErrorOut,
    RequestPage,
    RequestSort,
    ShippingActionIn,
    ShippingRequestDetailOut,
    ShippingRequestIn,
    ShippingRequestOut,
)
from litdesk.server.context import Read, Write
from litdesk.server.services import shipping as service
from litdesk.server.services import shipping_bulk, shipping_queries

router = APIRouter(tags=["shipping"])


CampaignId = Annotated[int, Path(ge=1, le=ID_MAX, description="The campaign's id.")]
RequestId = Annotated[int, Path(ge=1, le=ID_MAX, description="The shipping request's id.")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in (401, *codes)}


def _write_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    # 400: a body that is not text at all; 409 and 422 also come from the Idempotency-Key (a
    # request with the same key still running; a key reused for a different request).
    return _errors(400, 409, 422, *codes)


# --- campaigns -----------------------------------------------------------------------------------

@router.get("/campaigns", response_model=list[CampaignOut], responses=_errors(403))
def get_campaigns(ctx: Read) -> list[CampaignOut]:
    """Brand staff: their brand's campaigns, with counts. Creators: the active campaigns to
    request from, and those they have requested from."""
    campaigns = service.list_campaigns(ctx.session, ctx.user)
    return service.campaigns_out_for(ctx.session, ctx.user, campaigns)


@router.post("/campaigns", status_code=201, response_model=CampaignOut,
             responses=_write_errors(403))
def post_campaign(body: CampaignIn, ctx: Write) -> Response:
    """Launch a campaign (brand staff). ``stock`` left out means the stock is not counted."""
    campaign = service.create_campaign(ctx.session, ctx.user, body)
    return ctx.done(service.campaign_out_for(ctx.session, ctx.user, campaign), 201)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut,
            responses=_errors(403, 404, 422))
def get_campaign(campaign_id: CampaignId, ctx: Read) -> CampaignOut:
    campaign = service.get_campaign(ctx.session, ctx.user, campaign_id)
    return service.campaign_out_for(ctx.session, ctx.user, campaign)


@router.post("/campaigns/{campaign_id}/cancel", response_model=CampaignOut,
             responses=_write_errors(403, 404))
def post_campaign_cancel(campaign_id: CampaignId, body: CampaignCancelIn, ctx: Write) -> Response:
    """Cancel the campaign (brand staff). Every request not yet sent is cancelled with the reason,
    and its creator is told in the request's thread. A cancelled campaign takes nothing more."""
    campaign = service.cancel_campaign(ctx.session, ctx.user, campaign_id, body.reason)
    return ctx.done(service.campaign_out_for(ctx.session, ctx.user, campaign))


@router.post("/campaigns/{campaign_id}/requests", status_code=201,
             response_model=ShippingRequestOut, responses=_write_errors(403, 404))
def post_request(campaign_id: CampaignId, body: ShippingRequestIn, ctx: Write) -> Response:
    """A creator requests the campaign's product. Influence campaigns start Pending; gifted
    reviews are approved on arrival (Ready to Ship). One open request per creator and campaign
    (409 with the existing one)."""
    request = service.create_request(ctx.session, ctx.user, campaign_id, body)
    return ctx.done(service.request_out(ctx.session, request), 201)


# --- requests ------------------------------------------------------------------------------------

@router.get("/requests", response_model=RequestPage, responses=_errors(403, 422))
def get_requests(
    ctx: Read,
    campaign_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
    state: Annotated[list[RequestState] | None,
                     Query(description="Repeat for several states.")] = None,
    issue: Annotated[IssueState | None,
                     Query(description="'open' for requests with a shipping problem.")] = None,
    overdue: Annotated[bool | None,
                       Query(description="Ready to Ship for more than three days.")] = None,
    q: Annotated[str | None, Query(max_length=200, description=(
        "Search creator name and handle, recipient, product, variant and tracking number."
    ))] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
    sort: RequestSort = RequestSort.REQUESTED,
) -> RequestPage:
    """Brand staff: their brand's requests. Creators: their own."""
    filters = shipping_queries.RequestFilter(
        campaign_id=campaign_id, states=tuple(state or ()), issue=issue, overdue=overdue, q=q)
    return shipping_queries.list_requests(ctx.session, ctx.user, filters, limit=limit,
                                          offset=offset, sort=sort)


@router.get("/requests/{request_id}", response_model=ShippingRequestDetailOut,
            responses=_errors(403, 404, 422))
def get_request(request_id: RequestId, ctx: Read) -> ShippingRequestDetailOut:
    """One request with its events and the actions the caller may take now."""
    return shipping_queries.request_detail(ctx.session, ctx.user, request_id)


@router.post("/requests/bulk", response_model=BulkResult, responses=_write_errors(403))
def post_bulk(body: BulkShippingIn, ctx: Write) -> Response:
    """One action on many requests, each applied or refused on its own (one result per item).
    With ``atomic`` nothing is applied unless every item can be. ``carrier`` and
    ``tracking_number`` are per item (for ``ship``); ``reason`` is for all."""
    return ctx.done(shipping_bulk.bulk_act(ctx.session, ctx.user, body))


@router.post("/requests/bulk-message", response_model=BulkResult, responses=_write_errors(403))
def post_bulk_message(body: BulkMessageIn, ctx: Write) -> Response:
    """Brand staff send one message to the thread of each selected request."""
    return ctx.done(shipping_bulk.bulk_message(ctx.session, ctx.user, body))


@router.post("/requests/{request_id}/actions", response_model=ShippingRequestOut,
             responses=_write_errors(403, 404))
def post_action(request_id: RequestId, body: ShippingActionIn, ctx: Write) -> Response:
    """Accept, refuse, ship (carrier and tracking number optional), report a shipping problem
    (the creator), reship, cancel, or mark the problem solved. A stale ``version`` answers 409
    with the current request."""
    request = service.act(ctx.session, ctx.user, request_id, body)
    return ctx.done(service.request_out(ctx.session, request))
