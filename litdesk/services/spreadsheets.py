"""Export approved orders to a spreadsheet, and read it back to mark them shipped.

The brand's clerk exports the Ready to Ship requests (``export_requests``), fills in carriers and
tracking numbers in Excel or anything else, and re-imports the file: ``read_import`` reads it,
``preview`` says what each row will do, ``ship_items`` turns the good rows into one atomic bulk
"ship" request, so nothing is half-applied.

Decisions
---------
* **Format by suffix on export, by content on import.** ``.csv`` writes CSV (UTF-8 with a BOM, so
  Excel reads accents right), anything else must be ``.xlsx``. An import sniffs the bytes: a zip
  is read as a workbook whatever its name, text as CSV (UTF-8, UTF-16 as Excel's "Unicode text",
  else Windows-1252; comma, semicolon, tab or bar, whichever the header uses most), and known
  non-spreadsheets (images, PDF, the old binary ``.xls``) are named in the error.
* **Atomic export.** The file is written beside the target under a hidden temporary name, flushed
  to disk and renamed over the target at the end; any failure (even a progress callback that
  raises to cancel) removes the temporary file and leaves the target as it was.
* **Nothing a creator typed runs as a formula.** Names and addresses come from creators: in xlsx
  a text starting with ``=`` is written as text, not a formula; in CSV a text starting with
  ``= + - @`` or a tab gets a leading apostrophe (the usual CSV-injection guard), which the
  import strips again. Control characters a worksheet cannot hold are dropped.
* **Excel-proof tracking column.** The exported Carrier and Tracking number columns are
  formatted as Text, so a 22-digit USPS number typed there is not turned into ``9.40011E+21``.
  A number that was rounded all the same (a float past 15 digits, or that notation in CSV) is
  refused with what to do, instead of being checked as a wrong number.
* **Tolerant reading.** The header row is the first of the first 20 rows with an id column, so a
  title above the table is fine; columns are found by name in any case, spacing or punctuation,
  with synonyms; other columns are ignored. Rows with neither an id nor a tracking number nor a
  carrier (blank rows, totals, notes) are skipped. Ids may be numbers (``1234.0``) or text
  (``" 1 234 "``, ``#1234``). Of a workbook's sheets the first with an id column is read.
* **Checking tracking numbers.** A number LitDesk recognises must have a right check digit. A
  number it does not recognise is refused, unless the Carrier column names a carrier LitDesk has
  no rules for (``DPD``, ``La Poste``…): that number is taken unchecked, because such carriers
  have formats of their own and even lengths that look like FedEx's. A carrier LitDesk knows is
  recorded its way (``fedex`` → ``FedEx``); an empty Carrier cell is filled from the number.
* **Errors.** Every file problem is a ``SpreadsheetError`` naming the file (a ``ServiceError``,
  so ``errors.describe`` shows its sentence). An exception from a progress callback (a Cancel
  button) reaches the caller unchanged, on export and on import.
* **Duplicates.** The same request twice with the same tracking number ships once (the later rows
  are flagged); twice with different ones, every such row is flagged, since which is right cannot
  be known. A tracking number on two requests flags both rows; one already used on another
  request is flagged too.
* **Dates** are exported in the computer's local time without a zone (Excel has no zones).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from litdesk.domain import tracking
from litdesk.domain.shipping import RequestState, ship_by
from litdesk.domain.wire import ID_MAX, BulkItemIn, ShippingRequestOut
from litdesk.services.errors import ServiceError

Progress = Callable[[int, int], None]
_T = TypeVar("_T")
PROGRESS_EVERY = 250  # rows between two progress calls
HEADER_SEARCH = 20  # rows looked at for the header
CARRIER_MAX = 40  # the server's limit for a carrier's name


class SpreadsheetError(ServiceError):
    """A file that cannot be exported to or imported from; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path.name}: {problem}", code="spreadsheet")
        self.path = path


# --- export --------------------------------------------------------------------------------------

Value = int | str | datetime | None

HEADERS: tuple[str, ...] = (
    "Request ID", "Campaign", "Creator", "Handle", "Product", "Variant", "Recipient",
    "Address line 1", "Address line 2", "City", "Postal code", "Region", "Country", "Phone",
    "Requested", "Accepted", "Ship by", "Carrier", "Tracking number",
)
_WIDTHS = (11, 24, 22, 18, 24, 14, 22, 30, 20, 16, 11, 14, 8, 16, 17, 17, 17, 14, 26)
_TEXT_COLUMNS = ("Carrier", "Tracking number")
_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def export_requests(requests: Sequence[ShippingRequestOut], path: Path, *,
                    progress: Progress | None = None,
                    campaigns: Mapping[int, str] | None = None) -> int:
    """Write the Ready to Ship ones of ``requests`` to ``path`` (``.xlsx`` or ``.csv``) and return
    how many rows were written. ``campaigns`` names campaigns by id (else the id is written)."""
    ready = [r for r in requests if r.state is RequestState.READY_TO_SHIP]
    suffix = path.suffix.casefold()
    if suffix not in (".xlsx", ".csv"):
        raise SpreadsheetError(path, "LitDesk exports to .xlsx or .csv files only.")
    rows = (_export_row(r, campaigns or {}) for r in ready)
    write = _write_csv if suffix == ".csv" else _write_xlsx
    try:
        with _replacing(path) as temporary:
            write(temporary, rows, len(ready), progress)
    except OSError as error:
        raise SpreadsheetError(path, f"could not be written ({error.strerror or error}).") \
            from error
    return len(ready)


def _export_row(r: ShippingRequestOut, campaigns: Mapping[int, str]) -> list[Value]:
    due = r.ship_by or (ship_by(r.accepted_at) if r.accepted_at else None)
    return [
        r.id, campaigns.get(r.campaign_id, str(r.campaign_id)), r.creator_name,
        r.creator_handle or "", r.product, r.variant, r.recipient_name, r.address_line1,
        r.address_line2, r.city, r.postal_code, r.region, r.country, r.phone,
        _local(r.requested_at), _local(r.accepted_at), _local(due), None, None,
    ]


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone().replace(tzinfo=None) if moment is not None else None


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only if the block succeeds."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    temporary = Path(name)
    try:
        # mkstemp makes the file private (0600); an exported file is an ordinary document.
        temporary.chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _counting(rows: Iterable[list[Value]], total: int,
              progress: Progress | None) -> Iterator[list[Value]]:
    if progress is not None:
        progress(0, total)
    done = 0
    for done, row in enumerate(rows, start=1):
        yield row
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    if progress is not None and done % PROGRESS_EVERY:
        progress(done, total)


def _write_xlsx(target: Path, rows: Iterable[list[Value]], total: int,
                progress: Progress | None) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Ready to Ship")
    for index, (header, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True), start=1):
        column = sheet.column_dimensions[get_column_letter(index)]
        column.width = width
        if header in _TEXT_COLUMNS:
            column.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, header) for header in HEADERS])
    try:
        for row in _counting(rows, total, progress):
            sheet.append([_xlsx_value(sheet, v) if isinstance(v, str) else v
                          for v in _printable(row)])
    except BaseException:
        _abandon(sheet)
        raise
    book.save(target)


def _abandon(sheet: WriteOnlyWorksheet) -> None:
    """Close a write-only sheet left half written, and remove openpyxl's temporary file for it
    (else its writer fails when collected, and the file stays until LitDesk quits)."""
    with contextlib.suppress(Exception):  # already failing: the first error is the one to tell
        sheet.close()
    writer = getattr(sheet, "_writer", None)  # openpyxl offers no public way to discard a sheet
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.cleanup()


def _bold(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, text)
    cell.font = Font(bold=True)
    return cell


def _xlsx_value(sheet: WriteOnlyWorksheet, text: str) -> str | Cell | None:
    if not text:
        return None  # no cell rather than an empty string
    if text[0] != "=":
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # text, never a formula
    return cell


def _printable(row: list[Value]) -> list[Value]:
    """``row`` without the control characters a worksheet cannot hold (nor a CSV should),
    looked for in the whole row at once: they are rare."""
    if not ILLEGAL_CHARACTERS_RE.search("".join(v for v in row if isinstance(v, str))):
        return row
    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]


def _write_csv(target: Path, rows: Iterable[list[Value]], total: int,
               progress: Progress | None) -> None:
    with target.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for row in _counting(rows, total, progress):
            writer.writerow([_csv_value(v) for v in _printable(row)])


def _csv_value(value: Value) -> str:
    if isinstance(value, str):
        return "'" + value if value.startswith(_CSV_RISKY) else value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")
    return str(value)


# --- reading an import ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportLine:
    """One row of an imported file, as read. ``line`` is the row number the person sees;
    ``tracking_rounded`` says the spreadsheet stored the tracking number as a rounded number."""

    line: int
    request_id: int | None
    raw_id: str
    carrier: str
    tracking: str
    tracking_rounded: bool = False


@dataclass(frozen=True)
class ImportFile:
    """The rows of an imported file; ``sheet`` is the worksheet read ("" for CSV)."""

    rows: list[ImportLine]
    path: Path
    sheet: str


_ID, _TRACKING, _CARRIER = "id", "tracking", "carrier"
_HEADER_NAMES: dict[str, str] = {
    **dict.fromkeys(("id", "requestid", "request", "requestno", "requestnr", "requestnumber"),
                    _ID),
    **dict.fromkeys(("tracking", "trackingnumber", "trackingno", "trackingnr", "trackingnum",
                     "trackingcode", "trackingid"), _TRACKING),
    **dict.fromkeys(("carrier", "courier", "carriername", "shippingcarrier"), _CARRIER),
}
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"RIFF", "a media file"), (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or a password-protected workbook; save it "
                          "from Excel as .xlsx or CSV"),
)
_ROUNDED = re.compile(r"\d(?:[.,]\d+)?E\+?\d+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_TEXT = re.compile(r"[#']?(\d+)(?:[.,]0*)?")


def read_import(path: Path, *, progress: Progress | None = None) -> ImportFile:
    """Read the rows of an xlsx or CSV file (decided by its content), or a ``SpreadsheetError``
    saying why it cannot be imported. ``progress(done, total)`` follows the rows read; ``total``
    is an estimate for a workbook."""
    try:
        with path.open("rb") as source:
            head = source.read(8)
            if not head:
                raise SpreadsheetError(path, "the file is empty.")
            for signature, what in _SIGNATURES:
                if head.startswith(signature):
                    raise SpreadsheetError(path, f"this is not a spreadsheet but {what}.")
            source.seek(0)
            if head.startswith(b"PK"):
                return _read_workbook(path, source, progress)
            return _read_csv(path, source.read(), progress)
    except OSError as error:
        raise SpreadsheetError(path, f"could not be opened ({error.strerror or error}).") \
            from error


def _read_workbook(path: Path, source: IO[bytes], progress: Progress | None) -> ImportFile:
    with warnings.catch_warnings():
        # openpyxl warns about parts it skips (data validation, unknown extensions, a missing
        # default style); none of them matter to reading ids and tracking numbers.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        # A file object, not the name: openpyxl refuses names not ending in .xlsx, and a
        # workbook saved as "orders.csv" is still a workbook.
        book = _or_damaged(path, lambda: load_workbook(source, read_only=True, data_only=True))
        try:
            return _read_sheets(path, book.worksheets, progress)
        finally:
            book.close()


def _or_damaged(path: Path, read: Callable[[], _T]) -> _T:
    """What ``read`` returns; whatever openpyxl raises for a damaged file (it has no error type
    of its own: zip, XML, key, value and type errors all occur) becomes a SpreadsheetError.
    Only openpyxl's own calls go through here, so a progress callback's exception (a Cancel)
    reaches the caller as it is."""
    try:
        return read()
    except Exception as error:
        raise SpreadsheetError(path, "this workbook is damaged or is not an Excel (.xlsx) "
                                     "file, and could not be read.") from error


def _workbook_rows(path: Path, sheet: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    """The sheet's rows, numbered as the person sees them."""
    rows = _or_damaged(path, lambda: sheet.iter_rows(min_row=1, values_only=True))
    number = 0
    while (row := _or_damaged(path, lambda: next(rows, None))) is not None:
        number += 1
        yield number, row


def _read_sheets(path: Path, sheets: Sequence[Any], progress: Progress | None) -> ImportFile:
    empty = True
    for sheet in sheets:
        estimate = _or_damaged(path, lambda: sheet.max_row) or 0  # noqa: B023 - called at once
        sheet.reset_dimensions()  # read every row, even if the file's dimension is wrong
        rows = _workbook_rows(path, sheet)
        found, seen = _find_header(rows)
        empty = empty and not seen
        if found is not None:
            lines = list(_lines(rows, found, estimate, progress))
            return _checked(ImportFile(lines, path, sheet.title))
    if empty:
        raise SpreadsheetError(path, "the workbook is empty.")
    raise _no_id_column(path)


def _read_csv(path: Path, data: bytes, progress: Progress | None) -> ImportFile:
    text = _decode(path, data)
    if not text.strip():
        raise SpreadsheetError(path, "the file is empty.")
    first = next(line for line in text.splitlines() if line.strip())
    delimiter = max(",;\t|", key=first.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise SpreadsheetError(path, f"this CSV file could not be read ({error}).") from error
    rows = enumerate(records, start=1)
    found, _ = _find_header(rows)
    if found is None:
        raise _no_id_column(path)
    return _checked(ImportFile(list(_lines(rows, found, len(records), progress)), path, ""))


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Binary data decodes too, but with many control characters; a stray one in a text
        # that another program wrote is tolerated (and reaches no id or tracking number).
        if "\x00" not in text and len(_CONTROL.findall(text)) * 100 <= len(text):
            return text
    raise SpreadsheetError(path, "this is not a spreadsheet: it is neither an Excel (.xlsx) "
                                 "workbook nor a CSV text file.")


def _no_id_column(path: Path) -> SpreadsheetError:
    return SpreadsheetError(path, "no request id column was found. The first row of the table "
                                  "needs a column headed “Request ID” (or “ID”).")


def _checked(file: ImportFile) -> ImportFile:
    if not file.rows:
        raise SpreadsheetError(file.path, "there are no rows to import under the header.")
    return file


Columns = dict[str, int]


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[Columns | None, bool]:
    """The columns of the first header row among the first rows (consuming the rows up to it),
    and whether anything at all was written in the rows looked at."""
    seen = False
    for number, values in rows:
        columns: Columns = {}
        for index, value in enumerate(values):
            text = _text(value)
            seen = seen or bool(text)
            field = _HEADER_NAMES.get(re.sub(r"[^0-9a-z]", "", text.casefold()))
            if field is not None:
                columns.setdefault(field, index)
        if _ID in columns:
            return columns, True
        if number >= HEADER_SEARCH:
            break
    return None, seen


def _lines(rows: Iterator[tuple[int, Sequence[Any]]], columns: Columns, estimate: int,
           progress: Progress | None) -> Iterator[ImportLine]:
    done = 0
    for done, (number, values) in enumerate(rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, max(estimate, done))
        line = _line(number, values, columns)
        if line is not None:
            yield line
    if progress is not None:
        progress(done, done)


def _line(number: int, values: Sequence[Any], columns: Columns) -> ImportLine | None:
    count = len(values)
    picked = [values[i] if (i := columns.get(f, count)) < count else None
              for f in (_ID, _CARRIER, _TRACKING)]
    raw_id, carrier, tracking_text = _text(picked[0]), _text(picked[1]), _text(picked[2])
    if not (raw_id or carrier or tracking_text):
        return None
    tracking_value = picked[2]
    rounded = (isinstance(tracking_value, float) and abs(tracking_value) >= 1e15) or (
        bool(tracking_text) and _ROUNDED.fullmatch(tracking_text) is not None)
    return ImportLine(number, _parse_id(picked[0]), raw_id, carrier, tracking_text, rounded)


def _text(value: Any) -> str:
    """A cell as the text a person sees in it."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[1:].lstrip() if text.startswith("'") else text


def _parse_id(value: Any) -> int | None:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        match = _ID_TEXT.fullmatch(_SPACES.sub("", value))
        number = int(match[1]) if match else None
    else:
        number = None
    return number if number is not None and 1 <= number <= ID_MAX else None


# --- preview and apply ---------------------------------------------------------------------------

class Outcome(StrEnum):
    WILL_SHIP = "will_ship"
    ALREADY_SHIPPED = "already_shipped"
    UNKNOWN_ID = "unknown_id"
    NOT_READY = "not_ready"
    INVALID_TRACKING = "invalid_tracking"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class ImportRow:
    """What one row of an import will do, and why, in words for the person."""

    line: int
    request_id: int | None
    carrier: str
    tracking: str
    outcome: Outcome
    message: str


def preview(file: ImportFile, known: Mapping[int, ShippingRequestOut],
            tracking_owner: Callable[[str], int | None]) -> list[ImportRow]:
    """Each row's outcome. ``known`` holds the requests LitDesk knows by id; ``tracking_owner``
    answers which request already carries a tracking number (``None``: none)."""
    same_id = _repeated_ids(file.rows)
    same_tracking = _repeated_tracking(file.rows)
    return [_preview_row(line, known, tracking_owner, same_id, same_tracking)
            for line in file.rows]


def _repeated_ids(lines: Sequence[ImportLine]) -> dict[int, str]:
    """Line number → why that row is a duplicate of another row for the same request."""
    by_id: dict[int, list[ImportLine]] = defaultdict(list)
    for line in lines:
        if line.request_id is not None:
            by_id[line.request_id].append(line)
    problems: dict[int, str] = {}
    for request_id, group in by_id.items():
        if len(group) < 2:
            continue
        first = group[0]
        if len({(tracking.normalize(g.tracking), g.carrier.casefold()) for g in group}) == 1:
            for line in group[1:]:
                problems[line.line] = (f"Request {request_id} is also on row {first.line} with "
                                       "the same tracking number; it is shipped once.")
            continue
        rows = ", ".join(str(g.line) for g in group)
        for line in group:
            problems[line.line] = (f"Request {request_id} is on rows {rows} with different "
                                   "tracking numbers; keep one row.")
    return problems


def _repeated_tracking(lines: Sequence[ImportLine]) -> dict[int, str]:
    """Line number → why its tracking number is also on another request's row."""
    by_number: dict[str, list[ImportLine]] = defaultdict(list)
    for line in lines:
        number = tracking.normalize(line.tracking)
        if number:
            by_number[number].append(line)
    problems: dict[int, str] = {}
    for group in by_number.values():
        if len({g.request_id for g in group}) < 2:
            continue
        rows = ", ".join(str(g.line) for g in group)
        for line in group:
            problems[line.line] = f"The same tracking number is on rows {rows}."
    return problems


def _preview_row(line: ImportLine, known: Mapping[int, ShippingRequestOut],
                 tracking_owner: Callable[[str], int | None], same_id: Mapping[int, str],
                 same_tracking: Mapping[int, str]) -> ImportRow:
    number = tracking.normalize(line.tracking)
    carrier, tracking_problem = _carrier_and_problem(line, number)

    def row(outcome: Outcome, message: str) -> ImportRow:
        return ImportRow(line.line, line.request_id, carrier, number, outcome, message)

    request = known.get(line.request_id) if line.request_id is not None else None
    if request is None:
        return row(Outcome.UNKNOWN_ID, _unknown_id(line))
    if request.state is RequestState.SENT:
        return row(Outcome.ALREADY_SHIPPED, _shipped(request))
    if request.state is not RequestState.READY_TO_SHIP:
        state = request.state.value.replace("_", " ")
        return row(Outcome.NOT_READY, f"Request {request.id} is {state}, not ready to ship.")
    if line.line in same_id:
        return row(Outcome.DUPLICATE, same_id[line.line])
    if tracking_problem:
        return row(Outcome.INVALID_TRACKING, tracking_problem)
    if line.line in same_tracking:
        return row(Outcome.DUPLICATE, same_tracking[line.line])
    owner = tracking_owner(number) if number else None
    if owner is not None and owner != request.id:
        return row(Outcome.DUPLICATE, f"This tracking number is already used on request "
                                      f"{owner}.")
    return row(Outcome.WILL_SHIP, _will_ship(carrier, number))


def _carrier_and_problem(line: ImportLine, number: str) -> tuple[str, str]:
    """The carrier to record (the one written, tidied, else the one detected) and what is
    wrong with the tracking number or the carrier ("" when nothing)."""
    named = tracking.carrier_named(line.carrier)
    written = named.value if named not in (None, tracking.Carrier.OTHER) else line.carrier
    if line.tracking_rounded:
        return written, ("The spreadsheet stored this tracking number as a number and rounded "
                         "it. Format the Tracking number column as Text and type it again.")
    if len(written) > CARRIER_MAX:
        return written, f"The carrier's name is longer than {CARRIER_MAX} characters."
    if not number:
        return written, ""
    result = tracking.check(number)
    carrier = written or (result.carrier.value if result.carrier else "")
    if result.valid:
        return carrier, ""
    if named is tracking.Carrier.OTHER and len(number) <= tracking.MAX_LENGTH \
            and number.isascii() and number.isalnum():
        return carrier, ""  # a carrier LitDesk has no rules for: taken unchecked
    return carrier, result.problem


def _unknown_id(line: ImportLine) -> str:
    if not line.raw_id:
        return "This row has no request id."
    if line.request_id is None:
        return f"“{line.raw_id}” is not a request id."
    return f"There is no request {line.request_id} in this queue."


def _shipped(request: ShippingRequestOut) -> str:
    when = f" on {request.shipped_at.astimezone():%Y-%m-%d}" if request.shipped_at else ""
    number = f" ({request.tracking_number})" if request.tracking_number else ""
    return f"Request {request.id} was already shipped{when}{number}."


def _will_ship(carrier: str, number: str) -> str:
    if not number:
        return "Will be marked shipped, without a tracking number."
    return f"Will be marked shipped: {' '.join(p for p in (carrier, number) if p)}."


def ship_items(rows: Sequence[ImportRow],
               known: Mapping[int, ShippingRequestOut]) -> list[BulkItemIn]:
    """The rows that will ship, as the items of one ``BulkShippingIn(action=SHIP,
    atomic=True)``, each with the version of the request that was previewed."""
    return [
        BulkItemIn(id=row.request_id, version=known[row.request_id].version,
                   carrier=row.carrier or None, tracking_number=row.tracking or None)
        for row in rows
        if row.outcome is Outcome.WILL_SHIP and row.request_id is not None
    ]
