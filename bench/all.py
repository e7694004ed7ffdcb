#!/usr/bin/env python3
"""Every LitDesk benchmark, one after another, each in a process of its own.

    python bench/all.py [--quick] [--db sqlite|postgres|both]

Runs bench/run.py (the server), bench/board.py (the order board), bench/sync.py (the first sync
without the UI), bench/ui_sync.py (the whole app: first sync, UI-thread stalls, change to
screen, memory) and bench/messages.py (a long thread, the offline search) as subprocesses, so
that each one's memory figures are its own, and prints their tables under headings.
``--quick`` uses smaller sizes (10,000 orders, 5-second loads, one server worker count, 20,000
messages) for a check in a couple of minutes; the full run takes a good deal longer. A
benchmark that fails is reported and the others still run; the exit status says whether all
succeeded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(quick: bool, db: str) -> list[tuple[str, list[str]]]:
    if quick:
        return [
            ("Server: change feed, order list and transitions (bench/run.py)",
             ["run.py", "--db", db, "--seconds", "5", "--workers", "1"]),
            ("Order board: model and view at scale (bench/board.py)",
             ["board.py", "--rows", "10000"]),
            ("First sync without the UI (bench/sync.py)", ["sync.py", "--orders", "10000"]),
            ("The whole app: first sync, stalls, change to screen, memory (bench/ui_sync.py)",
             ["ui_sync.py", "--orders", "10000"]),
            ("Messages: a long thread, the offline search (bench/messages.py)",
             ["messages.py", "--search", "20000", "--threads", "200"]),
            ("Shipping spreadsheets: export and import (bench/shipping_io.py)",
             ["shipping_io.py", "--repeats", "1"]),
        ]
    return [
        ("Server: change feed, order list and transitions (bench/run.py)",
         ["run.py", "--db", db]),
        ("Order board: model and view at scale (bench/board.py)", ["board.py"]),
        ("First sync without the UI (bench/sync.py)", ["sync.py"]),
        ("The whole app: first sync, stalls, change to screen, memory (bench/ui_sync.py)",
         ["ui_sync.py"]),
        ("Messages: a long thread, the offline search (bench/messages.py)", ["messages.py"]),
        ("Shipping spreadsheets: export and import (bench/shipping_io.py)", ["shipping_io.py"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter loads")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both",
                        help="databases for bench/run.py (postgres needs "
                             "LITDESK_TEST_DATABASE_URL or a local server)")
    args = parser.parse_args()
    failed: list[str] = []
    began = time.perf_counter()
    for title, command in plan(args.quick, args.db):
        script, *rest = command
        line = f"python bench/{script} {' '.join(rest)}".rstrip()
        print(f"\n## {title}\n$ {line}\n", flush=True)
        started = time.perf_counter()
        # stdout is the table and goes straight through; stderr (progress, Qt's chatter) is
        # shown only when the benchmark fails.
        done = subprocess.run([sys.executable, str(HERE / script), *rest],
                              stderr=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            failed.append(script)
            print(f"FAILED (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}", flush=True)
        print(f"\n({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"\nall benchmarks: {time.perf_counter() - began:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
