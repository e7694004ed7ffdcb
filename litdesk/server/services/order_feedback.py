"""After completion: each party's rating of the collaboration and the advertiser's metrics survey.

Decisions
---------
* Both are open once the order has been completed (``completed_at`` is set) and stay open when a
  refund or dispute follows: the collaboration happened and may well deserve a low score.
  Before completion the answer is 422.
* Each party rates once and the advertiser answers the survey once; a second attempt answers 409
  with the stored answer. The order row is locked first, so two concurrent attempts are
  serialized and the second one gets the 409, never a database error.
* The survey may be answered as soon as the order is completed; ``survey_due_at`` (completion +
  three days) is when clients start asking for it, not a gate.
* Mediators look at orders but do not rate them or answer surveys (403).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from litdesk.domain.orders import Role
from litdesk.domain.wire import RatingIn, RatingOut, SurveyIn, SurveyOut
from litdesk.server import changefeed
from litdesk.server.access import order_audience, require_role, visible_order
from litdesk.server.errors import ApiError, conflict
from litdesk.server.models import MetricsSurvey, Order, Rating, User, utcnow
from litdesk.server.services.orders import add_event


def rating_out(rating: Rating) -> RatingOut:
    return RatingOut.model_validate(rating)


def survey_out(survey: MetricsSurvey) -> SurveyOut:
    return SurveyOut.model_validate(survey)


def _completed_order(session: Session, user: User, order_id: int, what: str) -> Order:
    order = visible_order(session, user, order_id, for_update=True)
    if order.completed_at is None:
        raise ApiError(422, "not_completed",
                       f"Order {order.number} is not completed yet: {what} opens on completion.")
    return order


def rate(session: Session, user: User, order_id: int, body: RatingIn) -> Rating:
    """``user``'s one rating (1-5 and a comment) of the collaboration on a completed order."""
    role = require_role(user, Role.INFLUENCER, Role.ADVERTISER)
    order = _completed_order(session, user, order_id, "rating")
    existing = session.execute(
        select(Rating).where(Rating.order_id == order.id, Rating.rater_id == user.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise conflict("You have already rated this order.",
                       current=rating_out(existing).model_dump(mode="json"))
    now = utcnow()
    rating = Rating(order_id=order.id, rater_id=user.id, score=body.score,
                    comment=body.comment.strip(), created_at=now)
    session.add(rating)
    session.flush()
    note = f"{body.score}/5" + (f": {rating.comment}" if rating.comment else "")
    add_event(session, order, actor=user, actor_role=role.value, kind="rating", note=note, at=now)
    audience = order_audience(order)
    changefeed.record(session, "rating", rating.id,
                      lambda: (rating_out(rating).model_dump(mode="json"), audience))
    return rating


def submit_survey(session: Session, user: User, order_id: int, body: SurveyIn) -> MetricsSurvey:
    """The advertiser's one established-metrics survey on a completed order."""
    role = require_role(user, Role.ADVERTISER)
    order = _completed_order(session, user, order_id, "the metrics survey")
    existing = session.execute(
        select(MetricsSurvey).where(MetricsSurvey.order_id == order.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise conflict("The metrics survey for this order has already been answered.",
                       current=survey_out(existing).model_dump(mode="json"))
    now = utcnow()
    survey = MetricsSurvey(
        order_id=order.id, advertiser_id=user.id, impressions=body.impressions,
        clicks=body.clicks, conversions=body.conversions, satisfaction=body.satisfaction,
        comment=body.comment.strip(), created_at=now,
    )
    session.add(survey)
    session.flush()
    note = (f"{body.impressions} impressions, {body.clicks} clicks, "
            f"{body.conversions} conversions; satisfaction {body.satisfaction}/5")
    add_event(session, order, actor=user, actor_role=role.value, kind="survey", note=note, at=now)
    audience = order_audience(order)
    changefeed.record(session, "survey", survey.id,
                      lambda: (survey_out(survey).model_dump(mode="json"), audience))
    return survey
