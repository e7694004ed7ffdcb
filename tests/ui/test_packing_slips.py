"""Packing slips: the Code 39 table against an independent reference, the barcode drawn and read
back from the pixels, slip codes parsed as a scanner or a person types them, and the PDF with one
page per request."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import IssueState, RequestState
from litdesk.domain.wire import ShippingRequestOut
from litdesk.services.records import RequestRow
from litdesk.views.packing_slips import (
    CODE39,
    code39_modules,
    code39_width,
    draw_code39,
    parse_slip_code,
    recipient_lines,
    slip_code,
    write_packing_slips,
)

# Element widths (1 narrow, 2 wide; bar, space, bar, ...) as printed in the AIM / ISO/IEC 16388
# specification's table, typed here independently of the module's own notation.
REFERENCE = {
    "0": "111221211", "1": "211211112", "7": "111211212", "A": "211112112",
    "L": "112111122", "R": "211111221", "D": "111122112", "W": "222111111",
    "-": "121111212", ".": "221111211", " ": "122111211", "$": "121212111",
    "/": "121211121", "+": "121112121", "%": "111212121", "*": "121121211",
}


def request_out(request_id: int, **changes: object) -> ShippingRequestOut:
    now = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    data: dict[str, object] = dict(
        id=request_id, campaign_id=7, creator_id=3, creator_name="Maya Lopez",
        creator_handle="@maya", product="Trail runner", variant="EU 39 / blue",
        recipient_name="Maya Lopez", address_line1="12 rue des Lilas", address_line2="Bât. B",
        city="Lyon", postal_code="69001", region="", country="fr", phone="+33 6 12 34 56 78",
        state=RequestState.READY_TO_SHIP, issue_state=IssueState.NONE, issue_reason="",
        refused_reason="", cancelled_reason="", requested_at=now, accepted_at=now,
        ship_by=now, carrier="", tracking_number="", reship_count=0, updated_at=now, version=2)
    data.update(changes)
    return ShippingRequestOut.model_validate(data)


def test_table_matches_the_reference_and_is_three_of_nine() -> None:
    for char, widths in REFERENCE.items():
        assert "".join("2" if kind == "w" else "1" for kind in CODE39[char]) == widths, char
    assert len(CODE39) == 44  # 43 characters and the start/stop
    for char, pattern in CODE39.items():
        assert len(pattern) == 9, char
        assert pattern.count("w") == 3, char
    assert len(set(CODE39.values())) == 44  # no two characters alike


def test_modules_wrap_the_text_in_start_and_stop() -> None:
    elements = code39_modules("ldr-1")  # lower case is read as upper case
    assert elements[:9] == [(i % 2 == 0, 3 if k == "w" else 1) for i, k in
                            enumerate(CODE39["*"])]
    assert elements[9] == (False, 1)  # the gap between characters
    assert elements[-9:] == elements[:9]
    # 7 characters of 15 modules (3 wide x 3 + 6 narrow), 6 gaps
    assert code39_width("LDR-1") == 7 * 15 + 6
    with pytest.raises(ValueError, match="cannot encode"):
        code39_modules("LDR_1")
    with pytest.raises(ValueError, match="cannot encode"):
        code39_modules("A*B")


def _decode(image: QImage) -> str:
    """Reads a Code 39 symbol back from the middle row of ``image`` (black bars on white)."""
    y = image.height() // 2
    runs: list[tuple[bool, int]] = []
    for x in range(image.width()):
        dark = QColor(image.pixel(x, y)).lightness() < 128
        if runs and runs[-1][0] == dark:
            runs[-1] = (dark, runs[-1][1] + 1)
        else:
            runs.append((dark, 1))
    runs = runs[1:-1]  # the quiet zones
    narrow = min(width for _dark, width in runs)
    inverse = {pattern: char for char, pattern in CODE39.items()}
    text = ""
    for start in range(0, len(runs), 10):  # 9 elements, then the gap
        group = runs[start:start + 9]
        text += inverse["".join("w" if w > 1.5 * narrow else "n" for _d, w in group)]
    return text


def test_the_drawn_barcode_reads_back(qtbot: QtBot) -> None:
    code = slip_code(40213)
    image = QImage(1200, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    bars = draw_code39(painter, code, QRectF(0, 0, 1200, 80), 3)
    painter.end()
    assert bars.width() == pytest.approx(code39_width(code) * 3)
    assert _decode(image) == f"*{code}*"


@pytest.mark.parametrize(("text", "expected"), [
    ("LDR-123", 123), ("123", 123), ("*LDR-123*", 123), ("ldr-123", 123), (" LDR-123 \n", 123),
    ("*123*", 123), ("LDR123", 123), ("LDR-", None), ("1Z999AA10123456784", None),
    ("", None), ("0", None), ("LD-123", None), ("12a", None),
])
def test_slip_codes_as_scanned_or_typed(text: str, expected: int | None) -> None:
    assert parse_slip_code(text) == expected


def test_recipient_block_leaves_out_blank_lines() -> None:
    lines = recipient_lines(request_out(5, address_line2="", phone=""))
    assert lines == ["Maya Lopez", "12 rue des Lilas", "69001 Lyon", "FR"]


def _page_count(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def test_one_page_per_request(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "slips.pdf"
    rows = [RequestRow(request_out(i)) for i in (11, 12)] + [request_out(13, variant="")]
    assert write_packing_slips(rows, path, campaigns={7: "Spring launch"}) == 3
    assert path.read_bytes().startswith(b"%PDF")
    assert _page_count(path) == 3
    single = tmp_path / "one.pdf"
    write_packing_slips([request_out(99)], single)
    assert _page_count(single) == 1


def test_nothing_to_print_is_refused(qtbot: QtBot, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No requests"):
        write_packing_slips([], tmp_path / "none.pdf")
    assert not (tmp_path / "none.pdf").exists()
