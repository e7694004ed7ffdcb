"""After completion, over real HTTP: each party's rating and the advertiser's metrics survey."""

from __future__ import annotations

from litdesk.domain.orders import Role
from tests.server.conftest import LiveServer
from tests.server.order_flow import COMPLETED, PROCESSING, new_deal, ok, refused, snapshot

SURVEY = {"impressions": 120_000, "clicks": 3_400, "conversions": 210, "satisfaction": 4,
          "comment": "Better than expected."}


def test_each_party_rates_once_after_completion(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*PROCESSING)
    for party in (deal.influencer, deal.advertiser):
        body = refused(party.client.post(f"/orders/{deal.id}/ratings", json={"score": 5}),
                       422, "not_completed")
        assert "not completed" in body["message"]
    deal.drive("complete")

    mine = ok(deal.influencer.client.post(f"/orders/{deal.id}/ratings",
                                          json={"score": 5, "comment": " Great brief. "}), 201)
    assert (mine["order_id"], mine["rater_id"], mine["score"], mine["comment"]) == (
        deal.id, deal.influencer.id, 5, "Great brief.")
    before = snapshot(server, deal.id)
    twice = refused(deal.influencer.client.post(f"/orders/{deal.id}/ratings", json={"score": 1}),
                    409, "conflict")
    assert twice["details"]["current"]["score"] == 5
    assert snapshot(server, deal.id) == before

    theirs = ok(deal.advertiser.client.post(f"/orders/{deal.id}/ratings", json={"score": 3}),
                201)
    assert theirs["rater_id"] == deal.advertiser.id
    refused(deal.advertiser.client.post(f"/orders/{deal.id}/ratings", json={"score": 3}),
            409, "conflict")

    detail = deal.detail(deal.influencer)
    assert [(r["rater_id"], r["score"]) for r in detail["ratings"]] == [
        (deal.influencer.id, 5), (deal.advertiser.id, 3)]
    ratings = [e for e in detail["events"] if e["kind"] == "rating"]
    assert [(e["actor_id"], e["note"]) for e in ratings] == [
        (deal.influencer.id, "5/5: Great brief."), (deal.advertiser.id, "3/5")]
    assert detail["status"] == "completed"
    assert detail["version"] == deal.order["version"]  # rating does not change the order


def test_rating_is_still_open_after_a_refund_request(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*COMPLETED, "ask_refund")
    ok(deal.advertiser.client.post(f"/orders/{deal.id}/ratings", json={"score": 1}), 201)


def test_ratings_are_validated_and_mediators_do_not_rate(server: LiveServer) -> None:
    deal = new_deal(server)
    deal.drive(*COMPLETED)
    url = f"/orders/{deal.id}/ratings"
    for score in (0, 6, "five"):
        refused(deal.advertiser.client.post(url, json={"score": score}), 422, "invalid")
    refused(deal.by(Role.MEDIATOR).client.post(url, json={"score": 3}), 403, "not_allowed")
    assert deal.detail()["ratings"] == []


def test_the_advertiser_answers_the_metrics_survey_once_after_completion(
        server: LiveServer) -> None:
    deal = new_deal(server)
    url = f"/orders/{deal.id}/survey"
    deal.drive(*PROCESSING)
    refused(deal.advertiser.client.post(url, json=SURVEY), 422, "not_completed")
    deal.drive("complete")
    refused(deal.influencer.client.post(url, json=SURVEY), 403, "not_allowed")
    refused(deal.by(Role.MEDIATOR).client.post(url, json=SURVEY), 403, "not_allowed")
    refused(deal.advertiser.client.post(url, json={**SURVEY, "clicks": -1}), 422, "invalid")
    refused(deal.advertiser.client.post(url, json={**SURVEY, "satisfaction": 0}), 422, "invalid")
    assert deal.detail()["survey"] is None

    survey = ok(deal.advertiser.client.post(url, json=SURVEY), 201)
    assert {k: survey[k] for k in SURVEY} == SURVEY
    assert survey["order_id"] == deal.id
    before = snapshot(server, deal.id)
    again = refused(deal.advertiser.client.post(url, json={**SURVEY, "clicks": 1}), 409,
                    "conflict")
    assert again["details"]["current"]["clicks"] == 3_400
    assert snapshot(server, deal.id) == before

    detail = deal.detail(deal.influencer)
    assert detail["survey"]["id"] == survey["id"]
    last = detail["events"][-1]
    assert (last["kind"], last["actor_id"]) == ("survey", deal.advertiser.id)
    assert "120000 impressions" in last["note"]
