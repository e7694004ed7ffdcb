"""Threads and messages over real HTTP: who sees which thread, sending, paging backwards,
unread counts and read markers, and messages reaching both parties through the change feed."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from litdesk.domain.orders import Role
from litdesk.server.models import Message, OrderEvent, Thread, User
from litdesk.server.services.threads import post_message
from tests.server.conftest import Account, LiveServer
from tests.server.factories import make_campaign, make_order, make_request


def send(account: Account, thread_id: int, text: str, **extra: Any) -> dict[str, Any]:
    response = account.client.post(f"/threads/{thread_id}/messages", json={"text": text, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def texts(account: Account, thread_id: int, **params: Any) -> list[str]:
    response = account.client.get(f"/threads/{thread_id}/messages", params=params)
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["items"]]


def unread(account: Account, thread_id: int) -> int:
    listed = {t["id"]: t["unread"] for t in account.client.get("/threads").json()["items"]}
    single: int = account.client.get(f"/threads/{thread_id}").json()["unread"]
    assert listed[thread_id] == single
    return single


def message_count(server: LiveServer, thread_id: int) -> int:
    with server.db.read() as session:
        return session.execute(select(func.count()).select_from(Message)
                               .where(Message.thread_id == thread_id)).scalar_one()


def feed_cursor(account: Account) -> int:
    """Where the account's change feed stands now."""
    page = {"cursor": 0, "more": True}
    while page["more"]:
        page = account.client.get("/changes", params={"after": page["cursor"],
                                                      "limit": 5000}).json()
    cursor: int = page["cursor"]
    return cursor


def feed_after(account: Account, cursor: int) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = account.client.get(
        "/changes", params={"after": cursor, "limit": 5000}).json()["changes"]
    return changes


# --- orders --------------------------------------------------------------------------------------

def test_both_parties_of_an_order_share_its_thread(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER, name="Ines Influencer")
    advertiser = server.account(Role.ADVERTISER, name="Adam Advertiser")
    order = make_order(server, influencer, advertiser, title="Unboxing video")

    for who in (influencer, advertiser):
        thread = who.client.get(f"/orders/{order.id}/thread")
        assert thread.status_code == 200, thread.text
        assert thread.json()["id"] == order.thread_id
        assert thread.json()["kind"] == "order"
        assert thread.json()["order_id"] == order.id
        assert thread.json()["title"] == f"{order.number} · Unboxing video"

    first = send(advertiser, order.thread_id, "Hello! Can you post on Friday?")
    second = send(influencer, order.thread_id, "  Friday works.  ")
    assert first["sender_id"] == advertiser.id
    assert first["sender_name"] == "Adam Advertiser"
    assert first["system"] is False
    assert second["text"] == "Friday works."  # trimmed
    assert second["id"] > first["id"]

    for who in (influencer, advertiser):
        page = who.client.get(f"/threads/{order.thread_id}/messages").json()
        assert [m["id"] for m in page["items"]] == [first["id"], second["id"]]
        assert [m["sender_id"] for m in page["items"]] == [advertiser.id, influencer.id]
        assert page["has_more"] is False
        thread = who.client.get(f"/threads/{order.thread_id}").json()
        assert thread["message_count"] == 2
        assert thread["last_message_at"] == second["created_at"]

    # Each message is an entry in the order's events log.
    with server.db.read() as session:
        notes = list(session.execute(
            select(OrderEvent.note).where(OrderEvent.order_id == order.id,
                                          OrderEvent.kind == "message")
            .order_by(OrderEvent.id)).scalars())
    assert notes == ["Hello! Can you post on Friday?", "Friday works."]


def test_a_mediator_sees_every_order_thread(server: LiveServer) -> None:
    order = make_order(server, server.account(Role.INFLUENCER), server.account(Role.ADVERTISER))
    mediator = server.account(Role.MEDIATOR)
    assert mediator.client.get(f"/orders/{order.id}/thread").json()["id"] == order.thread_id
    assert mediator.client.get(f"/threads/{order.thread_id}/messages").status_code == 200


def test_a_stranger_gets_404_everywhere_and_nothing_is_stored(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    send(advertiser, order.thread_id, "private")
    strangers = [server.account(Role.INFLUENCER), server.account(Role.ADVERTISER),
                 server.account(Role.BRAND_STAFF), server.account(Role.CREATOR)]
    stranger_upload = strangers[1].client.post(
        "/attachments", files={"file": ("x.txt", b"hi", "text/plain")}).json()["id"]
    with server.db.read() as session:
        events_before = session.execute(select(func.count()).select_from(OrderEvent)).scalar_one()

    for stranger in strangers:
        client = stranger.client
        answers = [
            client.get(f"/orders/{order.id}/thread"),
            client.get(f"/threads/{order.thread_id}"),
            client.get(f"/threads/{order.thread_id}/messages"),
            client.post(f"/threads/{order.thread_id}/messages", json={"text": "let me in"},
                        headers={"Idempotency-Key": str(uuid.uuid4())}),
            client.post(f"/threads/{order.thread_id}/read",
                        json={"last_read_message_id": 10**9}),
        ]
        if stranger is strangers[1]:
            answers.append(client.post(f"/threads/{order.thread_id}/messages",
                                       json={"text": "", "attachment_ids": [stranger_upload]}))
        for response in answers:
            assert response.status_code == 404, (response.request.url, response.text)
            assert response.json()["code"] == "not_found"
        listed = client.get("/threads").json()
        assert order.thread_id not in {t["id"] for t in listed["items"]}

    assert message_count(server, order.thread_id) == 1
    with server.db.read() as session:
        assert session.execute(select(func.count()).select_from(OrderEvent)).scalar_one() \
            == events_before
    assert texts(advertiser, order.thread_id) == ["private"]
    assert unread(influencer, order.thread_id) == 1  # no stranger's read marker leaked in
    assert server.client().get(f"/threads/{order.thread_id}").status_code == 401


def test_unknown_thread_order_and_request_answer_404(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    for path in ("/threads/999999999", "/threads/999999999/messages", "/orders/999999999/thread",
                 "/requests/999999999/thread"):
        assert alice.client.get(path).status_code == 404


# --- shipping requests ---------------------------------------------------------------------------

def test_request_thread_is_shared_by_the_creator_and_the_brands_staff(server: LiveServer) -> None:
    brand = server.new_brand("Acme")
    staff = server.account(Role.BRAND_STAFF, brand_id=brand)
    colleague = server.account(Role.BRAND_STAFF, brand_id=brand)
    other_brand = server.account(Role.BRAND_STAFF)
    creator = server.account(Role.CREATOR, name="Cleo Creator")
    other_creator = server.account(Role.CREATOR)
    campaign = make_campaign(server, brand, name="Spring drop")
    request = make_request(server, campaign, creator)

    for who in (creator, staff, colleague):
        thread = who.client.get(f"/requests/{request.id}/thread")
        assert thread.status_code == 200, thread.text
        assert thread.json()["id"] == request.thread_id
        assert thread.json()["kind"] == "request"
        assert thread.json()["request_id"] == request.id
        assert thread.json()["title"] == "Spring drop · Cleo Creator"

    send(creator, request.thread_id, "Which size is the hoodie?")
    send(staff, request.thread_id, "It runs large.")
    for who in (creator, staff, colleague):
        assert texts(who, request.thread_id) == ["Which size is the hoodie?", "It runs large."]

    for outsider in (other_brand, other_creator, server.account(Role.MEDIATOR)):
        for response in (outsider.client.get(f"/requests/{request.id}/thread"),
                         outsider.client.get(f"/threads/{request.thread_id}"),
                         outsider.client.get(f"/threads/{request.thread_id}/messages"),
                         outsider.client.post(f"/threads/{request.thread_id}/messages",
                                              json={"text": "hi"})):
            assert response.status_code == 404, response.text
    assert message_count(server, request.thread_id) == 2


# --- paging --------------------------------------------------------------------------------------

def test_paging_backwards_returns_every_message_once_in_order(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    noise = make_order(server, influencer, advertiser)
    with server.db.write() as session:
        thread = session.get(Thread, order.thread_id)
        other = session.get(Thread, noise.thread_id)
        people = [session.get(User, influencer.id), session.get(User, advertiser.id)]
        assert thread is not None
        assert other is not None
        for i in range(250):
            post_message(session, thread, people[i % 2], f"message {i}")
            if i % 7 == 0:  # interleave another thread's messages between ids
                post_message(session, other, people[0], f"noise {i}")
        session.commit()

    seen: list[dict[str, Any]] = []
    before: int | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 40} | ({"before": before} if before else {})
        page = influencer.client.get(f"/threads/{order.thread_id}/messages", params=params).json()
        pages += 1
        ids = [m["id"] for m in page["items"]]
        assert ids == sorted(ids)  # oldest first within a page
        if before is not None:
            assert ids[-1] < before
        seen = page["items"] + seen
        if not page["has_more"]:
            break
        before = ids[0]
    assert pages == 7  # 6 full pages of 40 and one of 10
    assert [m["text"] for m in seen] == [f"message {i}" for i in range(250)]
    assert len({m["id"] for m in seen}) == 250

    newest = influencer.client.get(f"/threads/{order.thread_id}/messages",
                                   params={"limit": 3}).json()
    assert [m["text"] for m in newest["items"]] == ["message 247", "message 248", "message 249"]
    assert newest["has_more"] is True
    oldest = seen[0]["id"]
    empty = influencer.client.get(f"/threads/{order.thread_id}/messages",
                                  params={"before": oldest}).json()
    assert empty == {"items": [], "has_more": False}
    assert influencer.client.get(f"/threads/{order.thread_id}/messages",
                                 params={"limit": 0}).status_code == 422
    assert influencer.client.get(f"/threads/{order.thread_id}/messages",
                                 params={"limit": 201}).status_code == 422


# --- unread counts and read markers --------------------------------------------------------------

def test_unread_counts_follow_the_other_partys_messages_and_read_markers(
        server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    thread_id = order.thread_id
    assert unread(influencer, thread_id) == 0

    ids = [send(advertiser, thread_id, f"question {i}")["id"] for i in range(3)]
    assert unread(influencer, thread_id) == 3
    assert unread(advertiser, thread_id) == 0  # one's own messages are never unread

    def mark(account: Account, message_id: int) -> dict[str, Any]:
        response = account.client.post(f"/threads/{thread_id}/read",
                                        json={"last_read_message_id": message_id})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    assert mark(influencer, ids[1])["unread"] == 1
    assert unread(influencer, thread_id) == 1
    assert mark(influencer, ids[2])["unread"] == 0
    assert mark(influencer, ids[0])["unread"] == 0  # never moves backwards
    assert unread(influencer, thread_id) == 0

    # Replying marks the thread read for the sender; the other party gets one unread.
    send(advertiser, thread_id, "question 3")
    assert unread(influencer, thread_id) == 1
    reply = send(influencer, thread_id, "answers")
    assert unread(influencer, thread_id) == 0
    assert unread(advertiser, thread_id) == 1
    assert mark(advertiser, reply["id"])["unread"] == 0

    # A marker beyond the newest message is held at it: later messages still count as unread.
    assert mark(influencer, 2**40)["unread"] == 0
    send(advertiser, thread_id, "one more")
    assert unread(influencer, thread_id) == 1


def test_thread_list_is_sorted_by_last_activity_with_unread_counts(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertisers = [server.account(Role.ADVERTISER) for _ in range(2)]
    older = make_order(server, influencer, advertisers[0])
    newer = make_order(server, influencer, advertisers[1])
    listed = influencer.client.get("/threads").json()
    assert [t["id"] for t in listed["items"]] == [newer.thread_id, older.thread_id]
    assert listed["total"] == 2

    send(advertisers[0], older.thread_id, "bump")
    send(advertisers[0], older.thread_id, "bump again")
    listed = influencer.client.get("/threads").json()
    assert [(t["id"], t["unread"]) for t in listed["items"]] == [
        (older.thread_id, 2), (newer.thread_id, 0)]
    assert [t["id"] for t in advertisers[1].client.get("/threads").json()["items"]] == [
        newer.thread_id]

    page = influencer.client.get("/threads", params={"offset": 1, "limit": 1}).json()
    assert [t["id"] for t in page["items"]] == [newer.thread_id]
    assert (page["total"], page["offset"], page["limit"]) == (2, 1, 1)


# --- sending -------------------------------------------------------------------------------------

def test_an_empty_message_is_refused(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    for body in ({"text": ""}, {"text": "  \n\t "}, {}, {"text": "", "attachment_ids": []}):
        response = advertiser.client.post(f"/threads/{order.thread_id}/messages", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "empty_message"
    # JSON written out, so that escapes a client library would refuse still reach the server.
    for raw in ('{"text": "x", "colour": "red"}', '{"text": "nul \\u0000 byte"}',
                '{"text": "lone \\ud800 surrogate"}', '{"text": "%s"}' % ("x" * 20001)):
        response = advertiser.client.post(f"/threads/{order.thread_id}/messages",
                                          content=raw.encode(),
                                          headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid"
    assert message_count(server, order.thread_id) == 0


def test_a_message_can_be_only_an_attachment(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    ids = [influencer.client.post("/attachments", files={
        "file": (name, b"draft " + name.encode(), "text/plain")}).json()["id"]
        for name in ("b.txt", "a.txt")]
    message = send(influencer, order.thread_id, "", attachment_ids=ids + ids[:1])
    assert message["text"] == ""
    assert sorted(a["id"] for a in message["attachments"]) == sorted(ids)  # duplicates dropped
    shown = advertiser.client.get(f"/threads/{order.thread_id}/messages").json()["items"]
    assert [a["name"] for a in shown[0]["attachments"]] == ["a.txt", "b.txt"]


def test_a_retried_send_with_the_same_idempotency_key_posts_once(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    path = f"/threads/{order.thread_id}/messages"
    first = advertiser.client.post(path, json={"text": "once"}, headers=headers)
    second = advertiser.client.post(path, json={"text": "once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert message_count(server, order.thread_id) == 1


def test_concurrent_senders_keep_the_message_count_exact(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)

    def burst(who: Account, n: int) -> list[int]:
        client = server.client(who.token)  # one connection pool per sending thread
        codes = []
        for i in range(15):
            codes.append(client.post(f"/threads/{order.thread_id}/messages",
                                     json={"text": f"{who.role.value} {n}.{i}"}).status_code)
        return codes

    with ThreadPoolExecutor(4) as pool:
        codes = pool.map(burst, [influencer, advertiser, influencer, advertiser], range(4))
        assert [c for batch in codes for c in batch] == [201] * 60
    thread = influencer.client.get(f"/threads/{order.thread_id}").json()
    assert thread["message_count"] == 60 == message_count(server, order.thread_id)


# --- change feed ---------------------------------------------------------------------------------

def test_messages_reach_both_parties_through_the_change_feed(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    stranger = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    cursors = {who.id: feed_cursor(who) for who in (influencer, advertiser, stranger)}

    message = send(advertiser, order.thread_id, "see the feed")

    for who in (influencer, advertiser):
        changes = feed_after(who, cursors[who.id])
        posted = [c for c in changes if c["entity"] == "message"]
        assert [c["id"] for c in posted] == [str(message["id"])]
        assert posted[0]["data"]["text"] == "see the feed"
        assert posted[0]["data"]["thread_id"] == order.thread_id
        threads = [c for c in changes if c["entity"] == "thread"]
        assert [c["data"]["message_count"] for c in threads] == [1]
    assert [c for c in feed_after(stranger, cursors[stranger.id])
            if c["entity"] in {"message", "thread"}] == []
