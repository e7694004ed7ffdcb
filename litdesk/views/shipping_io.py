"""Export approved orders to a spreadsheet, and import it back with tracking numbers.

``ExportFlow``: a save dialog, the file written off the UI thread with a progress dialog, then a
message with the count. ``ImportFlow``: an open dialog, the file read and judged off the UI thread
with a progress dialog, then ``ImportPreviewDialog`` (``import_preview.py``) listing every row
with its outcome; "Ship N requests" sends the rows that will ship as one atomic
``BulkShippingIn`` and waits for its answer (``on_bulk_finished``) before closing.

Decisions
---------
* **File dialogs are injectable** (``FileDialogs``): the app uses Qt's, opened with ``open()``
  (no nested event loop); tests hand a path straight back.
* **Nothing is half-applied.** A file that cannot be read (``SpreadsheetError``) is explained and
  nothing is sent; the rows that will ship go in one atomic request, so either all ship or none
  does, and then the preview stays open with the server's reason.
* **Progress** crosses threads through a queued signal (``ProgressRelay``), never by touching a
  widget from the worker; the dialog has no Cancel button — reading or writing 10,000 rows takes
  a second or two, and a half-written file would be worse than waiting.
* **Which requests an import knows**: every request of every campaign in the cache, so a file
  exported from another campaign is judged row by row ("not ready", "already shipped") rather
  than refused as unknown.
* **Outcomes are an icon and a word**, never colour alone; the counts per outcome head the list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from litdesk.domain.shipping import ShippingAction
from litdesk.domain.wire import BulkResult, BulkShippingIn, ShippingRequestOut
from litdesk.services import spreadsheets
from litdesk.services.background import Background
from litdesk.services.errors import ServiceError, describe
from litdesk.services.records import CampaignItem, RequestRow
from litdesk.services.spreadsheets import ImportRow, SpreadsheetError
from litdesk.views.import_preview import OUTCOME_TEXT, ImportPreviewDialog, PreviewModel
from litdesk.views.packing_slips import slip_code

__all__ = ["OUTCOME_TEXT", "ExportFlow", "FileDialogs", "ImportFlow", "ImportPreviewDialog",
           "PreviewModel", "QtFileDialogs"]

Done = Callable[[str], None]
SPREADSHEET_FILTER = "Excel workbook (*.xlsx);;CSV (*.csv)"
IMPORT_FILTER = "Spreadsheets (*.xlsx *.csv);;All files (*)"


class FileDialogs(Protocol):
    """Asks for a file; calls ``done(path)`` once chosen (not at all when cancelled)."""

    def save_path(self, parent: QWidget, caption: str, suggested: str, filters: str,
                  done: Done) -> None: ...

    def open_path(self, parent: QWidget, caption: str, filters: str, done: Done) -> None: ...


class QtFileDialogs:
    """Qt's file dialogs, window-modal through ``open()``."""

    def save_path(self, parent: QWidget, caption: str, suggested: str, filters: str,
                  done: Done) -> None:
        dialog = QFileDialog(parent, caption, suggested, filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix(Path(suggested).suffix.lstrip(".") or "xlsx")
        dialog.fileSelected.connect(done)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_path(self, parent: QWidget, caption: str, filters: str, done: Done) -> None:
        dialog = QFileDialog(parent, caption, "", filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(done)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()


class ProgressRelay(QObject):
    """A progress callback (``done, total``) for a worker thread: each call becomes a queued
    ``moved`` signal on the UI thread."""

    moved = Signal(int, int)

    def __call__(self, done: int, total: int) -> None:
        self.moved.emit(int(done), int(total))


def _progress_dialog(parent: QWidget, label: str, relay: ProgressRelay) -> QProgressDialog:
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setCancelButton(None)  # Qt's way to have none
    dialog.setWindowTitle(label)
    dialog.setMinimumDuration(300)  # a small file never flashes a dialog
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)

    def moved(done: int, total: int) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    relay.moved.connect(moved)
    dialog.setValue(0)
    return dialog


def _message(parent: QWidget, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


# --- export --------------------------------------------------------------------------------------

class ExportFlow(QObject):
    """Exports requests to a spreadsheet the person names. ``finished(count, path)`` after the
    file is written, ``failed(explanation)`` otherwise; ``message_box`` is the last message
    shown (for tests)."""

    finished = Signal(int, str)
    failed = Signal(str)

    def __init__(self, parent: QWidget, background: Background,
                 files: FileDialogs | None = None) -> None:
        super().__init__(parent)
        self.widget = parent
        self.background = background
        self.files: FileDialogs = files or QtFileDialogs()
        self.progress: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.running = False

    def start(self, requests: Sequence[ShippingRequestOut], suggested_name: str, *,
              campaigns: Mapping[int, str] | None = None) -> None:
        """Asks where, then writes ``requests`` (``campaigns`` names their campaigns)."""
        if self.running:
            return
        if not requests:
            self.message_box = _message(self.widget, QMessageBox.Icon.Information,
                                        self.tr("Export approved orders"), self.tr(
                "There are no approved orders to export. Accept requests in Pending Requests; "
                "they are exported from Ready to Ship."))
            return
        chosen, names = list(requests), dict(campaigns or {})
        self.files.save_path(self.widget, self.tr("Export approved orders"), suggested_name,
                             self.tr(SPREADSHEET_FILTER),
                             lambda path: self._write(chosen, names, path))

    def _write(self, requests: list[ShippingRequestOut], names: dict[int, str],
               path: str) -> None:
        if not path:
            return
        relay = ProgressRelay(self)
        self.running = True
        self.progress = _progress_dialog(self.widget, self.tr("Exporting approved orders…"),
                                         relay)
        self.background.run(
            lambda: spreadsheets.export_requests(requests, Path(path), progress=relay,
                                                 campaigns=names),
            name="export requests",
            on_success=lambda count: self._written(int(count), path),
            on_failure=self._failed)

    def _close_progress(self) -> None:
        self.running = False
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _written(self, count: int, path: str) -> None:
        self._close_progress()
        noun = self.tr("approved order") if count == 1 else self.tr("approved orders")
        self.message_box = _message(self.widget, QMessageBox.Icon.Information,
                                    self.tr("Export approved orders"), self.tr(
            "Exported {count} {noun} to {name}.\n\nFill in the Carrier and Tracking columns "
            "(or leave them empty), then use Import tracking numbers… to mark them shipped."
        ).format(count=count, noun=noun, name=Path(path).name))
        self.finished.emit(count, path)

    def _failed(self, error: BaseException) -> None:
        self._close_progress()
        text = str(error) if isinstance(error, (SpreadsheetError, OSError)) else describe(error)
        self.message_box = _message(self.widget, QMessageBox.Icon.Warning,
                                    self.tr("Export approved orders"),
                                    self.tr("The file was not written. {reason}").format(
                                        reason=text))
        self.failed.emit(text)


# --- import --------------------------------------------------------------------------------------

class ImportSource(Protocol):
    """What an import reads (``LocalCache``); called off the UI thread."""

    def campaigns(self) -> list[CampaignItem]: ...

    def requests(self, campaign_id: int) -> list[RequestRow]: ...

    def tracking_owner(self, number: str) -> int | None: ...


class ImportActions(Protocol):
    """What an import asks of the sync engine; the answer comes to ``on_bulk_finished``."""

    def bulk_shipping(self, body: BulkShippingIn) -> str: ...


@dataclass(frozen=True)
class ImportPlan:
    """A file read and judged: every row's outcome and the requests it was judged against."""

    path: str
    rows: list[ImportRow]
    known: Mapping[int, ShippingRequestOut]


def known_requests(source: ImportSource) -> dict[int, ShippingRequestOut]:
    """Every request the cache holds, by id."""
    return {row.request.id: row.request for campaign in source.campaigns()
            for row in source.requests(campaign.id)}


def plan_import(source: ImportSource, path: str, progress: ProgressRelay) -> ImportPlan:
    """Read and judge a file (runs off the UI thread)."""
    file = spreadsheets.read_import(Path(path), progress=progress)
    known = known_requests(source)
    return ImportPlan(path, spreadsheets.preview(file, known, source.tracking_owner), known)


class ImportFlow(QObject):
    """Imports tracking numbers from a spreadsheet: see the module's docstring. ``applied(n)``
    once n requests were shipped; ``failed(explanation)`` when a file cannot be read or the
    server refused the batch. ``preview_dialog`` and ``message_box`` are what it shows."""

    applied = Signal(int)
    failed = Signal(str)
    previewed = Signal()

    def __init__(self, parent: QWidget, background: Background, source: ImportSource,
                 actions: ImportActions, files: FileDialogs | None = None) -> None:
        super().__init__(parent)
        self.widget = parent
        self.background = background
        self.source = source
        self.actions = actions
        self.files: FileDialogs = files or QtFileDialogs()
        self.progress: QProgressDialog | None = None
        self.preview_dialog: ImportPreviewDialog | None = None
        self.message_box: QMessageBox | None = None
        self.plan: ImportPlan | None = None
        self.token = ""
        self.running = False

    def start(self) -> None:
        if self.running or self.token:
            return
        self.files.open_path(self.widget, self.tr("Import tracking numbers"),
                             self.tr(IMPORT_FILTER), self._read)

    def _read(self, path: str) -> None:
        if not path:
            return
        relay = ProgressRelay(self)
        self.running = True
        self.progress = _progress_dialog(self.widget, self.tr("Reading {name}…").format(
            name=Path(path).name), relay)
        self.background.run(plan_import, self.source, path, relay, name="read import",
                            on_success=self._show_preview, on_failure=self._unreadable)

    def _close_progress(self) -> None:
        self.running = False
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _unreadable(self, error: BaseException) -> None:
        self._close_progress()
        if isinstance(error, SpreadsheetError):
            text = str(error)
        elif isinstance(error, OSError):
            text = self.tr("The file could not be opened: {reason}").format(
                reason=error.strerror or str(error))
        else:
            text = describe(error)
        self.message_box = _message(self.widget, QMessageBox.Icon.Warning,
                                    self.tr("Import tracking numbers"), self.tr(
            "{reason}\n\nNothing was changed.").format(reason=text))
        self.failed.emit(text)

    def _show_preview(self, plan: ImportPlan) -> None:
        self._close_progress()
        self.plan = plan
        dialog = ImportPreviewDialog(plan.rows, Path(plan.path).name, self.widget)
        dialog.ship_requested.connect(self._ship)
        dialog.finished.connect(self._preview_closed)
        self.preview_dialog = dialog
        dialog.open()
        self.previewed.emit()

    def _preview_closed(self) -> None:
        if not self.token:
            self.plan = None

    def _ship(self) -> None:
        plan, dialog = self.plan, self.preview_dialog
        if plan is None or dialog is None:
            return
        items = spreadsheets.ship_items(plan.rows, plan.known)
        if not items:
            return
        dialog.set_sending(True)
        try:
            self.token = self.actions.bulk_shipping(BulkShippingIn(
                action=ShippingAction.SHIP, items=items, atomic=True))
        except ServiceError as error:
            dialog.set_sending(False)
            dialog.set_problem(self.tr("Nothing was shipped. {reason}").format(
                reason=describe(error)))

    def on_bulk_finished(self, token: str, result: BulkResult | None, error: str) -> bool:
        """Slot for ``SyncEngine.bulk_finished``; True when the answer was this import's."""
        if not token or token != self.token:
            return False
        self.token = ""
        dialog = self.preview_dialog
        shipped = result.applied if result is not None else 0
        if error or result is None or shipped == 0 or result.failed:
            reason = error or _refusals(result) or self.tr("The server refused the batch.")
            if dialog is not None:
                dialog.set_sending(False)
                dialog.set_problem(self.tr("Nothing was shipped. {reason}").format(
                    reason=reason))
            self.failed.emit(reason)
            return True
        if dialog is not None:
            dialog.accept()
        self.plan = None
        noun = self.tr("request") if shipped == 1 else self.tr("requests")
        self.message_box = _message(self.widget, QMessageBox.Icon.Information,
                                    self.tr("Import tracking numbers"),
                                    self.tr("{count} {noun} marked shipped.").format(
                                        count=shipped, noun=noun))
        self.applied.emit(shipped)
        return True


def _refusals(result: BulkResult | None) -> str:
    if result is None:
        return ""
    refused = [r for r in result.results
               if not r.ok and r.error is not None and r.error.code != "not_applied"]
    parts = [f"{slip_code(r.id)}: {r.error.message}" for r in refused[:3] if r.error]
    more = f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
    return "; ".join(parts) + more
