"""Driving orders through the real HTTP API: a space, an order on it, and each step of the
lifecycle as the person whose move it is. Shared by the tests/server/test_orders*.py files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from litdesk.domain.orders import Role
from litdesk.server.models import FeedHead, MetricsSurvey, Order, OrderEvent, Rating
from tests.server.conftest import Account, LiveServer

Json = dict[str, Any]
PROOF_URL = "https://social.example/p/launch-post"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def refused(response: httpx.Response, status: int, code: str | None = None) -> Json:
    assert response.status_code == status, (response.status_code, response.text)
    body: Json = response.json()
    assert set(body) == {"code", "message", "details"}
    if code is not None:
        assert body["code"] == code, body
    return body


def new_space(account: Account, *, title: str = "Weekly newsletter slot",
              price_cents: int = 25_000, currency: str = "USD", recurring: bool = False,
              description: str = "One sponsored paragraph.") -> Json:
    space: Json = ok(account.client.post("/spaces", json={
        "title": title, "description": description, "price_cents": price_cents,
        "currency": currency, "recurring": recurring}), 201)
    return space


def place(advertiser: Account, space_id: int, *, brief: str = "Launch of our trail shoe.",
          key: str | None = None, **extra: Any) -> Json:
    headers = {"Idempotency-Key": key} if key else {}
    order: Json = ok(advertiser.client.post(
        "/orders", json={"space_id": space_id, "brief": brief, **extra}, headers=headers), 201)
    return order


@dataclass
class Deal:
    """An order between two fresh accounts; ``order`` is the latest state seen."""

    server: LiveServer
    influencer: Account
    advertiser: Account
    space: Json
    order: Json
    mediator: Account | None = field(default=None)

    @property
    def id(self) -> int:
        return int(self.order["id"])

    def by(self, role: Role) -> Account:
        if role is Role.INFLUENCER:
            return self.influencer
        if role is Role.ADVERTISER:
            return self.advertiser
        if self.mediator is None:
            self.mediator = self.server.account(Role.MEDIATOR)
        return self.mediator

    def post(self, account: Account, action: str, *, version: int | None = None,
             **inputs: Any) -> httpx.Response:
        body = {"action": action,
                "version": self.order["version"] if version is None else version, **inputs}
        return account.client.post(f"/orders/{self.id}/transitions", json=body)

    def act(self, role: Role, action: str, **inputs: Any) -> Json:
        """Take ``action`` as ``role``, expecting success; remembers the new state."""
        self.order = ok(self.post(self.by(role), action, **inputs))
        return self.order

    def pay(self, method: str = "test_ok") -> Json:
        self.order = ok(self.advertiser.client.post(
            f"/orders/{self.id}/pay",
            json={"version": self.order["version"], "payment_method": method}))
        return self.order

    def detail(self, account: Account | None = None) -> Json:
        found: Json = ok((account or self.advertiser).client.get(f"/orders/{self.id}"))
        return found

    def drive(self, *steps: str) -> Json:
        """Take named steps in order (see ``STEPS``)."""
        for step in steps:
            role, action, inputs = STEPS[step]
            if action == "pay":
                self.pay()
            else:
                self.act(role, action, **inputs)
        return self.order


# Named steps, each as the person whose move it is, with the inputs the action needs.
STEPS: dict[str, tuple[Role, str, dict[str, Any]]] = {
    "ask": (Role.INFLUENCER, "request_feedback", {"question": "Which colours should I show?"}),
    "answer": (Role.ADVERTISER, "provide_feedback", {"answer": "The blue and the red ones."}),
    "bill": (Role.INFLUENCER, "request_payment", {}),
    "pay": (Role.ADVERTISER, "pay", {}),
    "start": (Role.INFLUENCER, "start_processing", {}),
    "hold": (Role.INFLUENCER, "put_on_hold", {"reason": "Waiting for the samples."}),
    "resume": (Role.INFLUENCER, "resume", {}),
    "ask_update": (Role.ADVERTISER, "request_update", {}),
    "post_update": (Role.INFLUENCER, "post_update", {"update_text": "Filming on Friday."}),
    "complete": (Role.INFLUENCER, "complete", {"proof_url": PROOF_URL}),
    "ask_refund": (Role.ADVERTISER, "request_refund", {"reason": "The post went out late."}),
    "decline_refund": (Role.INFLUENCER, "decline_refund", {"reason": "It went out as agreed."}),
    "grant_refund": (Role.INFLUENCER, "grant_refund", {}),
    "dispute": (Role.ADVERTISER, "open_dispute", {"reason": "The link is missing."}),
    "close_dispute": (Role.INFLUENCER, "close_dispute", {"resolution": "Link added."}),
    "mediation": (Role.ADVERTISER, "request_mediation", {"reason": "We cannot agree."}),
}
PAID = ("bill", "pay")
PROCESSING = ("bill", "pay", "start")
COMPLETED = ("bill", "pay", "start", "complete")


def new_deal(server: LiveServer, *, recurring: bool = False, price_cents: int = 25_000,
             **order: Any) -> Deal:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    space = new_space(influencer, recurring=recurring, price_cents=price_cents)
    return Deal(server, influencer, advertiser, space, place(advertiser, space["id"], **order))


@dataclass(frozen=True)
class Snapshot:
    """What the database holds about one order, and the change feed's head: a refused request
    must leave all of it as it was."""

    order: tuple[Any, ...]
    events: int
    ratings: int
    surveys: int
    feed_head: int


def snapshot(server: LiveServer, order_id: int) -> Snapshot:
    with server.db.read() as session:
        order = session.get(Order, order_id)
        assert order is not None
        row = (order.status, order.version, order.held_from, order.update_from, order.awaiting,
               order.proof_url, order.completed_at, order.updated_at)

        def count(model: Any, column: Any) -> int:
            return int(session.execute(
                select(func.count()).select_from(model).where(column == order_id)).scalar_one())

        return Snapshot(
            row, count(OrderEvent, OrderEvent.order_id), count(Rating, Rating.order_id),
            count(MetricsSurvey, MetricsSurvey.order_id),
            int(session.execute(select(FeedHead.pos)).scalar_one()),
        )


def feed_cursor(account: Account) -> int:
    """The caller's change-feed cursor now (reads to the head)."""
    cursor = 0
    while True:
        page = ok(account.client.get("/changes", params={"after": cursor, "limit": 5000}))
        cursor = int(page["cursor"])
        if not page["more"]:
            return cursor


def feed_since(account: Account, cursor: int) -> list[Json]:
    changes: list[Json] = []
    while True:
        page = ok(account.client.get("/changes", params={"after": cursor, "limit": 5000}))
        changes.extend(page["changes"])
        cursor = int(page["cursor"])
        if not page["more"]:
            return changes
