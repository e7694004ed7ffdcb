"""Reading the shipping queue: the filtered, sorted, paged list and one request's detail."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from litdesk.domain.orders import Role
from litdesk.domain.shipping import (
    SHIP_WITHIN,
    USES_STOCK,
    CampaignStatus,
    IssueState,
    RequestSnapshot,
    RequestState,
    ShippingAction,
    allowed_shipping_actions,
)
from litdesk.domain.wire import (
    RequestEventOut,
    RequestPage,
    RequestSort,
    ShippingRequestDetailOut,
)
from litdesk.server.access import requests_visible_to, require_role, visible_request
from litdesk.server.errors import ApiError
from litdesk.server.models import RequestEvent, ShippingRequest, User, utcnow
from litdesk.server.services.shipping import request_out, requests_out


@dataclass(frozen=True)
class RequestFilter:
    campaign_id: int | None = None
    states: tuple[RequestState, ...] = ()
    issue: IssueState | None = None
    overdue: bool | None = None
    q: str | None = None


def list_requests(session: Session, user: User, filters: RequestFilter, *,
                  limit: int = 100, offset: int = 0,
                  sort: RequestSort = RequestSort.REQUESTED) -> RequestPage:
    """The requests ``user`` may see, filtered, sorted and paged."""
    require_role(user, Role.BRAND_STAFF, Role.CREATOR)
    query = requests_visible_to(user)
    if filters.campaign_id is not None:
        query = query.where(ShippingRequest.campaign_id == filters.campaign_id)
    if filters.states:
        query = query.where(ShippingRequest.state.in_([s.value for s in filters.states]))
    if filters.issue is not None:
        query = query.where(ShippingRequest.issue_state == filters.issue.value)
    if filters.overdue is not None:
        late = ((ShippingRequest.state == RequestState.READY_TO_SHIP.value)
                & (ShippingRequest.accepted_at < utcnow() - SHIP_WITHIN))
        query = query.where(late if filters.overdue else ~late)
    needle = (filters.q or "").strip().lower()
    if "\x00" in needle or not _encodable(needle):
        raise ApiError(422, "invalid", "q: not text that can be searched for.")
    by_creator = sort in (RequestSort.CREATOR, RequestSort.CREATOR_DESC)
    if needle or by_creator:
        query = query.join(User, User.id == ShippingRequest.creator_id)
    if needle:
        texts = (User.name, func.coalesce(User.handle, ""), ShippingRequest.product,
                 ShippingRequest.variant, ShippingRequest.recipient_name)
        compact = "".join(needle.split())  # tracking numbers are stored without spaces
        query = query.where(or_(
            *(func.lower(t).contains(needle, autoescape=True) for t in texts),
            func.lower(ShippingRequest.tracking_number).contains(compact, autoescape=True),
        ))
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    column = {
        "requested_at": ShippingRequest.requested_at, "accepted_at": ShippingRequest.accepted_at,
        "shipped_at": ShippingRequest.shipped_at, "updated_at": ShippingRequest.updated_at,
        "creator_name": User.name, "id": ShippingRequest.id,
    }[sort.value.lstrip("-")]
    descending = sort.value.startswith("-")
    order = (column.desc() if descending else column.asc()).nulls_last()
    tiebreak = ShippingRequest.id.desc() if descending else ShippingRequest.id.asc()
    rows = list(session.execute(
        query.order_by(order, tiebreak).limit(limit).offset(offset)
    ).unique().scalars())
    return RequestPage(items=requests_out(session, rows), total=total, offset=offset,
                       limit=limit)


def request_detail(session: Session, user: User, request_id: int) -> ShippingRequestDetailOut:
    """One request with its event log and what the caller may do with it now."""
    require_role(user, Role.BRAND_STAFF, Role.CREATOR)
    request = visible_request(session, user, request_id)
    rows = session.execute(
        select(RequestEvent, User.name).outerjoin(User, User.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
    ).all()
    events = [
        RequestEventOut(
            id=e.id, request_id=e.request_id, actor_id=e.actor_id, actor_name=name or "LitDesk",
            action=e.action, from_state=RequestState(e.from_state) if e.from_state else None,
            to_state=RequestState(e.to_state) if e.to_state else None, note=e.note,
            created_at=e.created_at,
        )
        for e, name in rows
    ]
    return ShippingRequestDetailOut(
        **request_out(session, request).model_dump(),
        events=events, allowed_actions=allowed_now(request, Role(user.role)),
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def allowed_now(request: ShippingRequest, role: Role) -> list[ShippingAction]:
    """The actions ``role`` may take on ``request`` now, stock and campaign status included."""
    campaign = request.campaign
    if campaign.status != CampaignStatus.ACTIVE.value:
        return []
    snapshot = RequestSnapshot(RequestState(request.state), IssueState(request.issue_state))
    out_of_stock = campaign.stock is not None and campaign.stock <= 0
    return [a for a in allowed_shipping_actions(snapshot, role)
            if not (out_of_stock and a in USES_STOCK)]


