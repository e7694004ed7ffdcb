"""The order list's filters, sorting and paging; Idempotency-Key on order requests; and the
change feed carrying every order change to both parties (and to no one else)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from litdesk.domain.orders import Role
from litdesk.server.models import Order
from tests.server.conftest import Account, LiveServer
from tests.server.order_flow import (
    COMPLETED,
    Deal,
    feed_cursor,
    feed_since,
    new_space,
    ok,
    place,
    refused,
)


def ids(page: dict[str, Any]) -> list[int]:
    return [int(o["id"]) for o in page["items"]]


def count_orders(server: LiveServer, advertiser: Account) -> int:
    with server.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Order)
                                   .where(Order.advertiser_id == advertiser.id)).scalar_one())


# --- the list ------------------------------------------------------------------------------------

class Board:
    """One influencer with orders from two advertisers, in different statuses and values."""

    def __init__(self, server: LiveServer) -> None:
        self.influencer = server.account(Role.INFLUENCER, name="Ines Quillfeather")
        self.ada = server.account(Role.ADVERTISER, name="Ada Lovelace Foods")
        self.bob = server.account(Role.ADVERTISER, name="Bob's Bikes")
        podcast = new_space(self.influencer, title="Podcast mid-roll", price_cents=30_000)
        story = new_space(self.influencer, title="Instagram story", price_cents=10_000)
        video = new_space(self.influencer, title="YouTube integration", price_cents=50_000)
        self.pending = self._deal(server, self.ada, podcast, "Spring granola, 100% oats")
        self.billed = self._deal(server, self.bob, story, "Gravel bike_launch")
        self.billed.drive("bill")
        self.done = self._deal(server, self.ada, video, "Cooking show")
        self.done.drive(*COMPLETED)
        self.all = [self.pending, self.billed, self.done]

    def _deal(self, server: LiveServer, advertiser: Account, space: dict[str, Any],
              brief: str) -> Deal:
        return Deal(server, self.influencer, advertiser, space,
                    place(advertiser, space["id"], brief=brief))

    def search(self, account: Account, **params: Any) -> dict[str, Any]:
        page: dict[str, Any] = ok(account.client.get("/orders", params=params))
        return page


@pytest.fixture(scope="module")
def board(live_server: LiveServer) -> Board:
    """Built once per database: the list tests below only read it."""
    return Board(live_server)


def test_status_filter_is_repeatable(board: Board) -> None:
    inf = board.influencer
    assert ids(board.search(inf, status="pending")) == [board.pending.id]
    both = board.search(inf, status=["pending", "completed"], sort="created_at")
    assert ids(both) == [board.pending.id, board.done.id]
    assert both["total"] == 2
    assert board.search(inf, status="refunded")["items"] == []
    refused(inf.client.get("/orders", params={"status": "nonsense"}), 422, "invalid")


@pytest.mark.parametrize(("q", "which"), [
    ("GRANOLA", "pending"),            # brief, case-insensitive
    ("instagram", "billed"),           # space title
    ("bob's", "billed"),               # advertiser's name
    ("lovelace", "pending,done"),      # advertiser's name, two orders
    ("quillfeather", "pending,billed,done"),  # influencer's name
    ("100%", "pending"),               # % is a character, not a wildcard
    ("e_l", "billed"),                 # so is _
    ("zzz-nothing", ""),
])
def test_text_search(board: Board, q: str, which: str) -> None:
    expected = {getattr(board, name).id for name in which.split(",") if name}
    assert set(ids(board.search(board.influencer, q=q, limit=500))) == expected


def test_text_search_finds_the_order_number(board: Board) -> None:
    number = board.billed.order["number"]
    assert ids(board.search(board.bob, q=number.lower())) == [board.billed.id]
    assert board.search(board.ada, q=number)["items"] == []  # not Ada's order


def test_needs_action_is_the_callers_move(board: Board) -> None:
    assert ids(board.search(board.influencer, needs_action=True)) == [board.pending.id]
    assert ids(board.search(board.bob, needs_action=True)) == [board.billed.id]
    assert board.search(board.ada, needs_action=True)["items"] == []
    assert set(ids(board.search(board.influencer, needs_action=False))) == {
        board.billed.id, board.done.id}


def test_sorting(board: Board) -> None:
    inf = board.influencer
    created = [d.id for d in board.all]
    assert ids(board.search(inf, sort="created_at")) == created
    assert ids(board.search(inf)) == created[::-1]  # newest first by default
    by_value = [board.billed.id, board.pending.id, board.done.id]  # 100, 300, 500
    assert ids(board.search(inf, sort="value")) == by_value
    assert ids(board.search(inf, sort="-value")) == by_value[::-1]
    lifecycle = [board.pending.id, board.billed.id, board.done.id]  # not alphabetical
    assert ids(board.search(inf, sort="status")) == lifecycle
    assert ids(board.search(inf, sort="-status")) == lifecycle[::-1]
    refused(inf.client.get("/orders", params={"sort": "brief"}), 422, "invalid")


def test_paging(board: Board) -> None:
    inf = board.influencer
    first = board.search(inf, sort="created_at", limit=2)
    second = board.search(inf, sort="created_at", limit=2, offset=2)
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert (second["total"], second["offset"]) == (3, 2)
    assert ids(first) + ids(second) == [d.id for d in board.all]
    assert board.search(inf, offset=3)["items"] == []
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"q": "nul\x00"}):
        refused(inf.client.get("/orders", params=bad), 422, "invalid")


def test_list_items_carry_the_order_fields(board: Board) -> None:
    item = board.search(board.bob)["items"][0]
    assert item["id"] == board.billed.id
    assert item["thread_id"] == board.billed.order["thread_id"] is not None
    assert (item["status"], item["awaiting"]) == ("payment_required", "advertiser")
    assert item["space"]["title"] == "Instagram story"


# --- Idempotency-Key -----------------------------------------------------------------------------

def test_repeating_a_post_with_its_key_returns_the_stored_answer(server: LiveServer) -> None:
    advertiser = server.account(Role.ADVERTISER)
    space = new_space(server.account(Role.INFLUENCER))
    body = {"space_id": space["id"], "brief": "Once only.", "first_message": "Hello"}
    headers = {"Idempotency-Key": "order-1"}
    first = advertiser.client.post("/orders", json=body, headers=headers)
    again = advertiser.client.post("/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_orders(server, advertiser) == 1
    detail = ok(advertiser.client.get(f"/orders/{first.json()['id']}"))
    assert [e["kind"] for e in detail["events"]] == ["created", "message"]

    other = refused(advertiser.client.post("/orders", json={**body, "brief": "Different"},
                                           headers=headers), 422, "idempotency_key_reused")
    assert "different request" in other["message"]
    assert count_orders(server, advertiser) == 1
    # Keys belong to their user: someone else's identical key is a new request.
    someone = server.account(Role.ADVERTISER)
    assert someone.client.post("/orders", json=body, headers=headers).status_code == 201


def test_a_repeated_transition_with_its_key_applies_once(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    deal = Deal(server, influencer, advertiser, space := new_space(influencer),
                place(advertiser, space["id"]))
    body = {"action": "request_feedback", "version": 1, "question": "Which colour?"}
    headers = {"Idempotency-Key": "ask-1"}
    url = f"/orders/{deal.id}/transitions"
    first = influencer.client.post(url, json=body, headers=headers)
    again = influencer.client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["version"] == 2
    refused(influencer.client.post(url, json=body), 409, "conflict")  # a new request is stale
    assert [e["action"] for e in deal.detail()["events"]] == ["place_order", "request_feedback"]


def test_concurrent_duplicates_create_exactly_one_order(server: LiveServer) -> None:
    advertiser = server.account(Role.ADVERTISER)
    space = new_space(server.account(Role.INFLUENCER))
    clients = [server.client(advertiser.token) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    answers: list[httpx.Response] = []
    guard = threading.Lock()

    def send(client: httpx.Client) -> None:
        barrier.wait()
        response = client.post("/orders", json={"space_id": space["id"], "brief": "Race"},
                               headers={"Idempotency-Key": "race-1"})
        with guard:
            answers.append(response)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * len(clients)
    assert len({a.json()["id"] for a in answers}) == 1
    assert Counter(a.headers.get("Idempotent-Replayed") for a in answers) == {
        None: 1, "true": len(clients) - 1}
    assert count_orders(server, advertiser) == 1


# --- the change feed -----------------------------------------------------------------------------

def _about(changes: list[dict[str, Any]], order_id: int) -> list[dict[str, Any]]:
    """The changes about one order: the order itself, its events, thread, ratings, survey."""
    return [c for c in changes
            if (c["entity"] == "order" and int(c["id"]) == order_id)
            or c["data"].get("order_id") == order_id]


def test_every_order_change_reaches_both_parties_and_no_one_else(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    mediator = server.account(Role.MEDIATOR)
    strangers = [server.account(Role.INFLUENCER), server.account(Role.ADVERTISER)]
    watchers = [influencer, advertiser, mediator, *strangers]
    cursors = {w.id: feed_cursor(w) for w in watchers}

    space = new_space(influencer)
    deal = Deal(server, influencer, advertiser, space,
                place(advertiser, space["id"], first_message="Hi"))
    deal.drive("ask", "answer", *COMPLETED)
    refused(deal.post(influencer, "start_processing"), 422)  # refused: records nothing
    rating = ok(advertiser.client.post(f"/orders/{deal.id}/ratings", json={"score": 4}), 201)
    survey = ok(advertiser.client.post(f"/orders/{deal.id}/survey", json={
        "impressions": 1, "clicks": 1, "conversions": 0, "satisfaction": 3}), 201)
    detail = deal.detail()

    for party in (influencer, advertiser, mediator):
        seen = _about(feed_since(party, cursors[party.id]), deal.id)
        orders = [c for c in seen if c["entity"] == "order"]
        # One change per commit, each carrying the order as it was committed.
        assert [c["data"]["version"] for c in orders] == list(range(1, detail["version"] + 1))
        assert [c["data"]["status"] for c in orders] == [
            "pending", "feedback_required", "feedback_provided", "payment_required",
            "payment_received", "processing", "completed"]
        assert orders[-1]["data"]["proof_url"] == detail["proof_url"]
        events = [int(c["id"]) for c in seen if c["entity"] == "order_event"]
        assert events == [e["id"] for e in detail["events"]]
        assert [c["id"] for c in seen if c["entity"] == "rating"] == [str(rating["id"])]
        assert [c["id"] for c in seen if c["entity"] == "survey"] == [str(survey["id"])]
        assert [c["data"]["id"] for c in seen if c["entity"] == "thread"] == [
            detail["thread_id"]]
    for stranger in strangers:
        assert _about(feed_since(stranger, cursors[stranger.id]), deal.id) == []
