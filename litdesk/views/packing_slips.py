"""Packing slips: one PDF page per shipping request, with the recipient, the product and the slip
code ``LDR-<request id>`` as large text and as a Code 39 barcode.

The scan-to-ship station reads the code back: a barcode scanner types ``LDR-123`` (most scanners
drop the ``*`` start/stop characters; some keep them), a person may type ``123``.
``parse_slip_code`` accepts all three.

Decisions
---------
* **Code 39**, drawn here from its table (43 characters and ``*``), rather than a barcode
  package: it is self-checking (every character is 3 wide elements of 9), every scanner reads it
  with factory settings, and it holds ``LDR-`` and digits without any mode switching. No check
  character is added: the symbology needs none, and scanners configured to verify one are rare.
* **Geometry**: wide elements are 3 times the narrow one (the standard allows 2 to 3; 3 reads
  best on cheap scanners), a narrow gap between characters, a quiet zone of 10 narrow modules
  each side, and a narrow module of 0.02 in (about 0.5 mm) unless the code would not fit the page.
* **Drawing, not an image**: bars are filled rectangles at the PDF's own resolution (300 dpi),
  so a printer renders them sharp at any size.
* **The page size is A4**; both A4 and US Letter printers fit a page laid out within
  A4 ∩ Letter margins (each side 15 mm).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPageLayout, QPageSize, QPainter, QPdfWriter

from litdesk.domain.wire import ShippingRequestOut
from litdesk.services.records import RequestRow

SLIP_PREFIX = "LDR-"
RESOLUTION = 300          # dots per inch of the PDF's drawing
NARROW_INCH = 0.02        # the narrow module
WIDE_RATIO = 3
QUIET_MODULES = 10

# Code 39: each character is 9 elements, bar-space-bar-space-bar-space-bar-space-bar; "w" marks
# the three wide ones.
CODE39: dict[str, str] = {
    "0": "nnnwwnwnn", "1": "wnnwnnnnw", "2": "nnwwnnnnw", "3": "wnwwnnnnn",
    "4": "nnnwwnnnw", "5": "wnnwwnnnn", "6": "nnwwwnnnn", "7": "nnnwnnwnw",
    "8": "wnnwnnwnn", "9": "nnwwnnwnn", "A": "wnnnnwnnw", "B": "nnwnnwnnw",
    "C": "wnwnnwnnn", "D": "nnnnwwnnw", "E": "wnnnwwnnn", "F": "nnwnwwnnn",
    "G": "nnnnnwwnw", "H": "wnnnnwwnn", "I": "nnwnnwwnn", "J": "nnnnwwwnn",
    "K": "wnnnnnnww", "L": "nnwnnnnww", "M": "wnwnnnnwn", "N": "nnnnwnnww",
    "O": "wnnnwnnwn", "P": "nnwnwnnwn", "Q": "nnnnnnwww", "R": "wnnnnnwwn",
    "S": "nnwnnnwwn", "T": "nnnnwnwwn", "U": "wwnnnnnnw", "V": "nwwnnnnnw",
    "W": "wwwnnnnnn", "X": "nwnnwnnnw", "Y": "wwnnwnnnn", "Z": "nwwnwnnnn",
    "-": "nwnnnnwnw", ".": "wwnnnnwnn", " ": "nwwnnnwnn", "$": "nwnwnwnnn",
    "/": "nwnwnnnwn", "+": "nwnnnwnwn", "%": "nnnwnwnwn", "*": "nwnnwnwnn",
}

_CODE = re.compile(r"^\*?\s*(?:LDR\s*-?\s*)?(\d{1,12})\s*\*?$", re.IGNORECASE)


def slip_code(request_id: int) -> str:
    """The code printed on a request's packing slip."""
    return f"{SLIP_PREFIX}{request_id}"


def parse_slip_code(text: str) -> int | None:
    """The request id in a scanned or typed code: ``LDR-123``, ``123`` or ``*LDR-123*`` (any
    case, stray spaces); None when the text is not one."""
    match = _CODE.match(text.strip())
    if match is None:
        return None
    value = int(match.group(1))
    return value if value > 0 else None


def code39_modules(text: str) -> list[tuple[bool, int]]:
    """``text`` as Code 39 elements, start and stop ``*`` included: (is a bar, width in narrow
    modules), with the narrow gap between characters. Raises ``ValueError`` for a character
    Code 39 cannot hold (and for ``*``, which only starts and stops)."""
    body = text.upper()
    bad = sorted({c for c in body if c not in CODE39 or c == "*"})
    if bad:
        raise ValueError(f"Code 39 cannot encode {''.join(bad)!r}")
    elements: list[tuple[bool, int]] = []
    for position, char in enumerate(f"*{body}*"):
        if position:
            elements.append((False, 1))  # the inter-character gap
        for index, kind in enumerate(CODE39[char]):
            elements.append((index % 2 == 0, WIDE_RATIO if kind == "w" else 1))
    return elements


def code39_width(text: str) -> int:
    """The code's width in narrow modules, without the quiet zones."""
    return sum(width for _bar, width in code39_modules(text))


def draw_code39(painter: QPainter, text: str, area: QRectF, module: float) -> QRectF:
    """Draws ``text``'s barcode centred in ``area`` (height = the area's), with narrow
    modules of ``module`` device units, shrunk to fit the width; returns the bars' rectangle."""
    elements = code39_modules(text)
    modules = sum(width for _bar, width in elements)
    module = min(module, area.width() / (modules + 2 * QUIET_MODULES))
    left = area.left() + (area.width() - modules * module) / 2
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    x = left
    for is_bar, width in elements:
        if is_bar:
            painter.drawRect(QRectF(x, area.top(), width * module, area.height()))
        x += width * module
    painter.restore()
    return QRectF(left, area.top(), modules * module, area.height())


def _request(row: RequestRow | ShippingRequestOut) -> ShippingRequestOut:
    return row.request if isinstance(row, RequestRow) else row


def recipient_lines(request: ShippingRequestOut) -> list[str]:
    """The address block as a carrier wants it on the parcel."""
    town = " ".join(part for part in (request.postal_code, request.city) if part)
    lines = [request.recipient_name, request.address_line1, request.address_line2, town,
             request.region, request.country.upper(), request.phone and f"Phone: {request.phone}"]
    return [line for line in lines if line and line.strip()]


class _Slip:
    """Lays out one page; all sizes in device units of the PDF writer."""

    def __init__(self, painter: QPainter, page: QRect, resolution: int) -> None:
        self.painter = painter
        self.page = page
        self.dpi = resolution
        self.y = float(page.top())

    def font(self, points: float, *, bold: bool = False) -> QFont:
        font = QFont("Helvetica")
        font.setPointSizeF(points)
        font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        return font

    def text(self, line: str, points: float, *, bold: bool = False, gap: float = 0.0,
             grey: bool = False) -> None:
        font = self.font(points, bold=bold)
        self.painter.setFont(font)
        self.painter.setPen(QColor("#555555") if grey else QColor("black"))
        metrics = QFontMetrics(font, self.painter.device())
        rect = QRectF(self.page.left(), self.y, self.page.width(), metrics.height())
        elided = metrics.elidedText(line, Qt.TextElideMode.ElideRight, self.page.width())
        self.painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                              elided)
        self.y += metrics.height() + gap * self.dpi

    def space(self, inches: float) -> None:
        self.y += inches * self.dpi

    def rule(self) -> None:
        self.painter.setPen(QColor("#999999"))
        self.painter.drawLine(self.page.left(), int(self.y), self.page.right(), int(self.y))
        self.space(0.12)

    def barcode(self, code: str, height_inches: float) -> None:
        # Bars in line with the text above them: the quiet zone goes into the page margin.
        module = NARROW_INCH * self.dpi
        width = min((code39_width(code) + 2 * QUIET_MODULES) * module,
                    self.page.width() + QUIET_MODULES * module)
        area = QRectF(self.page.left() - QUIET_MODULES * module, self.y, width,
                      height_inches * self.dpi)
        draw_code39(self.painter, code, area, module)
        self.y = area.bottom() + 0.05 * self.dpi


def _draw_page(painter: QPainter, page: QRect, resolution: int, request: ShippingRequestOut,
               campaign: str) -> None:
    slip = _Slip(painter, page, resolution)
    code = slip_code(request.id)
    slip.text("Packing slip", 11, grey=True, gap=0.02)
    slip.text(campaign or f"Campaign {request.campaign_id}", 14, bold=True, gap=0.1)
    slip.rule()
    slip.text(code, 36, bold=True, gap=0.05)
    slip.barcode(code, 0.9)
    slip.text(f"*{code}*", 9, grey=True, gap=0.1)
    slip.rule()
    slip.text("Ship to", 11, grey=True, gap=0.03)
    for line in recipient_lines(request):
        slip.text(line, 16, bold=line == request.recipient_name, gap=0.02)
    slip.space(0.15)
    slip.rule()
    slip.text("Contents", 11, grey=True, gap=0.03)
    slip.text(request.product, 16, bold=True, gap=0.02)
    if request.variant:
        slip.text(f"Variant: {request.variant}", 14, gap=0.02)
    slip.space(0.1)
    handle = f" ({request.creator_handle})" if request.creator_handle else ""
    slip.text(f"Creator: {request.creator_name}{handle}", 12, gap=0.02)
    if request.ship_by is not None:
        slip.text(f"Ship by: {request.ship_by:%d %b %Y}", 12, gap=0.02)
    slip.space(0.2)
    slip.text("Scan the code above, then the parcel's tracking number, to mark it shipped.",
              9, grey=True)


def write_packing_slips(rows: Sequence[RequestRow | ShippingRequestOut], path: str | Path, *,
                        campaigns: dict[int, str] | None = None) -> int:
    """Writes one A4 page per request to the PDF at ``path``; returns the number of pages.
    ``campaigns`` names each campaign id (else the slip says "Campaign <id>"). Raises
    ``ValueError`` for no rows and ``OSError`` when the file cannot be written."""
    requests = [_request(row) for row in rows]
    if not requests:
        raise ValueError("No requests to print packing slips for.")
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setResolution(RESOLUTION)
    writer.setTitle("LitDesk packing slips")
    writer.setCreator("LitDesk")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"Cannot write {target}.")
    try:
        page = writer.pageLayout().paintRectPixels(writer.resolution())
        page.moveTo(0, 0)  # the painter's origin is the paint rectangle's corner
        names = campaigns or {}
        for number, request in enumerate(requests):
            if number:
                writer.newPage()
            _draw_page(painter, page, writer.resolution(), request,
                       names.get(request.campaign_id, ""))
    finally:
        painter.end()
    return len(requests)
