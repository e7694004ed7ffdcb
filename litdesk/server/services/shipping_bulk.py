"""Bulk work on the shipping queue: one action on many requests, one message to many creators.

Every item is applied in its own SAVEPOINT, so an item that fails leaves the others applied, and
answers in the one error shape (``code``, ``message``, ``details``). An ``atomic`` batch runs inside
one more savepoint that is rolled back as soon as the batch is over if any item failed: nothing is
applied, and the results still say which items failed and why (the others: ``not_applied``).
Requests the caller cannot see fail with ``not_found``, exactly like a single action.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from litdesk.domain.orders import OrderRuleError, Role
from litdesk.domain.shipping import SHIPPING_ROLES
from litdesk.domain.wire import (
    BulkItemResult,
    BulkMessageIn,
    BulkResult,
    BulkShippingIn,
    ErrorOut,
)
from litdesk.server.access import requests_visible_to, require_role
from litdesk.server.errors import ApiError, conflict, from_rule, not_found
from litdesk.server.models import ShippingRequest, User
from litdesk.server.services.shipping import (
    apply_action,
    chunks,
    lock_campaign,
    lock_requests,
    request_out,
    thread_ids,
    writes_campaign,
)
from litdesk.server.services.threads import post_message, thread_for_request

_NOT_APPLIED = ErrorOut(code="not_applied",
                        message="Not applied: the batch is all or nothing and another item failed.")


def visible_requests(session: Session, user: User,
                     request_ids: list[int]) -> dict[int, ShippingRequest]:
    """The requests among ``request_ids`` that ``user`` may see, by id (not locked)."""
    found: dict[int, ShippingRequest] = {}
    for chunk in chunks(sorted(set(request_ids))):
        for request in session.execute(
            requests_visible_to(user).where(ShippingRequest.id.in_(chunk))
        ).unique().scalars():
            found[request.id] = request
    return found


def bulk_act(session: Session, user: User, body: BulkShippingIn) -> BulkResult:
    """Apply ``body.action`` to each item; one result per item, in the order given."""
    require_role(user, SHIPPING_ROLES[body.action])
    visible = visible_requests(session, user, [item.id for item in body.items])
    # Campaigns first, then requests, each in id order: the order every writer locks in.
    campaigns = {cid: lock_campaign(session, cid, write=writes_campaign(body.action))
                 for cid in sorted({r.campaign_id for r in visible.values()})}
    requests = lock_requests(session, visible)
    threads = thread_ids(session, requests)

    batch = session.begin_nested() if body.atomic else None
    results: list[BulkItemResult] = []
    for item in body.items:
        request = requests.get(item.id)
        if request is None:
            results.append(_failed(item.id, not_found("shipping request")))
            continue
        try:
            with session.begin_nested():
                apply_action(session, user, request, campaigns[request.campaign_id],
                             body.action, reason=body.reason, carrier=item.carrier,
                             tracking_number=item.tracking_number, version=item.version)
        except (ApiError, OrderRuleError) as exc:
            results.append(_failed(item.id, exc))
            continue
        except StaleDataError:  # pragma: no cover - the rows are locked; a safety net only
            results.append(_failed(item.id, conflict("This request changed meanwhile.")))
            continue
        results.append(BulkItemResult(id=item.id, ok=True,
                                      request=request_out(session, request,
                                                          threads.get(request.id))))

    failed = sum(1 for r in results if not r.ok)
    if batch is not None and failed:
        batch.rollback()
        results = [r if not r.ok else BulkItemResult(id=r.id, ok=False, error=_NOT_APPLIED)
                   for r in results]
        return BulkResult(applied=0, failed=failed, results=results)
    if batch is not None:
        batch.commit()
    return BulkResult(applied=len(results) - failed, failed=failed, results=results)


def bulk_message(session: Session, user: User, body: BulkMessageIn) -> BulkResult:
    """Brand staff send one text to the thread of each selected request (say, a stock problem).

    Repeated ids are sent to once; the results follow the first occurrence of each id.
    """
    require_role(user, Role.BRAND_STAFF)
    text = body.text.strip()
    if not text:
        raise ApiError(422, "invalid", "text: the message is empty.")
    ids = list(dict.fromkeys(body.request_ids))
    visible = visible_requests(session, user, ids)
    results: list[BulkItemResult] = []
    for request_id in ids:
        request = visible.get(request_id)
        if request is None:
            results.append(_failed(request_id, not_found("shipping request")))
            continue
        post_message(session, thread_for_request(session, request), user, text)
        results.append(BulkItemResult(id=request_id, ok=True))
    failed = sum(1 for r in results if not r.ok)
    return BulkResult(applied=len(results) - failed, failed=failed, results=results)


def _failed(item_id: int, exc: ApiError | OrderRuleError) -> BulkItemResult:
    api = exc if isinstance(exc, ApiError) else from_rule(exc)
    return BulkItemResult(id=item_id, ok=False,
                          error=ErrorOut(code=api.code, message=api.message, details=api.details))
