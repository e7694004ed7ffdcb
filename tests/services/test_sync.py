"""SyncEngine against the real server on loopback: the first sync, live changes by long-poll,
actions sent at once, refusals rolled back and explained, and an action taken while the server
is down that survives an app restart and is applied exactly once when the server is back."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import TransitionIn
from litdesk.server.config import Settings
from litdesk.server.runner import ServerThread, prepare
from litdesk.services.api_client import ApiClient
from litdesk.services.cache import LocalCache
from litdesk.services.records import ChangeSet, SyncStatus
from litdesk.services.sync import SyncEngine
from tests.live_server import Account, LiveServer
from tests.server.order_flow import Deal, new_deal, new_space, place
from tests.services.sync_support import send, transition_events

WAIT_MS = 10_000


@dataclass
class Running:
    """An engine with what it was built from, and what it emitted (on the UI thread)."""

    engine: SyncEngine
    cache: LocalCache
    api: ApiClient
    statuses: list[SyncStatus] = field(default_factory=list)
    changes: list[ChangeSet] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)

    def states(self) -> list[str]:
        return [s.state for s in self.statuses]

    def status(self, order_id: int) -> OrderStatus | None:
        return next((r.status for r in self.cache.order_rows() if r.id == order_id), None)


Start = Callable[..., Running]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Starts engines (each with its own cache file unless ``cache_path`` is given) and stops
    and closes everything after the test."""
    made: list[Running] = []

    def make(account: Account, *, base_url: str, cache_path: Path | None = None,
             **options: Any) -> Running:
        cache = LocalCache(cache_path or tmp_path / f"cache-{len(made)}.sqlite3")
        api = ApiClient(base_url, token=account.token)
        options.setdefault("long_poll_seconds", 5.0)
        options.setdefault("backoff", (0.05, 0.3))
        engine = SyncEngine(api, cache, viewer_role=account.role, **options)
        running = Running(engine, cache, api)
        engine.status_changed.connect(running.statuses.append)
        engine.changed.connect(running.changes.append)
        engine.action_failed.connect(lambda message, order: running.failures.append(
            (message, order)))
        made.append(running)
        engine.start()
        return running

    yield make
    for running in made:
        running.engine.stop()
        running.api.close()
        running.cache.close()


def online(qtbot: QtBot, running: Running) -> None:
    qtbot.waitUntil(lambda: running.engine.is_running() and running.states()[-1:] == ["online"],
                    timeout=WAIT_MS)


def test_the_first_sync_brings_the_servers_orders(qtbot: QtBot, start: Start,
                                                  sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    more = [place(deal.advertiser, deal.space["id"], brief=f"Order {n}") for n in range(4)]
    ids = {deal.id, *(o["id"] for o in more)}

    running = start(deal.influencer, base_url=sqlite_server.url, page_size=3)
    online(qtbot, running)

    assert {r.id for r in running.cache.order_rows()} == ids
    assert running.cache.order(deal.id) == deal.order
    syncing = [s for s in running.statuses if s.state == "syncing" and s.message.startswith(
        "Downloading")]
    assert len(syncing) >= 2  # pages of three: progress was reported while catching up
    assert running.states()[0] == "syncing"
    assert {r.id for cs in running.changes for r in cs.orders} == ids
    assert running.statuses[-1].last_sync is not None


def test_another_accounts_change_arrives_by_long_poll(qtbot: QtBot, start: Start,
                                                      sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    running = start(deal.influencer, base_url=sqlite_server.url, long_poll_seconds=30.0)
    online(qtbot, running)
    count = len(running.changes)

    # The server holds a long-poll for at most 5 s: arriving within 3 s means it was woken.
    def has_order(changes: ChangeSet) -> bool:
        return any(r.id == deal.id for r in changes.orders)

    with qtbot.waitSignal(running.engine.changed, timeout=3000,
                          check_params_cb=has_order) as blocker:
        deal.post(deal.advertiser, "cancel", reason="Plans changed.")
    [row] = [r for r in blocker.args[0].orders if r.id == deal.id]
    assert row.status is OrderStatus.CANCELLED
    assert running.status(deal.id) is OrderStatus.CANCELLED
    assert len(running.changes) > count


def test_an_action_is_shown_at_once_and_sent_during_a_long_poll(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    running = start(deal.influencer, base_url=sqlite_server.url, long_poll_seconds=30.0)
    online(qtbot, running)

    running.engine.transition(deal.id, TransitionIn(action="request_payment",
                                                    version=deal.order["version"]))
    # Shown before anything is sent: submit applies it on the UI thread.
    assert running.status(deal.id) is OrderStatus.PAYMENT_REQUIRED
    qtbot.waitUntil(lambda: any(r.pending_actions == 1 and r.status is OrderStatus.PAYMENT_REQUIRED
                                for cs in running.changes for r in cs.orders), timeout=1000)

    qtbot.waitUntil(lambda: running.engine.outbox.count() == 0, timeout=3000)
    assert transition_events(sqlite_server, deal.id, "request_payment") == 1
    qtbot.waitUntil(lambda: (running.cache.order(deal.id) or {}).get("version")
                    == deal.order["version"] + 1, timeout=WAIT_MS)
    assert running.failures == []


def test_a_stale_action_is_rolled_back_and_explained(qtbot: QtBot, start: Start,
                                                     sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    running = start(deal.influencer, base_url=sqlite_server.url)
    online(qtbot, running)
    running.engine.stop()  # the advertiser cancels before the influencer's cache hears of it
    deal.post(deal.advertiser, "cancel", reason="Plans changed.")

    running.engine.transition(deal.id, TransitionIn(action="request_payment",
                                                    version=deal.order["version"]))
    assert running.status(deal.id) is OrderStatus.PAYMENT_REQUIRED
    with qtbot.waitSignal(running.engine.action_failed, timeout=WAIT_MS) as blocker:
        running.engine.start()  # the outbox goes out before the feed is read

    message, order_id = blocker.args
    assert order_id == deal.id
    assert "Someone else changed this first" in message
    # The 409 carried the order as it is now: shown at once, then confirmed by the feed.
    assert running.status(deal.id) is OrderStatus.CANCELLED
    [failed] = running.engine.outbox.failed()
    assert failed.error == message
    assert running.engine.outbox.count() == 0
    assert transition_events(sqlite_server, deal.id, "request_payment") == 0
    online(qtbot, running)
    assert running.status(deal.id) is OrderStatus.CANCELLED


def test_an_action_the_rules_refuse_is_explained_without_sending(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer) -> None:
    deal = new_deal(sqlite_server)
    running = start(deal.influencer, base_url=sqlite_server.url)
    online(qtbot, running)
    with qtbot.waitSignal(running.engine.action_failed, timeout=1000) as blocker:
        running.engine.transition(deal.id, TransitionIn(action="complete",
                                                        version=deal.order["version"]))
    assert blocker.args == ["Cannot complete while the order is Pending.", deal.id]
    assert running.engine.outbox.count() == 0
    assert running.status(deal.id) is OrderStatus.PENDING


def test_signed_out_when_the_token_is_refused(qtbot: QtBot, start: Start,
                                              sqlite_server: LiveServer) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    assert account.client.post("/auth/logout").status_code == 204
    with qtbot.waitSignal(start(account, base_url=sqlite_server.url).engine.signed_out,
                          timeout=WAIT_MS):
        pass


def test_stop_returns_promptly_during_a_long_poll(qtbot: QtBot, start: Start,
                                                  sqlite_server: LiveServer) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    running = start(account, base_url=sqlite_server.url, long_poll_seconds=60.0)
    online(qtbot, running)
    began = time.monotonic()
    running.engine.stop()
    assert time.monotonic() - began < 1.0
    assert not running.engine.is_running()


# --- the server goes away ------------------------------------------------------------------------

class Restartable:
    """A second server on the live server's database, on a port that stays the same."""

    def __init__(self, server: LiveServer) -> None:
        self.settings = Settings(db_url=server.db.url, max_long_poll_seconds=5)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.thread: ServerThread | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        app, db = prepare(self.settings)
        self.db = db
        self.thread = ServerThread(app, port=self.port).start()

    def down(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.db.dispose()
            self.thread = None


@pytest.fixture
def restartable(sqlite_server: LiveServer) -> Iterator[Restartable]:
    server = Restartable(sqlite_server)
    server.up()
    yield server
    server.down()


def request_payment(running: Running, deal: Deal) -> None:
    running.engine.transition(deal.id, TransitionIn(action="request_payment",
                                                    version=deal.order["version"]))


def test_offline_then_online_and_the_action_goes_through(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, restartable: Restartable) -> None:
    deal = new_deal(sqlite_server)
    running = start(deal.influencer, base_url=restartable.url)
    online(qtbot, running)

    restartable.down()
    qtbot.waitUntil(lambda: running.states()[-1:] == ["offline"], timeout=WAIT_MS)
    offline = running.statuses[-1]
    assert offline.retry_in is not None
    assert 0 <= offline.retry_in <= 0.3
    assert "offline" in offline.message.lower()
    request_payment(running, deal)
    assert running.status(deal.id) is OrderStatus.PAYMENT_REQUIRED
    qtbot.waitUntil(lambda: running.statuses[-1].pending == 1, timeout=1000)

    restartable.up()
    qtbot.waitUntil(lambda: running.engine.outbox.count() == 0, timeout=WAIT_MS)
    online(qtbot, running)
    states = running.states()
    assert states.index("offline") < len(states) - 1 - states[::-1].index("online")
    assert transition_events(sqlite_server, deal.id, "request_payment") == 1
    assert running.failures == []


def test_an_unsent_action_survives_a_restart_and_is_applied_once(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer, restartable: Restartable,
        tmp_path: Path) -> None:
    deal = new_deal(sqlite_server)
    path = tmp_path / "restart.sqlite3"
    first = start(deal.influencer, base_url=restartable.url, cache_path=path)
    online(qtbot, first)
    restartable.down()
    request_payment(first, deal)
    qtbot.waitUntil(lambda: first.states()[-1:] == ["offline"], timeout=WAIT_MS)
    [entry] = first.engine.outbox.pending()
    # The app quits while offline.
    first.engine.stop()
    first.cache.close()

    restartable.up()
    # As if the first attempt had reached the server and only its answer was lost.
    answer = send(deal.influencer, entry.action, entry.key)
    assert answer["status"] == "payment_required"

    second = start(deal.influencer, base_url=restartable.url, cache_path=path)
    assert second.engine.outbox.pending() == [entry]
    qtbot.waitUntil(lambda: second.engine.outbox.count() == 0, timeout=WAIT_MS)
    online(qtbot, second)
    assert second.cache.order(deal.id) == answer | {"updated_at": answer["updated_at"]}
    assert second.failures == []
    assert second.engine.outbox.failed() == []
    assert transition_events(sqlite_server, deal.id, "request_payment") == 1


def test_a_new_space_and_order_reach_an_engine_that_is_running(
        qtbot: QtBot, start: Start, sqlite_server: LiveServer) -> None:
    influencer = sqlite_server.account(Role.INFLUENCER)
    advertiser = sqlite_server.account(Role.ADVERTISER)
    running = start(influencer, base_url=sqlite_server.url, long_poll_seconds=30.0)
    online(qtbot, running)
    assert running.cache.order_rows() == []
    space = new_space(influencer)
    with qtbot.waitSignal(running.engine.changed, timeout=3000,
                          check_params_cb=lambda cs: bool(cs.orders)) as blocker:
        order = place(advertiser, space["id"])
    assert [r.id for r in blocker.args[0].orders] == [order["id"]]
