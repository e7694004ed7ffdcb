"""The shipping queue (DESIGN §2, shared/seeds/004): campaigns, creators' requests, the brand's
actions on them. Bulk actions and bulk messages are in ``services/shipping_bulk.py``.

Plain functions over a Session and the acting User, called by the HTTP routes and by the demo-data
generator alike. They never commit; they refuse by raising ``ApiError`` or the domain's rule errors
(``NotPermitted`` → 403, ``ShippingRuleError`` → 422). The rules themselves are in
``litdesk.domain.shipping``.

Decisions beyond the domain module
----------------------------------
* **Counts** (requests per state, open issues, overdue) are the brand's working figures: brand
  staff see them; creators, and the change feed (whose campaign rows every creator receives), get
  none. A client keeps its own counts from the requests it holds.
* **Gifted reviews with counted stock**: a request is approved on arrival, so arriving takes the
  unit an acceptance would; with none left the request is refused (422).
* **Cancelling a Ready to Ship request gives its unit back** (the parcel never left). Cancelling
  a Sent request through its open issue does not.
* **Reship restarts the three-day clock**: ``accepted_at`` becomes the time of the reship, so the
  new parcel has its own ship-by date; the old carrier and tracking number stay in the event log.
* **Order of refusals** for an action: not visible (404), wrong role (403), stale ``version``
  (409, with the current request), then cancelled campaign / illegal now / missing reason / no
  stock (422).
* **Locks** (PostgreSQL; SQLite writers are serialized already): a campaign row is locked before
  any of its requests, requests in id order, so concurrent actions, bulk actions and a campaign's
  cancellation cannot deadlock, and stock is never oversold. Actions that change the campaign's
  stock lock it for update; the others share it, and so only wait for a cancellation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from litdesk.domain.orders import NotPermitted, Role
from litdesk.domain.shipping import (
    SHIP_WITHIN,
    USES_STOCK,
    CampaignKind,
    CampaignStatus,
    IssueState,
    RequestSnapshot,
    RequestState,
    ShippingAction,
    ShippingRuleError,
    apply_shipping,
    cancels_with_campaign,
    initial_state,
    ship_by,
)
from litdesk.domain.wire import (
    CampaignIn,
    CampaignOut,
    ShippingActionIn,
    ShippingRequestIn,
    ShippingRequestOut,
)
from litdesk.server import changefeed
from litdesk.server.access import (
    campaign_audience,
    campaigns_visible_to,
    request_audience,
    require_role,
    visible_campaign,
    visible_request,
)
from litdesk.server.errors import ApiError, conflict
from litdesk.server.models import (
    Campaign,
    RequestEvent,
    ShippingRequest,
    Thread,
    User,
    utcnow,
)
from litdesk.server.services.threads import post_message, thread_for_request

# Chunk size for ``IN (...)`` lists: far below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 1000
# Actions that write the campaign row (its stock), so lock it for update rather than share it.
_WRITES_CAMPAIGN = USES_STOCK | {ShippingAction.CANCEL}
_CLOSED_STATES = (RequestState.REFUSED.value, RequestState.CANCELLED.value)


# --- output --------------------------------------------------------------------------------------

def _counts(session: Session, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per campaign: requests per state, open issues and overdue Ready to Ship requests."""
    counts = {cid: {s.value: 0 for s in RequestState} | {"issue_open": 0, "overdue": 0}
              for cid in campaign_ids}
    if not campaign_ids:
        return counts
    cutoff = utcnow() - SHIP_WITHIN
    overdue = func.sum(case((ShippingRequest.accepted_at < cutoff, 1), else_=0))
    for chunk in chunks(campaign_ids):
        rows = session.execute(
            select(ShippingRequest.campaign_id, ShippingRequest.state,
                   ShippingRequest.issue_state, func.count(), overdue)
            .where(ShippingRequest.campaign_id.in_(chunk))
            .group_by(ShippingRequest.campaign_id, ShippingRequest.state,
                      ShippingRequest.issue_state)
        ).all()
        for campaign_id, state, issue, n, late in rows:
            figures = counts[campaign_id]
            figures[state] = figures.get(state, 0) + n
            if issue == IssueState.OPEN.value:
                figures["issue_open"] += n
            if state == RequestState.READY_TO_SHIP.value:
                figures["overdue"] += int(late or 0)
    return counts


def campaigns_out(session: Session, campaigns: Sequence[Campaign], *,
                  with_counts: bool) -> list[CampaignOut]:
    counts = _counts(session, [c.id for c in campaigns]) if with_counts else {}
    return [
        CampaignOut(
            id=c.id, brand_id=c.brand_id, brand_name=c.brand.name, name=c.name,
            kind=CampaignKind(c.kind), product=c.product, description=c.description,
            status=CampaignStatus(c.status), stock=c.stock, created_at=c.created_at,
            cancelled_at=c.cancelled_at, version=c.version, counts=counts.get(c.id, {}),
        )
        for c in campaigns
    ]


def campaign_out(session: Session, campaign: Campaign, *, with_counts: bool) -> CampaignOut:
    return campaigns_out(session, [campaign], with_counts=with_counts)[0]


def campaigns_out_for(session: Session, user: User,
                      campaigns: Sequence[Campaign]) -> list[CampaignOut]:
    """The campaigns as ``user`` may see them: brand staff get the counts."""
    return campaigns_out(session, campaigns, with_counts=Role(user.role) is Role.BRAND_STAFF)


def campaign_out_for(session: Session, user: User, campaign: Campaign) -> CampaignOut:
    return campaigns_out_for(session, user, [campaign])[0]


def thread_ids(session: Session, request_ids: Iterable[int]) -> dict[int, int]:
    """Request id → its thread's id, for those that have one."""
    found: dict[int, int] = {}
    for chunk in chunks(list(request_ids)):
        for request_id, thread_id in session.execute(
            select(Thread.request_id, Thread.id).where(Thread.request_id.in_(chunk))
        ):
            if request_id is not None:
                found[request_id] = thread_id
    return found


def request_out(session: Session, request: ShippingRequest,
                thread_id: int | None = None) -> ShippingRequestOut:
    if thread_id is None:
        thread_id = thread_ids(session, [request.id]).get(request.id)
    return ShippingRequestOut(
        id=request.id, campaign_id=request.campaign_id, creator_id=request.creator_id,
        creator_name=request.creator.name, creator_handle=request.creator.handle,
        product=request.product, variant=request.variant,
        recipient_name=request.recipient_name, address_line1=request.address_line1,
        address_line2=request.address_line2, city=request.city,
        postal_code=request.postal_code, region=request.region, country=request.country,
        phone=request.phone, state=RequestState(request.state),
        issue_state=IssueState(request.issue_state), issue_reason=request.issue_reason,
        issue_reported_at=request.issue_reported_at, refused_reason=request.refused_reason,
        cancelled_reason=request.cancelled_reason, requested_at=request.requested_at,
        accepted_at=request.accepted_at,
        ship_by=ship_by(request.accepted_at) if request.accepted_at is not None else None,
        shipped_at=request.shipped_at, carrier=request.carrier,
        tracking_number=request.tracking_number, reship_count=request.reship_count,
        thread_id=thread_id, updated_at=request.updated_at, version=request.version,
    )


def requests_out(session: Session, requests: Sequence[ShippingRequest]
                 ) -> list[ShippingRequestOut]:
    threads = thread_ids(session, [r.id for r in requests])
    return [request_out(session, r, threads.get(r.id)) for r in requests]


def record_campaign(session: Session, campaign: Campaign) -> None:
    changefeed.record(session, "campaign", campaign.id,
                      lambda: (campaign_out(session, campaign, with_counts=False)
                               .model_dump(mode="json"), campaign_audience(campaign)))


def record_request(session: Session, request: ShippingRequest) -> None:
    changefeed.record(session, "request", request.id,
                      lambda: (request_out(session, request).model_dump(mode="json"),
                               request_audience(request)))


# --- locking -------------------------------------------------------------------------------------

def lock_campaign(session: Session, campaign_id: int, *, write: bool) -> Campaign:
    """The campaign, re-read under a row lock (shared unless ``write``) on PostgreSQL."""
    return session.execute(
        select(Campaign).where(Campaign.id == campaign_id)
        .with_for_update(read=not write, of=Campaign)
        .execution_options(populate_existing=True)
    ).unique().scalar_one()


def lock_requests(session: Session, request_ids: Iterable[int]) -> dict[int, ShippingRequest]:
    """The requests, re-read under row locks taken in id order. Lock their campaigns first."""
    found: dict[int, ShippingRequest] = {}
    for chunk in chunks(sorted(set(request_ids))):
        for request in session.execute(
            select(ShippingRequest).where(ShippingRequest.id.in_(chunk))
            .order_by(ShippingRequest.id)
            .with_for_update(of=ShippingRequest)
            .execution_options(populate_existing=True)
        ).unique().scalars():
            found[request.id] = request
    return found


def writes_campaign(action: ShippingAction) -> bool:
    return action in _WRITES_CAMPAIGN


# --- campaigns -----------------------------------------------------------------------------------

def create_campaign(session: Session, user: User, body: CampaignIn) -> Campaign:
    require_role(user, Role.BRAND_STAFF)
    if user.brand_id is None:  # pragma: no cover - accounts.create_user refuses this
        raise ApiError(403, "not_allowed", "Your account belongs to no brand.")
    campaign = Campaign(
        brand_id=user.brand_id, name=body.name.strip(), kind=body.kind.value,
        product=body.product.strip(), description=body.description,
        status=CampaignStatus.ACTIVE.value, stock=body.stock, created_at=utcnow(),
    )
    if not campaign.name or not campaign.product:
        raise ApiError(422, "invalid", "A campaign needs a name and a product.")
    session.add(campaign)
    session.flush()
    record_campaign(session, campaign)
    return campaign


def list_campaigns(session: Session, user: User) -> list[Campaign]:
    """Brand staff: their brand's campaigns. Creators: active ones and those they requested."""
    require_role(user, Role.BRAND_STAFF, Role.CREATOR)
    return list(session.execute(
        campaigns_visible_to(user).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ).unique().scalars())


def get_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    require_role(user, Role.BRAND_STAFF, Role.CREATOR)
    return visible_campaign(session, user, campaign_id)


def cancel_campaign(session: Session, user: User, campaign_id: int, reason: str) -> Campaign:
    """Cancel the campaign and every request not yet sent; each creator is told in their thread."""
    require_role(user, Role.BRAND_STAFF)
    reason = reason.strip()
    if not reason:
        raise ShippingRuleError("Cancelling a campaign needs a reason.")
    visible_campaign(session, user, campaign_id)
    campaign = lock_campaign(session, campaign_id, write=True)
    if campaign.status != CampaignStatus.ACTIVE.value:
        raise ShippingRuleError(f"The campaign “{campaign.name}” is already cancelled.")
    now = utcnow()
    campaign.status = CampaignStatus.CANCELLED.value
    campaign.cancelled_at = now
    open_ids = session.execute(
        select(ShippingRequest.id).where(
            ShippingRequest.campaign_id == campaign.id,
            ShippingRequest.state.in_([s.value for s in RequestState
                                       if cancels_with_campaign(s)]))
    ).scalars().all()
    for request in lock_requests(session, open_ids).values():
        before = RequestState(request.state)
        if not cancels_with_campaign(before):
            continue  # pragma: no cover - sent meanwhile (the rows were re-read under lock)
        request.state = RequestState.CANCELLED.value
        request.cancelled_reason = reason
        request.updated_at = now
        _event(session, request, user, "cancel", before, RequestState.CANCELLED,
               f"Campaign cancelled: {reason}", now)
        post_message(session, thread_for_request(session, request), None,
                     f"The campaign “{campaign.name}” was cancelled, and your request for "
                     f"{_product(request)} with it. Reason: {reason}")
        record_request(session, request)
    session.flush()
    record_campaign(session, campaign)
    return campaign


# --- requests ------------------------------------------------------------------------------------

def create_request(session: Session, user: User, campaign_id: int,
                   body: ShippingRequestIn) -> ShippingRequest:
    """A creator asks for the campaign's product. One open request per creator and campaign."""
    require_role(user, Role.CREATOR)
    country = body.country.strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ApiError(422, "invalid", "country: use the two-letter ISO 3166-1 code.")
    visible_campaign(session, user, campaign_id)
    # Locking the campaign for update also serializes one creator's duplicate submissions.
    campaign = lock_campaign(session, campaign_id, write=True)
    if campaign.status != CampaignStatus.ACTIVE.value:
        raise ShippingRuleError(f"The campaign “{campaign.name}” was cancelled; it takes no new "
                                "requests.")
    existing = session.execute(
        select(ShippingRequest).where(ShippingRequest.campaign_id == campaign.id,
                                      ShippingRequest.creator_id == user.id,
                                      ShippingRequest.state.not_in(_CLOSED_STATES))
        .order_by(ShippingRequest.id).limit(1)
    ).unique().scalar_one_or_none()
    if existing is not None:
        raise conflict("You already have an open request on this campaign.",
                       request_out(session, existing).model_dump(mode="json"))
    state = initial_state(CampaignKind(campaign.kind))
    approved = state is RequestState.READY_TO_SHIP
    if approved and campaign.stock is not None:
        if campaign.stock <= 0:
            raise ShippingRuleError(f"The campaign “{campaign.name}” has no stock left.")
        campaign.stock -= 1
        record_campaign(session, campaign)
    now = utcnow()
    request = ShippingRequest(
        campaign=campaign, creator=user, product=campaign.product, variant=body.variant.strip(),
        recipient_name=body.recipient_name.strip(), address_line1=body.address_line1.strip(),
        address_line2=body.address_line2.strip(), city=body.city.strip(),
        postal_code=body.postal_code.strip(), region=body.region.strip(), country=country,
        phone=body.phone.strip(), state=state.value, issue_state=IssueState.NONE.value,
        issue_reason="", refused_reason="", cancelled_reason="", requested_at=now,
        accepted_at=now if approved else None, carrier="", tracking_number="",
        reship_count=0, updated_at=now,
    )
    session.add(request)
    session.flush()
    _event(session, request, user, "requested", None, state,
           "Approved on arrival (gifted review)." if approved else "", now)
    thread_for_request(session, request)
    record_request(session, request)
    return request


def act(session: Session, user: User, request_id: int, body: ShippingActionIn | ShippingAction,
        *, reason: str | None = None, carrier: str | None = None,
        tracking_number: str | None = None) -> ShippingRequest:
    """Take an action on one request (:func:`apply_action` says what each one records).

    ``body`` is the wire body, or just the action with its inputs as keywords (the demo-data
    generator's way); the keywords are validated as the body would be.
    """
    if isinstance(body, ShippingAction):
        body = ShippingActionIn(action=body, reason=reason, carrier=carrier,
                                tracking_number=tracking_number)
    require_role(user, Role.BRAND_STAFF, Role.CREATOR)
    found = visible_request(session, user, request_id)
    campaign = lock_campaign(session, found.campaign_id, write=writes_campaign(body.action))
    request = lock_requests(session, [found.id])[found.id]
    apply_action(session, user, request, campaign, body.action, reason=body.reason,
                 carrier=body.carrier, tracking_number=body.tracking_number,
                 version=body.version)
    return request


def apply_action(session: Session, user: User, request: ShippingRequest, campaign: Campaign,
                 action: ShippingAction, *, reason: str | None, carrier: str | None,
                 tracking_number: str | None, version: int | None) -> None:
    """Apply ``action`` to a request already visible to ``user`` and locked (with its campaign).

    Records the new state and its timestamps, a request event, the change-feed rows, and for
    refuse, cancel, reship and a reported problem a LitDesk notice in the request's thread.
    """
    before = RequestSnapshot(RequestState(request.state), IssueState(request.issue_state))
    reason = (reason or "").strip()
    refusal: ShippingRuleError | None = None
    try:
        after = apply_shipping(before, action, Role(user.role), {"reason": reason},
                               stock=campaign.stock)
    except NotPermitted:
        raise
    except ShippingRuleError as exc:
        refusal = exc
    if version is not None and version != request.version:
        raise conflict("This request changed since you last saw it.",
                       request_out(session, request).model_dump(mode="json"))
    if campaign.status != CampaignStatus.ACTIVE.value:
        raise ShippingRuleError(f"The campaign “{campaign.name}” was cancelled; its requests "
                                "take no more actions.")
    if refusal is not None:
        raise refusal

    now = utcnow()
    note = reason
    notice: str | None = None
    product = _product(request)
    match action:
        case ShippingAction.ACCEPT:
            request.accepted_at = now
        case ShippingAction.REFUSE:
            request.refused_reason = reason
            notice = f"Your request for {product} was not accepted. Reason: {reason}"
        case ShippingAction.SHIP:
            request.shipped_at = now
            request.carrier = (carrier or "").strip()
            request.tracking_number = normalise_tracking(tracking_number)
            note = " ".join(p for p in (request.carrier, request.tracking_number) if p)
        case ShippingAction.REPORT_ISSUE:
            request.issue_reason = reason
            request.issue_reported_at = now
            notice = f"{request.creator.name} reported a shipping problem: {reason}"
        case ShippingAction.RESHIP:
            old = " ".join(p for p in (request.carrier, request.tracking_number) if p)
            note = f"Previous parcel: {old or 'no tracking'}." + (f" {reason}" if reason else "")
            request.carrier = ""
            request.tracking_number = ""
            request.shipped_at = None
            request.accepted_at = now  # the new parcel has three days of its own
            request.reship_count += 1
            notice = f"A new parcel of {product} will be sent to you."
        case ShippingAction.CANCEL:
            request.cancelled_reason = reason
            if before.state is RequestState.READY_TO_SHIP and campaign.stock is not None:
                campaign.stock += 1  # the parcel never left: its unit is free again
                record_campaign(session, campaign)
            notice = f"Your request for {product} was cancelled." + (
                f" Reason: {reason}" if reason else "")
        case ShippingAction.MARK_SOLVED:
            pass
    if action in USES_STOCK and campaign.stock is not None:
        campaign.stock -= 1
        record_campaign(session, campaign)
    request.state = after.state.value
    request.issue_state = after.issue.value
    request.updated_at = now
    _event(session, request, user, action.value, before.state, after.state, note, now)
    if notice is not None:
        post_message(session, thread_for_request(session, request), None, notice)
    session.flush()
    record_request(session, request)


def normalise_tracking(value: str | None) -> str:
    """Tracking numbers are compared as typed on the label: no spaces, upper case."""
    return "".join((value or "").split()).upper()


def _product(request: ShippingRequest) -> str:
    return f"{request.product} ({request.variant})" if request.variant else request.product


def _event(session: Session, request: ShippingRequest, user: User | None, action: str,
           from_state: RequestState | None, to_state: RequestState, note: str,
           at: datetime) -> RequestEvent:
    event = RequestEvent(request_id=request.id, actor_id=user.id if user else None,
                         action=action, from_state=from_state.value if from_state else None,
                         to_state=to_state.value, note=note, created_at=at)
    session.add(event)
    return event


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """``ids`` in slices short enough for an ``IN (...)`` list."""
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
