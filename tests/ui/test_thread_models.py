"""ThreadMessagesModel and ThreadListModel over a real cache file: a 10,000-message thread opens
with one page loaded and pages in older ones at the top, batches become row inserts, moves,
removals and ``dataChanged`` (never a reset), a local echo gives way to the server's copy
without ever being shown beside it, "first unread" loads what it needs, and the list follows
activity and unread counts. Every model is checked by Qt's QAbstractItemModelTester; the last
test drives both models from a running engine against the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import Role
from litdesk.models.thread_list import ThreadListModel, ThreadRole, UnreadRole
from litdesk.models.thread_messages import MessageIdRole, MessageRole, ThreadMessagesModel
from litdesk.services.cache import LocalCache
from litdesk.services.outbox import Outbox
from litdesk.services.records import ChangeSet, MessageItem
from tests.live_server import LiveServer
from tests.server.order_flow import new_deal, ok
from tests.services.test_messages_cache import (
    ME,
    OTHER,
    SyntheticFeed,
    read_action,
    send_action,
)
from tests.services.test_messages_sync import (  # noqa: F401 - the fixture is used by name
    Start,
    start,
    synced,
)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3", user_id=ME)
    yield cache
    cache.close()


@pytest.fixture
def feed(cache: LocalCache) -> SyntheticFeed:
    return SyntheticFeed(cache)


def never_reset(model: ThreadMessagesModel | ThreadListModel) -> list[str]:
    resets: list[str] = []
    model.modelReset.connect(lambda: resets.append("reset"))
    return resets


def ids(model: ThreadMessagesModel) -> list[int]:
    return [model.item(row).id for row in range(model.rowCount())]


def opened(qtmodeltester: ModelTester, cache: LocalCache, thread_id: int | None,
           page_size: int = 100, *, loaded: int | None = None) -> ThreadMessagesModel:
    """The model showing ``thread_id``, checked by Qt's tester from then on. The tester loads
    one older page itself (it calls fetchMore): ``loaded`` is what set_thread alone loaded."""
    model = ThreadMessagesModel(cache, page_size=page_size)
    model.set_thread(thread_id)
    if loaded is not None:
        assert model.rowCount() == loaded
    qtmodeltester.check(model)
    return model


# --- ThreadMessagesModel ---------------------------------------------------------------------

def test_no_thread_and_an_empty_thread(qtmodeltester: ModelTester, cache: LocalCache,
                                       feed: SyntheticFeed) -> None:
    model = opened(qtmodeltester, cache, None)
    assert (model.rowCount(), model.thread_id(), model.first_unread_row()) == (0, None, -1)
    assert not model.canFetchMore(QModelIndex())
    feed.thread(1)
    model.set_thread(1)
    assert (model.rowCount(), model.thread_id(), model.has_older()) == (0, 1, False)
    model.apply(feed.post(1, "first words"))
    assert [model.data(model.index(0)), model.data(model.index(0), MessageIdRole)] == [
        "first words", 1]


def test_a_ten_thousand_message_thread_opens_with_one_page_and_pages_in_older_ones(
        qtbot: QtBot, qtmodeltester: ModelTester, cache: LocalCache,
        feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.many(1, 10_000, sender_ids=(OTHER, ME))
    model = opened(qtmodeltester, cache, 1, loaded=100)
    loaded = model.rowCount()  # the newest page, and what the tester fetched
    assert ids(model) == list(range(10_001 - loaded, 10_001))
    assert model.canFetchMore(QModelIndex())
    newest = QPersistentModelIndex(model.index(loaded - 1))

    with qtbot.waitSignal(model.rowsInserted, timeout=100) as blocker:
        model.fetchMore(QModelIndex())
    assert blocker.args[1:] == [0, 99]  # a page, at the top
    # (The tester answers each insert with a fetchMore of its own: more pages may come.)
    now = model.rowCount()
    assert now > loaded
    assert now % 100 == 0
    oldest = 10_001 - now
    assert ids(model) == list(range(oldest, 10_001))
    assert newest.row() == now - 1
    assert newest.data(MessageIdRole) == 10_000

    item = model.data(model.index(0), MessageRole)
    assert isinstance(item, MessageItem)
    assert (item.id, item.mine, item.text) == (oldest, oldest % 2 == 0,
                                               f"hello number {oldest - 1}")
    assert model.data(model.index(0), Qt.ItemDataRole.AccessibleTextRole).startswith(
        "Olga Other, ")


def test_fetching_every_page_ends_with_the_whole_thread(qtmodeltester: ModelTester,
                                                        cache: LocalCache,
                                                        feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.many(1, 250)
    model = opened(qtmodeltester, cache, 1, page_size=100)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids(model) == list(range(1, 251))
    model.fetchMore(QModelIndex())  # nothing left: nothing happens
    assert model.rowCount() == 250


def test_new_and_changed_messages_are_rows_inserted_and_data_changed(
        qtbot: QtBot, qtmodeltester: ModelTester, cache: LocalCache,
        feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.thread(2)
    feed.many(1, 5)
    model = opened(qtmodeltester, cache, 1)
    resets = never_reset(model)

    with qtbot.waitSignal(model.rowsInserted, timeout=100) as blocker:
        model.apply(feed.apply(feed.with_thread(feed.message(1, "six"), feed.message(1, "seven"))))
    assert blocker.args[1:] == [5, 6]
    model.apply(feed.post(2, "another thread"))
    assert model.rowCount() == 7

    edited = {**feed.message(1, "edited", message_id=3), "created_at": "2024-05-01T09:03:00Z"}
    with qtbot.waitSignal(model.dataChanged, timeout=100) as blocker:
        model.apply(feed.apply([("message", edited)]))
    assert (blocker.args[0].row(), blocker.args[1].row()) == (2, 2)
    assert model.data(model.index(2)) == "edited"

    with qtbot.waitSignal(model.rowsRemoved, timeout=100) as blocker:
        model.apply(feed.delete("message", 4))
    assert blocker.args[1:] == [3, 3]
    assert ids(model) == [1, 2, 3, 5, 6, 7]
    assert resets == []


def test_a_local_echo_gives_way_to_the_servers_copy_without_a_duplicate(
        qtbot: QtBot, qtmodeltester: ModelTester, cache: LocalCache,
        feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.many(1, 3)
    model = opened(qtmodeltester, cache, 1)
    resets = never_reset(model)
    outbox = Outbox(cache, viewer_role=Role.INFLUENCER)
    texts_after_each_signal: list[list[str]] = []
    for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged):
        signal.connect(lambda *_: texts_after_each_signal.append(
            [model.item(r).text for r in range(model.rowCount())]))

    model.apply(outbox.enqueue(send_action(1, "my reply")))
    echo = model.item(3)
    assert (echo.is_local, echo.state, model.row_of(echo.id)) == (True, "sending", 3)
    [entry] = outbox.pending()

    with qtbot.waitSignal(model.dataChanged, timeout=100):
        model.apply(outbox.roll_back(entry.id, "The server said no."))
    assert (model.item(3).state, model.data(model.index(3), Qt.ItemDataRole.ToolTipRole)) == (
        "failed", "The server said no.")

    model.apply(outbox.retry_message(echo.local_id))
    [entry] = outbox.pending()
    answer = feed.message(1, "my reply", ME)
    model.apply(outbox.mark_done(entry.id, answer))
    assert ids(model) == [1, 2, 3, answer["id"]]
    model.apply(feed.apply(feed.with_thread(answer)))  # the feed's copy: nothing moves
    assert ids(model) == [1, 2, 3, answer["id"]]

    for texts in texts_after_each_signal:
        assert texts.count("my reply") <= 1
    assert resets == []


def test_first_unread_row_loads_older_pages_until_it_is_there(
        qtmodeltester: ModelTester, cache: LocalCache, feed: SyntheticFeed) -> None:
    feed.thread(1)
    feed.many(1, 300)
    outbox = Outbox(cache, viewer_role=Role.INFLUENCER)
    outbox.enqueue(read_action(1, 50))
    model = ThreadMessagesModel(cache, page_size=50)
    model.set_thread(1)
    qtmodeltester.check(model)
    assert model.item(0).id > 51

    row = model.first_unread_row()  # loads older pages until message 51 is there
    assert model.item(row).id == 51
    assert model.rowCount() >= 250
    outbox.enqueue(read_action(1, 300))
    assert model.first_unread_row() == -1


# --- ThreadListModel -------------------------------------------------------------------------

def test_the_list_follows_activity_with_moves_and_unread_totals(
        qtbot: QtBot, qtmodeltester: ModelTester, cache: LocalCache,
        feed: SyntheticFeed) -> None:
    for thread_id in (1, 2, 3):
        feed.thread(thread_id, title=f"Thread {thread_id}")
        feed.post(thread_id, f"hello {thread_id}")
    model = ThreadListModel(cache)
    qtmodeltester.check(model)
    resets = never_reset(model)
    assert [model.data(model.index(r)) for r in range(3)] == ["Thread 3", "Thread 2", "Thread 1"]
    assert model.total_unread() == 3
    selected = QPersistentModelIndex(model.index(2))  # thread 1

    emitted: list[object] = []
    model.rowsMoved.connect(lambda *_: emitted.append("moved"))
    model.unread_changed.connect(emitted.append)
    model.apply(feed.post(1, "news in thread 1"))
    assert emitted == ["moved", 4]
    assert model.thread_at(0).id == 1
    assert selected.row() == 0  # the selection followed the thread
    first = model.data(model.index(0), ThreadRole)
    assert (first.unread, first.snippet, model.data(model.index(0), UnreadRole)) == (
        2, "news in thread 1", 2)

    with qtbot.waitSignal(model.unread_changed, timeout=100) as blocker:
        model.apply(Outbox(cache).enqueue(read_action(1, feed.next_id - 1)))
    assert blocker.args == [2]
    assert model.thread_at(0).unread == 0

    model.apply(feed.thread(4, title="Thread 4"))  # no activity yet: the bottom
    assert [model.thread_at(r).id for r in range(4)] == [1, 3, 2, 4]
    with qtbot.waitSignal(model.rowsMoved, timeout=100):
        model.apply(Outbox(cache).enqueue(send_action(4, "my first words")))  # a local echo
    assert model.thread_at(0).id == 4
    assert model.thread_at(0).snippet == "my first words"

    with qtbot.waitSignal(model.rowsRemoved, timeout=100):
        model.apply(feed.delete("thread", 2))
    assert [model.thread_at(r).id for r in range(3)] == [4, 1, 3]
    assert model.row_of(2) == -1
    assert model.total_unread() == 1
    assert resets == []
    model.reload()
    assert [model.thread_at(r).id for r in range(3)] == [4, 1, 3]


def test_a_batch_without_threads_changes_nothing(qtmodeltester: ModelTester,
                                                 cache: LocalCache) -> None:
    model = ThreadListModel(cache)
    qtmodeltester.check(model)
    model.apply(ChangeSet(order_events={1}))
    assert model.rowCount() == 0


# --- both models from a running engine -------------------------------------------------------

def test_both_models_follow_a_running_engine(
        qtbot: QtBot, qtmodeltester: ModelTester, sqlite_server: LiveServer,
        start: Start) -> None:  # noqa: F811 - the fixture imported above
    deal = new_deal(sqlite_server, first_message="Hello! Can we start next week?")
    other = new_deal(sqlite_server)
    other_thread = other.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    thread_id = deal.order["thread_id"]
    messages = ThreadMessagesModel(client.cache)
    threads = ThreadListModel(client.cache)
    qtmodeltester.check(messages)
    qtmodeltester.check(threads)
    messages.set_thread(thread_id)
    client.engine.changed.connect(messages.apply)
    client.engine.changed.connect(threads.apply)
    resets = never_reset(messages) + never_reset(threads)
    assert [threads.thread_at(r).id for r in range(threads.rowCount())] == [thread_id]
    assert threads.total_unread() == 1

    client.engine.stop()  # so that the echo can be seen before it is sent
    client.engine.send_message(thread_id, "Monday works")
    qtbot.waitUntil(lambda: messages.rowCount() == 2, timeout=1000)
    assert messages.item(1).state == "sending"
    assert threads.thread_at(0).snippet == "Monday works"
    client.engine.start()
    # Each model gets the batch in an event of its own: wait for both.
    qtbot.waitUntil(lambda: messages.item(1).id > 0 and threads.total_unread() == 0,
                    timeout=10_000)  # sent, and replying marked the thread read
    assert [messages.item(r).text for r in range(2)] == ["Hello! Can we start next week?",
                                                         "Monday works"]

    ok(deal.advertiser.client.post(f"/threads/{thread_id}/messages",
                                   json={"text": "See you then"}), 201)
    qtbot.waitUntil(lambda: messages.rowCount() == 3 and threads.total_unread() == 1,
                    timeout=10_000)
    assert messages.first_unread_row() == 2
    client.engine.mark_read(thread_id, messages.item(2).id)
    qtbot.waitUntil(lambda: threads.total_unread() == 0, timeout=1000)
    assert resets == []
    assert other_thread not in [threads.thread_at(r).id for r in range(threads.rowCount())]
