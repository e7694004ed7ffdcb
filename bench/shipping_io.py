#!/usr/bin/env python3
"""Shipping spreadsheets: export and re-import of approved orders against openpyxl alone.

    python bench/shipping_io.py [--requests 10000] [--repeats 3]

Prints one table. On ``--requests`` generated Ready to Ship requests:

* **export xlsx** — ``export_requests`` to an .xlsx file, beside the *floor*: a write-only
  openpyxl workbook given the very same cells (the values our export writes, already prepared)
  and saved;
* **export csv** — ``export_requests`` to .csv, beside Python's ``csv`` writer given the same
  cells (openpyxl does no CSV; the csv module, in C with no work per row, is the floor there,
  and the target is not applied to it);
* **import xlsx** — ``read_import`` of that workbook with every tracking number filled in, beside
  a read-only openpyxl workbook whose rows are all read (``iter_rows(values_only=True)``);
* **import csv** — ``read_import`` of the CSV, beside ``csv.reader`` over the decoded file;
* **preview** — ``preview`` + ``ship_items`` of the imported rows (every check digit verified,
  duplicates looked for); it has no floor.

Each figure is the median of ``--repeats`` runs; the ratio is LitDesk's time over the floor's.
Target: at most 1.5 times the floor.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook, load_workbook

from litdesk.domain.shipping import IssueState, RequestState
from litdesk.domain.tracking import gs1_mod10
from litdesk.domain.wire import ShippingRequestOut
from litdesk.services import spreadsheets
from litdesk.services.spreadsheets import export_requests, preview, read_import, ship_items

TARGET = 1.5
_CITIES = (("Lyon", "69002", "FR"), ("Austin", "78701", "US"), ("Leeds", "LS1 4AP", "GB"),
           ("Berlin", "10115", "DE"), ("Toronto", "M5V 2T6", "CA"), ("Madrid", "28004", "ES"))


def make_requests(count: int) -> list[ShippingRequestOut]:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    made = []
    for n in range(1, count + 1):
        city, postal, country = _CITIES[n % len(_CITIES)]
        requested = start + timedelta(minutes=7 * n)
        made.append(ShippingRequestOut(
            id=n, campaign_id=1 + n % 3, creator_id=1000 + n, creator_name=f"Creator Number {n}",
            creator_handle=f"@creator_{n}", product="Glow serum", variant="30 ml",
            recipient_name=f"Recipient Person {n}", address_line1=f"{n} Long Street Name",
            address_line2="Flat 2" if n % 4 == 0 else "", city=city, postal_code=postal,
            region="", country=country, phone=f"+33 6 {n:08d}", state=RequestState.READY_TO_SHIP,
            issue_state=IssueState.NONE, issue_reason="", refused_reason="", cancelled_reason="",
            requested_at=requested, accepted_at=requested + timedelta(hours=5),
            ship_by=requested + timedelta(days=3, hours=5), carrier="", tracking_number="",
            reship_count=0, updated_at=requested, version=2))
    return made


def usps(n: int) -> str:
    data = f"9400{n:017d}"
    return data + str(gs1_mod10(data))


def median_time(action: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        action()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


# --- the floors ----------------------------------------------------------------------------------

def cells(requests: list[ShippingRequestOut], *, tracking: bool) -> list[list[Any]]:
    """The cells our export writes (and, for an import file, with tracking numbers)."""
    names = {1: "Campaign one", 2: "Campaign two", 3: "Campaign three"}
    rows = [spreadsheets._export_row(r, names) for r in requests]
    for row in rows:
        row[:] = [None if v == "" else v for v in row]
        if tracking:
            row[-2:] = ["USPS", usps(row[0])]
    return [list(spreadsheets.HEADERS), *rows]


def floor_write_xlsx(rows: list[list[Any]], path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Ready to Ship")
    for row in rows:
        sheet.append(row)
    book.save(path)


def floor_read_xlsx(path: Path) -> int:
    book = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def floor_write_csv(rows: list[list[Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)


def floor_read_csv(path: Path) -> int:
    text = path.read_bytes().decode("utf-8-sig")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline="")))


# --- the run -------------------------------------------------------------------------------------

def run_format(kind: str, requests: list[ShippingRequestOut], names: dict[int, str],
               plain: list[list[Any]], filled: list[list[Any]], repeats: int,
               folder: Path) -> list[tuple[str, float, float | None]]:
    ours, floor, to_import = (folder / f"{name}.{kind}" for name in ("ours", "floor", "import"))
    write_floor = floor_write_xlsx if kind == "xlsx" else floor_write_csv
    read_floor = floor_read_xlsx if kind == "xlsx" else floor_read_csv
    exported = (median_time(lambda: export_requests(requests, ours, campaigns=names), repeats),
                median_time(lambda: write_floor(plain, floor), repeats))
    write_floor(filled, to_import)  # what comes back: every tracking number typed in
    imported = (median_time(lambda: read_import(to_import), repeats),
                median_time(lambda: read_floor(to_import), repeats))
    return [(f"export {kind}", *exported), (f"import {kind}", *imported)]


def run(count: int, repeats: int, folder: Path) -> list[tuple[str, float, float | None]]:
    requests = make_requests(count)
    known = {r.id: r for r in requests}
    names = {1: "Campaign one", 2: "Campaign two", 3: "Campaign three"}
    plain, filled = cells(requests, tracking=False), cells(requests, tracking=True)
    figures: list[tuple[str, float, float | None]] = []
    for kind in ("xlsx", "csv"):
        figures.extend(run_format(kind, requests, names, plain, filled, repeats, folder))
    file = read_import(folder / "import.xlsx")

    def previewed() -> None:
        rows = preview(file, known, lambda number: None)
        if len(ship_items(rows, known)) != count:
            raise RuntimeError("not every row would ship")

    figures.append(("preview + ship items", median_time(previewed, repeats), None))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="litdesk-shipping-io-") as folder:
        figures = run(args.requests, args.repeats, Path(folder))
    print(f"{args.requests:,} Ready to Ship requests, {len(spreadsheets.HEADERS)} columns; "
          f"median of {args.repeats}\n")
    table = [("step", "LitDesk", "floor", "ratio", f"target <= {TARGET}x")]
    for name, ours, floor in figures:
        ratio = ours / floor if floor else None
        table.append((name, f"{ours:.3f} s", f"{floor:.3f} s" if floor else "—",
                      f"{ratio:.2f}x" if ratio else "—",
                      _verdict(name, ratio)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i])
                        for i, cell in enumerate(row)))
    print("\nfloors: an openpyxl write-only / read-only workbook with the same cells (xlsx); "
          "Python's csv module,\nwritten in C and doing no work per row (csv: the target is "
          "for the xlsx floor, not this one)")


def _verdict(step: str, ratio: float | None) -> str:
    if ratio is None:
        return ""
    if step.endswith("csv"):
        return "n/a"
    return "ok" if ratio <= TARGET else "OVER"


if __name__ == "__main__":
    main()
