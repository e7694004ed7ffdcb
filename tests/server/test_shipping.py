"""The shipping queue over real HTTP: campaigns, requests, actions, issues, access and the feed."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from litdesk.domain.orders import Role
from litdesk.server.models import Change, Message, RequestEvent, ShippingRequest, Thread, utcnow
from tests.server.conftest import Account, LiveServer

ADDRESS = {
    "recipient_name": "Ada Lovelace", "address_line1": "12 Rue des Fleurs", "city": "Lyon",
    "postal_code": "69001", "country": "fr", "phone": "+33 4 00 00 00 00",
}


# --- helpers (test_shipping_bulk.py uses them too) -----------------------------------------------

class Crowd:
    """Accounts shared by the tests of a module. Signing up costs an Argon2 hash, so tests reuse
    these; each test works on campaigns of its own, so they do not see each other's work. A test
    that needs an account with a clean slate takes ``server.account`` instead."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self._accounts: dict[tuple[Role, int], Account] = {}

    def _get(self, role: Role, n: int) -> Account:
        if (role, n) not in self._accounts:
            self._accounts[role, n] = self.server.account(role)
        return self._accounts[role, n]

    def staff(self, n: int = 0) -> Account:
        """Staff of brand number ``n`` (each its own brand)."""
        return self._get(Role.BRAND_STAFF, n)

    def creator(self, n: int = 0) -> Account:
        return self._get(Role.CREATOR, n)


@pytest.fixture(scope="module")
def crowd(live_server: LiveServer) -> Crowd:
    return Crowd(live_server)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code, body
    return body


def new_campaign(staff: Account, kind: str = "influence", stock: int | None = None,
                 product: str = "Glow Serum") -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"Spring {uuid.uuid4().hex[:6]}", "kind": kind,
                            "product": product}
    if stock is not None:
        body["stock"] = stock
    campaign: dict[str, Any] = ok(staff.client.post("/campaigns", json=body), 201)
    return campaign


def new_request(creator: Account, campaign_id: int, **fields: Any) -> dict[str, Any]:
    body = {**ADDRESS, **fields}
    request: dict[str, Any] = ok(
        creator.client.post(f"/campaigns/{campaign_id}/requests", json=body), 201)
    return request


def act(account: Account, request_id: int, action: str, **fields: Any) -> httpx.Response:
    return account.client.post(f"/requests/{request_id}/actions",
                               json={"action": action, **fields})


def done(account: Account, request_id: int, action: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(act(account, request_id, action, **fields))
    return result


def feed_cursor(account: Account) -> int:
    cursor, more = 0, True
    while more:
        page = ok(account.client.get("/changes", params={"after": cursor, "limit": 5000}))
        cursor, more = page["cursor"], page["more"]
    return int(cursor)


def feed_since(account: Account, cursor: int) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    more = True
    while more:
        page = ok(account.client.get("/changes", params={"after": cursor, "limit": 5000}))
        changes += page["changes"]
        cursor, more = page["cursor"], page["more"]
    return changes


def latest(changes: list[dict[str, Any]], entity: str, entity_id: int) -> dict[str, Any] | None:
    found = [c["data"] for c in changes if c["entity"] == entity and c["id"] == str(entity_id)]
    return found[-1] if found else None


def thread_messages(server: LiveServer, request_id: int) -> list[Message]:
    with server.db.read() as session:
        return list(session.execute(
            select(Message).join(Thread, Thread.id == Message.thread_id)
            .where(Thread.request_id == request_id).order_by(Message.id)).unique().scalars())


def db_state(server: LiveServer, request_ids: list[int]) -> tuple[object, ...]:
    """Everything an action could touch, to show that a refused one changed nothing."""
    with server.db.read() as session:
        rows = session.execute(
            select(ShippingRequest.id, ShippingRequest.state, ShippingRequest.issue_state,
                   ShippingRequest.version, ShippingRequest.updated_at,
                   ShippingRequest.tracking_number)
            .where(ShippingRequest.id.in_(request_ids)).order_by(ShippingRequest.id)).all()
        events = session.execute(select(func.count()).select_from(RequestEvent)
                                 .where(RequestEvent.request_id.in_(request_ids))).scalar_one()
        messages = session.execute(
            select(func.count()).select_from(Message).join(Thread)
            .where(Thread.request_id.in_(request_ids))).scalar_one()
        changes = session.execute(
            select(func.count()).select_from(Change)
            .where(Change.entity == "request",
                   Change.entity_id.in_([str(i) for i in request_ids]))).scalar_one()
    return tuple(rows), events, messages, changes


def campaign_stock(staff: Account, campaign_id: int) -> int | None:
    stock: int | None = ok(staff.client.get(f"/campaigns/{campaign_id}"))["stock"]
    return stock


# --- the lifecycle -------------------------------------------------------------------------------

def test_influence_request_is_accepted_then_shipped_with_tracking(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    campaign = new_campaign(staff)
    assert campaign["status"] == "active"
    request = new_request(creator, campaign["id"], variant=" Rose 50 ml ")
    assert request["state"] == "pending"
    assert request["accepted_at"] is None
    assert request["ship_by"] is None
    assert request["product"] == "Glow Serum"
    assert request["variant"] == "Rose 50 ml"
    assert request["country"] == "FR"
    assert request["creator_handle"].startswith("@creator")
    assert request["thread_id"] is not None

    accepted = done(staff, request["id"], "accept", version=request["version"])
    assert accepted["state"] == "ready_to_ship"
    accepted_at = datetime.fromisoformat(accepted["accepted_at"])
    assert datetime.fromisoformat(accepted["ship_by"]) - accepted_at == timedelta(days=3)
    assert accepted["version"] == request["version"] + 1

    shipped = done(staff, request["id"], "ship", carrier=" DHL ", tracking_number=" 1z 99 a0 ")
    assert shipped["state"] == "sent"
    assert shipped["carrier"] == "DHL"
    assert shipped["tracking_number"] == "1Z99A0"
    assert shipped["shipped_at"] is not None

    detail = ok(creator.client.get(f"/requests/{request['id']}"))
    assert detail["state"] == "sent"
    assert [e["action"] for e in detail["events"]] == ["requested", "accept", "ship"]
    assert [(e["from_state"], e["to_state"]) for e in detail["events"]] == [
        (None, "pending"), ("pending", "ready_to_ship"), ("ready_to_ship", "sent")]
    assert detail["events"][2]["note"] == "DHL 1Z99A0"
    assert detail["events"][1]["actor_id"] == staff.id
    assert detail["allowed_actions"] == ["report_issue"]
    assert ok(staff.client.get(f"/requests/{request['id']}"))["allowed_actions"] == []


def _sent_with_issue(server: LiveServer, crowd: Crowd, stock: int | None = None
                     ) -> tuple[Account, Account, dict[str, Any], dict[str, Any]]:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    campaign = new_campaign(staff, stock=stock)
    request = new_request(creator, campaign["id"])
    done(staff, request["id"], "accept")
    done(staff, request["id"], "ship", carrier="UPS", tracking_number="AB123")
    reported = done(creator, request["id"], "report_issue", reason="The parcel arrived empty.")
    assert reported["state"] == "sent"
    assert reported["issue_state"] == "open"
    assert reported["issue_reason"] == "The parcel arrived empty."
    assert reported["issue_reported_at"] is not None
    return staff, creator, campaign, reported


def test_reship_puts_the_request_back_to_ready_to_ship_and_uses_stock(
        server: LiveServer, crowd: Crowd) -> None:
    staff, creator, campaign, request = _sent_with_issue(server, crowd, stock=3)
    assert campaign_stock(staff, campaign["id"]) == 2  # the acceptance used one
    assert ok(staff.client.get(f"/requests/{request['id']}"))["allowed_actions"] == [
        "reship", "cancel", "mark_solved"]

    reshipped = done(staff, request["id"], "reship")
    assert reshipped["state"] == "ready_to_ship"
    assert reshipped["issue_state"] == "solved"
    assert reshipped["carrier"] == ""
    assert reshipped["tracking_number"] == ""
    assert reshipped["shipped_at"] is None
    assert reshipped["reship_count"] == 1
    assert reshipped["accepted_at"] > request["accepted_at"]  # a new three days
    assert campaign_stock(staff, campaign["id"]) == 1

    events = ok(staff.client.get(f"/requests/{request['id']}"))["events"]
    assert events[-1]["action"] == "reship"
    assert "UPS AB123" in events[-1]["note"]  # the old parcel stays in the history
    notices = [m for m in thread_messages(server, request["id"]) if m.system]
    assert any("new parcel" in m.text for m in notices)

    again = done(staff, request["id"], "ship", tracking_number="CD456")
    assert again["state"] == "sent"
    assert again["tracking_number"] == "CD456"
    assert again["issue_state"] == "solved"
    # A second problem can be reported on the new parcel.
    assert done(creator, request["id"], "report_issue", reason="Late")["issue_state"] == "open"


def test_cancel_with_an_open_issue_cancels_the_order(server: LiveServer, crowd: Crowd) -> None:
    staff, _creator, campaign, request = _sent_with_issue(server, crowd, stock=5)
    cancelled = done(staff, request["id"], "cancel", reason="Out of this shade")
    assert cancelled["state"] == "cancelled"
    assert cancelled["issue_state"] == "solved"
    assert cancelled["cancelled_reason"] == "Out of this shade"
    assert cancelled["tracking_number"] == "AB123"
    assert campaign_stock(staff, campaign["id"]) == 4  # the parcel left: no unit comes back
    notices = [m.text for m in thread_messages(server, request["id"]) if m.system]
    assert any("cancelled" in t and "Out of this shade" in t for t in notices)
    refused(act(staff, request["id"], "reship"), 422, "rule_violation")


def test_mark_solved_keeps_the_request_sent(server: LiveServer, crowd: Crowd) -> None:
    staff, creator, _campaign, request = _sent_with_issue(server, crowd)
    solved = done(staff, request["id"], "mark_solved", reason="Found at the neighbour's")
    assert solved["state"] == "sent"
    assert solved["issue_state"] == "solved"
    assert solved["tracking_number"] == "AB123"
    assert refused(act(staff, request["id"], "mark_solved"), 422, "rule_violation")
    assert done(creator, request["id"], "report_issue", reason="Broken")["issue_state"] == "open"


def test_ship_without_tracking_number(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    request = new_request(creator, new_campaign(staff)["id"])
    done(staff, request["id"], "accept")
    shipped = done(staff, request["id"], "ship")
    assert shipped["state"] == "sent"
    assert shipped["tracking_number"] == ""
    assert shipped["carrier"] == ""
    refused(act(staff, request["id"], "ship"), 422, "rule_violation")


def test_refuse_needs_a_reason_and_tells_the_creator(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    campaign = new_campaign(staff)
    request = new_request(creator, campaign["id"])
    before = db_state(server, [request["id"]])
    body = refused(act(staff, request["id"], "refuse"), 422, "rule_violation")
    assert "reason" in body["message"]
    refused(act(staff, request["id"], "refuse", reason="   "), 422, "rule_violation")
    assert db_state(server, [request["id"]]) == before

    refusal = done(staff, request["id"], "refuse", reason="Audience outside our market")
    assert refusal["state"] == "refused"
    assert refusal["refused_reason"] == "Audience outside our market"
    notices = [m for m in thread_messages(server, request["id"]) if m.system]
    assert len(notices) == 1
    assert notices[0].sender_id is None
    assert "Audience outside our market" in notices[0].text
    refused(act(staff, request["id"], "accept"), 422, "rule_violation")


def test_one_open_request_per_creator_and_campaign(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    campaign = new_campaign(staff)
    first = new_request(creator, campaign["id"])
    second = creator.client.post(f"/campaigns/{campaign['id']}/requests", json=ADDRESS)
    body = refused(second, 409, "conflict")
    assert body["details"]["current"]["id"] == first["id"]
    done(staff, first["id"], "refuse", reason="Not this time")
    again = new_request(creator, campaign["id"])  # after a refusal the creator may ask again
    assert again["id"] != first["id"]
    assert again["state"] == "pending"


def test_gifted_review_starts_ready_to_ship_and_counts_stock(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, kind="gifted_review", stock=1)
    request = new_request(crowd.creator(0), campaign["id"])
    assert request["state"] == "ready_to_ship"
    assert request["accepted_at"] == request["requested_at"]
    assert campaign_stock(staff, campaign["id"]) == 0
    late = crowd.creator(1).client.post(
        f"/campaigns/{campaign['id']}/requests", json=ADDRESS)
    assert "stock" in refused(late, 422, "rule_violation")["message"]
    events = ok(staff.client.get(f"/requests/{request['id']}"))["events"]
    assert [(e["action"], e["to_state"]) for e in events] == [("requested", "ready_to_ship")]


def test_accept_is_refused_when_the_stock_runs_out(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, stock=1)
    first = new_request(crowd.creator(0), campaign["id"])
    second = new_request(crowd.creator(1), campaign["id"])
    done(staff, first["id"], "accept")
    assert campaign_stock(staff, campaign["id"]) == 0
    before = db_state(server, [second["id"]])
    body = refused(act(staff, second["id"], "accept"), 422, "rule_violation")
    assert "no stock left" in body["message"]
    assert db_state(server, [second["id"]]) == before
    assert "accept" not in ok(staff.client.get(f"/requests/{second['id']}"))["allowed_actions"]
    # Refusing uses no stock; cancelling a Ready to Ship request gives its unit back.
    done(staff, first["id"], "cancel", reason="Creator withdrew")
    assert campaign_stock(staff, campaign["id"]) == 1
    assert done(staff, second["id"], "accept")["state"] == "ready_to_ship"
    assert campaign_stock(staff, campaign["id"]) == 0


def test_uncounted_stock_never_runs_out(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    for n in range(3):
        request = new_request(crowd.creator(n), campaign["id"])
        assert done(staff, request["id"], "accept")["state"] == "ready_to_ship"
    assert campaign_stock(staff, campaign["id"]) is None


def test_overdue_filter_and_counts(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    late = new_request(crowd.creator(0), campaign["id"])
    fresh = new_request(crowd.creator(1), campaign["id"])
    shipped = new_request(crowd.creator(2), campaign["id"])
    for r in (late, fresh, shipped):
        done(staff, r["id"], "accept")
    done(staff, shipped["id"], "ship")
    with server.db.write() as session:
        session.execute(update(ShippingRequest)
                        .where(ShippingRequest.id.in_([late["id"], shipped["id"]]))
                        .values(accepted_at=utcnow() - timedelta(days=4)))
        session.commit()

    params: dict[str, Any] = {"campaign_id": campaign["id"], "overdue": "true"}
    page = ok(staff.client.get("/requests", params=params))
    assert [r["id"] for r in page["items"]] == [late["id"]]
    assert page["total"] == 1
    params["overdue"] = "false"
    rest = ok(staff.client.get("/requests", params=params))
    assert {r["id"] for r in rest["items"]} == {fresh["id"], shipped["id"]}
    counts = ok(staff.client.get(f"/campaigns/{campaign['id']}"))["counts"]
    assert counts["overdue"] == 1
    assert counts["ready_to_ship"] == 2
    assert counts["sent"] == 1
    assert counts["pending"] == 0


def test_only_the_creator_reports_issues_and_only_brand_staff_accept(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    request = new_request(creator, new_campaign(staff)["id"])
    before = db_state(server, [request["id"]])
    refused(act(creator, request["id"], "accept"), 403, "not_allowed")
    refused(act(creator, request["id"], "ship"), 403, "not_allowed")
    assert db_state(server, [request["id"]]) == before
    done(staff, request["id"], "accept")
    done(staff, request["id"], "ship")
    before = db_state(server, [request["id"]])
    refused(act(staff, request["id"], "report_issue", reason="Lost"), 403, "not_allowed")
    assert db_state(server, [request["id"]]) == before
    # Creators cannot launch or cancel campaigns; brand staff cannot request products.
    refused(creator.client.post("/campaigns", json={"name": "x", "kind": "influence",
                                                    "product": "y"}), 403, "not_allowed")
    influencer = server.account(Role.INFLUENCER)
    refused(influencer.client.get("/requests"), 403, "not_allowed")
    refused(influencer.client.get("/campaigns"), 403, "not_allowed")


def test_another_brand_gets_404_on_everything_and_changes_nothing(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    creator = crowd.creator(0)
    campaign = new_campaign(staff, stock=5)
    request = new_request(creator, campaign["id"])
    done(staff, request["id"], "accept")
    rival = crowd.staff(1)
    before = db_state(server, [request["id"]])
    stock_before = campaign_stock(staff, campaign["id"])

    rid, cid = request["id"], campaign["id"]
    refused(rival.client.get(f"/campaigns/{cid}"), 404, "not_found")
    refused(rival.client.post(f"/campaigns/{cid}/cancel", json={"reason": "mine now"}),
            404, "not_found")
    hidden = refused(rival.client.get(f"/requests/{rid}"), 404, "not_found")
    assert hidden == refused(rival.client.get("/requests/99999999"), 404, "not_found")
    for action in ("ship", "cancel", "refuse", "accept", "mark_solved", "reship"):
        refused(act(rival, rid, action, reason="x"), 404, "not_found")
    assert cid not in [c["id"] for c in ok(rival.client.get("/campaigns"))]
    assert ok(rival.client.get("/requests", params={"campaign_id": cid}))["total"] == 0

    assert db_state(server, [rid]) == before
    assert campaign_stock(staff, cid) == stock_before


def test_a_creator_sees_only_their_own_requests(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    alice = server.account(Role.CREATOR)  # a clean slate: their whole list is checked
    bob = crowd.creator(0)
    mine = new_request(alice, campaign["id"])
    theirs = new_request(bob, campaign["id"])
    page = ok(alice.client.get("/requests"))
    assert [r["id"] for r in page["items"]] == [mine["id"]]
    refused(alice.client.get(f"/requests/{theirs['id']}"), 404, "not_found")
    refused(act(alice, theirs["id"], "report_issue", reason="x"), 404, "not_found")
    staff_page = ok(staff.client.get("/requests", params={"campaign_id": campaign["id"]}))
    assert {r["id"] for r in staff_page["items"]} == {mine["id"], theirs["id"]}
    # Creators see the campaign, without the brand's counts.
    seen = ok(alice.client.get(f"/campaigns/{campaign['id']}"))
    assert seen["counts"] == {}
    assert ok(staff.client.get(f"/campaigns/{campaign['id']}"))["counts"]["pending"] == 2


def test_a_stale_version_answers_409_with_the_current_request(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    request = new_request(crowd.creator(0), new_campaign(staff)["id"])
    done(staff, request["id"], "accept", version=request["version"])
    body = refused(act(staff, request["id"], "ship", version=request["version"]),
                   409, "conflict")
    assert body["details"]["current"]["state"] == "ready_to_ship"
    assert body["details"]["current"]["version"] == request["version"] + 1


def test_an_idempotency_key_applies_an_action_once(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, stock=5)
    request = new_request(crowd.creator(0), campaign["id"])
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = staff.client.post(f"/requests/{request['id']}/actions", json={"action": "accept"},
                              headers=headers)
    second = staff.client.post(f"/requests/{request['id']}/actions", json={"action": "accept"},
                               headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()
    assert campaign_stock(staff, campaign["id"]) == 4


def test_list_filters_search_sort_and_pages(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    # The third is new so that its handle (searched for below) is in no other request here.
    creators = [crowd.creator(0), crowd.creator(1), server.account(Role.CREATOR)]
    requests = [new_request(c, campaign["id"], variant=v)
                for c, v in zip(creators, ("Rose", "Jasmine", "Rose"), strict=True)]
    done(staff, requests[0]["id"], "accept")
    done(staff, requests[0]["id"], "ship", tracking_number="ZX 9981 Q")
    done(staff, requests[1]["id"], "accept")
    done(creators[0], requests[0]["id"], "report_issue", reason="Damaged")

    def ids(**params: Any) -> list[int]:
        page = ok(staff.client.get("/requests", params={"campaign_id": campaign["id"],
                                                        **params}))
        return [r["id"] for r in page["items"]]

    r0, r1, r2 = (r["id"] for r in requests)
    assert ids() == [r0, r1, r2]
    assert ids(sort="-requested_at") == [r2, r1, r0]
    assert ids(state=["sent", "pending"]) == [r0, r2]
    assert ids(issue="open") == [r0]
    assert ids(q="zx9981") == [r0]  # tracking numbers match without spaces, any case
    assert ids(q="jasmine") == [r1]
    assert ids(q=requests[2]["creator_handle"].upper()) == [r2]
    assert ids(q="100%_") == []  # wildcards are matched literally
    assert ids(sort="-accepted_at") == [r1, r0, r2]  # never accepted sorts last
    page = ok(staff.client.get("/requests", params={"campaign_id": campaign["id"],
                                                    "limit": 2, "offset": 1}))
    assert [r["id"] for r in page["items"]] == [r1, r2]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    refused(staff.client.get("/requests", params={"sort": "password"}), 422, "invalid")


# --- campaigns -----------------------------------------------------------------------------------

def test_cancelling_a_campaign_cancels_what_is_not_yet_sent(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    waiting, ready, sent = (crowd.creator(n) for n in range(3))
    r_wait = new_request(waiting, campaign["id"])
    r_ready = new_request(ready, campaign["id"])
    r_sent = new_request(sent, campaign["id"])
    done(staff, r_ready["id"], "accept")
    done(staff, r_sent["id"], "accept")
    done(staff, r_sent["id"], "ship", tracking_number="T1")
    cursors = {a.id: feed_cursor(a) for a in (waiting, ready, sent)}

    refused(waiting.client.post(f"/campaigns/{campaign['id']}/cancel",
                                json={"reason": "x"}), 403, "not_allowed")
    refused(staff.client.post(f"/campaigns/{campaign['id']}/cancel", json={"reason": ""}),
            422, "invalid")
    out = ok(staff.client.post(f"/campaigns/{campaign['id']}/cancel",
                               json={"reason": "Stock lost in a warehouse flood"}))
    assert out["status"] == "cancelled"
    assert out["cancelled_at"] is not None
    assert out["counts"]["cancelled"] == 2
    assert out["counts"]["sent"] == 1

    for creator, request, state in ((waiting, r_wait, "cancelled"),
                                    (ready, r_ready, "cancelled"), (sent, r_sent, "sent")):
        current = ok(creator.client.get(f"/requests/{request['id']}"))
        assert current["state"] == state
        notices = [m.text for m in thread_messages(server, request["id"]) if m.system]
        changes = feed_since(creator, cursors[creator.id])
        if state == "cancelled":
            assert current["cancelled_reason"] == "Stock lost in a warehouse flood"
            assert current["events"][-1]["note"].startswith("Campaign cancelled")
            assert len(notices) == 1
            assert "Stock lost in a warehouse flood" in notices[0]
            assert latest(changes, "request", request["id"])["state"] == "cancelled"
            assert any(c["entity"] == "message" and c["data"]["system"]
                       and c["data"]["thread_id"] == request["thread_id"] for c in changes)
            assert current["allowed_actions"] == []
        else:
            assert notices == []
            assert latest(changes, "request", request["id"]) is None
        assert latest(changes, "campaign", campaign["id"])["status"] == "cancelled"

    # Nothing more happens on a cancelled campaign.
    body = refused(act(sent, r_sent["id"], "report_issue", reason="Lost"), 422, "rule_violation")
    assert "cancelled" in body["message"]
    refused(sent.client.post(f"/campaigns/{campaign['id']}/requests", json=ADDRESS),
            422, "rule_violation")
    refused(staff.client.post(f"/campaigns/{campaign['id']}/cancel", json={"reason": "again"}),
            422, "rule_violation")
    # A creator with no request there no longer sees it; those who requested still do.
    assert campaign["id"] not in [
        c["id"] for c in ok(crowd.creator(3).client.get("/campaigns"))]
    assert campaign["id"] in [c["id"] for c in ok(sent.client.get("/campaigns"))]


def test_creators_see_active_campaigns_of_every_brand(server: LiveServer, crowd: Crowd) -> None:
    one, two = crowd.staff(0), crowd.staff(1)
    a, b = new_campaign(one), new_campaign(two, kind="gifted_review")
    seen = {c["id"]: c for c in ok(crowd.creator(0).client.get("/campaigns"))}
    assert {a["id"], b["id"]} <= set(seen)
    assert seen[b["id"]]["kind"] == "gifted_review"
    mine = [c["id"] for c in ok(one.client.get("/campaigns"))]
    assert a["id"] in mine
    assert b["id"] not in mine
    refused(crowd.creator(1).client.post(
        "/campaigns/99999999/requests", json=ADDRESS), 404, "not_found")
    bad = crowd.creator(2).client.post(
        f"/campaigns/{a['id']}/requests", json={**ADDRESS, "country": "1x"})
    refused(bad, 422, "invalid")


def test_input_a_database_cannot_store_is_refused_as_invalid(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff)
    creator = crowd.creator(0)
    too_many = {"name": "Big", "kind": "influence", "product": "p", "stock": 2**40}
    refused(staff.client.post("/campaigns", json=too_many), 422, "invalid")
    for body in ({**ADDRESS, "recipient_name": "Ada\x00"}, {**ADDRESS, "city": "\ud800"},
                 {**ADDRESS, "recipient_name": "   "}):
        raw = json.dumps(body).encode()  # escapes the lone surrogate, as a client may send it
        refused(creator.client.post(f"/campaigns/{campaign['id']}/requests", content=raw,
                                    headers={"Content-Type": "application/json"}),
                422, "invalid")
    refused(staff.client.get("/requests", params={"q": "a\x00b"}), 422, "invalid")
    request = new_request(creator, campaign["id"])
    refused(act(staff, request["id"], "refuse", reason="no\x00"), 422, "invalid")
    assert ok(staff.client.get(f"/requests/{request['id']}"))["state"] == "pending"


# --- the change feed -----------------------------------------------------------------------------

def test_changes_reach_the_brand_and_the_creator_but_not_another_brand(
        server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    colleague = server.account(Role.BRAND_STAFF, brand_id=staff.brand_id)
    creator = crowd.creator(0)
    other_creator = crowd.creator(1)
    rival = crowd.staff(1)
    watchers = (staff, colleague, creator, other_creator, rival)
    cursors = {a.id: feed_cursor(a) for a in watchers}

    campaign = new_campaign(staff, stock=4)
    request = new_request(creator, campaign["id"])
    done(staff, request["id"], "accept")
    done(staff, request["id"], "ship", tracking_number="FEED1")
    seen = {a.id: feed_since(a, cursors[a.id]) for a in watchers}

    for account in (staff, colleague, creator):
        data = latest(seen[account.id], "request", request["id"])
        assert data is not None, account.role
        assert data["state"] == "sent"
        assert data["tracking_number"] == "FEED1"
        assert latest(seen[account.id], "campaign", campaign["id"])["stock"] == 3
    for account in (other_creator, rival):
        assert latest(seen[account.id], "request", request["id"]) is None
        assert not any(c["entity"] in ("message", "thread") and
                       c["data"].get("request_id") == request["id"]
                       for c in seen[account.id])
    # Campaigns are announced to every creator (to request from), never to another brand.
    assert latest(seen[other_creator.id], "campaign", campaign["id"]) is not None
    assert latest(seen[rival.id], "campaign", campaign["id"]) is None
    # The feed carries no counts: they are the brand's own figures.
    assert latest(seen[staff.id], "campaign", campaign["id"])["counts"] == {}


def test_openapi_documents_the_shipping_endpoints(server: LiveServer) -> None:
    paths = httpx.get(server.url + "/openapi.json", timeout=10).json()["paths"]
    for path in ("/campaigns", "/campaigns/{campaign_id}", "/campaigns/{campaign_id}/cancel",
                 "/campaigns/{campaign_id}/requests", "/requests", "/requests/{request_id}",
                 "/requests/{request_id}/actions", "/requests/bulk",
                 "/requests/bulk-message"):
        assert f"/api/v1{path}" in paths, path
    action = paths["/api/v1/requests/{request_id}/actions"]["post"]["responses"]
    assert {"200", "403", "404", "409", "422"} <= set(action)
    assert action["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")


# --- concurrency ---------------------------------------------------------------------------------

def test_concurrent_accepts_never_oversell_the_stock(server: LiveServer, crowd: Crowd) -> None:
    staff = crowd.staff(0)
    campaign = new_campaign(staff, stock=2)
    requests = [new_request(crowd.creator(n), campaign["id"]) for n in range(6)]
    clients = [server.client(staff.token) for _ in requests]
    start = threading.Barrier(len(requests))

    def accept(n: int) -> int:
        start.wait(timeout=30)
        response = clients[n].post(f"/requests/{requests[n]['id']}/actions",
                                   json={"action": "accept"})
        return response.status_code

    with ThreadPoolExecutor(len(requests)) as pool:
        codes = sorted(pool.map(accept, range(len(requests))))
    assert codes == [200, 200, 422, 422, 422, 422]
    assert campaign_stock(staff, campaign["id"]) == 0
    states = [ok(staff.client.get(f"/requests/{r['id']}"))["state"] for r in requests]
    assert states.count("ready_to_ship") == 2
