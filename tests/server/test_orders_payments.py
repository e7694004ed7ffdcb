"""Paying for orders over real HTTP: the payment system's transitions, declined payments and
retries, concurrent payments, and recurring series."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from litdesk.domain.orders import Role
from litdesk.server.models import Order, Thread
from litdesk.server.services.orders import add_months
from tests.server.conftest import LiveServer
from tests.server.order_flow import PAID, new_deal, ok, refused, snapshot


def test_paying_moves_the_order_to_payment_received_as_the_payment_system(
        server: LiveServer) -> None:
    deal = new_deal(server, price_cents=123_456)
    deal.drive("bill")
    order = deal.pay()
    assert (order["status"], order["awaiting"], order["progress"]) == (
        "payment_received", "influencer", 50)
    event = deal.detail(deal.influencer)["events"][-1]
    assert (event["kind"], event["action"], event["from_status"], event["to_status"]) == (
        "transition", "payment_succeeded", "payment_required", "payment_received")
    assert (event["actor_id"], event["actor_role"], event["actor_name"]) == (
        None, "payment_system", "Payment system")
    assert "1234.56 USD" in event["note"]
    assert order["number"] in event["note"]  # the built-in provider's reference names the order


def test_a_declined_payment_is_committed_as_uncollectable_and_can_be_retried(
        server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive("bill")
    order = deal.pay("test_declined")  # answers 200: a result, not an error
    assert (order["status"], order["awaiting"]) == ("uncollectable", "advertiser")
    stored = deal.detail(deal.influencer)
    assert (stored["status"], stored["version"]) == ("uncollectable", order["version"])
    failed = stored["events"][-1]
    assert (failed["action"], failed["from_status"], failed["to_status"]) == (
        "payment_failed", "payment_required", "uncollectable")
    assert "The card was declined." in failed["note"]
    assert failed["actor_role"] == "payment_system"

    order = deal.pay("test_declined")  # declined again: still Uncollectable, attempt logged
    assert order["status"] == "uncollectable"
    again = deal.detail()["events"][-1]
    assert (again["action"], again["from_status"], again["to_status"]) == (
        "payment_failed", "uncollectable", "uncollectable")

    order = deal.pay()
    assert order["status"] == "payment_received"
    last = deal.detail()["events"][-1]
    assert (last["action"], last["from_status"]) == ("payment_succeeded", "uncollectable")


def test_an_uncollectable_order_can_be_cancelled(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive("bill")
    deal.pay("test_declined")
    order = deal.act(Role.INFLUENCER, "cancel", reason="No payment after a week.")
    assert order["status"] == "cancelled"
    refused(deal.advertiser.client.post(f"/orders/{deal.id}/pay",
                                        json={"version": order["version"]}),
            422, "illegal_transition")


def test_payment_refusals_change_nothing(server: LiveServer) -> None:
    deal = new_deal(server)
    url = f"/orders/{deal.id}/pay"
    body = refused(deal.advertiser.client.post(url, json={"version": deal.order["version"]}),
                   422, "illegal_transition")
    assert "Pending" in body["message"]
    deal.drive("bill")
    before = snapshot(server, deal.id)
    version = deal.order["version"]
    for someone in (deal.influencer, deal.by(Role.MEDIATOR)):
        refused(someone.client.post(url, json={"version": version}), 403, "not_allowed")
    conflict = refused(deal.advertiser.client.post(url, json={"version": version - 1}),
                       409, "conflict")
    assert conflict["details"]["current"]["status"] == "payment_required"
    refused(deal.advertiser.client.post(url, json={"version": version, "amount": 1}),
            422, "invalid")
    assert snapshot(server, deal.id) == before


def test_two_concurrent_payments_charge_once(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive("bill")
    clients = [server.client(deal.advertiser.token) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    answers: list[httpx.Response] = []
    guard = threading.Lock()

    def pay(client: httpx.Client) -> None:
        barrier.wait()
        response = client.post(f"/orders/{deal.id}/pay", json={"version": deal.order["version"]})
        with guard:
            answers.append(response)

    threads = [threading.Thread(target=pay, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    events = deal.detail()["events"]
    assert [e["action"] for e in events].count("payment_succeeded") == 1


# --- recurring series ----------------------------------------------------------------------------

def series_of(server: LiveServer, series_id: int) -> list[Order]:
    with server.db.read() as session:
        return list(session.execute(select(Order).where(Order.series_id == series_id)
                                    .order_by(Order.series_index)).unique().scalars())


def test_a_recurring_order_starts_a_series(server: LiveServer) -> None:
    deal = new_deal(server, recurring=True)
    order = deal.order
    assert order["series_id"] == order["id"]
    assert order["series_index"] == 1
    assert order["period_start"] is not None
    assert order["version"] == 1


def test_each_payment_in_a_series_sets_up_next_months_order(server: LiveServer) -> None:
    deal = new_deal(server, recurring=True, brief="Monthly shout-out.",
                    portfolio_ref="https://brand.example/kit", first_message="Hi!")
    deal.drive(*PAID)
    first = deal.order
    page = ok(deal.advertiser.client.get("/orders", params={"sort": "created_at"}))
    assert [o["series_index"] for o in page["items"]] == [1, 2]
    second = page["items"][1]
    assert second["series_id"] == first["id"]
    assert second["status"] == "payment_required"
    assert second["awaiting"] == "advertiser"
    assert second["version"] == 1
    assert second["number"] == f"LD-{second['id']:06d}"
    for same in ("brief", "portfolio_ref", "value_cents", "currency"):
        assert second[same] == first[same]
    assert second["space"]["id"] == first["space"]["id"]
    assert second["thread_id"] not in (None, first["thread_id"])
    start = datetime.fromisoformat(first["period_start"])
    assert datetime.fromisoformat(second["period_start"]) == add_months(start, 1)
    detail = ok(deal.influencer.client.get(f"/orders/{second['id']}"))
    assert [(e["kind"], e["to_status"], e["actor_role"]) for e in detail["events"]] == [
        ("created", "payment_required", "system")]
    assert first["number"] in detail["events"][0]["note"]
    with server.db.read() as session:
        assert session.execute(select(Thread.id).where(Thread.order_id == second["id"])
                               ).scalar_one() == second["thread_id"]

    # Paying the second sets up the third, two months after the first period.
    paid = ok(deal.advertiser.client.post(f"/orders/{second['id']}/pay",
                                          json={"version": second["version"]}))
    assert paid["status"] == "payment_received"
    series = series_of(server, first["id"])
    assert [o.series_index for o in series] == [1, 2, 3]
    third = series[2]
    assert third.status == "payment_required"
    assert third.period_start == add_months(start, 2)
    assert third.brief == "Monthly shout-out."


def test_a_declined_payment_does_not_continue_the_series(server: LiveServer) -> None:
    deal = new_deal(server, recurring=True)
    deal.drive("bill")
    deal.pay("test_declined")
    assert len(series_of(server, deal.id)) == 1
    deal.pay()
    assert [o.series_index for o in series_of(server, deal.id)] == [1, 2]


def test_a_one_off_order_has_no_series(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PAID)
    assert deal.order["series_id"] is None
    assert ok(deal.advertiser.client.get("/orders"))["total"] == 1


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2024, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2024, 2, 29, 9, 30, tzinfo=UTC)),
    (datetime(2023, 1, 31, tzinfo=UTC), 1, datetime(2023, 2, 28, tzinfo=UTC)),
    (datetime(2024, 1, 31, tzinfo=UTC), 2, datetime(2024, 3, 31, tzinfo=UTC)),
    (datetime(2024, 12, 15, tzinfo=UTC), 1, datetime(2025, 1, 15, tzinfo=UTC)),
    (datetime(2024, 11, 30, tzinfo=UTC), 14, datetime(2026, 1, 30, tzinfo=UTC)),
])
def test_add_months_keeps_the_day_within_the_month(start: datetime, months: int,
                                                   expected: datetime) -> None:
    assert add_months(start, months) == expected
