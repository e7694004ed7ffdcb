#!/usr/bin/env python3
"""Messages at scale: opening a long thread, and the offline search.

    python bench/messages.py [--thread 10000] [--search 100000] [--threads 1000] [--rounds 5]

Builds a local cache file (a real ``LocalCache``, filled through ``apply_page`` as the sync
engine fills it: messages in the server's JSON shape, with the full-text index kept in step),
then measures, offscreen:

* **open thread** — a thread of ``--thread`` messages into a ``ThreadMessagesModel`` shown in a
  ``QListView`` (word-wrapped, rows of varying height): ``set_thread``, show, process events and
  render the viewport with ``grab()``; the median of ``--rounds`` openings, and the first one
  (a cold page cache). Then ``fetchMore`` of one older page with a repaint. Target ≤ 100 ms.
* **search** — ``LocalCache.search_messages`` over ``--search`` messages (spread over
  ``--threads`` threads; the long thread's are among them): common and rare words, a prefix as
  typed, two words, a word in attachment names, and awkward input; median and max per query
  over ``--rounds`` rounds, with the number of hits (at most 200).
* **thread list** — ``LocalCache.threads()`` (every thread with unread counts and snippets),
  what the Messages area reads when it opens.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import memory_mb
from litdesk.domain.wire import ChangeOut, ChangesPage
from litdesk.services.cache import LocalCache

ME, OTHER = 1, 2
TARGETS = {"open_median": 0.100, "open_first": 0.100}
_WORDS = ("launch", "summer", "reel", "unboxing", "story", "discount", "code", "audience",
          "tutorial", "review", "giveaway", "honest", "morning", "routine", "collab", "link",
          "bio", "pinned", "comment", "swipe", "feature", "mention", "brand", "product",
          "skincare", "coffee", "hiking", "travel", "fitness", "recipe", "weekly", "series",
          "draft", "approved", "schedule", "invoice", "shipping", "tracking", "sample", "café")
QUERIES = ("review", "coffee", "zanzibar", "unbox", "brand product", "invoice", "sch",
           "cafe", '"AND*', "l'été")


class Builder:
    """Feed pages of synthetic threads and messages into a cache."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache
        self.pos = 0
        self.next_id = 1
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)
        self.rng = random.Random(7)

    def threads(self, count: int) -> None:
        self._apply([("thread", {"id": n, "kind": "order", "order_id": n, "request_id": None,
                                 "title": f"LD-{n:06d} · Sponsored story", "message_count": 0,
                                 "last_message_at": None, "unread": 0})
                     for n in range(1, count + 1)])

    def messages(self, count: int, thread_ids: Callable[[int], int]) -> None:
        batch: list[tuple[str, dict[str, Any]]] = []
        for n in range(count):
            batch.append(("message", self._message(thread_ids(n))))
            if len(batch) == 5000:
                self._apply(batch)
                batch = []
        if batch:
            self._apply(batch)

    def _message(self, thread_id: int) -> dict[str, Any]:
        self.clock += timedelta(seconds=self.rng.randrange(5, 600))
        message_id, self.next_id = self.next_id, self.next_id + 1
        words = self.rng.choices(_WORDS, k=self.rng.randrange(3, 40))
        sender = self.rng.choice((ME, OTHER))
        attachments = []
        if self.rng.random() < 0.03:
            attachments = [{"id": f"file-{message_id}", "name": f"invoice-{message_id}.pdf",
                            "content_type": "application/pdf", "size": 40_000}]
        return {"id": message_id, "thread_id": thread_id, "sender_id": sender,
                "sender_name": "Bench Me" if sender == ME else "Bench Advertiser",
                "system": False, "text": " ".join(words).capitalize() + ".",
                "attachments": attachments, "created_at": self.clock.isoformat()}

    def _apply(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        changes = []
        for entity, data in items:
            self.pos += 1
            changes.append(ChangeOut(pos=self.pos, entity=entity,  # type: ignore[arg-type]
                                     id=str(data["id"]), op="upsert", data=data))
        self.cache.apply_page(ChangesPage(changes=changes, cursor=self.pos, more=False))


def timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def open_thread(cache: LocalCache, thread_id: int, rounds: int) -> dict[str, float]:
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QApplication, QListView

    from litdesk.models.thread_messages import ThreadMessagesModel

    app = QApplication.instance() or QApplication([])
    model = ThreadMessagesModel(cache)
    view = QListView()
    view.setWordWrap(True)
    view.resize(420, 720)
    view.setModel(model)
    view.show()
    app.processEvents()

    def first_paint() -> None:
        model.set_thread(thread_id)
        view.scrollToBottom()
        app.processEvents()
        view.viewport().grab()

    times = []
    for _ in range(rounds):
        model.set_thread(None)
        app.processEvents()
        times.append(timed(first_paint))
    fetch = timed(lambda: (model.fetchMore(QModelIndex()), view.viewport().repaint()))
    return {"open_first": times[0], "open_median": statistics.median(times),
            "open_max": max(times), "fetch_more": fetch, "rows": model.rowCount()}


def search(cache: LocalCache, rounds: int) -> list[tuple[str, float, float, int]]:
    rows = []
    for query in QUERIES:
        times = [timed(lambda q=query: cache.search_messages(q)) for _ in range(rounds)]
        rows.append((query, statistics.median(times), max(times),
                     len(cache.search_messages(query))))
    return rows


def ms(seconds: float, key: str = "") -> str:
    target = TARGETS.get(key)
    mark = "" if target is None else (" ✓" if seconds <= target else " ✗")
    return f"{seconds * 1000:,.1f} ms{mark}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thread", type=int, default=10_000, help="messages in the long thread")
    parser.add_argument("--search", type=int, default=100_000, help="messages in the cache")
    parser.add_argument("--threads", type=int, default=1_000, help="threads in the cache")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    total = max(args.search, args.thread)
    print(f"{total:,} messages in {args.threads:,} threads, one of {args.thread:,} messages "
          f"(Python {sys.version.split()[0]}, offscreen)\n", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        cache = LocalCache(Path(folder) / "bench.sqlite3", user_id=ME)
        builder = Builder(cache)
        began = time.perf_counter()
        builder.threads(args.threads)
        rest = max(1, args.threads - 1)
        builder.messages(args.thread, lambda _n: 1)
        builder.messages(total - args.thread, lambda n: 2 + n % rest)
        build = time.perf_counter() - began
        size = (Path(folder) / "bench.sqlite3").stat().st_size / 2**20
        print(f"building the cache: {build:,.1f} s ({total / build:,.0f} messages/s through "
              f"apply_page with the search index), file {size:,.0f} MB\n")

        opened = open_thread(cache, 1, args.rounds)
        print(f"open a {args.thread:,}-message thread to first paint: "
              f"median {ms(opened['open_median'], 'open_median')}, "
              f"first {ms(opened['open_first'], 'open_first')}, "
              f"max {ms(opened['open_max'])} ({opened['rows']:.0f} rows loaded)")
        print(f"fetchMore (one older page) with a repaint: {ms(opened['fetch_more'])}")
        print(f"thread list (cache.threads(), {args.threads:,} threads): "
              f"{ms(min(timed(cache.threads) for _ in range(args.rounds)))}\n")

        print(f"offline search over {total:,} messages ({args.rounds} rounds each):")
        header = ("query", "median", "max", "hits")
        lines = [(repr(q), ms(med), ms(worst), str(hits))
                 for q, med, worst, hits in search(cache, args.rounds)]
        widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]
        for line in [header, tuple("-" * w for w in widths), *lines]:
            print("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i])
                            for i, cell in enumerate(line)))
        rss, peak = memory_mb()
        print(f"\nRSS {rss:,.0f} MB, peak {peak:,.0f} MB")
        print("targets: open a 10k-message thread ≤ 100 ms to first paint")
        cache.close()


if __name__ == "__main__":
    main()
