"""What the shipping queue's cells say and how its columns sort (no Qt widgets; the issue
icon is painted with QPainter on a QPixmap, which needs only a QGuiApplication).

Decisions
---------
* **Age** is whole days since the request was accepted, or requested while it waits: how long
  the brand has kept the creator waiting (the seed asks to ship within three days).
* **Ship by** is shown for Ready to Ship requests only (afterwards the date no longer matters);
  an overdue one reads "12 May 2025 — overdue" (and the model makes it bold).
* **Dates** are shown in the local time zone, as "12 May 2025"; sorting uses the instants.
* Empty values sort first in ascending order, whatever the column.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

from litdesk.domain.shipping import IssueState, RequestState
from litdesk.domain.wire import ShippingRequestOut
from litdesk.services.records import RequestRow


class Column(IntEnum):
    CREATOR = 0
    HANDLE = 1
    PRODUCT = 2
    ADDRESS = 3
    REQUESTED = 4
    ACCEPTED = 5
    AGE = 6
    SHIP_BY = 7
    CARRIER = 8
    TRACKING = 9
    ISSUE = 10


HEADERS: dict[Column, str] = {
    Column.CREATOR: "Creator", Column.HANDLE: "Handle", Column.PRODUCT: "Product",
    Column.ADDRESS: "Shipping address", Column.REQUESTED: "Requested",
    Column.ACCEPTED: "Accepted", Column.AGE: "Age", Column.SHIP_BY: "Ship by",
    Column.CARRIER: "Carrier", Column.TRACKING: "Tracking number", Column.ISSUE: "Issue",
}


def day(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone()
    return f"{local.day} {local:%b %Y}"


def product(request: ShippingRequestOut) -> str:
    return f"{request.product} ({request.variant})" if request.variant else request.product


def one_line_address(request: ShippingRequestOut) -> str:
    parts = [request.recipient_name, request.address_line1, request.address_line2,
             " ".join(p for p in (request.postal_code, request.city) if p), request.region,
             request.country]
    return ", ".join(p for p in parts if p)


def full_address(request: ShippingRequestOut) -> str:
    lines = [request.recipient_name, request.address_line1, request.address_line2,
             " ".join(p for p in (request.postal_code, request.city) if p),
             " ".join(p for p in (request.region, request.country) if p), request.phone]
    return "\n".join(p for p in lines if p)


def age_days(request: ShippingRequestOut, now: datetime) -> int:
    since = request.accepted_at or request.requested_at
    return max(0, (now - since).days)


def age_text(days: int) -> str:
    return "today" if days == 0 else "1 day" if days == 1 else f"{days} days"


def ship_by_text(row: RequestRow) -> str:
    request = row.request
    if request.state is not RequestState.READY_TO_SHIP or request.ship_by is None:
        return ""
    text = day(request.ship_by)
    return f"{text} — overdue" if row.overdue else text


def issue_text(request: ShippingRequestOut) -> str:
    return request.issue_reason if request.issue_state is IssueState.OPEN else ""


def cell_text(row: RequestRow, column: Column, now: datetime) -> str:
    request = row.request
    match column:
        case Column.CREATOR:
            return request.creator_name
        case Column.HANDLE:
            return request.creator_handle or ""
        case Column.PRODUCT:
            return product(request)
        case Column.ADDRESS:
            return one_line_address(request)
        case Column.REQUESTED:
            return day(request.requested_at)
        case Column.ACCEPTED:
            return day(request.accepted_at)
        case Column.AGE:
            return age_text(age_days(request, now))
        case Column.SHIP_BY:
            return ship_by_text(row)
        case Column.CARRIER:
            return request.carrier
        case Column.TRACKING:
            return request.tracking_number
        case Column.ISSUE:
            return issue_text(request)
    return ""  # pragma: no cover - the match is exhaustive


def _when(moment: datetime | None) -> tuple[int, float]:
    return (0, 0.0) if moment is None else (1, moment.timestamp())


def _text(value: str) -> tuple[int, str]:
    return (1, value.casefold()) if value else (0, "")


def sort_key(row: RequestRow, column: Column) -> tuple[Any, ...]:
    """The column's sort key for the row (the model appends the id: a total order). Keys do
    not depend on the clock, so a row's key is the same whenever it is computed."""
    request = row.request
    match column:
        case Column.REQUESTED:
            return _when(request.requested_at)
        case Column.ACCEPTED:
            return _when(request.accepted_at)
        case Column.AGE:  # the older the start, the greater the age
            return (-(request.accepted_at or request.requested_at).timestamp(),)
        case Column.SHIP_BY:
            shown = request.state is RequestState.READY_TO_SHIP
            return _when(request.ship_by if shown else None)
        case _:
            return _text(cell_text(row, column, datetime.min))


def issue_icon(size: int = 32) -> QIcon:
    """A red disc with a white exclamation mark."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(211, 47, 47))
        painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
        painter.setPen(QPen(QColor("white")))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * 0.7))
        painter.setFont(font)
        painter.drawText(QRectF(QPointF(0, 0), QPointF(size, size)),
                         Qt.AlignmentFlag.AlignCenter, "!")
    finally:
        painter.end()
    return QIcon(pixmap)
