"""The order opened from the board, until the full order view exists: its fields, where it
stands (progress) and what the person looking at it should do next."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.order_guidance import next_steps, progress
from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import OrderOut
from litdesk.models.order_cells import CellText
from litdesk.views.palette import STATUS_COLOURS, status_colours
from litdesk.views.text_styles import as_heading, as_muted, as_title

_CELLS = CellText()


def format_when(moment: datetime | None) -> str:
    """"12 Mar 2025, 14:02" in local time, as the board writes it; a dash for no date."""
    if moment is None:
        return "—"
    return f"{_CELLS.date(moment)}, {_CELLS.time(moment)}"


def _badge_style(status: OrderStatus) -> str:
    colours = STATUS_COLOURS[status]
    return (f"QLabel {{ background: {colours.fill}; color: {colours.text}; "
            f"border-radius: 9px; padding: 2px 10px; font-weight: 600; }}")


def _value_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class OrderPane(QStackedWidget):
    """Shows one order's fields (``show_order``) or, with none open, how to open one.

    ``show_order`` takes the cached order (the server's JSON for it) and the viewer's role,
    which decides the next steps shown.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.order_id: int | None = None

        # Like the board's empty state: a title and a hint, a little above the middle.
        self.empty_title = QLabel("No order open")
        as_heading(self.empty_title)
        self.empty_hint = QLabel("Select an order on the board and press Enter,\n"
                                 "or double-click it.")
        as_muted(self.empty_hint)
        self.empty_page = QWidget()
        empty_layout = QVBoxLayout(self.empty_page)
        empty_layout.setContentsMargins(24, 24, 24, 24)
        empty_layout.addStretch(1)
        for label in (self.empty_title, self.empty_hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            empty_layout.addWidget(label)
        empty_layout.addStretch(2)
        self.addWidget(self.empty_page)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)

        self.number_label = QLabel()
        as_title(self.number_label)
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The status as the board's badge shows it: its label on its colour.
        self.status_label = QLabel()
        self.status_label.setSizePolicy(QSizePolicy.Policy.Maximum,
                                        QSizePolicy.Policy.Fixed)
        layout.addWidget(self.number_label)
        layout.addWidget(self.status_label)

        # A slim bar with its figure beside it: text drawn inside a bar is hard to read on
        # some of the status colours.
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_label = QLabel()
        as_muted(self.progress_label)
        progress_row = QHBoxLayout()
        progress_row.setSpacing(10)
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.progress_label)
        layout.addLayout(progress_row)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, title in (("advertiser", "Advertiser"), ("influencer", "Influencer"),
                           ("space", "Space"), ("value", "Value"), ("created", "Placed"),
                           ("updated", "Last change"), ("completed", "Completed"),
                           ("proof", "Proof of delivery")):
            label = _value_label()
            self.fields[key] = label
            name = QLabel(title)
            as_muted(name)
            form.addRow(name, label)
        self._form = form
        layout.addLayout(form)

        layout.addWidget(self._section("Brief"))
        self.brief_label = _value_label()
        layout.addWidget(self.brief_label)

        layout.addWidget(self._section("Next steps"))
        self.steps_label = QLabel()
        self.steps_label.setWordWrap(True)
        self.steps_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.steps_label)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.addWidget(scroll)
        self.setMinimumWidth(300)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        as_heading(label)
        return label

    def clear(self) -> None:
        self.order_id = None
        self.empty_title.setText("No order open")
        self.empty_hint.setText("Select an order on the board and press Enter,\n"
                                "or double-click it.")
        self.setCurrentWidget(self.empty_page)

    def show_order(self, order: Mapping[str, Any] | None, role: Role | None) -> None:
        """Fill the pane from the cached order; ``None`` (gone, or not cached) empties it."""
        if order is None:
            self.clear()
            return
        try:
            parsed = OrderOut.model_validate(order)
        except ValidationError:
            # A cache row we cannot read is a bug elsewhere; say so instead of half a pane.
            self.order_id = None
            self.empty_title.setText("This order could not be shown")
            self.empty_hint.setText("Its copy on this computer is incomplete; it is fetched "
                                    "again at the next sync.")
            self.setCurrentWidget(self.empty_page)
            return
        self._fill(parsed, role)

    def _fill(self, order: OrderOut, role: Role | None) -> None:
        self.order_id = order.id
        status = OrderStatus(order.status)
        self.number_label.setText(f"Order {order.number}")
        self.status_label.setText(status.label)
        self.status_label.setStyleSheet(_badge_style(status))
        self.progress_bar.setValue(progress(status))
        self.progress_label.setText(f"{progress(status)}% settled")
        bar_palette = self.progress_bar.palette()
        bar_palette.setColor(QPalette.ColorRole.Highlight, status_colours(status)[2])
        self.progress_bar.setPalette(bar_palette)

        self.fields["advertiser"].setText(order.advertiser.name)
        self.fields["influencer"].setText(order.influencer.name)
        recurring = " (monthly)" if order.space.recurring else ""
        self.fields["space"].setText(f"{order.space.title}{recurring}")
        self.fields["value"].setText(_CELLS.money(order.value_cents, order.currency))
        self.fields["created"].setText(format_when(order.created_at))
        self.fields["updated"].setText(format_when(order.updated_at))
        self.fields["completed"].setText(format_when(order.completed_at))
        self.fields["proof"].setText(order.proof_url or "")
        self._form.setRowVisible(self.fields["completed"], order.completed_at is not None)
        self._form.setRowVisible(self.fields["proof"], bool(order.proof_url))
        self.brief_label.setText(order.brief)

        steps = next_steps(status, role) if role is not None else ()
        if steps:
            items = "".join(f"<li>{_escape(step)}</li>" for step in steps)
            self.steps_label.setText(f"<ul style='margin-left: -24px'>{items}</ul>")
        else:
            self.steps_label.setText("Nothing for you to do on this order.")
        self.setCurrentIndex(1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
