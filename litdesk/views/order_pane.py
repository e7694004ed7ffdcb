"""The read-only parts of the order view: the status badge, the header (number, status, progress,
next steps) and the order's details (parties, date, value, space, brief, portfolio, series,
proof of delivery). ``OrderView`` (order_view.py) puts them together with the actions and the
events log."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.order_guidance import progress
from litdesk.domain.orders import OrderStatus
from litdesk.domain.wire import OrderOut
from litdesk.models.order_cells import CellText
from litdesk.views.palette import status_colours
from litdesk.views.status_badge import DOT, GAP, PAD_X, PAD_Y, badge_font
from litdesk.views.text_styles import as_heading, as_muted, as_title

_CELLS = CellText()


def format_when(moment: datetime | None) -> str:
    """"12 Mar 2025, 14:02" in local time, as the board writes it; a dash for no date."""
    if moment is None:
        return "—"
    return f"{_CELLS.date(moment)}, {_CELLS.time(moment)}"


def money(cents: int, currency: str) -> str:
    return _CELLS.money(cents, currency)


class StatusBadge(QWidget):
    """The board's status badge (status_badge.py) as a widget of its own: the same pill, dot,
    colours and font, with the status's name as its accessible name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status: OrderStatus | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def status(self) -> OrderStatus | None:
        return self._status

    def text(self) -> str:
        return self._status.label if self._status else ""

    def set_status(self, status: OrderStatus | None) -> None:
        self._status = status
        self.setAccessibleName(f"Status: {status.label}" if status else "")
        self.setToolTip(status.label if status else "")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(badge_font(self.font()))
        width = PAD_X + DOT + GAP + metrics.horizontalAdvance(self.text()) + PAD_X
        return QSize(width, metrics.height() + 2 * PAD_Y + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._status is None:
            return
        fill, text, accent = status_colours(self._status)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        radius = rect.height() / 2
        painter.drawRoundedRect(rect, radius, radius)
        painter.setBrush(accent)
        painter.drawEllipse(QRectF(rect.left() + PAD_X, rect.center().y() - DOT / 2, DOT, DOT))
        painter.setFont(badge_font(self.font()))
        painter.setPen(text)
        painter.drawText(rect.adjusted(PAD_X + DOT + GAP, 0, -PAD_X + 1, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.text())
        painter.end()


def _value_label(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    return label


def steps_html(steps: Sequence[str]) -> str:
    items = "".join(f"<li>{html.escape(step)}</li>" for step in steps)
    return f"<ul style='margin-left: -24px'>{items}</ul>"


class OrderHeader(QWidget):
    """"Order LD-000007", the status badge, the progress bar and the next steps for the
    person looking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number_label = QLabel()
        as_title(self.number_label)
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = StatusBadge()
        title_row = QHBoxLayout()
        title_row.setSpacing(12)
        title_row.addWidget(self.number_label)
        title_row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)

        # A slim bar with its figure beside it: text drawn inside a bar is hard to read on
        # some of the status colours.
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_bar.setAccessibleName(self.tr("Order progress"))
        self.progress_label = QLabel()
        as_muted(self.progress_label)
        progress_row = QHBoxLayout()
        progress_row.setSpacing(10)
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.progress_label)

        steps_title = QLabel(self.tr("Next steps"))
        as_heading(steps_title)
        self.steps_label = QLabel()
        self.steps_label.setWordWrap(True)
        self.steps_label.setTextFormat(Qt.TextFormat.RichText)
        self.steps_label.setAccessibleName(self.tr("Next steps"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(title_row)
        layout.addLayout(progress_row)
        layout.addWidget(steps_title)
        layout.addWidget(self.steps_label)

    def show_order(self, order: OrderOut, steps: Sequence[str]) -> None:
        status = OrderStatus(order.status)
        self.number_label.setText(self.tr("Order {number}").format(number=order.number))
        self.badge.set_status(status)
        value = progress(status)
        self.progress_bar.setValue(value)
        self.progress_bar.setAccessibleDescription(f"{value}%")
        self.progress_label.setText(self.tr("{value}% settled").format(value=value))
        bar_palette = self.progress_bar.palette()
        bar_palette.setColor(QPalette.ColorRole.Highlight, status_colours(status)[2])
        self.progress_bar.setPalette(bar_palette)
        self.steps_label.setText(steps_html(steps) if steps
                                 else self.tr("Nothing for you to do on this order."))


_FIELDS = (("advertiser", "Advertiser"), ("influencer", "Influencer"), ("created", "Order date"),
           ("value", "Value"), ("space", "Space"), ("portfolio", "Portfolio"),
           ("series", "Recurring series"), ("updated", "Last change"),
           ("completed", "Completed"), ("proof", "Proof of delivery"))
_OPTIONAL = ("portfolio", "series", "completed", "proof")


class OrderFields(QWidget):
    """The order's details as a form, then its brief."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, title in _FIELDS:
            label = _value_label(title)
            self.fields[key] = label
            name = QLabel(self.tr(title))
            as_muted(name)
            form.addRow(name, label)
        self.fields["proof"].setTextFormat(Qt.TextFormat.RichText)
        self.fields["proof"].setOpenExternalLinks(True)
        self.fields["proof"].setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction)
        self._form = form
        brief_title = QLabel(self.tr("Brief"))
        as_heading(brief_title)
        self.brief_label = _value_label(self.tr("Brief"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(form)
        layout.addWidget(brief_title)
        layout.addWidget(self.brief_label)

    def show_order(self, order: OrderOut) -> None:
        f = self.fields
        f["advertiser"].setText(order.advertiser.name)
        f["influencer"].setText(order.influencer.name)
        f["created"].setText(format_when(order.created_at))
        f["value"].setText(money(order.value_cents, order.currency))
        recurring = self.tr(" (monthly)") if order.space.recurring else ""
        f["space"].setText(f"{order.space.title}{recurring}")
        f["portfolio"].setText(order.portfolio_ref or "")
        f["series"].setText(self._series(order))
        f["updated"].setText(format_when(order.updated_at))
        f["completed"].setText(format_when(order.completed_at))
        f["proof"].setText(self._proof(order))
        shown = {"portfolio": bool(order.portfolio_ref), "series": bool(f["series"].text()),
                 "completed": order.completed_at is not None, "proof": bool(f["proof"].text())}
        for key in _OPTIONAL:
            self._form.setRowVisible(f[key], shown[key])
        self.brief_label.setText(order.brief)

    def _series(self, order: OrderOut) -> str:
        if order.series_id is None and not order.space.recurring:
            return ""
        since = (self.tr(", period from {date}").format(date=_CELLS.date(order.period_start))
                 if order.period_start else "")
        return self.tr("Month {index} of a monthly series{since}").format(
            index=order.series_index, since=since)

    def _proof(self, order: OrderOut) -> str:
        parts = []
        if order.proof_url:
            link = html.escape(order.proof_url, quote=True)
            parts.append(f"<a href=\"{link}\">{link}</a>")
        if order.proof_attachment_id:
            parts.append(html.escape(self.tr("Screenshot attached")))
        return "<br>".join(parts)
