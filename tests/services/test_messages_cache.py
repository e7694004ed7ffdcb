"""Messages in the local cache (schema 2): threads with unread counts and last activity, pages of
messages, local echoes and their lifecycle in the outbox, read markers, the offline search and
the upgrade of a schema-1 file in place.

Most tests feed the cache pages in the server's JSON shape (``SyntheticFeed``: exact control of
ids, senders and times); the upgrade test starts from a real server's feed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from litdesk.domain.orders import Role
from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.services import cache as cache_module
from litdesk.services.cache import SCHEMA_VERSION, LocalCache
from litdesk.services.messages import MARK_READ, SEND_MESSAGE, fts_query
from litdesk.services.outbox import Outbox, OutboxAction, too_large
from litdesk.services.records import ChangeSet, MessageItem
from tests.live_server import LiveServer
from tests.server.order_flow import new_deal, ok
from tests.services.sync_support import page

Json = dict[str, Any]
ME = 7
OTHER = 8


class SyntheticFeed:
    """Feed pages for ``cache`` holding threads and messages shaped like the server's JSON."""

    def __init__(self, cache: LocalCache, *, start: datetime | None = None) -> None:
        self.cache = cache
        self.pos = cache.cursor()
        self.next_id = 1
        self.clock = start or datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
        self.threads: dict[int, Json] = {}

    def tick(self) -> str:
        self.clock += timedelta(minutes=1)
        return self.clock.isoformat().replace("+00:00", "Z")

    def thread(self, thread_id: int, *, order_id: int | None = None,
               request_id: int | None = None, title: str | None = None) -> ChangeSet:
        data = {"id": thread_id, "kind": "request" if request_id else "order",
                "order_id": order_id if request_id is None else None, "request_id": request_id,
                "title": title or f"LD-{thread_id:06d} · Space", "last_message_at": None,
                "message_count": 0, "unread": 0}
        self.threads[thread_id] = data
        return self.apply([("thread", data)])

    def message(self, thread_id: int, text: str, sender_id: int | None = OTHER, *,
                attachments: list[Json] | None = None, message_id: int | None = None) -> Json:
        if message_id is None:
            message_id = self.next_id
        self.next_id = max(self.next_id, message_id + 1)
        return {"id": message_id, "thread_id": thread_id, "sender_id": sender_id,
                "sender_name": {ME: "Me Myself", OTHER: "Olga Other"}.get(sender_id or 0,
                                                                        "LitDesk"),
                "system": sender_id is None, "text": text, "attachments": attachments or [],
                "created_at": self.tick()}

    def post(self, thread_id: int, text: str, sender_id: int | None = OTHER,
             **options: Any) -> ChangeSet:
        """A message and its thread's new state, as the server records them."""
        data = self.message(thread_id, text, sender_id, **options)
        return self.apply(self.with_thread(data))

    def with_thread(self, *messages: Json) -> list[tuple[str, Json]]:
        items: list[tuple[str, Json]] = [("message", m) for m in messages]
        for message in messages:
            thread = self.threads[message["thread_id"]]
            thread.update(last_message_at=message["created_at"],
                          message_count=thread["message_count"] + 1)
        for thread_id in dict.fromkeys(m["thread_id"] for m in messages):
            items.append(("thread", dict(self.threads[thread_id])))
        return items

    def many(self, thread_id: int, count: int, *, sender_ids: tuple[int | None, ...] = (OTHER,),
             words: tuple[str, ...] = ("hello",), page_size: int = 5000) -> None:
        """``count`` messages in the thread, applied in pages."""
        for start in range(0, count, page_size):
            batch = [self.message(thread_id, f"{words[n % len(words)]} number {n}",
                                  sender_ids[n % len(sender_ids)])
                     for n in range(start, min(count, start + page_size))]
            self.apply(self.with_thread(*batch))

    def delete(self, entity: str, entity_id: int) -> ChangeSet:
        self.pos += 1
        change = ChangeOut(pos=self.pos, entity=entity, id=str(entity_id), op="delete", data={})
        return self.cache.apply_page(ChangesPage(changes=[change], cursor=self.pos, more=False))

    def apply(self, items: list[tuple[str, Json]]) -> ChangeSet:
        changes = []
        for entity, data in items:
            self.pos += 1
            changes.append(ChangeOut(pos=self.pos, entity=entity,  # type: ignore[arg-type]
                                     id=str(data["id"]), op="upsert", data=data))
        return self.cache.apply_page(ChangesPage(changes=changes, cursor=self.pos, more=False))


def send_action(thread_id: int, text: str, files: tuple[str, ...] = ()) -> OutboxAction:
    return OutboxAction(SEND_MESSAGE, "POST", f"/threads/{thread_id}/messages",
                        {"text": text, "attachment_ids": []}, "thread", thread_id, files,
                        "attachment_ids")


def read_action(thread_id: int, message_id: int) -> OutboxAction:
    return OutboxAction(MARK_READ, "POST", f"/threads/{thread_id}/read",
                        {"last_read_message_id": message_id}, "thread", thread_id)


def texts(items: list[MessageItem]) -> list[str]:
    return [m.text for m in items]


@pytest.fixture
def mine(tmp_path: Path) -> Iterator[LocalCache]:
    """A cache that knows the signed-in user is ``ME``."""
    cache = LocalCache(tmp_path / "cache.sqlite3", user_id=ME)
    yield cache
    cache.close()


@pytest.fixture
def feed(mine: LocalCache) -> SyntheticFeed:
    return SyntheticFeed(mine)


# --- threads, unread, activity ---------------------------------------------------------------

def test_threads_are_listed_by_last_activity_with_unread_counts(mine: LocalCache,
                                                                feed: SyntheticFeed) -> None:
    feed.thread(1, order_id=11, title="LD-000011 · Story")
    feed.thread(2, order_id=12, title="LD-000012 · Reel")
    feed.thread(3, request_id=31, title="Spring drop · Cleo")
    feed.post(1, "First question")
    feed.post(2, "Hello from the advertiser")
    feed.post(2, "Are you there?")
    feed.post(1, "My answer", ME)

    threads = mine.threads()
    assert [t.id for t in threads] == [1, 2, 3]  # 1 is the latest activity; 3 has none
    first, second, third = threads
    assert (first.title, first.kind, first.order_id, first.message_count, first.unread,
            first.snippet) == ("LD-000011 · Story", "order", 11, 2, 0, "My answer")
    assert (second.unread, second.message_count, second.snippet) == (2, 2, "Are you there?")
    assert (third.kind, third.request_id, third.order_id, third.last_message_at,
            third.unread) == ("request", 31, None, None, 0)
    assert first.last_message_at == feed.clock
    assert mine.thread_for_order(12) == second
    assert mine.thread_for_request(31) == third
    assert mine.thread_for_order(999) is None


def test_a_system_message_counts_as_unread_and_my_own_marks_the_thread_read(
        mine: LocalCache, feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.post(1, "Payment received.", None)
    feed.post(1, "Thanks!")
    assert mine.thread_items([1])[0].unread == 2
    assert mine.first_unread(1) == 1
    feed.post(1, "Starting now.", ME)  # replying means having read
    assert mine.thread_items([1])[0].unread == 0
    assert mine.first_unread(1) is None
    assert mine.read_marker(1) == 3


def test_mark_read_moves_the_marker_at_once_and_keeps_only_the_newest_to_send(
        mine: LocalCache, feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.thread(2)
    feed.many(1, 5)
    feed.post(2, "elsewhere")
    outbox = Outbox(mine, viewer_role=Role.INFLUENCER)
    assert mine.thread_items([1])[0].unread == 5

    changes = outbox.enqueue(read_action(1, 3))
    assert changes.threads == {1}
    assert mine.thread_items([1])[0].unread == 2
    assert mine.first_unread(1) == 4
    outbox.enqueue(read_action(1, 5))
    outbox.enqueue(read_action(2, 6))
    assert outbox.enqueue(read_action(1, 2)).is_empty()  # never backwards

    assert [(e.action.entity_id, e.action.body) for e in outbox.pending()] == [
        (1, {"last_read_message_id": 5}), (2, {"last_read_message_id": 6})]
    assert [t.unread for t in mine.thread_items([1, 2])] == [0, 0]
    # A refused marker is dropped quietly, and the local marker stays.
    [entry, _] = outbox.pending()
    assert outbox.roll_back(entry.id, "gone").is_empty()
    assert outbox.failed() == []
    assert mine.read_marker(1) == 5


def test_read_markers_are_seeded_from_the_servers_unread_counts_once(
        mine: LocalCache, feed: SyntheticFeed) -> None:
    for thread_id in (1, 2, 3):
        feed.thread(thread_id)
    feed.many(1, 6, sender_ids=(OTHER, ME))  # others: 1, 3, 5
    feed.many(2, 3)
    feed.many(3, 2)
    mine.connection().execute("DELETE FROM read_markers")
    assert not mine.markers_seeded()

    changes = mine.seed_read_markers({1: 2, 2: 0, 3: 5})
    assert changes.threads == {1, 2, 3}
    assert [t.unread for t in mine.thread_items([1, 2, 3])] == [2, 0, 2]
    assert mine.first_unread(1) == 3
    assert mine.markers_seeded()
    assert mine.seed_read_markers({2: 3}).is_empty()  # a thread with a marker keeps it


# --- pages of messages -------------------------------------------------------------------------

def test_messages_come_in_pages_newest_first_each_oldest_first(mine: LocalCache,
                                                               feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.thread(2)
    feed.many(1, 250, sender_ids=(OTHER, ME))
    feed.post(2, "another thread")

    newest = mine.messages(1, limit=100)
    assert [m.id for m in newest] == list(range(151, 251))
    middle = mine.messages(1, before=newest[0].sort_key, limit=100)
    assert [m.id for m in middle] == list(range(51, 151))
    oldest = mine.messages(1, before=middle[0].sort_key, limit=100)
    assert [m.id for m in oldest] == list(range(1, 51))
    assert mine.messages(1, before=oldest[0].sort_key, limit=100) == []
    assert mine.message_count(1) == 250

    first = oldest[0]
    assert (first.thread_id, first.sender_id, first.sender_name, first.mine, first.system,
            first.text, first.state, first.error, first.attachments) == (
        1, OTHER, "Olga Other", False, False, "hello number 0", "sent", "", ())
    assert oldest[1].mine
    assert first.created_at == datetime(2024, 5, 1, 9, 1, tzinfo=UTC)
    assert mine.messages_since(1, (0, 249)) == newest[-2:]


def test_attachments_are_listed_with_their_downloaded_copy(mine: LocalCache,
                                                           feed: SyntheticFeed,
                                                           tmp_path: Path) -> None:
    feed.thread(1)
    photo = {"id": "a1b2", "name": "photo.png", "content_type": "image/png", "size": 2048}
    feed.post(1, "", attachments=[photo])
    [item] = mine.messages(1)
    [ref] = item.attachments
    assert (ref.id, ref.name, ref.content_type, ref.size, ref.local_path, ref.is_image) == (
        "a1b2", "photo.png", "image/png", 2048, None, True)
    assert mine.threads()[0].snippet == "photo.png"

    copy = tmp_path / "downloaded.png"
    copy.write_bytes(b"png")
    changes = mine.record_download("a1b2", copy)
    assert (changes.messages, changes.message_ids) == ({1}, {item.id})
    assert mine.messages(1)[0].attachments[0].local_path == str(copy)
    assert mine.download_path("a1b2") == copy
    copy.unlink()  # a copy deleted behind our back is not offered
    assert mine.download_path("a1b2") is None
    assert mine.messages(1)[0].attachments[0].local_path is None


# --- local echoes ------------------------------------------------------------------------------

def test_a_local_echo_is_shown_last_and_replaced_by_the_servers_copy(
        mine: LocalCache, feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.many(1, 3)
    outbox = Outbox(mine, viewer_role=Role.INFLUENCER)

    changes = outbox.enqueue(send_action(1, "On my way"))
    [entry] = outbox.pending()
    [local_id] = changes.local_messages
    assert (changes.messages, changes.threads) == ({1}, {1})
    shown = mine.messages(1)
    assert texts(shown) == ["hello number 0", "hello number 1", "hello number 2", "On my way"]
    echo = shown[-1]
    assert (echo.id, echo.local_id, echo.is_local, echo.mine, echo.state, echo.sender_name) == (
        -local_id, local_id, True, True, "sending", "You")
    thread = mine.threads()[0]
    assert (thread.message_count, thread.snippet) == (4, "On my way")

    answer = feed.message(1, "On my way", ME)
    done = outbox.mark_done(entry.id, answer)
    assert (done.messages, done.message_ids, done.local_messages) == ({1}, {answer["id"]},
                                                                      {local_id})
    after = mine.messages(1)
    assert [(m.id, m.state, m.mine) for m in after[-2:]] == [(3, "sent", False),
                                                             (answer["id"], "sent", True)]
    assert mine.message_count(1) == 4
    # The feed's copy of the same message changes nothing.
    feed.apply(feed.with_thread(answer))
    assert mine.messages(1) == after


def test_the_feeds_copy_before_the_answer_hides_the_echo(mine: LocalCache,
                                                         feed: SyntheticFeed) -> None:
    feed.thread(1)
    outbox = Outbox(mine, viewer_role=Role.INFLUENCER)
    outbox.enqueue(send_action(1, "Same text"))
    outbox.enqueue(send_action(1, "Same text"))
    first, second = outbox.pending()

    copy = feed.message(1, "Same text", ME)
    changes = feed.apply(feed.with_thread(copy))
    assert changes.local_messages  # the echo it replaced
    shown = mine.messages(1)
    assert [(m.id > 0, m.text) for m in shown] == [(True, "Same text"), (False, "Same text")]
    assert mine.message_count(1) == 2

    outbox.mark_done(first.id, copy)  # the retried POST got the stored answer
    assert [m.id for m in mine.messages(1)] == [copy["id"], shown[1].id]
    assert [e.id for e in outbox.pending()] == [second.id]
    feed.apply(feed.with_thread(copy))  # a copy seen before is no one else's echo
    assert [m.id for m in mine.messages(1)] == [copy["id"], shown[1].id]


def test_a_refused_message_fails_alone_and_can_be_retried_or_discarded(
        mine: LocalCache, feed: SyntheticFeed, tmp_path: Path) -> None:
    feed.thread(1)
    outbox = Outbox(mine, viewer_role=Role.INFLUENCER)
    staged = mine.outbox_files / "abc" / "0" / "notes.txt"
    staged.parent.mkdir(parents=True)
    staged.write_text("notes")
    outbox.enqueue(send_action(1, "first", (str(staged),)))
    outbox.enqueue(send_action(1, "second"))
    first, second = outbox.pending()

    outbox.roll_back(first.id, "notes.txt: That file type cannot be attached.")
    assert [e.id for e in outbox.pending()] == [second.id]  # the next message still goes
    failed = mine.messages(1)[0]
    assert (failed.text, failed.state, failed.error) == (
        "first", "failed", "notes.txt: That file type cannot be attached.")
    [ref] = failed.attachments
    assert (ref.id, ref.name, ref.size, ref.local_path) == ("", "notes.txt", 5, str(staged))

    changes = outbox.retry_message(failed.local_id)
    assert changes.local_messages == {failed.local_id}
    retried = outbox.pending()[-1]
    assert retried.key != first.key
    assert retried.action == first.action
    assert [m.state for m in mine.messages(1)] == ["sending", "sending"]
    assert outbox.retry_message(failed.local_id).is_empty()  # only a failed one

    outbox.roll_back(retried.id, "refused again")
    outbox.discard_message(failed.local_id)
    assert texts(mine.messages(1)) == ["second"]
    assert [e.id for e in outbox.pending()] == [second.id]
    assert outbox.failed() == []
    assert not staged.exists()
    assert not (mine.outbox_files / "abc").exists()


# --- search ------------------------------------------------------------------------------------

def test_search_finds_words_and_prefixes_newest_first(mine: LocalCache,
                                                      feed: SyntheticFeed) -> None:
    feed.thread(1, title="LD-000001 · Story")
    feed.thread(2, title="LD-000002 · Reel")
    feed.post(1, "The shipment left Zürich today")
    feed.post(2, "Shipping label attached",
              attachments=[{"id": "f1", "name": "label-invoice.pdf",
                            "content_type": "application/pdf", "size": 10}])
    feed.post(2, "Café meeting on Friday?", ME)

    hits = mine.search_messages("ship")
    assert [(h.message_id, h.thread_id, h.thread_title) for h in hits] == [
        (2, 2, "LD-000002 · Reel"), (1, 1, "LD-000001 · Story")]
    assert hits[0].sender_name == "Olga Other"
    assert "label" in hits[0].snippet.lower()
    assert hits[1].created_at == datetime(2024, 5, 1, 9, 1, tzinfo=UTC)
    assert [h.message_id for h in mine.search_messages("invoice")] == [2]  # a file's name
    assert [h.message_id for h in mine.search_messages("zurich")] == [1]   # accents folded
    assert [h.message_id for h in mine.search_messages("CAFE fri")] == [3]
    assert mine.search_messages("shipment friday") == []  # every word must match
    assert len(mine.search_messages("ship", limit=1)) == 1


@pytest.mark.parametrize("typed", [
    '"', '""', "*", "**", "ship*", '"ship', "ship AND", "AND", "OR ship", "NOT", "NEAR(ship",
    "ship -label", "(ship)", "^ship", "ship:", "text:ship", "{ship}", "🚚", "ship 🚚", "   ",
    "l'été", "配送", "\x00", "a" * 500,
])
def test_search_never_fails_on_what_people_type(mine: LocalCache, feed: SyntheticFeed,
                                                typed: str) -> None:
    feed.thread(1)
    feed.post(1, "ship AND sail: l'été (NEAR) 配送 -label")
    hits = mine.search_messages(typed)
    assert all(h.message_id == 1 for h in hits)


def test_sizes_are_explained_in_megabytes_or_bytes_when_that_would_hide_the_excess() -> None:
    limit = 10 * 1024 * 1024
    assert too_large("photo.png", int(12.3 * 1024 * 1024), limit) == (
        "photo.png is 12.3 MB; attachments can be at most 10 MB.")
    assert too_large("scan.pdf", limit + 1, limit) == (
        "scan.pdf is 10,485,761 bytes; attachments can be at most 10 MB.")


def test_search_terms_are_quoted_and_the_last_is_a_prefix() -> None:
    assert fts_query('say "hi" AND') == '"say" """hi""" "AND"*'
    assert fts_query("* ** 🚚") is None


def test_the_search_index_follows_updates_and_deletes(mine: LocalCache,
                                                      feed: SyntheticFeed) -> None:
    feed.thread(1)
    first = feed.message(1, "original words")
    feed.apply(feed.with_thread(first))
    assert [h.message_id for h in mine.search_messages("original")] == [1]
    feed.apply([("message", {**first, "text": "edited words"})])
    assert mine.search_messages("original") == []
    assert [h.message_id for h in mine.search_messages("edited")] == [1]
    changes = feed.delete("message", 1)
    assert (changes.messages, changes.message_ids) == ({1}, {1})
    assert mine.search_messages("edited") == []
    assert mine.messages(1) == []
    check = mine.connection().execute(
        "INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 1)")
    assert check.fetchall() == []


# --- the file ----------------------------------------------------------------------------------

def test_a_new_file_has_schema_2_and_remembers_the_user(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    LocalCache(path, user_id=ME).close()
    again = LocalCache(path)
    try:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.user_id == ME
        assert again.files_dir == tmp_path / "cache.sqlite3.files"
    finally:
        again.close()


def _schema_1_file(path: Path, feed_page: ChangesPage) -> None:
    """A cache file exactly as LitDesk with schema 1 wrote it, holding ``feed_page``'s threads
    and messages and one pending outbox entry."""
    raw = sqlite3.connect(path)
    try:
        for statement in cache_module._MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("PRAGMA user_version = 1")
        for change in feed_page.changes:
            if change.entity == "thread":
                raw.execute("INSERT OR REPLACE INTO threads (id, order_id, request_id, json) "
                            "VALUES (?, ?, ?, ?)", (int(change.id), change.data["order_id"],
                                                    change.data["request_id"],
                                                    json.dumps(change.data)))
            elif change.entity == "message":
                raw.execute("INSERT OR REPLACE INTO messages (id, thread_id, json) "
                            "VALUES (?, ?, ?)", (int(change.id), change.data["thread_id"],
                                                 json.dumps(change.data)))
        raw.execute("UPDATE sync_state SET cursor = ?", (feed_page.cursor,))
        raw.execute("INSERT INTO outbox (key, kind, method, path, body, entity, entity_id, "
                    "created_at) VALUES ('k-1', 'other', 'POST', '/x', '{}', 'order', 1, "
                    "'2024-05-01T09:00:00+00:00')")
        raw.commit()
    finally:
        raw.close()


def test_a_schema_1_file_is_upgraded_in_place(tmp_path: Path,
                                              sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server, first_message="Hello! Can we start next week?")
    thread_id = deal.order["thread_id"]
    reply = ok(deal.influencer.client.post(f"/threads/{thread_id}/messages",
                                           json={"text": "Sure, Monday works."}), 201)
    ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages",
                                   json={"text": "Great — talk Monday."}), 201)
    path = tmp_path / "old.sqlite3"
    first = page(deal.influencer)
    _schema_1_file(path, first)

    upgraded = LocalCache(path, user_id=deal.influencer.id)
    try:
        assert upgraded.schema_version() == SCHEMA_VERSION
        assert upgraded.cursor() == first.cursor
        shown = upgraded.messages(thread_id)
        assert texts(shown) == ["Hello! Can we start next week?", "Sure, Monday works.",
                                "Great — talk Monday."]
        assert [m.mine for m in shown] == [False, True, False]
        assert [h.message_id for h in upgraded.search_messages("monday")] == [
            shown[2].id, reply["id"]]
        [thread] = upgraded.threads()
        assert (thread.id, thread.order_id, thread.title, thread.message_count) == (
            thread_id, deal.id, f"{deal.order['number']} · {deal.space['title']}", 3)
        assert thread.last_message_at == shown[-1].created_at
        # Messages from others: no markers yet (the engine seeds them after its first sync).
        assert thread.unread == 2
        [entry] = Outbox(upgraded).pending()
        assert (entry.key, entry.action.files, entry.action.attach_to) == ("k-1", (), "")
        # And the upgraded file takes new pages.
        ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages",
                                       json={"text": "One more thing"}), 201)
        changes = upgraded.apply_page(page(deal.influencer, upgraded.cursor()))
        assert changes.messages == {thread_id}
        assert texts(upgraded.messages(thread_id))[-1] == "One more thing"
        assert len(upgraded.search_messages("one more")) == 1
    finally:
        upgraded.close()
