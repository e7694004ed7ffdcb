"""The preview of a tracking-number import: every row of the file with its outcome (an icon and
a word, never colour alone), the counts per outcome, and "Ship N requests".

Decisions
---------
* **A model, not a QTableWidget**: a file of 10,000 rows is 60,000 cells; the model answers
  ``data()`` from the ``ImportRow`` list without making an item per cell.
* **The dialog sends nothing**: ``ship_requested`` goes to ``ImportFlow`` (``shipping_io.py``),
  which sends the batch and tells the dialog ``set_sending`` / ``set_problem``; while the batch
  is on its way the dialog cannot be dismissed, since its answer decides what happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from litdesk.services.spreadsheets import ImportRow, Outcome
from litdesk.views.packing_slips import slip_code
from litdesk.views.text_styles import as_error, as_heading, as_muted

ModelIndex = QModelIndex | QPersistentModelIndex

OUTCOME_TEXT: dict[Outcome, str] = {
    Outcome.WILL_SHIP: "Will ship",
    Outcome.ALREADY_SHIPPED: "Already shipped",
    Outcome.UNKNOWN_ID: "Unknown id",
    Outcome.NOT_READY: "Not ready to ship",
    Outcome.INVALID_TRACKING: "Invalid tracking number",
    Outcome.DUPLICATE: "Duplicate",
}
_OUTCOME_ICON: dict[Outcome, QStyle.StandardPixmap] = {
    Outcome.WILL_SHIP: QStyle.StandardPixmap.SP_DialogApplyButton,
    Outcome.ALREADY_SHIPPED: QStyle.StandardPixmap.SP_MessageBoxInformation,
    Outcome.UNKNOWN_ID: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Outcome.NOT_READY: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Outcome.INVALID_TRACKING: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Outcome.DUPLICATE: QStyle.StandardPixmap.SP_MessageBoxCritical,
}


def outcome_icon(outcome: Outcome) -> QIcon:
    return QApplication.style().standardIcon(_OUTCOME_ICON[outcome])



class PreviewModel(QAbstractTableModel):
    """The rows of an import as a table (read-only): line, request, carrier, tracking number,
    outcome (icon and word) and the explanation."""

    HEADERS = ("Line", "Request", "Carrier", "Tracking number", "Outcome", "Details")
    OUTCOME_COLUMN = 4

    def __init__(self, rows: Sequence[ImportRow], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = list(rows)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.OUTCOME_COLUMN:
            return outcome_icon(row.outcome)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(row: ImportRow, column: int) -> str:
        match column:
            case 0:
                return str(row.line)
            case 1:
                return slip_code(row.request_id) if row.request_id else "—"
            case 2:
                return row.carrier or ""
            case 3:
                return row.tracking or ""
            case 4:
                return OUTCOME_TEXT[row.outcome]
        return row.message or ""


def outcome_summary(rows: Sequence[ImportRow]) -> str:
    """"12 will ship · 3 already shipped · 1 unknown id", in the table's order of outcomes."""
    counts = Counter(row.outcome for row in rows)
    parts = [f"{counts[outcome]} {OUTCOME_TEXT[outcome].lower()}" for outcome in OUTCOME_TEXT
             if counts[outcome]]
    return " · ".join(parts) or "The file has no rows."


class ImportPreviewDialog(QDialog):
    """Every row of an import with its outcome, the counts per outcome, and "Ship N requests".
    ``ship_requested`` when that is pressed; the flow then calls ``set_sending`` and, on a
    refusal, ``set_problem``."""

    ship_requested = Signal()

    def __init__(self, rows: Sequence[ImportRow], file_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = list(rows)
        self.sending = False
        self.ship_count = sum(1 for row in rows if row.outcome is Outcome.WILL_SHIP)
        self.setWindowTitle(self.tr("Import tracking numbers — {name}").format(name=file_name))
        self.resize(820, 520)
        title = QLabel(self._title())
        title.setWordWrap(True)
        as_heading(title)
        self.summary_label = QLabel(outcome_summary(rows))
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName(self.tr("Outcome counts"))
        hint = QLabel(self.tr("Only the rows marked “Will ship” are applied, all together or "
                              "not at all. Other rows are left as they are."))
        hint.setWordWrap(True)
        as_muted(hint)
        self.model = PreviewModel(rows, self)
        self.table = self._table()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName(self.tr("Problem"))
        as_error(self.problem_label)
        self.problem_label.hide()
        self.buttons = QDialogButtonBox()
        self.ship_button = self.buttons.addButton(self._ship_text(),
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ship_button.setEnabled(self.ship_count > 0)
        self.ship_button.setDefault(self.ship_count > 0)
        self.ship_button.clicked.connect(self._ship)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.table.setFocus()

    def _title(self) -> str:
        if self.ship_count == 0:
            return self.tr("No row of this file can be shipped.")
        noun = self.tr("request") if self.ship_count == 1 else self.tr("requests")
        return self.tr("{count} {noun} will be marked shipped.").format(count=self.ship_count,
                                                                         noun=noun)

    def _ship_text(self) -> str:
        if self.ship_count == 1:
            return self.tr("Ship 1 request")
        return self.tr("Ship {count} requests").format(count=self.ship_count)

    def _table(self) -> QTableView:
        table = QTableView()
        table.setAccessibleName(self.tr("Rows of the file"))
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = table.fontMetrics()
        for column, sample in enumerate(("00000", "LDR-000000", "FedEx", "1Z999AA10123456784",
                                         "Invalid tracking number")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 36)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        return table

    def set_sending(self, sending: bool) -> None:
        self.sending = sending
        self.ship_button.setEnabled(not sending and self.ship_count > 0)
        self.cancel_button.setEnabled(not sending)
        if sending:
            self.set_problem("")
            self.ship_button.setText(self.tr("Shipping…"))
        else:
            self.ship_button.setText(self._ship_text())

    def set_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def problem(self) -> str:
        return "" if self.problem_label.isHidden() else self.problem_label.text()

    def reject(self) -> None:
        if not self.sending:  # the batch is on its way: its answer decides what happens
            super().reject()

    def _ship(self) -> None:
        if self.ship_count > 0 and not self.sending:
            self.ship_requested.emit()
