"""Orders endpoints: spaces, the order list and detail, placing, transitions, paying, ratings and
the metrics survey. The work happens in ``services/orders*.py``; these only translate HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from litdesk.domain.orders import OrderStatus
from litdesk.domain.wire import (
    ID_MAX,
    ErrorOut,
    OrderDetailOut,
    OrderOut,
    OrderPage,
    OrderSort,
    PayIn,
    PlaceOrderIn,
    RatingIn,
    RatingOut,
    SpaceIn,
    SpaceOut,
    SurveyIn,
    SurveyOut,
    TransitionIn,
)
from litdesk.server.access import visible_order
from litdesk.server.context import Read, Write
from litdesk.server.services import order_feedback, order_queries
from litdesk.server.services import orders as service

router = APIRouter(tags=["orders"])


OrderId = Annotated[int, Path(ge=1, le=ID_MAX, description="The order's id.")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in sorted({401, *codes})}


# 400: FastAPI answers so when a JSON body is not valid UTF-8 (other malformed JSON is 422).
_WRITE_ERRORS = _errors(400, 403, 404, 409, 422)


# --- spaces --------------------------------------------------------------------------------------

@router.get("/spaces", response_model=list[SpaceOut], responses=_errors(403))
def get_spaces(ctx: Read) -> list[SpaceOut]:
    """An influencer's own spaces; for advertisers (and mediators) every space to order from."""
    return [SpaceOut.model_validate(s) for s in service.list_spaces(ctx.session, ctx.user)]


@router.post("/spaces", status_code=201, response_model=SpaceOut,
             responses=_errors(400, 403, 409, 422))
def post_space(body: SpaceIn, ctx: Write) -> Response:
    """Offer a new space (influencers only)."""
    space = service.create_space(ctx.session, ctx.user, body)
    return ctx.done(SpaceOut.model_validate(space), 201)


# --- orders --------------------------------------------------------------------------------------

@router.get("/orders", response_model=OrderPage, responses=_errors(422))
def get_orders(
    ctx: Read,
    status: Annotated[list[OrderStatus] | None, Query(
        description="Only orders in these statuses (repeat the parameter for several).")] = None,
    q: Annotated[str | None, Query(
        max_length=200, pattern=r"^[^\x00]*$",
        description="Text in the order number, brief, space title or either party's name "
                    "(case-insensitive).")] = None,
    needs_action: Annotated[bool | None, Query(
        description="true: only orders whose next move is the caller's; false: the others.",
    )] = None,
    sort: Annotated[OrderSort, Query()] = OrderSort.CREATED_DESC,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
) -> OrderPage:
    """The caller's orders (all orders for mediators), filtered, sorted and paged."""
    return order_queries.list_orders(
        ctx.session, ctx.user, statuses=status or (), q=q, needs_action=needs_action,
        sort=sort, limit=limit, offset=offset)


@router.get("/orders/{order_id}", response_model=OrderDetailOut, responses=_errors(404, 422))
def get_order(order_id: OrderId, ctx: Read) -> OrderDetailOut:
    """One order with its events log, ratings, survey, and what the caller may and should do."""
    order = visible_order(ctx.session, ctx.user, order_id)
    return order_queries.order_detail(ctx.session, order, ctx.role)


@router.post("/orders", status_code=201, response_model=OrderOut, responses=_WRITE_ERRORS)
def post_order(body: PlaceOrderIn, ctx: Write) -> Response:
    """Place an order on a space (advertisers only). It starts Pending, with its message thread
    holding ``first_message`` if one is given. An unknown space answers 404."""
    order = service.place_order(ctx.session, ctx.user, body)
    return ctx.done(service.order_out(ctx.session, order), 201)


@router.post("/orders/{order_id}/transitions", response_model=OrderOut,
             responses=_WRITE_ERRORS)
def post_transition(order_id: OrderId, body: TransitionIn, ctx: Write) -> Response:
    """Take an action on the order. 409: ``version`` is stale (``details.current`` holds the
    order now). 403: the caller's role may never take this action. 422: not from the current
    status, or a required input is missing."""
    order = service.transition(ctx.session, ctx.user, order_id, body)
    return ctx.done(service.order_out(ctx.session, order))


@router.post("/orders/{order_id}/pay", response_model=OrderOut, responses=_WRITE_ERRORS)
def post_payment(order_id: OrderId, body: PayIn, ctx: Write) -> Response:
    """Pay for the order (the advertiser, in Payment Required or Uncollectable). A declined
    payment still answers 200: the order is then Uncollectable, and its events log says why."""
    order = service.pay(ctx.session, ctx.user, order_id, body, ctx.state.payments)
    return ctx.done(service.order_out(ctx.session, order))


@router.post("/orders/{order_id}/ratings", status_code=201, response_model=RatingOut,
             responses=_WRITE_ERRORS)
def post_rating(order_id: OrderId, body: RatingIn, ctx: Write) -> Response:
    """Rate the collaboration, once per party, after completion (422 before, 409 the second
    time)."""
    rating = order_feedback.rate(ctx.session, ctx.user, order_id, body)
    return ctx.done(order_feedback.rating_out(rating), 201)


@router.post("/orders/{order_id}/survey", status_code=201, response_model=SurveyOut,
             responses=_WRITE_ERRORS)
def post_survey(order_id: OrderId, body: SurveyIn, ctx: Write) -> Response:
    """The advertiser's established-metrics survey, once, after completion."""
    survey = order_feedback.submit_survey(ctx.session, ctx.user, order_id, body)
    return ctx.done(order_feedback.survey_out(survey), 201)
