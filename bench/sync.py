#!/usr/bin/env python3
"""The client's first sync: N orders from the server on loopback into an empty local cache.

    python bench/sync.py [--orders N] [--page-size P]

The server runs as its own process on a SQLite file filled straight through SQL and the change
feed (N orders between one influencer and one advertiser). The influencer's first sync is timed
three ways, each into a new cache file:

* floor:      the same pages fetched with plain httpx, ``json.loads`` and ``executemany`` of
              (id, json) into a bare table: what any client must at least spend;
* cache:      ``ApiClient.changes`` + ``LocalCache.apply_page`` in a plain loop;
* SyncEngine: the engine on its thread, from ``start()`` until its status says "online".

Then ``LocalCache.order_rows()`` over the N orders (what the board loads at start-up).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import login, server_process
from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import SpaceIn
from litdesk.server import changefeed
from litdesk.server.accounts import create_user
from litdesk.server.changefeed import Audience
from litdesk.server.db import Database
from litdesk.server.models import Order
from litdesk.server.schema import upgrade
from litdesk.server.services import orders as order_service
from litdesk.services.api_client import ApiClient
from litdesk.services.cache import LocalCache
from litdesk.services.optimistic import awaiting

PASSWORD = "bench"
EMAIL = "seller@bench.test"
BATCH = 10_000
STATUSES = [OrderStatus.PENDING, OrderStatus.PAYMENT_REQUIRED, OrderStatus.PROCESSING,
            OrderStatus.COMPLETED, OrderStatus.HOLD]


def seed(url: str, count: int) -> None:
    """``count`` orders on one space, each recorded in the change feed, in big transactions.

    Rows go in through SQL and the feed gets each order's wire shape (the one the server's own
    ``order_out`` produces, built here from a template so no ORM load per order is needed)."""
    db = Database(url)
    upgrade(db.engine)
    changefeed.install(db.write)
    with db.write() as session:
        seller = create_user(session, email=EMAIL, name="Ines Quillfeather",
                             role=Role.INFLUENCER, password=PASSWORD)
        buyer = create_user(session, email="buyer@bench.test", name="Ada Lovelace Foods",
                            role=Role.ADVERTISER, password=PASSWORD)
        space = order_service.create_space(session, seller, SpaceIn(
            title="Weekly newsletter slot", description="One sponsored paragraph.",
            price_cents=25_000))
        session.commit()
        ids = {"space": space.id, "seller": seller.id, "buyer": buyer.id}
        template: dict[str, Any] = {
            "held_from": None, "update_from": None,
            "space": {"id": space.id, "influencer_id": seller.id, "title": space.title,
                      "description": space.description, "price_cents": space.price_cents,
                      "currency": "USD", "recurring": False},
            "influencer": {"id": seller.id, "name": seller.name},
            "advertiser": {"id": buyer.id, "name": buyer.name},
            "currency": "USD", "portfolio_ref": None, "series_id": None, "series_index": 1,
            "period_start": None, "proof_url": None, "proof_attachment_id": None,
            "completed_at": None, "survey_due_at": None, "thread_id": None, "version": 1,
        }
    audience = Audience(user_a=ids["seller"], user_b=ids["buyer"],
                        public_to_role=Role.MEDIATOR.value)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    table = Order.__table__
    for first in range(1, count + 1, BATCH):
        rows, feed = [], []
        for n in range(first, min(count, first + BATCH - 1) + 1):
            status = STATUSES[n % len(STATUSES)]
            waiting = awaiting(status)
            at = start + timedelta(minutes=n)
            row = {"id": n, "number": f"LD-{n:06d}", "space_id": ids["space"],
                   "influencer_id": ids["seller"], "advertiser_id": ids["buyer"],
                   "status": status.value, "awaiting": waiting.value if waiting else None,
                   "value_cents": 25_000 + n % 1000, "currency": "USD",
                   "brief": f"Spring launch of trail shoe model {n}: two paragraphs and a link.",
                   "series_index": 1, "created_at": at, "updated_at": at, "version": 1}
            rows.append(row)
            data = {**template, **{k: row[k] for k in (
                "id", "number", "status", "awaiting", "value_cents", "brief")},
                "progress": 50, "created_at": at.isoformat().replace("+00:00", "Z"),
                "updated_at": at.isoformat().replace("+00:00", "Z")}
            feed.append(data)
        with db.write() as session:
            session.execute(table.insert(), rows)  # type: ignore[attr-defined]
            for data in feed:
                changefeed.record(session, "order", data["id"], _constant(data, audience))
            session.commit()
    db.dispose()


def _constant(data: dict[str, Any], audience: Audience) -> changefeed.Producer:
    return lambda: (data, audience)


def floor(api: str, token: str, page_size: int, path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY, json TEXT NOT NULL)")
    after, total = 0, 0
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        while True:
            page = json.loads(client.get("/changes", params={
                "after": after, "limit": page_size}).content)
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO changes VALUES (?, ?)",
                             [(int(c["id"]), json.dumps(c["data"])) for c in page["changes"]])
            conn.execute("COMMIT")
            total += len(page["changes"])
            after = page["cursor"]
            if not page["more"]:
                break
    conn.close()
    return total


def cache_loop(base: str, token: str, page_size: int, path: Path) -> int:
    api = ApiClient(base, token=token, timeout=60)
    cache = LocalCache(path)
    total = 0
    try:
        while True:
            page = api.changes(cache.cursor(), limit=page_size)
            total += len(cache.apply_page(page).orders)
            if not page.more:
                return total
    finally:
        api.close()
        cache.close()


def engine(base: str, token: str, page_size: int, path: Path) -> int:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from litdesk.services.records import ChangeSet, SyncStatus
    from litdesk.services.sync import SyncEngine

    app = QCoreApplication.instance() or QCoreApplication([])
    api = ApiClient(base, token=token, timeout=60)
    cache = LocalCache(path)
    sync = SyncEngine(api, cache, viewer_role=Role.INFLUENCER, page_size=page_size,
                      long_poll_seconds=1.0)  # the poll left behind ends before the server
    loop = QEventLoop()
    seen = [0]

    def count(changes: ChangeSet) -> None:
        seen[0] += len(changes.orders)

    def status(now: SyncStatus) -> None:
        if now.state == "online":
            loop.quit()

    sync.changed.connect(count)
    sync.status_changed.connect(status)
    QTimer.singleShot(600_000, loop.quit)
    sync.start()
    loop.exec()
    sync.stop()
    api.close()
    cache.close()
    del app
    return seen[0]


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    began = time.perf_counter()
    count = fn()
    return time.perf_counter() - began, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    n, size = args.orders, args.page_size
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'server.sqlite3'}"
        seconds, _ = timed(lambda: (seed(url, n), n)[1])
        print(f"seeded {n:,} orders in {seconds:.1f} s", file=sys.stderr)
        with server_process(url) as api:
            base = api.removesuffix("/api/v1")
            token = login(api, EMAIL)
            floor(api, token, size, root / "warm-up.sqlite3")  # the server's file cache
            results = [
                ("floor: httpx + json.loads + executemany", timed(
                    lambda: floor(api, token, size, root / "floor.sqlite3"))),
                ("ApiClient.changes + LocalCache.apply_page", timed(
                    lambda: cache_loop(base, token, size, root / "cache.sqlite3"))),
                ("SyncEngine, start() to online", timed(
                    lambda: engine(base, token, size, root / "engine.sqlite3"))),
            ]
        cache = LocalCache(root / "cache.sqlite3")
        times = []
        for _ in range(5):
            began = time.perf_counter()
            rows = cache.order_rows()
            times.append(time.perf_counter() - began)
        cache.close()
    assert len(rows) == n, (len(rows), n)
    floor_seconds = results[0][1][0]
    print(f"first sync of {n:,} orders, pages of {size:,}, server process on loopback")
    print(f"{'':44}{'seconds':>9}{'orders/s':>11}{'vs floor':>10}")
    for name, (seconds, count) in results:
        assert count == n, (name, count, n)
        print(f"{name:44}{seconds:9.2f}{n / seconds:11,.0f}{seconds / floor_seconds:9.1f}x")
    print(f"{'LocalCache.order_rows(), median of 5':44}{statistics.median(times):9.3f}"
          f"{n / statistics.median(times):11,.0f}")


if __name__ == "__main__":
    main()
