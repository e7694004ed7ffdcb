#!/usr/bin/env python3
"""LitDesk benchmarks: figures, not pass/fail.

    python bench/run.py [--db sqlite|postgres|both] [--seconds S] [--connections N]
                        [--workers 1 2]

Prints one table: the change feed serving pages of 1,000 changes, and the order list and order
transitions under N concurrent connections (default 32) on loopback. The server runs as its own
process (``litdesk-server``), as it would in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixtures import seed_changes, seed_orders
from litdesk.server.db import Database, normalise_url
from litdesk.server.schema import upgrade
from tests.scratch_db import scratch_database

PG_ADMIN = normalise_url(os.environ.get("LITDESK_TEST_DATABASE_URL",
                                        "postgresql://postgres@127.0.0.1:5432/test"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    with scratch_database(PG_ADMIN, prefix="litdesk_bench") as url:
        yield url


@contextmanager
def server_process(url: str, workers: int = 1) -> Iterator[str]:
    port = free_port()
    exe = Path(sys.executable).with_name("litdesk-server")
    proc = subprocess.Popen([str(exe), "--db", url, "--port", str(port), "--log-level", "warning",
                             "--workers", str(workers)], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield base + "/api/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_feed(api: str, token: str, rounds: int = 30) -> dict[str, float]:
    """Fetch successive pages of 1,000 changes; time each request end to end."""
    times: list[float] = []
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(rounds):
            after = 0
            began = time.perf_counter()
            page = client.get("/changes", params={"after": after, "limit": 1000}).json()
            times.append(time.perf_counter() - began)
            assert len(page["changes"]) == 1000, "the feed should hold 1,000+ changes"
    median = statistics.median(times)
    return {"median_ms": median * 1000, "p95_ms": pct(times, 0.95) * 1000,
            "changes_per_s": 1000 / median}


async def _load(api: str, workers: list[tuple[str, int]], seconds: float
                ) -> tuple[list[float], list[float], int]:
    list_times: list[float] = []
    move_times: list[float] = []
    errors = 0

    async def worker(token: str, order_id: int) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as client:
            detail = (await client.get(f"/orders/{order_id}")).json()
            version = detail["version"]
            hold = True
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                began = time.perf_counter()
                response = await client.get("/orders", params={"limit": 50})
                list_times.append(time.perf_counter() - began)
                errors += response.status_code != 200
                body = {"action": "put_on_hold" if hold else "resume", "version": version}
                if hold:
                    body["reason"] = "benchmark"
                began = time.perf_counter()
                response = await client.post(f"/orders/{order_id}/transitions", json=body)
                move_times.append(time.perf_counter() - began)
                if response.status_code == 200:
                    version = response.json()["version"]
                    hold = not hold
                else:
                    errors += 1

    await asyncio.gather(*(worker(token, order_id) for token, order_id in workers))
    return list_times, move_times, errors


def bench_load(api: str, workers: list[tuple[str, int]], seconds: float) -> dict[str, float]:
    list_times, move_times, errors = asyncio.run(_load(api, workers, seconds))
    total = len(list_times) + len(move_times)
    return {
        "list_p50_ms": pct(list_times, 0.5) * 1000, "list_p95_ms": pct(list_times, 0.95) * 1000,
        "move_p50_ms": pct(move_times, 0.5) * 1000, "move_p95_ms": pct(move_times, 0.95) * 1000,
        "requests_per_s": total / seconds, "errors": errors,
    }


def run(kind: str, seconds: float, connections: int, workers: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with database(kind) as url:
        db = Database(url)
        upgrade(db.engine)
        feed_user = seed_changes(db, 5000)
        sellers = seed_orders(db, connections, orders_per_influencer=200)
        db.dispose()
        with server_process(url, workers) as api:
            token = login(api, feed_user)
            feed = bench_feed(api, token)
            rows.append((f"{kind} ({workers}w): change feed, page of 1,000",
                         f"median {feed['median_ms']:.1f} ms, p95 {feed['p95_ms']:.1f} ms "
                         f"({feed['changes_per_s']:,.0f} changes/s)"))
            tokens = [(login(api, email), order_id) for email, order_id in sellers]
            load = bench_load(api, tokens, seconds)
            rows.append((f"{kind} ({workers}w): GET /orders (50 of 200), {connections} conn.",
                         f"p50 {load['list_p50_ms']:.1f} ms, p95 {load['list_p95_ms']:.1f} ms"))
            rows.append((f"{kind} ({workers}w): POST transition, {connections} conn.",
                         f"p50 {load['move_p50_ms']:.1f} ms, p95 {load['move_p95_ms']:.1f} ms"))
            rows.append((f"{kind} ({workers}w): throughput and errors",
                         f"{load['requests_per_s']:.0f} requests/s, {load['errors']:.0f} errors"))
    return rows


def login(api: str, email: str) -> str:
    response = httpx.post(api + "/auth/login", json={"email": email, "password": "bench"})
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="server worker processes to measure (default: 1 and 2)")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows: list[tuple[str, str]] = []
    for kind in kinds:
        for workers in args.workers:
            rows.extend(run(kind, args.seconds, args.connections, workers))
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark'.ljust(width)}  figure")
    print(f"{'-' * width}  {'-' * 50}")
    for name, figure in rows:
        print(f"{name.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
