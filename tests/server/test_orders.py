"""Orders over real HTTP: spaces, placing, the lifecycle, refusals and who may see what."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from litdesk.domain.orders import Role
from litdesk.server.models import Attachment, Message, Order, OrderEvent, Thread, utcnow
from tests.server.conftest import Account, LiveServer
from tests.server.order_flow import (
    COMPLETED,
    PAID,
    PROCESSING,
    PROOF_URL,
    Deal,
    new_deal,
    new_space,
    ok,
    place,
    refused,
    snapshot,
)


def orders_of(server: LiveServer, advertiser: Account) -> int:
    with server.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Order)
                                   .where(Order.advertiser_id == advertiser.id)).scalar_one())


def actions(events: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(e["kind"], e["action"], e["from_status"], e["to_status"]) for e in events]


# --- spaces --------------------------------------------------------------------------------------

def test_influencers_offer_spaces_and_advertisers_see_them_all(server: LiveServer) -> None:
    alice, bob = server.account(Role.INFLUENCER), server.account(Role.INFLUENCER)
    mine = new_space(alice, title="Podcast mid-roll", price_cents=90_000, currency="EUR",
                     recurring=True)
    theirs = new_space(bob)
    assert mine["influencer_id"] == alice.id
    assert (mine["price_cents"], mine["currency"], mine["recurring"]) == (90_000, "EUR", True)

    assert [s["id"] for s in ok(alice.client.get("/spaces"))] == [mine["id"]]
    everything = {s["id"] for s in ok(server.account(Role.ADVERTISER).client.get("/spaces"))}
    assert {mine["id"], theirs["id"]} <= everything


def test_only_influencers_offer_spaces(server: LiveServer) -> None:
    body = {"title": "A slot", "price_cents": 100}
    for role in (Role.ADVERTISER, Role.MEDIATOR, Role.CREATOR, Role.BRAND_STAFF):
        refused(server.account(role).client.post("/spaces", json=body), 403, "not_allowed")
    refused(server.account(Role.CREATOR).client.get("/spaces"), 403, "not_allowed")
    influencer = server.account(Role.INFLUENCER)
    refused(influencer.client.post("/spaces", json={**body, "currency": "usd"}), 422, "invalid")
    refused(influencer.client.post("/spaces", json={**body, "price_cents": -1}), 422, "invalid")
    assert ok(influencer.client.get("/spaces")) == []


def test_the_openapi_document_describes_the_order_endpoints(server: LiveServer) -> None:
    import httpx

    document = httpx.get(server.url + "/openapi.json", timeout=10).json()
    paths = document["paths"]
    transition = paths["/api/v1/orders/{order_id}/transitions"]["post"]
    assert set(transition["responses"]) >= {"200", "401", "403", "404", "409", "422"}
    assert transition["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"}
    assert transition["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderOut"}
    assert "201" in paths["/api/v1/orders"]["post"]["responses"]
    assert "201" in paths["/api/v1/orders/{order_id}/ratings"]["post"]["responses"]
    listing = {p["name"] for p in paths["/api/v1/orders"]["get"]["parameters"]}
    assert listing == {"status", "q", "needs_action", "sort", "limit", "offset"}
    detail = paths["/api/v1/orders/{order_id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderDetailOut"}


# --- placing an order ----------------------------------------------------------------------------

def test_advertiser_places_an_order_with_a_first_message(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER, name="Ines Influencer")
    advertiser = server.account(Role.ADVERTISER, name="Ada Advertiser")
    space = new_space(influencer, price_cents=12_345, currency="GBP")
    order = place(advertiser, space["id"], brief="  Our spring range.  ",
                  portfolio_ref="https://brand.example/kit", first_message="Hello Ines!")

    assert re.fullmatch(r"LD-\d{6}", order["number"])
    assert order["number"] == f"LD-{order['id']:06d}"
    assert order["status"] == "pending"
    assert order["awaiting"] == "influencer"
    assert order["progress"] == 5
    assert order["version"] == 1
    assert (order["value_cents"], order["currency"]) == (12_345, "GBP")
    assert order["brief"] == "Our spring range."
    assert order["portfolio_ref"] == "https://brand.example/kit"
    assert order["space"]["id"] == space["id"]
    assert order["influencer"] == {"id": influencer.id, "name": "Ines Influencer"}
    assert order["advertiser"] == {"id": advertiser.id, "name": "Ada Advertiser"}
    assert (order["series_id"], order["period_start"]) == (None, None)
    assert order["thread_id"] is not None

    detail = ok(influencer.client.get(f"/orders/{order['id']}"))
    assert [(e["kind"], e["action"], e["to_status"]) for e in detail["events"]] == [
        ("created", "place_order", "pending"), ("message", None, None)]
    assert detail["events"][0]["actor_id"] == advertiser.id
    assert detail["events"][0]["actor_name"] == "Ada Advertiser"
    assert detail["events"][1]["note"] == "Hello Ines!"
    with server.db.read() as session:
        thread = session.execute(
            select(Thread).where(Thread.order_id == order["id"])).scalar_one()
        assert thread.id == order["thread_id"]
        texts = session.execute(select(Message.text, Message.sender_id)
                                .where(Message.thread_id == thread.id)).all()
    assert [tuple(t) for t in texts] == [("Hello Ines!", advertiser.id)]


def test_order_numbers_are_unique_and_follow_the_ids(server: LiveServer) -> None:
    deal = new_deal(server)
    second = place(deal.advertiser, deal.space["id"])
    assert second["id"] > deal.id
    assert second["number"] == f"LD-{second['id']:06d}" != deal.order["number"]


def test_only_advertisers_place_orders(server: LiveServer) -> None:
    space = new_space(server.account(Role.INFLUENCER))
    for role in (Role.INFLUENCER, Role.MEDIATOR, Role.BRAND_STAFF, Role.CREATOR):
        someone = server.account(role)
        body = refused(someone.client.post("/orders", json={"space_id": space["id"],
                                                            "brief": "x"}), 403, "not_allowed")
        assert "place order" in body["message"]
    with server.db.read() as session:
        assert session.execute(
            select(func.count()).select_from(Order).where(Order.space_id == space["id"])
        ).scalar_one() == 0


def test_unknown_space_and_blank_brief_are_refused(server: LiveServer) -> None:
    advertiser = server.account(Role.ADVERTISER)
    space = new_space(server.account(Role.INFLUENCER))
    refused(advertiser.client.post("/orders", json={"space_id": 2**31 - 2, "brief": "x"}),
            404, "not_found")
    refused(advertiser.client.post("/orders", json={"space_id": 0, "brief": "x"}),
            422, "invalid")
    body = refused(advertiser.client.post("/orders", json={"space_id": space["id"],
                                                           "brief": "   "}),
                   422, "missing_input")
    assert body["details"]["missing"] == ["brief"]
    refused(advertiser.client.post("/orders", json={"space_id": space["id"], "brief": "a\x00b"}),
            422, "invalid")
    refused(advertiser.client.post("/orders", json={"space_id": space["id"], "brief": "x",
                                                    "price": 1}), 422, "invalid")
    assert orders_of(server, advertiser) == 0


# --- the lifecycle -------------------------------------------------------------------------------

def test_happy_path_from_pending_to_completed(server: LiveServer) -> None:
    deal = new_deal(server)
    inf, adv = Role.INFLUENCER, Role.ADVERTISER

    order = deal.act(inf, "request_feedback", question="Can I show the box?")
    assert (order["status"], order["awaiting"], order["progress"]) == (
        "feedback_required", "advertiser", 15)
    order = deal.act(adv, "provide_feedback", answer="Yes, please.")
    assert (order["status"], order["awaiting"]) == ("feedback_provided", "influencer")
    deal.act(inf, "request_feedback", question="And the price?")  # the feedback loop
    deal.act(adv, "provide_feedback", answer="Not the price.")
    order = deal.act(inf, "request_payment")
    assert (order["status"], order["awaiting"]) == ("payment_required", "advertiser")
    order = deal.pay()
    assert (order["status"], order["awaiting"]) == ("payment_received", "influencer")
    order = deal.act(inf, "start_processing")
    assert (order["status"], order["progress"]) == ("processing", 70)
    assert (order["completed_at"], order["survey_due_at"]) == (None, None)

    before = utcnow()
    order = deal.act(inf, "complete", proof_url=PROOF_URL)
    assert (order["status"], order["progress"], order["awaiting"]) == ("completed", 100, None)
    assert order["proof_url"] == PROOF_URL
    completed = _parse(order["completed_at"])
    assert before - timedelta(seconds=5) <= completed <= utcnow() + timedelta(seconds=5)
    assert _parse(order["survey_due_at"]) == completed + timedelta(days=3)
    assert order["version"] == 9  # created at 1, eight changes

    ok(deal.influencer.client.post(f"/orders/{deal.id}/ratings",
                                   json={"score": 5, "comment": "Lovely brand."}), 201)
    ok(deal.advertiser.client.post(f"/orders/{deal.id}/ratings", json={"score": 4}), 201)

    detail = deal.detail()
    assert actions(detail["events"]) == [
        ("created", "place_order", None, "pending"),
        ("transition", "request_feedback", "pending", "feedback_required"),
        ("transition", "provide_feedback", "feedback_required", "feedback_provided"),
        ("transition", "request_feedback", "feedback_provided", "feedback_required"),
        ("transition", "provide_feedback", "feedback_required", "feedback_provided"),
        ("transition", "request_payment", "feedback_provided", "payment_required"),
        ("transition", "payment_succeeded", "payment_required", "payment_received"),
        ("transition", "start_processing", "payment_received", "processing"),
        ("transition", "complete", "processing", "completed"),
        ("rating", None, None, None),
        ("rating", None, None, None),
    ]
    notes = [e["note"] for e in detail["events"]]
    assert notes[1:5] == ["Can I show the box?", "Yes, please.", "And the price?",
                          "Not the price."]
    assert PROOF_URL in notes[8]
    roles = [e["actor_role"] for e in detail["events"]]
    assert roles[6] == "payment_system"
    assert roles[1:6] == ["influencer", "advertiser", "influencer", "advertiser", "influencer"]
    assert {(r["rater_id"], r["score"]) for r in detail["ratings"]} == {
        (deal.influencer.id, 5), (deal.advertiser.id, 4)}
    assert detail["allowed_actions"] == ["request_refund", "open_dispute"]
    assert detail["next_steps"]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_detail_offers_the_callers_actions_and_next_steps(server: LiveServer) -> None:
    deal = new_deal(server)
    as_influencer = deal.detail(deal.influencer)
    assert as_influencer["allowed_actions"] == ["request_feedback", "request_payment", "cancel"]
    assert as_influencer["next_steps"][0].startswith("Review the brief")
    as_advertiser = deal.detail(deal.advertiser)
    assert as_advertiser["allowed_actions"] == ["cancel"]
    assert "reviewing" in as_advertiser["next_steps"][0]
    deal.drive("bill")
    # Paying is not a row a person takes: the advertiser pays through POST /pay.
    assert deal.detail(deal.advertiser)["allowed_actions"] == ["cancel"]
    mediator = server.account(Role.MEDIATOR)
    as_mediator = deal.detail(mediator)
    assert as_mediator["allowed_actions"] == []
    assert as_mediator["id"] == deal.id


def test_hold_and_resume_return_to_the_status_before_the_hold(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PAID)
    order = deal.act(Role.ADVERTISER, "put_on_hold", reason="Our shipment is late.")
    assert (order["status"], order["held_from"], order["awaiting"]) == (
        "hold", "payment_received", "influencer")
    order = deal.act(Role.INFLUENCER, "resume")
    assert (order["status"], order["held_from"]) == ("payment_received", None)

    deal.drive("start", "hold")
    assert deal.order["held_from"] == "processing"
    order = deal.act(Role.ADVERTISER, "request_update")
    assert (order["status"], order["update_from"], order["held_from"]) == (
        "update_requested", "hold", "processing")
    order = deal.act(Role.INFLUENCER, "post_update", update_text="Samples arrive Monday.")
    assert (order["status"], order["held_from"], order["update_from"]) == (
        "hold", "processing", None)
    order = deal.act(Role.INFLUENCER, "resume")
    assert order["status"] == "processing"
    events = deal.detail()["events"]
    assert events[-2]["note"] == "Samples arrive Monday."
    assert (events[-2]["from_status"], events[-2]["to_status"]) == ("update_requested", "hold")
    holds = [e for e in events if e["action"] == "put_on_hold"]
    assert [h["note"] for h in holds] == ["Our shipment is late.", "Waiting for the samples."]


@pytest.mark.parametrize("origin", ["payment_received", "processing"])
def test_post_update_returns_to_where_the_update_was_requested(server: LiveServer,
                                                              origin: str) -> None:
    deal = new_deal(server)
    deal.drive(*PAID) if origin == "payment_received" else deal.drive(*PROCESSING)
    deal.act(Role.ADVERTISER, "request_update")
    missing = refused(deal.post(deal.influencer, "post_update"), 422, "missing_input")
    assert missing["details"]["missing"] == ["update_text"]
    order = deal.act(Role.INFLUENCER, "post_update", update_text="Half done.")
    assert (order["status"], order["update_from"]) == (origin, None)


@pytest.mark.parametrize("outcome", ["mediation_complete", "refunded"])
def test_refund_declined_then_mediation_and_the_mediators_decision(server: LiveServer,
                                                                   outcome: str) -> None:
    deal = new_deal(server)
    deal.drive(*COMPLETED, "ask_refund")
    assert deal.order["awaiting"] == "influencer"
    missing = refused(deal.post(deal.influencer, "decline_refund"), 422, "missing_input")
    assert missing["details"]["missing"] == ["reason"]
    deal.drive("decline_refund")
    assert deal.order["status"] == "refund_declined"
    deal.drive("mediation")
    assert (deal.order["status"], deal.order["awaiting"]) == ("mediation_required", "mediator")

    mediator = deal.by(Role.MEDIATOR)
    assert deal.detail(mediator)["allowed_actions"] == ["mediator_decides"]
    assert deal.detail(deal.influencer)["allowed_actions"] == []
    refused(deal.post(deal.influencer, "mediator_decides", decision="Mine", outcome=outcome),
            403, "not_allowed")
    refused(deal.post(mediator, "mediator_decides", decision="Split", outcome="completed"),
            422, "missing_input")
    order = deal.act(Role.MEDIATOR, "mediator_decides", decision="The post was late.",
                     outcome=outcome)
    assert (order["status"], order["awaiting"], order["progress"]) == (outcome, None, 100)
    last = deal.detail(deal.influencer)["events"][-1]
    assert (last["actor_id"], last["actor_role"], last["note"]) == (
        mediator.id, "mediator", "The post was late.")
    assert deal.detail(deal.advertiser)["allowed_actions"] == []  # a final status


def test_refund_granted(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PROCESSING, "ask_refund", "grant_refund")
    assert (deal.order["status"], deal.order["awaiting"]) == ("refunded", None)
    refused(deal.post(deal.advertiser, "request_refund", reason="Again"), 422,
            "illegal_transition")


def test_dispute_opened_closed_then_mediation(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PROCESSING, "ask_update")
    order = deal.drive("dispute")
    assert (order["status"], order["awaiting"]) == ("dispute_opened", "influencer")
    refused(deal.post(deal.influencer, "close_dispute", resolution=" "), 422, "missing_input")
    order = deal.drive("close_dispute")
    assert (order["status"], order["awaiting"]) == ("dispute_closed", "advertiser")
    assert set(deal.detail()["allowed_actions"]) == {"request_refund", "request_mediation"}
    order = deal.act(Role.INFLUENCER, "request_mediation", reason="Let them decide.")
    assert order["status"] == "mediation_required"
    events = deal.detail()["events"]
    assert [e["note"] for e in events[-3:]] == [
        "The link is missing.", "Link added.", "Let them decide."]


@pytest.mark.parametrize("role", [Role.INFLUENCER, Role.ADVERTISER])
def test_either_party_cancels_before_payment(server: LiveServer, role: Role) -> None:
    deal = new_deal(server)
    deal.drive("ask")
    refused(deal.post(deal.by(role), "cancel"), 422, "missing_input")
    order = deal.act(role, "cancel", reason="Budget moved elsewhere.")
    assert (order["status"], order["awaiting"], order["progress"]) == ("cancelled", None, 100)
    body = refused(deal.post(deal.influencer, "request_payment"), 422, "illegal_transition")
    assert "Cancelled" in body["message"]
    assert deal.detail()["events"][-1]["note"] == "Budget moved elsewhere."


def test_cancel_is_refused_once_paid(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PAID)
    body = refused(deal.post(deal.advertiser, "cancel", reason="Changed my mind"), 422,
                   "illegal_transition")
    assert "Payment Received" in body["message"]


# --- refusals ------------------------------------------------------------------------------------

def test_a_stale_version_answers_409_and_changes_nothing(server: LiveServer) -> None:
    deal = new_deal(server)
    stale = deal.order["version"]
    deal.drive("ask")
    before = snapshot(server, deal.id)
    body = refused(deal.post(deal.advertiser, "provide_feedback", version=stale, answer="Hi"),
                   409, "conflict")
    assert body["details"]["current"]["version"] == deal.order["version"] == stale + 1
    assert body["details"]["current"]["status"] == "feedback_required"
    assert snapshot(server, deal.id) == before
    deal.act(Role.ADVERTISER, "provide_feedback", answer="Hi")  # with the current version


def test_an_illegal_action_answers_422_and_a_forbidden_role_403(server: LiveServer) -> None:
    deal = new_deal(server)
    before = snapshot(server, deal.id)
    illegal = refused(deal.post(deal.influencer, "start_processing"), 422, "illegal_transition")
    assert illegal["message"] == "Cannot start processing while the order is Pending."
    forbidden = refused(deal.post(deal.advertiser, "request_payment"), 403, "not_allowed")
    assert forbidden["message"] == "An advertiser cannot request payment."
    refused(deal.post(deal.by(Role.MEDIATOR), "cancel", reason="No"), 403, "not_allowed")
    refused(deal.post(deal.influencer, "complete"), 422, "illegal_transition")
    refused(deal.post(deal.influencer, "no_such_action"), 422, "invalid")
    assert snapshot(server, deal.id) == before


@pytest.mark.parametrize("action", ["payment_succeeded", "payment_failed"])
def test_a_person_cannot_report_a_payment(server: LiveServer, action: str) -> None:
    deal = new_deal(server)
    deal.drive("bill")
    before = snapshot(server, deal.id)
    for account in (deal.advertiser, deal.influencer, deal.by(Role.MEDIATOR)):
        body = refused(deal.post(account, action), 403, "not_allowed")
        assert "cannot record" in body["message"]
    assert snapshot(server, deal.id) == before
    assert deal.detail()["status"] == "payment_required"


def test_complete_needs_a_proof_that_is_a_link_or_the_influencers_own_file(
        server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PROCESSING)
    body = refused(deal.post(deal.influencer, "complete"), 422, "missing_input")
    assert body["details"]["missing"] == ["proof"]
    for url in ("javascript:alert(1)", "ftp://files.example/x", "not a link"):
        refused(deal.post(deal.influencer, "complete", proof_url=url), 422, "invalid_proof")
    theirs = _attachment(server, deal.advertiser, "advert.png")
    refused(deal.post(deal.influencer, "complete", proof_attachment_id=theirs), 422,
            "invalid_proof")
    refused(deal.post(deal.influencer, "complete", proof_attachment_id="no-such-file"), 422,
            "invalid_proof")
    assert deal.detail()["status"] == "processing"

    mine = _attachment(server, deal.influencer, "story.png")
    order = deal.act(Role.INFLUENCER, "complete", proof_attachment_id=mine)
    assert (order["status"], order["proof_attachment_id"], order["proof_url"]) == (
        "completed", mine, None)
    assert deal.detail()["events"][-1]["note"] == "Proof of delivery: Screenshot: story.png"


def _attachment(server: LiveServer, uploader: Account, name: str) -> str:
    import hashlib
    import uuid

    data = b"\x89PNG fake"
    with server.db.write() as session:
        attachment = Attachment(id=str(uuid.uuid4()), uploader_id=uploader.id, name=name,
                                content_type="image/png", size=len(data),
                                sha256=hashlib.sha256(data).hexdigest(), data=data)
        session.add(attachment)
        session.commit()
        return attachment.id


# --- who may see what ----------------------------------------------------------------------------

def test_strangers_get_404_everywhere_and_change_nothing(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*COMPLETED)
    before = snapshot(server, deal.id)
    strangers = [server.account(Role.INFLUENCER), server.account(Role.ADVERTISER),
                 server.account(Role.BRAND_STAFF), server.account(Role.CREATOR)]
    version = deal.order["version"]
    for stranger in strangers:
        c = stranger.client
        refused(c.get(f"/orders/{deal.id}"), 404, "not_found")
        refused(c.post(f"/orders/{deal.id}/transitions",
                       json={"action": "request_refund", "version": version, "reason": "x"}),
                404, "not_found")
        refused(c.post(f"/orders/{deal.id}/transitions",
                       json={"action": "open_dispute", "version": version, "reason": "x"}),
                404, "not_found")
        assert deal.id not in {o["id"] for o in ok(c.get("/orders"))["items"]}
    for stranger in strangers[:2]:
        refused(stranger.client.post(f"/orders/{deal.id}/ratings", json={"score": 1}),
                404, "not_found")
    refused(strangers[1].client.post(f"/orders/{deal.id}/pay", json={"version": version}),
            404, "not_found")
    refused(strangers[1].client.post(
        f"/orders/{deal.id}/survey",
        json={"impressions": 1, "clicks": 1, "conversions": 1, "satisfaction": 1}),
        404, "not_found")
    assert snapshot(server, deal.id) == before


def test_a_strangers_pay_on_a_payable_order_is_404(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive("bill")
    before = snapshot(server, deal.id)
    stranger = server.account(Role.ADVERTISER)
    refused(stranger.client.post(f"/orders/{deal.id}/pay",
                                 json={"version": deal.order["version"]}), 404, "not_found")
    assert snapshot(server, deal.id) == before


def test_mediators_see_every_order(server: LiveServer) -> None:
    one, two = new_deal(server), new_deal(server)
    mediator = server.account(Role.MEDIATOR)
    seen = {o["id"] for o in ok(mediator.client.get("/orders", params={"limit": 500}))["items"]}
    assert {one.id, two.id} <= seen


def test_unauthenticated_requests_answer_401(server: LiveServer) -> None:
    anonymous = server.client()
    refused(anonymous.get("/orders"), 401, "unauthorized")
    refused(anonymous.get("/spaces"), 401, "unauthorized")
    refused(anonymous.post("/orders", json={"space_id": 1, "brief": "x"}), 401, "unauthorized")


def test_every_users_list_holds_only_their_orders(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    bert, carl = server.account(Role.ADVERTISER), server.account(Role.ADVERTISER)
    space = new_space(alice)
    other = new_deal(server)
    a = place(bert, space["id"])
    b = place(carl, space["id"])
    assert {o["id"] for o in ok(alice.client.get("/orders"))["items"]} == {a["id"], b["id"]}
    assert {o["id"] for o in ok(bert.client.get("/orders"))["items"]} == {a["id"]}
    assert {o["id"] for o in ok(carl.client.get("/orders"))["items"]} == {b["id"]}
    assert {o["id"] for o in ok(other.influencer.client.get("/orders"))["items"]} == {other.id}
    assert ok(server.account(Role.BRAND_STAFF).client.get("/orders"))["items"] == []


def test_each_change_adds_one_version_and_one_event(server: LiveServer) -> None:
    deal: Deal = new_deal(server)
    deal.drive("ask", "answer")
    assert deal.detail()["version"] == deal.order["version"] == 3
    with server.db.read() as session:
        kinds = session.execute(select(OrderEvent.kind).where(OrderEvent.order_id == deal.id)
                                .order_by(OrderEvent.id)).scalars().all()
    assert kinds == ["created", "transition", "transition"]
