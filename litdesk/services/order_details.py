"""What the order view shows of one order, read from the local cache and the outbox.

Decisions
---------
* **One log.** The server writes an events-log entry for every transition, message, rating and
  survey of an order (``kind`` "message", "rating", "survey"), so the order's ``order_events``
  rows already hold the whole story in time order; the view does not merge the ``messages``,
  ``ratings`` and ``surveys`` tables into it (that would show each of them twice).
* **Incremental reads.** Events are append-only: ``load_details(..., events_after=id)`` reads
  only the newer ones, so a change to a long-running order costs one indexed query, not its
  whole log.
* **Feedback in flight.** A rating or survey sent but not yet back through the change feed counts
  as given (``rating_pending`` / ``survey_pending``), so the view does not offer it twice; if
  the server refuses it, the outbox entry fails and it is offered again.
* **Entities.** Ratings and surveys are queued as entities "order_rating" / "order_survey" (id:
  the order's id), not "order": the outbox stores an "order" entry's answer as the order, and a
  rating's JSON is not one. The price is that a refusal reaches ``action_failed`` with order id
  0; ``refused_order`` finds the order again from the failed entry.
* **The version the person saw.** An action carries the version of the order the person acted
  on; another version answers 409. Right after the person's own earlier action is accepted the
  cache already holds its new version while the view still shows the (identical) predicted
  state with the old one for a moment; ``version_seen`` takes the cache's version when the
  state shown is the state cached, so a quick second action is not refused as stale. A state
  that differs (the other party moved) keeps the shown version: that 409 is the point.
* **No import of the cache or the outbox.** Views read ``OrderDetails``, and views may not reach
  SQL even indirectly (import-linter), so this module states what it reads of them as
  protocols; ``app.py`` builds the outbox actions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Json = dict[str, Any]

ORDER_PAYMENT = "order_payment"
ORDER_RATING = "order_rating"
ORDER_SURVEY = "order_survey"
FEEDBACK_ENTITIES = frozenset({ORDER_RATING, ORDER_SURVEY})


class QueuedAction(Protocol):
    """What is read of an ``OutboxAction``."""

    @property
    def entity(self) -> str: ...

    @property
    def entity_id(self) -> int: ...


class QueuedEntry(Protocol):
    @property
    def action(self) -> QueuedAction: ...


class OutboxReader(Protocol):
    """What is read of the ``Outbox``."""

    def pending(self) -> Sequence[QueuedEntry]: ...

    def failed(self) -> Sequence[QueuedEntry]: ...


class CacheReader(Protocol):
    """What is read of the ``LocalCache``: an order by id, and this thread's connection."""

    def order(self, order_id: int) -> Json | None: ...

    def connection(self) -> Any: ...


@dataclass(frozen=True)
class OrderDetails:
    """One order as the order view shows it. ``events`` are the log entries after the
    ``events_after`` asked for (all of them by default), oldest first."""

    order: Json
    events: list[Json] = field(default_factory=list)
    pending_actions: int = 0
    ratings: list[Json] = field(default_factory=list)
    survey: Json | None = None
    rating_pending: bool = False
    survey_pending: bool = False

    @property
    def order_id(self) -> int:
        return int(self.order["id"])

    def rated_by(self, user_id: int) -> bool:
        """Whether ``user_id`` has rated this order (or has a rating on its way)."""
        return self.rating_pending or any(r.get("rater_id") == user_id for r in self.ratings)

    def survey_answered(self) -> bool:
        return self.survey_pending or self.survey is not None


def load_details(cache: CacheReader, outbox: OutboxReader, order_id: int, *,
                 events_after: int = 0) -> OrderDetails | None:
    """The order ``order_id`` as cached (None when it is not), with its log entries whose id is
    above ``events_after``, its ratings and survey, and what of it waits in the outbox."""
    order = cache.order(order_id)
    if order is None:
        return None
    conn = cache.connection()
    events = [json.loads(r[0]) for r in conn.execute(
        "SELECT json FROM order_events WHERE order_id = ? AND id > ? ORDER BY id",
        (order_id, events_after))]
    ratings = [json.loads(r[0]) for r in conn.execute(
        "SELECT json FROM ratings WHERE order_id = ? ORDER BY id", (order_id,))]
    survey_row = conn.execute("SELECT json FROM surveys WHERE order_id = ? ORDER BY id LIMIT 1",
                              (order_id,)).fetchone()
    pending = [e.action for e in outbox.pending() if e.action.entity_id == order_id]
    return OrderDetails(
        order=order, events=events,
        pending_actions=sum(1 for a in pending if a.entity == "order"),
        ratings=ratings, survey=json.loads(survey_row[0]) if survey_row else None,
        rating_pending=any(a.entity == ORDER_RATING for a in pending),
        survey_pending=any(a.entity == ORDER_SURVEY for a in pending),
    )


def refused_order(outbox: OutboxReader, order_id: int) -> int:
    """The order a refusal reported with ``order_id`` is about: ``order_id`` itself, or, for 0,
    the order of the newest failed rating or survey (0 when it was about something else)."""
    if order_id:
        return order_id
    failed = outbox.failed()
    if failed and failed[-1].action.entity in FEEDBACK_ENTITIES:
        return failed[-1].action.entity_id
    return 0


def _state(order: Json) -> tuple[object, object, object]:
    return (order.get("status"), order.get("held_from"), order.get("update_from"))


def version_seen(shown: Json, current: Json | None, version: int) -> int:
    """The version to send for an action taken on ``shown`` with ``version``, given the order
    as cached now (``current``): see the module's docstring."""
    if current is None or current.get("id") != shown.get("id"):
        return version
    cached = int(current.get("version", version))
    return cached if cached > version and _state(current) == _state(shown) else version
