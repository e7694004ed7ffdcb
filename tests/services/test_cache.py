"""LocalCache: feed pages applied in one transaction, a cursor that never moves backwards, the
cache untouched by a page that fails, the schema version, and the board's rows."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest

from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.services.cache import SCHEMA_VERSION, CacheVersionError, LocalCache
from litdesk.services.errors import ServerError
from litdesk.services.records import OrderRow
from tests.live_server import LiveServer
from tests.server.order_flow import Deal, new_deal
from tests.services.sync_support import order_change, page, sync


@pytest.fixture
def deal(sqlite_server: LiveServer) -> Deal:
    return new_deal(sqlite_server, first_message="Hello! Can we start next week?")


def test_a_page_brings_orders_events_threads_and_messages(cache: LocalCache, deal: Deal) -> None:
    first = page(deal.influencer)
    changes = cache.apply_page(first)

    assert [row.id for row in changes.orders] == [deal.id]
    row = changes.orders[0]
    order = deal.order
    assert row == OrderRow(
        id=deal.id, number=order["number"], status=OrderStatus.PENDING,
        advertiser_name=order["advertiser"]["name"], influencer_name=order["influencer"]["name"],
        space_title=deal.space["title"], brief=order["brief"], value_cents=25_000,
        currency="USD", created_at=datetime.fromisoformat(order["created_at"]),
        updated_at=datetime.fromisoformat(order["updated_at"]), version=order["version"],
        awaiting=Role.INFLUENCER, pending_actions=0)
    assert cache.order(deal.id) == order
    assert [e["kind"] for e in cache.events(deal.id)] == ["created", "message"]
    assert changes.order_events == {deal.id}
    thread_id = order["thread_id"]
    assert changes.threads == {thread_id}
    assert changes.messages == {thread_id}
    message = next(c for c in first.changes if c.entity == "message")
    assert cache.entity("message", int(message.id)) == message.data
    assert cache.cursor() == first.cursor
    last = cache.last_sync()
    assert last is not None
    assert last.tzinfo is not None


def test_later_pages_update_orders_in_place(cache: LocalCache, deal: Deal) -> None:
    sync(cache, deal.influencer)
    deal.drive("bill")
    changes = cache.apply_page(page(deal.influencer, cache.cursor()))

    assert [(r.id, r.status, r.awaiting) for r in changes.orders] == [
        (deal.id, OrderStatus.PAYMENT_REQUIRED, Role.ADVERTISER)]
    assert [r.status for r in cache.order_rows()] == [OrderStatus.PAYMENT_REQUIRED]
    assert cache.order(deal.id) == deal.order


def test_the_cursor_never_moves_backwards(cache: LocalCache, deal: Deal) -> None:
    old = page(deal.influencer)
    deal.drive("bill")
    new = page(deal.influencer)
    assert new.cursor > old.cursor
    cache.apply_page(new)

    assert cache.apply_page(old).is_empty()  # a late, older page
    assert cache.cursor() == new.cursor
    assert cache.order(deal.id) == deal.order  # still Payment Required, not Pending
    # A page at the stored cursor with changes in it is a replay: ignored as well.
    replay = ChangesPage(changes=new.changes, cursor=new.cursor, more=False)
    assert cache.apply_page(replay).is_empty()


def test_an_older_version_never_replaces_a_newer_one(cache: LocalCache, deal: Deal) -> None:
    pending = dict(deal.order)
    deal.drive("bill")
    sync(cache, deal.influencer)
    stale = ChangesPage(changes=[order_change(pending, cache.cursor() + 1)],
                        cursor=cache.cursor() + 1, more=False)
    cache.apply_page(stale)
    assert cache.cursor() == stale.cursor
    assert cache.order(deal.id) == deal.order


def test_a_page_that_fails_leaves_cache_and_cursor_untouched(cache: LocalCache,
                                                              deal: Deal) -> None:
    sync(cache, deal.influencer)
    before = (cache.cursor(), cache.order(deal.id), cache.events(deal.id), cache.last_sync())
    deal.drive("bill")
    good = page(deal.influencer, cache.cursor())
    broken = {key: value for key, value in deal.order.items() if key != "number"}
    bad = ChangesPage(changes=[*good.changes, order_change(broken, good.cursor + 1)],
                      cursor=good.cursor + 1, more=False)

    with pytest.raises(ServerError, match="cannot read"):
        cache.apply_page(bad)

    assert (cache.cursor(), cache.order(deal.id), cache.events(deal.id),
            cache.last_sync()) == before
    cache.apply_page(good)  # and the cache still works
    assert cache.order(deal.id) == deal.order


def test_deletes_remove_objects(cache: LocalCache, deal: Deal) -> None:
    sync(cache, deal.influencer)
    event_id = cache.events(deal.id)[0]["id"]
    cursor = cache.cursor()
    gone = ChangesPage(changes=[
        ChangeOut(pos=cursor + 1, entity="order", id=str(deal.id), op="delete", data={}),
        ChangeOut(pos=cursor + 2, entity="order_event", id=str(event_id), op="delete", data={}),
    ], cursor=cursor + 2, more=False)
    changes = cache.apply_page(gone)
    assert changes.removed_orders == [deal.id]
    assert changes.orders == []
    assert changes.order_events == {deal.id}
    assert cache.order(deal.id) is None
    assert cache.order_rows() == []
    assert len(cache.events(deal.id)) == 1


def test_the_schema_version_is_recorded_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    LocalCache(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(CacheVersionError, match="newer LitDesk"):
        LocalCache(path)


def test_an_older_file_is_upgraded_in_place(tmp_path: Path, deal: Deal,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from litdesk.services import cache as module

    path = tmp_path / "cache.sqlite3"
    old = LocalCache(path)
    sync(old, deal.influencer)
    rows = old.order_rows()
    old.close()
    step = ("ALTER TABLE orders ADD COLUMN starred INTEGER NOT NULL DEFAULT 0",)
    monkeypatch.setattr(module, "_MIGRATIONS", (*module._MIGRATIONS, step))
    monkeypatch.setattr(module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    upgraded = LocalCache(path)
    try:
        assert upgraded.schema_version() == SCHEMA_VERSION + 1
        assert upgraded.order_rows() == rows
        starred = upgraded.connection().execute("SELECT starred FROM orders").fetchall()
        assert starred == [(0,)]
    finally:
        upgraded.close()


def test_reopening_keeps_everything(tmp_path: Path, deal: Deal) -> None:
    path = tmp_path / "cache.sqlite3"
    first = LocalCache(path)
    sync(first, deal.influencer)
    rows, cursor = first.order_rows(), first.cursor()
    first.close()
    again = LocalCache(path)
    try:
        assert again.schema_version() == SCHEMA_VERSION
        assert (again.order_rows(), again.cursor()) == (rows, cursor)
    finally:
        again.close()


def test_order_rows_for_many_orders(cache: LocalCache, deal: Deal) -> None:
    template = deal.order
    count = 3000
    changes = [order_change({**template, "id": n, "number": f"LD-{n:06d}", "version": 1,
                             "value_cents": n}, pos=n) for n in range(1, count + 1)]
    for start in range(0, count, 1000):
        cache.apply_page(ChangesPage(changes=changes[start:start + 1000],
                                     cursor=start + 1000, more=start + 1000 < count))
    rows = cache.order_rows()
    assert len(rows) == count
    assert sorted(r.value_cents for r in rows) == list(range(1, count + 1))
    assert {type(r.created_at) for r in rows} == {datetime}
    assert {r.status for r in rows} == {OrderStatus.PENDING}


def test_each_thread_has_its_own_connection(cache: LocalCache, deal: Deal) -> None:
    """The sync thread writes while the UI thread reads."""
    failures: list[BaseException] = []

    def apply() -> None:
        try:
            sync(cache, deal.influencer)
        except BaseException as error:
            failures.append(error)

    worker = threading.Thread(target=apply)
    worker.start()
    worker.join()
    assert failures == []
    assert [r.id for r in cache.order_rows()] == [deal.id]
