"""Export approved orders and re-import them: real files written by openpyxl, by Python's csv
module and by hand, read back the way a clerk's spreadsheet program leaves them."""

from __future__ import annotations

import csv
import gc
import io
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from litdesk.domain.shipping import IssueState, RequestState, ShippingAction
from litdesk.domain.tracking import gs1_mod10
from litdesk.domain.wire import BulkShippingIn, ShippingRequestOut
from litdesk.services.spreadsheets import (
    HEADERS,
    ImportFile,
    ImportLine,
    ImportRow,
    Outcome,
    SpreadsheetError,
    export_requests,
    preview,
    read_import,
    ship_items,
)

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def request(id: int, state: RequestState = RequestState.READY_TO_SHIP,
            **fields: Any) -> ShippingRequestOut:
    values: dict[str, Any] = dict(
        id=id, campaign_id=7, creator_id=100 + id, creator_name=f"Creator {id}",
        creator_handle=f"@creator{id}", product="Glow serum", variant="30 ml",
        recipient_name=f"Recipient {id}", address_line1=f"{id} Rue de la Paix",
        address_line2="", city="Lyon", postal_code="69002", region="", country="FR",
        phone="+33 6 12 34 56 78", state=state, issue_state=IssueState.NONE, issue_reason="",
        refused_reason="", cancelled_reason="", requested_at=NOW - timedelta(days=2),
        accepted_at=NOW - timedelta(days=1), ship_by=NOW + timedelta(days=2), carrier="",
        tracking_number="", reship_count=0, updated_at=NOW, version=3 + id % 5)
    values.update(fields)
    return ShippingRequestOut(**values)


def usps(n: int) -> str:
    """A valid 22-digit USPS number, different for each ``n``."""
    data = f"9400{n:017d}"
    return data + str(gs1_mod10(data))


def no_owner(number: str) -> int | None:
    return None


def known_of(requests: Sequence[ShippingRequestOut]) -> dict[int, ShippingRequestOut]:
    return {r.id: r for r in requests}


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, title: str = "Sheet") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    return path


def fill_tracking(path: Path, numbers: Mapping[int, str], *, carrier: str = "") -> None:
    """What the clerk does in Excel: type a tracking number (and a carrier) per request."""
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    id_col = header.index("Request ID") + 1
    tracking_col = header.index("Tracking number") + 1
    carrier_col = header.index("Carrier") + 1
    for row in range(2, sheet.max_row + 1):
        request_id = sheet.cell(row, id_col).value
        assert isinstance(request_id, int)
        sheet.cell(row, tracking_col).value = numbers[request_id]
        if carrier:
            sheet.cell(row, carrier_col).value = carrier
    book.save(path)


# --- export --------------------------------------------------------------------------------------

def test_export_writes_ready_to_ship_requests_with_every_column(tmp_path: Path) -> None:
    requests = [request(1), request(2, RequestState.PENDING), request(3),
                request(4, RequestState.SENT), request(5, creator_handle=None)]
    target = tmp_path / "orders.xlsx"
    assert export_requests(requests, target, campaigns={7: "Spring glow"}) == 3
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == [1, 3, 5]
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["Campaign"] == "Spring glow"
    assert first["Creator"] == "Creator 1"
    assert first["Handle"] == "@creator1"
    assert first["Address line 1"] == "1 Rue de la Paix"
    assert first["Postal code"] == "69002"
    assert first["Phone"] == "+33 6 12 34 56 78"
    assert first["Accepted"] == (NOW - timedelta(days=1)).astimezone().replace(tzinfo=None)
    assert first["Carrier"] is None
    assert first["Tracking number"] is None
    assert dict(zip(HEADERS, rows[3], strict=True))["Handle"] is None  # "" is no cell


def test_export_to_csv_has_a_bom_and_the_same_columns(tmp_path: Path) -> None:
    target = tmp_path / "orders.csv"
    assert export_requests([request(1), request(2)], target) == 2
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o644  # not the temporary file's 0600
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS
    assert rows[1][0] == "1"
    assert rows[1][1] == "7"
    assert rows[1][HEADERS.index("Requested")] == \
        f"{(NOW - timedelta(days=2)).astimezone():%Y-%m-%d %H:%M}"


def test_text_from_creators_never_becomes_a_formula(tmp_path: Path) -> None:
    evil = request(1, creator_name='=HYPERLINK("http://x","click")', city="@SUM(A1)",
                   address_line2="ok\x01\x02", phone="+33 6 12")
    book_path, csv_path = tmp_path / "o.xlsx", tmp_path / "o.csv"
    export_requests([evil], book_path)
    export_requests([evil], csv_path)
    book = load_workbook(book_path)
    sheet = book.active
    assert sheet is not None
    creator = sheet.cell(2, HEADERS.index("Creator") + 1)
    assert creator.data_type == "s"
    assert creator.value == evil.creator_name
    assert sheet.cell(2, HEADERS.index("Address line 2") + 1).value == "ok"
    row = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig"))))[1]
    assert row[HEADERS.index("Creator")] == "'" + evil.creator_name
    assert row[HEADERS.index("City")] == "'@SUM(A1)"


def test_tracking_column_is_formatted_as_text_for_excel(tmp_path: Path) -> None:
    target = tmp_path / "orders.xlsx"
    export_requests([request(1)], target)
    book = load_workbook(target)
    sheet = book.active
    assert sheet is not None
    assert sheet.column_dimensions["S"].number_format == "@"  # Tracking number
    assert sheet.column_dimensions["R"].number_format == "@"  # Carrier
    assert sheet.freeze_panes == "A2"


class Cancelled(Exception):
    """What a Cancel button's progress callback raises."""


@pytest.mark.parametrize("name", ["orders.xlsx", "orders.csv"])
def test_a_failed_export_leaves_the_target_untouched(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(b"yesterday's file")
    calls: list[tuple[int, int]] = []

    def cancel(done: int, total: int) -> None:
        calls.append((done, total))
        if done >= 500:
            raise Cancelled

    with pytest.raises(Cancelled):
        export_requests([request(i) for i in range(1, 2001)], target, progress=cancel)
    assert calls[0] == (0, 2000)
    assert calls[-1][0] >= 500
    assert target.read_bytes() == b"yesterday's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    gc.collect()  # a half-written workbook must not fail later, when it is collected


@pytest.mark.parametrize("name", ["back.xlsx", "back.csv"])
def test_cancelling_an_import_is_not_reported_as_a_bad_file(tmp_path: Path, name: str) -> None:
    export_requests([request(i) for i in range(1, 1001)], tmp_path / name)

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        read_import(tmp_path / name, progress=cancel)


def test_export_refuses_unknown_formats_and_unwritable_places(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match=r"orders\.xls: .*\.xlsx or \.csv"):
        export_requests([request(1)], tmp_path / "orders.xls")
    with pytest.raises(SpreadsheetError, match=r"orders\.xlsx: could not be written"):
        export_requests([request(1)], tmp_path / "missing" / "orders.xlsx")


def test_export_reports_progress_to_the_end(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    export_requests([request(i) for i in range(1, 1001)], tmp_path / "o.xlsx",
                    progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 1000)
    assert calls[-1] == (1000, 1000)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


# --- the round trip ------------------------------------------------------------------------------

def test_xlsx_round_trip_of_2000_requests(tmp_path: Path) -> None:
    requests = [request(i) for i in range(1, 2001)]
    target = tmp_path / "approved orders.xlsx"
    assert export_requests(requests, target) == 2000
    # Lower case and spaces, as a person types them.
    typed = {r.id: " ".join([usps(r.id)[:4].lower(), usps(r.id)[4:]]) for r in requests}
    fill_tracking(target, typed)
    steps: list[tuple[int, int]] = []
    file = read_import(target, progress=lambda done, total: steps.append((done, total)))
    assert steps
    assert steps[-1][0] == steps[-1][1] >= 2000
    assert file.sheet == "Ready to Ship"
    assert [line.request_id for line in file.rows] == list(range(1, 2001))
    assert [line.line for line in file.rows] == list(range(2, 2002))
    rows = preview(file, known_of(requests), no_owner)
    assert {row.outcome for row in rows} == {Outcome.WILL_SHIP}
    assert all(row.carrier == "USPS" for row in rows)
    items = ship_items(rows, known_of(requests))
    assert len(items) == 2000
    assert items[41].id == 42
    assert items[41].version == requests[41].version
    assert items[41].tracking_number == usps(42)
    body = BulkShippingIn(action=ShippingAction.SHIP, items=items, atomic=True)
    assert body.atomic
    assert len(body.items) == 2000


def test_csv_round_trip_without_tracking_numbers(tmp_path: Path) -> None:
    requests = [request(i) for i in range(1, 2001)]
    target = tmp_path / "orders.csv"
    export_requests(requests, target)
    file = read_import(target)
    assert file.sheet == ""
    rows = preview(file, known_of(requests), no_owner)
    assert len(rows) == 2000
    assert {row.outcome for row in rows} == {Outcome.WILL_SHIP}
    assert rows[0].message == "Will be marked shipped, without a tracking number."
    items = ship_items(rows, known_of(requests))
    assert (items[0].tracking_number, items[0].carrier) == (None, None)


def test_csv_round_trip_with_tracking_numbers_typed_in(tmp_path: Path) -> None:
    requests = [request(i) for i in range(1, 301)]
    target = tmp_path / "orders.csv"
    export_requests(requests, target)
    records = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    for record in records[1:]:
        record[-2], record[-1] = "ups", _ups(int(record[0]))
    write_csv(target, records, encoding="utf-8-sig")
    rows = preview(read_import(target), known_of(requests), no_owner)
    assert {row.outcome for row in rows} == {Outcome.WILL_SHIP}
    assert rows[0].carrier == "UPS"  # the name written, tidied
    assert rows[0].tracking == _ups(1)


def _ups(n: int) -> str:
    body = f"A1B2C3{n % 100:02d}{n:07d}"
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return f"1Z{body}{-total % 10}"


# --- what spreadsheet users do -------------------------------------------------------------------

def test_reordered_and_extra_columns_synonyms_and_title_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "mine.xlsx", [
        ["Shipping for March"],
        [],
        ["Notes", "  TRACKING   # ", "Creator", " courier ", "request"],
        ["fragile", usps(1), "Ann", "", 1],
        [None, None, None, None, None],
        ["", "9400 " + usps(2)[4:].lower(), "Bob", "", 2.0],
        ["", "", "Cy", "", " 3 "],
        ["", None, "", "", "#4"],
        ["total", None, None, None, "total"],
    ], title="March")
    file = read_import(path)
    assert file.sheet == "March"
    assert [(r.line, r.request_id, r.tracking) for r in file.rows] == [
        (4, 1, usps(1)), (6, 2, "9400 " + usps(2)[4:].lower()), (7, 3, ""), (8, 4, ""),
        (9, None, "")]
    assert file.rows[-1].raw_id == "total"
    rows = preview(file, known_of([request(i) for i in range(1, 5)]), no_owner)
    assert [r.outcome for r in rows] == [Outcome.WILL_SHIP] * 4 + [Outcome.UNKNOWN_ID]
    assert rows[1].tracking == usps(2)


@pytest.mark.parametrize(("header", "field"), [
    ("id", "id"), ("ID", "id"), ("Request ID", "id"), (" request  id ", "id"),
    ("Request", "id"), ("request_id", "id"), ("Request #", "id"),
    ("tracking", "tracking"), ("Tracking #", "tracking"), ("TRACKING NUMBER", "tracking"),
    ("tracking no.", "tracking"), ("Carrier", "carrier"), ("carrier ", "carrier"),
])
def test_header_names_in_any_case_and_spacing(tmp_path: Path, header: str,
                                              field: str) -> None:
    columns = {"id": "Request ID", "tracking": "Tracking number", "carrier": "Carrier"}
    columns[field] = header
    path = write_csv(tmp_path / "h.csv", [list(columns.values()), ["12", usps(12), "USPS"]])
    line = read_import(path).rows[0]
    assert (line.request_id, line.tracking, line.carrier) == (12, usps(12), "USPS")


@pytest.mark.parametrize(("cell", "expected"), [
    (1234, 1234), (1234.0, 1234), ("1234", 1234), (" 1 234 ", 1234), ("1234.0", 1234),
    ("#1234", 1234), ("\u00a01234\u00a0", 1234), ("'1234", 1234),
    ("abc", None), (12.5, None), ("0", None), (-3, None), (2**40, None), (True, None),
])
def test_ids_as_numbers_or_text(tmp_path: Path, cell: object, expected: int | None) -> None:
    path = write_xlsx(tmp_path / "ids.xlsx", [["Request ID"], [cell]])
    assert read_import(path).rows[0].request_id == expected


def test_csv_variants_excel_writes(tmp_path: Path) -> None:
    rows = [["Request ID", "Carrier", "Tracking number"], ["5", "Colis Privé", " ra123456785de "]]
    semicolons = write_csv(tmp_path / "fr.csv", rows, delimiter=";", encoding="cp1252")
    tabs = write_csv(tmp_path / "unicode.txt", rows, delimiter="\t", encoding="utf-16")
    for path in (semicolons, tabs):
        line = read_import(path).rows[0]
        assert (line.line, line.request_id, line.carrier, line.tracking) == \
            (2, 5, "Colis Privé", "ra123456785de")


def test_a_csv_field_with_a_newline_counts_as_one_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", [["id", "note"], ["1", "two\nlines"], ["2", ""]])
    assert [(r.line, r.request_id) for r in read_import(path).rows] == [(2, 1), (3, 2)]


def test_the_format_is_found_from_the_content_not_the_name(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "saved as.csv", [["Request ID"], [8]])
    text = write_csv(tmp_path / "saved as.xlsx", [["Request ID"], ["9"]])
    assert read_import(book).rows[0].request_id == 8
    assert read_import(text).rows[0].request_id == 9


def test_the_first_sheet_with_an_id_column_is_read(tmp_path: Path) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["Remember the samples"])
    book.create_sheet("Orders").append(["id", "tracking"])
    book["Orders"].append([3, usps(3)])
    book.save(tmp_path / "two.xlsx")
    file = read_import(tmp_path / "two.xlsx")
    assert file.sheet == "Orders"
    assert file.rows[0].request_id == 3


# Excel writes this when a data validation refers to another sheet; openpyxl warns that it is
# "not supported and will be removed", which must not stop an import (warnings are errors here).
DATA_VALIDATION_EXT = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.'
    'microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="0"/></ext>'
    '</extLst>')


def _hand_made_xlsx(path: Path, rows: str, tail: str = DATA_VALIDATION_EXT) -> Path:
    """A workbook as another program might write it: no styles part, no dimension, inline
    strings, and an extension openpyxl warns about."""
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlfor'
            'mats-package.relationships+xml"/><Default Extension="xml" ContentType="applicati'
            'on/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.open'
            'xmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl'
            '/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocume'
            'nt.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pac'
            'kage/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlfor'
            'mats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.x'
            'ml"/></Relationships>',
        "xl/workbook.xml":
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadshe'
            'etml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/re'
            'lationships"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></wor'
            'kbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pac'
            'kage/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlfor'
            'mats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.'
            'xml"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsh'
            f'eetml/2006/main"><sheetData>{rows}</sheetData>{tail}</worksheet>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def _cell(ref: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def test_the_hand_made_workbook_makes_openpyxl_warn(tmp_path: Path) -> None:
    path = _hand_made_xlsx(tmp_path / "other.xlsx", f'<row r="1">{_cell("A1", "id")}</row>')
    with pytest.warns(UserWarning, match="extension is not supported"):
        _read_with_openpyxl(path)


def _read_with_openpyxl(path: Path) -> None:
    book = load_workbook(path, read_only=True)
    try:
        list(book.worksheets[0].iter_rows())
    finally:
        book.close()


def test_a_workbook_from_another_program_is_read(tmp_path: Path) -> None:
    rows = (f'<row r="1">{_cell("A1", "Tracking")}{_cell("C1", "Request ID")}</row>'
            f'<row r="4">{_cell("A4", usps(6))}{_cell("C4", 6)}</row>')
    file = read_import(_hand_made_xlsx(tmp_path / "other.xlsx", rows))
    assert [(r.line, r.request_id, r.tracking) for r in file.rows] == [(4, 6, usps(6))]


# --- files that cannot be imported ---------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


def _truncated_workbook(path: Path) -> bytes:
    write_xlsx(path, [["Request ID"], *[[i] for i in range(1, 500)]])
    return path.read_bytes()[: path.stat().st_size // 2]


def _zip_of_something_else(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def _empty_workbook(path: Path) -> bytes:
    Workbook().save(path)
    return path.read_bytes()


BAD_FILES: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "png": (lambda p: PNG, "not a spreadsheet but a PNG image"),
    "pdf": (lambda p: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    "random bytes": (lambda p: bytes(range(256)) * 8, "not a spreadsheet"),
    "bytes no encoding has": (lambda p: b"\x81\x8d\x8f\x90\x9d" * 50,
                              "not a spreadsheet"),
    "old xls": (lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, ".xls"),
    "truncated xlsx": (_truncated_workbook, "damaged"),
    "zip, not a workbook": (_zip_of_something_else, "damaged or is not an Excel"),
    "empty file": (lambda p: b"", "the file is empty"),
    "only a BOM and blank lines": (lambda p: b"\xef\xbb\xbf\r\n  \r\n", "the file is empty"),
    "empty workbook": (_empty_workbook, "the workbook is empty"),
    "no id column": (lambda p: b"Name,Tracking\r\nAnn,1Z879E930346834440\r\n",
                     "no request id column"),
    "header only": (lambda p: b"Request ID,Tracking number\r\n\r\n,,\r\n", "no rows to import"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_bad_file_is_refused_with_a_clear_error(tmp_path: Path, case: str,
                                                  suffix: str) -> None:
    make, words = BAD_FILES[case]
    path = tmp_path / f"shipping{suffix}"
    path.write_bytes(make(tmp_path / "scratch.xlsx"))
    with pytest.raises(SpreadsheetError) as raised:
        read_import(path)
    message = str(raised.value)
    assert message.startswith(f"shipping{suffix}: ")
    assert words in message
    assert raised.value.path == path


def test_a_workbook_without_an_id_column_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [["Name", "Tracking"], ["Ann", usps(1)]])
    with pytest.raises(SpreadsheetError, match="no request id column"):
        read_import(path)


def test_a_missing_file_is_a_spreadsheet_error(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match=r"gone\.xlsx: could not be opened"):
        read_import(tmp_path / "gone.xlsx")


# --- preview -------------------------------------------------------------------------------------

def lines(*rows: tuple[int | None, str] | tuple[int | None, str, str]) -> ImportFile:
    """ImportLines for (id, tracking[, carrier]) starting at row 2."""
    made = [ImportLine(i + 2, r[0], "" if r[0] is None else str(r[0]),
                       r[2] if len(r) > 2 else "", r[1])  # type: ignore[misc]
            for i, r in enumerate(rows)]
    return ImportFile(made, Path("x.xlsx"), "Sheet")


def outcomes(rows: Sequence[ImportRow]) -> list[Outcome]:
    return [row.outcome for row in rows]


def test_each_outcome() -> None:
    known = known_of([
        request(1), request(2, RequestState.SENT, shipped_at=NOW, tracking_number=usps(99)),
        request(3, RequestState.PENDING), request(4, RequestState.REFUSED),
        request(5, RequestState.CANCELLED), request(6), request(7),
    ])
    rows = preview(lines((1, usps(1)), (2, ""), (3, ""), (4, ""), (5, ""),
                         (6, "1Z879E930346834441"), (42, usps(42)), (None, usps(43)), (7, "")),
                   known, no_owner)
    assert outcomes(rows) == [
        Outcome.WILL_SHIP, Outcome.ALREADY_SHIPPED, Outcome.NOT_READY, Outcome.NOT_READY,
        Outcome.NOT_READY, Outcome.INVALID_TRACKING, Outcome.UNKNOWN_ID, Outcome.UNKNOWN_ID,
        Outcome.WILL_SHIP]
    assert rows[0].message == f"Will be marked shipped: USPS {usps(1)}."
    assert rows[1].message.startswith("Request 2 was already shipped on ")
    assert rows[2].message == "Request 3 is pending, not ready to ship."
    assert rows[4].message == "Request 5 is cancelled, not ready to ship."
    assert rows[5].message == "The check digit of this UPS number is wrong (expected 0)."
    assert rows[6].message == "There is no request 42 in this queue."
    assert rows[7].message == "This row has no request id."
    assert [i.id for i in ship_items(rows, known)] == [1, 7]


def test_a_word_in_the_id_column_is_named() -> None:
    file = ImportFile([ImportLine(2, None, "Total", "", "")], Path("x.csv"), "")
    (row,) = preview(file, {}, no_owner)
    assert (row.outcome, row.message) == (Outcome.UNKNOWN_ID, "“Total” is not a request id.")


def test_the_same_request_twice() -> None:
    known = known_of([request(1), request(2)])
    rows = preview(lines((1, usps(1)), (2, usps(2)), (1, usps(1).lower())), known, no_owner)
    assert outcomes(rows) == [Outcome.WILL_SHIP, Outcome.WILL_SHIP, Outcome.DUPLICATE]
    assert "also on row 2" in rows[2].message
    rows = preview(lines((1, usps(1)), (2, usps(2)), (1, usps(3))), known, no_owner)
    assert outcomes(rows) == [Outcome.DUPLICATE, Outcome.WILL_SHIP, Outcome.DUPLICATE]
    assert rows[0].message == ("Request 1 is on rows 2, 4 with different tracking numbers; "
                               "keep one row.")


def test_the_same_tracking_number_on_two_requests() -> None:
    known = known_of([request(1), request(2), request(3)])
    rows = preview(lines((1, usps(1)), (2, usps(1)), (3, "")), known, no_owner)
    assert outcomes(rows) == [Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.WILL_SHIP]
    assert rows[0].message == "The same tracking number is on rows 2, 3."


def test_a_tracking_number_already_used_on_another_request() -> None:
    known = known_of([request(1), request(2)])
    owners = {usps(1): 77, usps(2): 2}
    rows = preview(lines((1, usps(1)), (2, usps(2))), known, owners.get)
    assert outcomes(rows) == [Outcome.DUPLICATE, Outcome.WILL_SHIP]  # 2 owns its own number
    assert rows[0].message == "This tracking number is already used on request 77."


def test_carrier_is_detected_when_the_column_is_empty_and_kept_when_written() -> None:
    known = known_of([request(i) for i in range(1, 6)])
    rows = preview(lines((1, "1Z879E930346834440"), (2, "986578788855", "fedex"),
                         (3, "RA123456785DE"), (4, "", "DHL"), (5, "3318810025", "Fed-Ex")),
                   known, no_owner)
    assert [r.carrier for r in rows] == ["UPS", "FedEx", "Postal", "DHL", "FedEx"]
    assert outcomes(rows) == [Outcome.WILL_SHIP] * 5


def test_a_carrier_without_rules_takes_its_numbers_unchecked() -> None:
    known = known_of([request(1), request(2), request(3)])
    rows = preview(lines((1, "6A12345678901", "Colissimo"), (2, "6A12345678902"),
                         (3, "NOT A/NUMBER", "DPD")), known, no_owner)
    assert outcomes(rows) == [Outcome.WILL_SHIP, Outcome.INVALID_TRACKING,
                              Outcome.INVALID_TRACKING]
    assert rows[0].carrier == "Colissimo"
    assert rows[1].message.startswith("Not a tracking number LitDesk recognises")


def test_a_tracking_number_excel_rounded_is_explained(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [["id", "tracking"], [1, 9.400111201080805e21],
                                            [2, "9.40011E+21"], [3, 986578788855]])
    file = read_import(path)
    rows = preview(file, known_of([request(1), request(2), request(3)]), no_owner)
    assert outcomes(rows) == [Outcome.INVALID_TRACKING, Outcome.INVALID_TRACKING,
                              Outcome.WILL_SHIP]
    assert "stored this tracking number as a number and rounded it" in rows[0].message
    assert rows[2].tracking == "986578788855"  # 12 digits survive being a number


def test_a_carrier_name_too_long_for_the_server() -> None:
    rows = preview(lines((1, "", "x" * 41)), known_of([request(1)]), no_owner)
    assert outcomes(rows) == [Outcome.INVALID_TRACKING]
    assert "longer than 40" in rows[0].message
