"""Messages through the SyncEngine against the real server on loopback: sending with and without
attachments, files checked before anything is queued, messages written offline that survive a
restart and arrive exactly once and in order, refusals that fail one message (retry, discard),
local echoes replaced without duplicates, unread counts and read markers, attachments fetched
and kept, and a proof-of-delivery screenshot through the generic upload of outbox files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import OrderStatus, Role
from litdesk.server.config import Settings
from litdesk.services.api_client import ApiClient
from litdesk.services.cache import LocalCache
from litdesk.services.optimistic import ORDER_TRANSITION
from litdesk.services.outbox import OutboxAction
from litdesk.services.records import ChangeSet, MessageItem
from litdesk.services.sync import SyncEngine
from tests.live_server import Account, LiveServer
from tests.server.order_flow import Deal, new_deal, ok
from tests.services.test_sync import Restartable

WAIT_MS = 10_000
SERVER_LIMIT = 1024 * 1024  # tests/live_server.py runs the server with a 1 MB limit
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@dataclass
class Client:
    """An engine with its cache and what it emitted (on the UI thread)."""

    engine: SyncEngine
    cache: LocalCache
    api: ApiClient
    account: Account
    changes: list[ChangeSet] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)

    def shown(self, thread_id: int) -> list[MessageItem]:
        return self.cache.messages(thread_id, limit=1000)

    def sent(self) -> bool:
        return self.engine.outbox.count() == 0


Start = Callable[..., Client]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    made: list[Client] = []

    def make(account: Account, *, base_url: str, cache_path: Path | None = None,
             running: bool = True, **options: Any) -> Client:
        cache = LocalCache(cache_path or tmp_path / f"cache-{len(made)}.sqlite3")
        api = ApiClient(base_url, token=account.token)
        options.setdefault("long_poll_seconds", 5.0)
        options.setdefault("backoff", (0.05, 0.3))
        options.setdefault("max_attachment_bytes", SERVER_LIMIT)
        engine = SyncEngine(api, cache, viewer_role=account.role, **options)
        client = Client(engine, cache, api, account)
        engine.changed.connect(client.changes.append)
        engine.action_failed.connect(lambda text, order: client.failures.append((text, order)))
        made.append(client)
        if running:
            engine.start()
        return client

    yield make
    for client in made:
        client.engine.stop()
        client.api.close()
        client.cache.close()


def synced(qtbot: QtBot, client: Client) -> None:
    """Running, caught up, read markers seeded and the outbox empty."""
    qtbot.waitUntil(lambda: client.engine.is_running() and client.cache.markers_seeded()
                    and client.sent(), timeout=WAIT_MS)


def server_messages(account: Account, thread_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(account.client.get(
        f"/threads/{thread_id}/messages", params={"limit": 200}))["items"]
    return items


def server_unread(account: Account, thread_id: int) -> int:
    unread: int = ok(account.client.get(f"/threads/{thread_id}"))["unread"]
    return unread


def file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture
def deal(sqlite_server: LiveServer) -> Deal:
    return new_deal(sqlite_server, first_message="Hello! Can we start next week?")


def test_messages_with_and_without_attachments_reach_the_other_party(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal,
        tmp_path: Path) -> None:
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url, user_id=deal.influencer.id)
    synced(qtbot, client)
    photo = file(tmp_path, "photo.png", PNG)
    notes = file(tmp_path, "notes.txt", "Schedule: Monday 9:00 — café".encode())

    client.engine.stop()  # so that nothing is sent before the echoes are looked at
    client.engine.send_message(thread_id, "  Sure, next week works.  ")
    client.engine.send_message(thread_id, "Here are the details", [photo, notes])
    photo.unlink()  # the queued copy does not need the original any more

    echoes = client.shown(thread_id)[-2:]  # shown at once
    assert [(m.text, m.state, m.mine, m.is_local) for m in echoes] == [
        ("Sure, next week works.", "sending", True, True),
        ("Here are the details", "sending", True, True)]
    assert [(a.name, a.size) for a in echoes[1].attachments] == [
        ("photo.png", len(PNG)), ("notes.txt", notes.stat().st_size)]
    assert all(a.local_path and Path(a.local_path).is_file() for a in echoes[1].attachments)

    client.engine.start()
    qtbot.waitUntil(client.sent, timeout=WAIT_MS)
    on_server = server_messages(deal.advertiser, thread_id)
    assert [(m["text"], m["sender_id"]) for m in on_server] == [
        ("Hello! Can we start next week?", deal.advertiser.id),
        ("Sure, next week works.", deal.influencer.id),
        ("Here are the details", deal.influencer.id)]
    attachments = on_server[-1]["attachments"]  # GET sorts them by name
    assert {(a["name"], a["content_type"]) for a in attachments} == {
        ("photo.png", "image/png"), ("notes.txt", "text/plain")}
    [photo_id] = [a["id"] for a in attachments if a["name"] == "photo.png"]
    assert deal.advertiser.client.get(f"/attachments/{photo_id}").content == PNG

    shown = client.shown(thread_id)
    assert [(m.id, m.text) for m in shown] == [(m["id"], m["text"]) for m in on_server]
    assert [a.name for a in shown[-1].attachments] == ["photo.png", "notes.txt"]  # as sent
    assert {a.id for a in shown[-1].attachments} == {a["id"] for a in attachments}
    assert not any(client.cache.outbox_files.iterdir())  # the copies are gone
    assert client.failures == []


def test_a_message_with_an_attachment_from_one_client_appears_in_the_others(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal,
        tmp_path: Path) -> None:
    """Both parties in LitDesk: the influencer's message and photo reach the advertiser's cache
    by the change feed alone, unread until read, and the photo opens there byte for byte."""
    thread_id = deal.order["thread_id"]
    influencer = start(deal.influencer, base_url=sqlite_server.url, user_id=deal.influencer.id)
    advertiser = start(deal.advertiser, base_url=sqlite_server.url, user_id=deal.advertiser.id)
    synced(qtbot, influencer)
    synced(qtbot, advertiser)
    unread_before = advertiser.cache.thread(thread_id).unread  # type: ignore[union-attr]

    influencer.engine.send_message(thread_id, "The draft is ready",
                                   [file(tmp_path, "draft.png", PNG)])
    qtbot.waitUntil(lambda: advertiser.shown(thread_id)[-1].text == "The draft is ready",
                    timeout=WAIT_MS)
    arrived = advertiser.shown(thread_id)[-1]
    assert (arrived.sender_id, arrived.mine, arrived.state) == (deal.influencer.id, False, "sent")
    [ref] = arrived.attachments
    assert (ref.name, ref.content_type, ref.size) == ("draft.png", "image/png", len(PNG))
    assert advertiser.cache.thread(thread_id).unread == unread_before + 1  # type: ignore[union-attr]
    assert [m.text for m in influencer.shown(thread_id)].count("The draft is ready") == 1

    with qtbot.waitSignal(advertiser.engine.attachment_fetched, timeout=WAIT_MS) as blocker:
        advertiser.engine.fetch_attachment(ref.id)
    assert Path(blocker.args[1]).read_bytes() == PNG
    advertiser.engine.mark_read(thread_id, arrived.id)
    assert advertiser.cache.thread(thread_id).unread == 0  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: server_unread(deal.advertiser, thread_id) == 0, timeout=WAIT_MS)


def test_an_oversized_file_is_refused_before_anything_is_queued(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal,
        tmp_path: Path) -> None:
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url,
                   max_attachment_bytes=10 * 1024 * 1024)
    synced(qtbot, client)
    before = client.shown(thread_id)
    big = tmp_path / "photo.png"
    with big.open("wb") as sparse:
        sparse.truncate(int(12.3 * 1024 * 1024))
    small = file(tmp_path, "fine.txt", b"fine")

    with qtbot.waitSignal(client.engine.action_failed, timeout=1000) as blocker:
        client.engine.send_message(thread_id, "Both files", [small, big])
    assert blocker.args == ["photo.png is 12.3 MB; attachments can be at most 10 MB.", deal.id]

    with qtbot.waitSignal(client.engine.action_failed, timeout=1000) as blocker:
        client.engine.send_message(thread_id, "Gone", [tmp_path / "missing.pdf"])
    assert blocker.args[0].startswith("Cannot attach missing.pdf:")
    with qtbot.waitSignal(client.engine.action_failed, timeout=1000) as blocker:
        client.engine.send_message(thread_id, "   ")
    assert blocker.args[0] == "Write something or attach a file."

    assert client.engine.outbox.count() == 0
    assert client.shown(thread_id) == before
    assert not client.cache.outbox_files.exists() or not any(client.cache.outbox_files.iterdir())


def test_messages_written_offline_survive_a_restart_and_arrive_once_in_order(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal, tmp_path: Path) -> None:
    thread_id = deal.order["thread_id"]
    server = Restartable(sqlite_server)
    server.up()
    try:
        path = tmp_path / "restart.sqlite3"
        first = start(deal.influencer, base_url=server.url, cache_path=path)
        synced(qtbot, first)
        server.down()
        first.engine.send_message(thread_id, "one")
        first.engine.send_message(thread_id, "two, with a file", [file(tmp_path, "a.txt", b"a")])
        first.engine.send_message(thread_id, "three")
        first.engine.send_message(thread_id, "never mind", [file(tmp_path, "b.txt", b"b")])
        first.engine.discard_message(first.shown(thread_id)[-1].id)  # changed one's mind
        assert [m.text for m in first.shown(thread_id)][-3:] == ["one", "two, with a file",
                                                                 "three"]
        entries = first.engine.outbox.pending()
        assert len(entries) == 3
        assert len(list(first.cache.outbox_files.iterdir())) == 1  # b.txt's copy is gone
        first.engine.stop()  # the app quits while offline
        first.cache.close()
        assert first.failures == []

        server.up()
        # As if the first attempt had reached the server and only its answer was lost.
        lost = entries[0]
        ok(deal.influencer.client.post(lost.action.path, json=lost.action.body,
                                       headers={"Idempotency-Key": lost.key}), 201)

        second = start(deal.influencer, base_url=server.url, cache_path=path, running=False)
        assert [m.state for m in second.shown(thread_id)][-3:] == ["sending"] * 3
        second.engine.start()
        qtbot.waitUntil(second.sent, timeout=WAIT_MS)
        synced(qtbot, second)
    finally:
        server.down()

    texts = [m["text"] for m in server_messages(deal.advertiser, thread_id)]
    assert texts == ["Hello! Can we start next week?", "one", "two, with a file", "three"]
    shown = second.shown(thread_id)
    assert [m.text for m in shown] == texts
    assert all(m.state == "sent" and m.id > 0 for m in shown)
    assert second.failures == []


def test_a_refused_message_fails_alone_then_retry_sends_it_and_discard_removes_it(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal, tmp_path: Path) -> None:
    thread_id = deal.order["thread_id"]
    server = Restartable(sqlite_server)
    server.settings = Settings(db_url=sqlite_server.db.url, max_long_poll_seconds=5,
                               max_attachment_bytes=SERVER_LIMIT)
    server.up()
    try:
        client = start(deal.influencer, base_url=server.url,
                       max_attachment_bytes=2 * SERVER_LIMIT)  # the server is stricter
        synced(qtbot, client)
        large = file(tmp_path, "large.txt", b"x" * (SERVER_LIMIT + 1000))
        with qtbot.waitSignal(client.engine.action_failed, timeout=WAIT_MS) as blocker:
            client.engine.send_message(thread_id, "with a large file", [large])
            client.engine.send_message(thread_id, "after it")
        message, order_id = blocker.args
        assert (message, order_id) == (
            "large.txt: The upload is larger than the 1 MB limit.", deal.id)
        qtbot.waitUntil(client.sent, timeout=WAIT_MS)
        failed, = (m for m in client.shown(thread_id) if m.is_local)
        assert (failed.text, failed.state, failed.error) == ("with a large file", "failed",
                                                             message)
        on_server = [m["text"] for m in server_messages(deal.advertiser, thread_id)]
        assert on_server[-1] == "after it"  # the refusal did not hold up the next message

        server.down()
        server.settings = Settings(db_url=sqlite_server.db.url, max_long_poll_seconds=5,
                                   max_attachment_bytes=4 * SERVER_LIMIT)
        server.up()
        client.engine.stop()
        client.engine.retry_message(failed.id)
        assert client.shown(thread_id)[-1].state == "sending"
        client.engine.start()
        qtbot.waitUntil(lambda: client.sent() and not any(
            m.is_local for m in client.shown(thread_id)), timeout=WAIT_MS)
        last = server_messages(deal.advertiser, thread_id)[-1]
        assert (last["text"], [a["name"] for a in last["attachments"]]) == (
            "with a large file", ["large.txt"])

        bad = file(tmp_path, "program.bin", b"\x00\x01binary")
        with qtbot.waitSignal(client.engine.action_failed, timeout=WAIT_MS) as blocker:
            client.engine.send_message(thread_id, "a binary", [bad])
        assert blocker.args[0].startswith("program.bin: This file looks like")
        failed, = (m for m in client.shown(thread_id) if m.is_local)
        client.engine.discard_message(failed.local_id)
        assert not any(m.is_local for m in client.shown(thread_id))
        assert client.engine.outbox.failed() == []
        assert not any(client.cache.outbox_files.iterdir())
    finally:
        server.down()
    texts = [m["text"] for m in server_messages(deal.advertiser, thread_id)]
    assert "a binary" not in texts
    assert Counter(texts)["with a large file"] == 1


def test_the_local_echo_is_replaced_without_a_duplicate(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal) -> None:
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    seen: list[list[tuple[int, str]]] = []
    client.engine.changed.connect(
        lambda _changes: seen.append([(m.id, m.text) for m in client.shown(thread_id)]))

    before = len(client.changes)
    client.engine.send_message(thread_id, "Echo me")

    def replaced_then_fed_again() -> bool:
        later = client.changes[before:]
        answered = next((n for n, cs in enumerate(later)
                         if cs.local_messages and cs.message_ids), None)
        if answered is None:  # the POST's answer replaces the echo...
            return False
        copy = later[answered].message_ids
        # ...and the feed brings the server's copy once more.
        return any(cs.message_ids & copy for cs in later[answered + 1:])

    qtbot.waitUntil(replaced_then_fed_again, timeout=WAIT_MS)
    assert len(server_messages(deal.advertiser, thread_id)) == 2
    assert seen
    for snapshot in seen:
        assert [text for _id, text in snapshot].count("Echo me") == 1
    assert seen[0][-1][0] < 0          # first the echo,
    final = client.shown(thread_id)
    assert final[-1].id > 0            # then the server's copy in its place
    assert [m.text for m in final].count("Echo me") == 1


def test_unread_counts_follow_the_other_party_and_mark_read(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal) -> None:
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    assert client.cache.user_id == deal.influencer.id  # asked the server: none was given

    def unread() -> int:
        item = client.cache.thread_for_order(deal.id)
        return item.unread if item else -1

    assert unread() == 1  # the first message, from the advertiser
    for text in ("Any news?", "Please answer"):
        ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages", json={"text": text}),
           201)
    qtbot.waitUntil(lambda: unread() == 3, timeout=WAIT_MS)
    newest = client.shown(thread_id)
    assert client.cache.first_unread(thread_id) == newest[0].id

    client.engine.mark_read(thread_id, newest[1].id)
    assert unread() == 1  # at once
    client.engine.mark_read(thread_id, newest[2].id)
    assert unread() == 0
    assert client.cache.first_unread(thread_id) is None
    qtbot.waitUntil(lambda: client.sent() and server_unread(deal.influencer, thread_id) == 0,
                    timeout=WAIT_MS)

    ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages", json={"text": "Hello?"}),
       201)
    qtbot.waitUntil(lambda: unread() == 1, timeout=WAIT_MS)

    # A new cache for the same account starts from the server's counts, not from zero markers.
    fresh = start(deal.influencer, base_url=sqlite_server.url, user_id=deal.influencer.id)
    synced(qtbot, fresh)
    item = fresh.cache.thread_for_order(deal.id)
    assert item is not None
    assert item.unread == 1
    assert item.message_count == 4


def test_an_attachment_is_fetched_once_kept_and_saved_where_asked(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal,
        tmp_path: Path) -> None:
    thread_id = deal.order["thread_id"]
    uploaded = ok(deal.advertiser.client.post(
        "/attachments", files={"file": ("brief é.png", PNG, "image/png")}), 201)
    ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages",
                                   json={"attachment_ids": [uploaded["id"]]}), 201)
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    [ref] = client.shown(thread_id)[-1].attachments
    assert (ref.name, ref.local_path) == ("brief é.png", None)

    with qtbot.waitSignal(client.engine.attachment_fetched, timeout=WAIT_MS) as blocker:
        client.engine.fetch_attachment(ref.id)
    attachment_id, path = blocker.args
    assert attachment_id == ref.id
    assert Path(path).read_bytes() == PNG
    assert Path(path).name == "brief é.png"
    assert client.cache.files_dir in Path(path).parents
    assert client.shown(thread_id)[-1].attachments[0].local_path == path
    assert any(ref.id and thread_id in cs.messages for cs in client.changes)

    target = tmp_path / "saved.png"
    with qtbot.waitSignal(client.engine.attachment_fetched, timeout=WAIT_MS) as blocker:
        client.engine.fetch_attachment(ref.id, target)
    assert blocker.args == [ref.id, str(target)]
    assert target.read_bytes() == PNG

    with qtbot.waitSignal(client.engine.attachment_failed, timeout=WAIT_MS) as blocker:
        client.engine.fetch_attachment("00000000-0000-0000-0000-000000000000")
    assert blocker.args[1] == "That item no longer exists, or you no longer have access to it."
    with qtbot.waitSignal(client.engine.attachment_failed, timeout=WAIT_MS) as blocker:
        client.engine.fetch_attachment("")
    assert blocker.args == ["", "This file has not been uploaded yet."]


def test_a_proof_screenshot_is_uploaded_before_the_transition(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal,
        tmp_path: Path) -> None:
    deal.drive("bill", "pay", "start")
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    qtbot.waitUntil(lambda: (client.cache.order(deal.id) or {}).get("status") == "processing",
                    timeout=WAIT_MS)
    screenshot = file(tmp_path, "proof.png", PNG)

    client.engine.submit(OutboxAction(
        kind=ORDER_TRANSITION, method="POST", path=f"/orders/{deal.id}/transitions",
        body={"action": "complete", "version": deal.order["version"]}, entity="order",
        entity_id=deal.id, files=(str(screenshot),), attach_to="proof_attachment_id"))
    # The rules count the screenshot as the proof: shown completed at once.
    assert (client.cache.order(deal.id) or {}).get("status") == "completed"
    qtbot.waitUntil(client.sent, timeout=WAIT_MS)

    order = deal.detail(deal.advertiser)
    assert OrderStatus(order["status"]) is OrderStatus.COMPLETED
    proof = order["proof_attachment_id"]
    assert deal.advertiser.client.get(f"/attachments/{proof}").content == PNG
    assert client.failures == []
    assert not any(client.cache.outbox_files.iterdir())


def test_a_role_without_access_gets_the_refusal_explained(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, deal: Deal) -> None:
    stranger = sqlite_server.account(Role.INFLUENCER)
    client = start(stranger, base_url=sqlite_server.url)
    synced(qtbot, client)
    with qtbot.waitSignal(client.engine.action_failed, timeout=WAIT_MS) as blocker:
        client.engine.send_message(deal.order["thread_id"], "let me in")
    assert blocker.args == ["That item no longer exists, or you no longer have access to it.", 0]
    [failed] = client.shown(deal.order["thread_id"])
    assert failed.state == "failed"
