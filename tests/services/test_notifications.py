"""NotificationFeed against the real server on loopback: the influencer's engine and cache, the
advertiser acting through the HTTP API. Each move of the other party is exactly one notification
of the right kind, the influencer's own moves none, and neither the initial sync nor a new
session announces what was already there; a row committed late (a lower id after a higher one)
is still announced, once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QThread, Slot
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.services.api_client import ApiClient
from litdesk.services.cache import LocalCache
from litdesk.services.notifications import (
    STRAGGLER_WINDOW,
    Notification,
    NotificationFeed,
    NotificationKind,
)
from litdesk.services.records import ChangeSet, SyncStatus
from litdesk.services.sync import SyncEngine
from tests.live_server import Account, LiveServer
from tests.server.order_flow import Deal, new_deal, ok
from tests.services.sync_support import sync

WAIT_MS = 10_000
Json = dict[str, Any]


class Watched(QObject):
    """An engine whose batches go through a ``NotificationFeed`` on the UI thread (real slots,
    so the engine's signals are queued to this object's thread, as for the app's model)."""

    def __init__(self, engine: SyncEngine, cache: LocalCache, feed: NotificationFeed) -> None:
        super().__init__()
        self.engine = engine
        self.cache = cache
        self.feed = feed
        self.found: list[Notification] = []
        self.states: list[str] = []
        self.versions: set[tuple[int, int]] = set()  # (order id, version) of batches collected
        self.threads: set[bool] = set()  # whether each batch was collected on the UI thread
        engine.status_changed.connect(self.follow)
        engine.changed.connect(self.collect)

    def kinds(self) -> list[NotificationKind]:
        return [n.kind for n in self.found]

    @Slot(object)
    def collect(self, changes: ChangeSet) -> None:
        self.threads.add(QThread.currentThread() is self.thread())
        self.found.extend(self.feed.collect(changes))
        self.versions.update((r.id, r.version) for r in changes.orders)

    @Slot(object)
    def follow(self, status: SyncStatus) -> None:
        self.feed.set_status(status)
        self.states.append(status.state)


Watch = Callable[..., Watched]


@pytest.fixture
def watch(tmp_path: Path, sqlite_server: LiveServer) -> Iterator[Watch]:
    """Starts an engine for an account with a feed wired as the app wires it; stops and closes
    everything after the test."""
    made: list[tuple[Watched, ApiClient]] = []

    def make(account: Account, **options: Any) -> Watched:
        cache = LocalCache(tmp_path / f"cache-{len(made)}.sqlite3")
        api = ApiClient(sqlite_server.url, token=account.token)
        options.setdefault("long_poll_seconds", 5.0)
        options.setdefault("backoff", (0.05, 0.3))
        engine = SyncEngine(api, cache, viewer_role=account.role, **options)
        watched = Watched(engine, cache, NotificationFeed(cache, account.id))
        made.append((watched, api))
        engine.start()
        return watched

    yield make
    for watched, api in made:
        watched.engine.stop()
        api.close()
        watched.cache.close()


def online(qtbot: QtBot, watched: Watched) -> None:
    qtbot.waitUntil(lambda: watched.engine.is_running() and watched.states[-1:] == ["online"],
                    timeout=WAIT_MS)


def message(account: Account, deal: Deal, text: str) -> Json:
    sent: Json = ok(account.client.post(f"/threads/{deal.order['thread_id']}/messages",
                                        json={"text": text}), 201)
    return sent


def test_each_move_of_the_other_party_is_one_notification(
        qtbot: QtBot, watch: Watch, sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    watched = watch(deal.influencer, long_poll_seconds=30.0)
    online(qtbot, watched)
    assert watched.found == []

    def then(count: int) -> Notification:
        qtbot.waitUntil(lambda: len(watched.found) >= count, timeout=WAIT_MS)
        return watched.found[count - 1]

    deal.drive("ask")  # the influencer's own move: nothing
    deal.drive("answer")
    answered = then(1)
    assert answered.kind is NotificationKind.STATUS
    assert answered.order_id == deal.id
    assert answered.title == f"{deal.order['number']}: {OrderStatus.FEEDBACK_PROVIDED.label}"
    assert deal.order["advertiser"]["name"] in answered.body
    assert "The blue and the red ones." in answered.body

    message(deal.influencer, deal, "Thanks, noted.")  # own message: nothing
    message(deal.advertiser, deal, "Can you also mention the sale?")
    sent = then(2)
    assert sent.kind is NotificationKind.MESSAGE
    assert (sent.order_id, sent.request_id) == (deal.id, None)
    assert sent.body == "Can you also mention the sale?"

    deal.drive("bill", "pay", "start", "dispute")  # pay: the payment system's move
    assert then(3).kind is NotificationKind.STATUS
    assert then(3).title.endswith(OrderStatus.PAYMENT_RECEIVED.label)
    disputed = then(4)
    assert disputed.kind is NotificationKind.DISPUTE
    assert "opened a dispute" in disputed.body

    deal.drive("close_dispute", "ask_refund")
    refund = then(5)
    assert refund.kind is NotificationKind.REFUND
    assert refund.title.endswith(OrderStatus.REFUND_REQUESTED.label)

    deal.drive("decline_refund")  # own move last: wait until it is through, then count
    qtbot.waitUntil(lambda: (deal.id, deal.order["version"]) in watched.versions,
                    timeout=WAIT_MS)
    assert watched.kinds() == [NotificationKind.STATUS, NotificationKind.MESSAGE,
                               NotificationKind.STATUS, NotificationKind.DISPUTE,
                               NotificationKind.REFUND]
    assert {n.order_id for n in watched.found} == {deal.id}
    assert len({n.key for n in watched.found}) == 5
    assert watched.threads == {True}


def test_the_initial_sync_announces_nothing(qtbot: QtBot, watch: Watch,
                                            sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server, first_message="Hello! Can we start next week?")
    deal.drive("ask", "answer", "bill", "pay", "start", "ask_refund")
    for n in range(5):
        message(deal.advertiser, deal, f"Old message {n}")
    others = [new_deal(sqlite_server) for _ in range(2)]
    for other in others:  # more orders of other influencers: not in this feed at all
        other.drive("bill")

    # Pages of three: the catch-up takes several batches, all while "syncing".
    watched = watch(deal.influencer, page_size=3)
    online(qtbot, watched)
    assert watched.states.count("syncing") >= 2
    assert len(watched.cache.events(deal.id)) >= 12
    assert watched.found == []

    message(deal.advertiser, deal, "Are you there?")
    qtbot.waitUntil(lambda: len(watched.found) == 1, timeout=WAIT_MS)
    assert watched.found[0].kind is NotificationKind.MESSAGE
    assert watched.found[0].body == "Are you there?"


def test_a_new_session_starts_from_what_the_cache_holds(cache: LocalCache,
                                                        sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server, first_message="Hello!")
    deal.drive("ask", "answer")
    sync(cache, deal.influencer)
    everything = ChangeSet(order_events={deal.id}, messages={deal.order["thread_id"]})

    feed = NotificationFeed(cache, deal.influencer.id)
    assert feed.collect(everything) == []

    # The advertiser moves; an empty status stream means live, as after an outage.
    deal.drive("bill", "pay")
    message(deal.advertiser, deal, "Paid!")
    sync(cache, deal.influencer)
    paid, said = feed.collect(everything)
    assert paid.kind is NotificationKind.STATUS
    assert paid.title == f"{deal.order['number']}: {OrderStatus.PAYMENT_RECEIVED.label}"
    assert (said.kind, said.body) == (NotificationKind.MESSAGE, "Paid!")
    assert feed.collect(everything) == []  # each once


def test_nothing_is_announced_while_syncing_and_the_marks_move_up_after(
        cache: LocalCache, sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    feed = NotificationFeed(cache, deal.influencer.id)
    feed.set_status(SyncStatus(state="syncing"))
    deal.drive("ask", "answer")
    sync(cache, deal.influencer)
    everything = ChangeSet(order_events={deal.id})
    assert feed.collect(everything) == []

    feed.set_status(SyncStatus(state="online"))  # catch-up over: what it brought is old news
    assert feed.collect(everything) == []
    deal.drive("bill", "pay")
    sync(cache, deal.influencer)
    assert [n.kind for n in feed.collect(everything)] == [NotificationKind.STATUS]


# --- rows written straight into the cache (ids the server would not hand out on SQLite) ---------

def _event(event_id: int, *, actor_id: int | None, action: str | None, kind: str = "transition",
           to_status: str | None = None, note: str = "") -> ChangeOut:
    data = {"id": event_id, "order_id": 7, "actor_id": actor_id, "actor_name": "Ann Lee",
            "actor_role": "advertiser", "kind": kind, "action": action, "from_status": None,
            "to_status": to_status, "note": note,
            "created_at": datetime(2025, 3, 1, 12, event_id % 60, tzinfo=UTC).isoformat()}
    return ChangeOut(pos=event_id, entity="order_event", id=str(event_id), op="upsert", data=data)


def _apply(cache: LocalCache, *changes: ChangeOut) -> ChangeSet:
    return cache.apply_page(ChangesPage(changes=list(changes), cursor=cache.cursor() + 1,
                                        more=False))


def test_a_row_committed_late_is_still_announced_once(cache: LocalCache) -> None:
    me = 1
    feed = NotificationFeed(cache, me)
    changes = _apply(cache, _event(50, actor_id=2, action="request_refund",
                                   to_status="refund_requested", note="Late post"))
    [first] = feed.collect(changes)
    assert (first.kind, first.title, first.order_id) == (
        NotificationKind.REFUND, "#7: Refund Requested", 7)
    assert first.body == "Ann Lee requested a refund. “Late post”"

    # Committed after 50 though its id is lower (PostgreSQL hands out ids before commit).
    late = _apply(cache, _event(40, actor_id=2, action="open_dispute",
                                to_status="dispute_opened"))
    assert [n.key for n in feed.collect(late)] == ["event:40"]
    assert feed.collect(late) == []

    # Mine, a message's log entry (the message itself is announced), and a decision that
    # refunds: only the last counts, as a refund.
    mixed = _apply(cache,
                   _event(51, actor_id=me, action="decline_refund", to_status="refund_declined"),
                   _event(52, actor_id=2, action=None, kind="message", note="Hi"),
                   _event(53, actor_id=None, action="mediator_decides", to_status="refunded"))
    assert [(n.key, n.kind) for n in feed.collect(mixed)] == [
        ("event:53", NotificationKind.REFUND)]

    # Far below the highest id seen: older than any commit still in flight, so not news.
    high = 53 + STRAGGLER_WINDOW + 5
    assert [n.key for n in feed.collect(_apply(cache, _event(high, actor_id=2,
                                                             action="cancel")))] == [
        f"event:{high}"]
    assert feed.collect(_apply(cache, _event(3, actor_id=2, action="cancel"))) == []


def test_the_advertiser_hears_of_the_influencers_moves(
        qtbot: QtBot, watch: Watch, sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    watched = watch(deal.by(Role.ADVERTISER))
    online(qtbot, watched)
    deal.drive("ask")
    qtbot.waitUntil(lambda: len(watched.found) == 1, timeout=WAIT_MS)
    [asked] = watched.found
    assert asked.kind is NotificationKind.STATUS
    assert asked.title.endswith(OrderStatus.FEEDBACK_REQUIRED.label)
    assert "Which colours should I show?" in asked.body
