"""What LitDesk's row tables share (the order board, the shipping queue): roomier cells in the
platform's own style, whole-row selection with fixed row heights, movable and sortable columns,
and an empty state drawn over the viewport."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QTableView,
    QVBoxLayout,
    QWidget,
)

TEXT_MARGIN = 7  # px each side of a cell's text: Qt's 3 px glued "$9,004.49" to "2 Jan 2023"
ROW_PADDING = 14  # px above and below a row's text


class RoomyCells(QProxyStyle):
    """The platform's style with more room beside cell and header text. Qt's item views take
    their text margin from PM_FocusFrameHMargin; a style sheet would do it too, but would stop
    the table following the platform palette (dark mode)."""

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None,
                    widget: QWidget | None = None) -> int:
        if metric == QStyle.PixelMetric.PM_FocusFrameHMargin:
            return TEXT_MARGIN - 1  # Qt adds one
        if metric == QStyle.PixelMetric.PM_HeaderMargin:
            return TEXT_MARGIN
        return super().pixelMetric(metric, option, widget)


def set_up_row_table(table: QTableView, *, multi_select: bool,
                     widths: Iterable[tuple[int, str]], padding: int) -> RoomyCells:
    """Rows selected whole (several with Shift/Ctrl when ``multi_select``), read-only, no grid,
    fixed row heights (Qt never measures 100,000 rows), columns that move, and each (column,
    sample text) of ``widths`` as wide as its sample plus ``padding``. Returns the style the
    table now uses: keep it, a widget does not own the style it is given. Call after
    ``setModel``."""
    style = RoomyCells()
    table.setStyle(style)
    table.horizontalHeader().setStyle(style)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi_select
                           else QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setCornerButtonEnabled(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table, as in every list
    table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    rows = table.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + ROW_PADDING)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionsMovable(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setMinimumSectionSize(48)
    metrics = table.fontMetrics()
    for column, sample in widths:
        header.resizeSection(column, metrics.horizontalAdvance(sample) + padding)
    return style


def overlay_empty_state(table: QTableView, title: QLabel, hint: QLabel) -> None:
    """``title`` (larger, semi-bold) and ``hint`` (muted) centred over the table's viewport,
    a little above the middle, letting clicks through; the caller shows and hides them."""
    font = title.font()
    font.setPointSizeF(font.pointSizeF() * 1.2)
    font.setWeight(font.Weight.DemiBold)
    title.setFont(font)
    hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    overlay = QVBoxLayout(table.viewport())
    overlay.addStretch(1)
    for label in (title, hint):
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        overlay.addWidget(label)
    overlay.addStretch(2)
