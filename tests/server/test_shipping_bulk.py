"""Bulk actions and bulk messages on the shipping queue, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Account, LiveServer
from tests.server.test_shipping import (
    Crowd,
    campaign_stock,
    db_state,
    done,
    feed_cursor,
    feed_since,
    latest,
    new_campaign,
    new_request,
    ok,
    refused,
    thread_messages,
)


@pytest.fixture(scope="module")
def crowd(live_server: LiveServer) -> Crowd:
    return Crowd(live_server)


def bulk(account: Account, action: str, items: list[dict[str, Any]], **fields: Any) -> Any:
    return ok(account.client.post("/requests/bulk",
                                  json={"action": action, "items": items, **fields}))


def states(staff: Account, ids: list[int]) -> list[str]:
    return [ok(staff.client.get(f"/requests/{i}"))["state"] for i in ids]


def test_mixed_bulk_reports_each_item_and_applies_the_good_ones(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    good_1, good_2, refused_one, stale = (new_request(crowd.creator(n), campaign["id"])
                                          for n in range(4))
    done(staff, refused_one["id"], "refuse", reason="No")
    done(staff, stale["id"], "accept")
    rival_staff = crowd.staff(1)
    theirs = new_request(crowd.creator(0), new_campaign(rival_staff)["id"])
    rival_before = db_state(server, [theirs["id"]])
    cursor = feed_cursor(staff)

    result = bulk(staff, "ship", [
        {"id": good_1["id"], "carrier": "DHL", "tracking_number": "aa 11"},
        {"id": refused_one["id"]},
        {"id": theirs["id"]},
        {"id": good_2["id"]},
        {"id": 2**31 - 1},
        {"id": stale["id"], "version": stale["version"]},
    ])
    # ``ship`` needs Ready to Ship: accept the two good ones first, in another bulk.
    assert result["applied"] == 0
    assert [r["error"]["code"] for r in result["results"]] == [
        "rule_violation", "rule_violation", "not_found", "rule_violation", "not_found",
        "conflict"]

    accepted = bulk(staff, "accept", [
        {"id": good_1["id"]}, {"id": refused_one["id"]}, {"id": theirs["id"]},
        {"id": good_2["id"]}, {"id": 2**31 - 1},
    ])
    assert [r["id"] for r in accepted["results"]] == [
        good_1["id"], refused_one["id"], theirs["id"], good_2["id"], 2**31 - 1]
    assert [r["ok"] for r in accepted["results"]] == [True, False, False, True, False]
    assert (accepted["applied"], accepted["failed"]) == (2, 3)
    first, illegal, foreign, second, missing = accepted["results"]
    assert first["request"]["state"] == "ready_to_ship"
    assert first["error"] is None
    assert illegal["error"]["code"] == "rule_violation"
    assert "refused" in illegal["error"]["message"]
    assert set(illegal["error"]) == {"code", "message", "details"}
    assert foreign["error"] == missing["error"]  # another brand's request is just not there
    assert foreign["error"]["code"] == "not_found"
    assert foreign["request"] is None
    assert second["request"]["thread_id"] == good_2["thread_id"]

    assert states(staff, [good_1["id"], good_2["id"], refused_one["id"]]) == [
        "ready_to_ship", "ready_to_ship", "refused"]
    assert db_state(server, [theirs["id"]]) == rival_before
    # The applied items reach the change feed even though items around them were rolled back.
    changes = feed_since(staff, cursor)
    assert latest(changes, "request", good_1["id"])["state"] == "ready_to_ship"
    assert latest(changes, "request", good_2["id"])["state"] == "ready_to_ship"
    assert latest(changes, "request", refused_one["id"]) is None

    shipped = bulk(staff, "ship", [
        {"id": good_1["id"], "carrier": " DHL ", "tracking_number": "aa 11"},
        {"id": good_2["id"], "tracking_number": "bb-22"},
    ])
    assert shipped["applied"] == 2
    assert [(r["request"]["carrier"], r["request"]["tracking_number"])
            for r in shipped["results"]] == [("DHL", "AA11"), ("", "BB-22")]


def test_atomic_bulk_with_one_bad_item_applies_none(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, stock=10)
    requests = [new_request(crowd.creator(n), campaign["id"]) for n in range(3)]
    done(staff, requests[1]["id"], "refuse", reason="No")
    ids = [r["id"] for r in requests]
    before = db_state(server, ids)
    cursor = feed_cursor(staff)

    result = bulk(staff, "accept", [{"id": i} for i in ids], atomic=True)
    assert (result["applied"], result["failed"]) == (0, 1)
    codes = [r["error"]["code"] for r in result["results"]]
    assert codes == ["not_applied", "rule_violation", "not_applied"]
    assert not any(r["ok"] for r in result["results"])
    assert all(r["request"] is None for r in result["results"])

    assert db_state(server, ids) == before
    assert campaign_stock(staff, campaign["id"]) == 10
    changes = feed_since(staff, cursor)
    assert all(latest(changes, "request", i) is None for i in ids)

    # The same batch without the bad item applies in full.
    good = [requests[0]["id"], requests[2]["id"]]
    applied = bulk(staff, "accept", [{"id": i} for i in good], atomic=True)
    assert (applied["applied"], applied["failed"]) == (2, 0)
    assert states(staff, good) == ["ready_to_ship", "ready_to_ship"]
    assert campaign_stock(staff, campaign["id"]) == 8


def test_bulk_accept_stops_where_the_stock_ends(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, stock=2)
    ids = [new_request(crowd.creator(n), campaign["id"])["id"] for n in range(3)]
    result = bulk(staff, "accept", [{"id": i} for i in ids])
    assert [r["ok"] for r in result["results"]] == [True, True, False]
    assert "no stock left" in result["results"][2]["error"]["message"]
    assert campaign_stock(staff, campaign["id"]) == 0
    assert states(staff, ids) == ["ready_to_ship", "ready_to_ship", "pending"]


def test_bulk_refuse_needs_a_reason_and_tells_each_creator(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    ids = [new_request(crowd.creator(n), campaign["id"])["id"] for n in range(2)]
    without = bulk(staff, "refuse", [{"id": i} for i in ids])
    assert without["applied"] == 0
    assert {r["error"]["code"] for r in without["results"]} == {"rule_violation"}
    with_reason = bulk(staff, "refuse", [{"id": i} for i in ids], reason="Campaign is full")
    assert with_reason["applied"] == 2
    for request_id in ids:
        notices = [m.text for m in thread_messages(server, request_id) if m.system]
        assert len(notices) == 1
        assert "Campaign is full" in notices[0]


def test_bulk_needs_the_role_that_takes_the_action(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    request = new_request(creator, new_campaign(staff)["id"])
    before = db_state(server, [request["id"]])
    refused(creator.client.post("/requests/bulk", json={
        "action": "accept", "items": [{"id": request["id"]}]}), 403, "not_allowed")
    refused(staff.client.post("/requests/bulk", json={
        "action": "report_issue", "items": [{"id": request["id"]}], "reason": "x"}),
        403, "not_allowed")
    refused(creator.client.post("/requests/bulk-message", json={
        "request_ids": [request["id"]], "text": "hello"}), 403, "not_allowed")
    refused(staff.client.post("/requests/bulk", json={"action": "accept", "items": []}),
            422, "invalid")
    assert db_state(server, [request["id"]]) == before


def test_bulk_message_reaches_each_thread(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    creators = [crowd.creator(n) for n in range(3)]
    requests = [new_request(c, campaign["id"]) for c in creators]
    theirs = new_request(creators[0], new_campaign(crowd.staff(1))["id"])
    cursors = {c.id: feed_cursor(c) for c in creators}
    text = "Heads up: the rose shade is delayed by a week."
    ids = [r["id"] for r in requests]

    result = ok(staff.client.post("/requests/bulk-message", json={
        "request_ids": [*ids, theirs["id"], ids[0]], "text": text}))
    assert [r["id"] for r in result["results"]] == [*ids, theirs["id"]]
    assert [r["ok"] for r in result["results"]] == [True, True, True, False]
    assert result["results"][3]["error"]["code"] == "not_found"
    assert (result["applied"], result["failed"]) == (3, 1)

    for creator, request in zip(creators, requests, strict=True):
        messages = thread_messages(server, request["id"])
        assert [(m.text, m.sender_id, m.system) for m in messages] == [(text, staff.id, False)]
        changes = feed_since(creator, cursors[creator.id])
        assert any(c["entity"] == "message" and c["data"]["text"] == text
                   and c["data"]["thread_id"] == request["thread_id"] for c in changes)
    assert thread_messages(server, theirs["id"]) == []
    refused(staff.client.post("/requests/bulk-message", json={
        "request_ids": ids, "text": "   "}), 422, "invalid")
