"""Draws an order's status as a rounded badge: a coloured pill with a dot and the status's name.

The label is always drawn (elided when the column is narrow): colour alone would leave out
colour-blind users and anyone reading a greyscale screenshot.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from litdesk.domain.orders import OrderStatus
from litdesk.models.order_board import StatusRole
from litdesk.views.palette import status_colours

ModelIndex = QModelIndex | QPersistentModelIndex

MARGIN = 6      # between the cell's edge and the badge
PAD_X = 8       # inside the badge, left and right
PAD_Y = 2       # inside the badge, above and below the text
DOT = 6         # the accent dot's diameter
GAP = 6         # between the dot and the text


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setWeight(QFont.Weight.DemiBold)
    return font


def badge_rect(cell: QRect, text_width: int, text_height: int) -> QRect:
    """Where the badge for a text of that size goes in ``cell``: left-aligned, centred
    vertically, never wider than the cell."""
    height = text_height + 2 * PAD_Y
    width = min(PAD_X + DOT + GAP + text_width + PAD_X, cell.width() - 2 * MARGIN)
    top = cell.top() + (cell.height() - height) // 2
    return QRect(cell.left() + MARGIN, top, max(width, 0), height)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the cell's ``StatusRole`` as a badge over the normal item background (so
    selection and alternating rows look as in every other column); falls back to plain text
    for an index without a status."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: ModelIndex) -> None:
        status = _status(index)
        if status is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the style draws background, selection and focus; the badge the rest
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        font = badge_font(opt.font)
        metrics = QFontMetrics(font)
        label = status.label
        cell: QRect = opt.rect
        rect = badge_rect(cell, metrics.horizontalAdvance(label), metrics.height())
        if rect.width() <= DOT + 2 * PAD_X:
            return  # too narrow for anything legible; the tooltip and other columns remain
        fill, text, accent = status_colours(status)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        radius = rect.height() / 2
        painter.drawRoundedRect(QRectF(rect), radius, radius)
        painter.setBrush(accent)
        dot_top = rect.top() + (rect.height() - DOT) / 2
        painter.drawEllipse(QRectF(rect.left() + PAD_X, dot_top, DOT, DOT))
        text_rect = rect.adjusted(PAD_X + DOT + GAP, 0, -PAD_X + 1, 0)
        elided = metrics.elidedText(label, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.setFont(font)
        painter.setPen(text)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        status = _status(index)
        if status is None:
            return super().sizeHint(option, index)
        metrics = QFontMetrics(badge_font(option.font))
        width = MARGIN + PAD_X + DOT + GAP + metrics.horizontalAdvance(status.label) + PAD_X
        return QSize(width + MARGIN, metrics.height() + 2 * PAD_Y + MARGIN)  # room above/below


def widest_badge(font: QFont) -> int:
    """The width a column needs for the longest status label's badge."""
    metrics = QFontMetrics(badge_font(font))
    longest = max(metrics.horizontalAdvance(s.label) for s in OrderStatus)
    return 2 * MARGIN + PAD_X + DOT + GAP + longest + PAD_X


def _status(index: ModelIndex) -> OrderStatus | None:
    value = index.data(StatusRole)
    if not value:
        return None
    try:
        return OrderStatus(value)
    except ValueError:
        return None
