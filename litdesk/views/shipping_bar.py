"""The shipping queue's actions: the bar under the table (accept, refuse, mark shipped, message,
cancel), the shipping-issue panel (reship, cancel the order, mark as solved) and the campaign's
buttons (station, cancel campaign, export, import, packing slips), with what each one does.

See ``shipping_queue.py`` for the decisions; this module holds their mechanics so the view
stays about layout. ``bulk_summary`` turns a ``BulkResult`` into the sentence the banner shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QWidget,
)

from litdesk.domain.orders import Role
from litdesk.domain.shipping import (
    CampaignStatus,
    IssueState,
    RequestSnapshot,
    RequestState,
    ShippingAction,
    allowed_shipping_actions,
)
from litdesk.domain.wire import BulkItemIn, BulkResult, BulkShippingIn, ShippingActionIn
from litdesk.services.background import Background
from litdesk.services.errors import ServiceError, describe
from litdesk.services.records import CampaignItem, RequestRow
from litdesk.views.banner import Banner
from litdesk.views.packing_slips import slip_code, write_packing_slips
from litdesk.views.shipping_dialogs import BulkMessageDialog, ReasonDialog, ShipDialog
from litdesk.views.shipping_io import FileDialogs
from litdesk.views.text_styles import as_heading

PAST: dict[ShippingAction, str] = {
    ShippingAction.ACCEPT: "accepted",
    ShippingAction.REFUSE: "refused",
    ShippingAction.SHIP: "shipped",
    ShippingAction.RESHIP: "reshipped",
    ShippingAction.CANCEL: "cancelled",
    ShippingAction.MARK_SOLVED: "marked solved",
    ShippingAction.REPORT_ISSUE: "reported",
}
MESSAGE = "message"
SOME_SHOWN = 3  # refused items named in the banner


class QueueHost(Protocol):
    """What the bar needs of the queue view."""

    @property
    def engine(self) -> object: ...

    @property
    def source(self) -> object: ...

    @property
    def banner(self) -> Banner: ...

    @property
    def files(self) -> FileDialogs: ...

    @property
    def background(self) -> Background: ...

    @property
    def campaign(self) -> CampaignItem | None: ...

    def selected_rows(self) -> list[RequestRow]: ...


class _Engine(Protocol):
    def shipping_action(self, request_id: int, body: ShippingActionIn) -> object: ...

    def bulk_shipping(self, body: BulkShippingIn) -> str: ...

    def bulk_message(self, request_ids: Sequence[int], text: str) -> str: ...

    def cancel_campaign(self, campaign_id: int, reason: str) -> object: ...


class _Source(Protocol):
    def request(self, request_id: int) -> RequestRow | None: ...

    def tracking_owner(self, number: str) -> int | None: ...

    def requests(self, campaign_id: int) -> list[RequestRow]: ...


def _refused_words(code: str, message: str) -> str:
    if code == "conflict":
        return "was changed by someone else"
    return f"— {message}" if message else "was refused"


def bulk_summary(action: ShippingAction | str, result: BulkResult | None,
                 error: str) -> tuple[str, str]:
    """(sentence, banner kind) for a bulk action's answer: "12 shipped, 1 refused: LDR-40 was
    changed by someone else." ``action`` is ``MESSAGE`` for a bulk message."""
    past = "messaged" if action == MESSAGE else PAST[ShippingAction(action)]
    if error or result is None:
        return f"Nothing was {past}: {error or 'no answer from the server'}", "error"
    done = sum(1 for item in result.results if item.ok)
    refused = [item for item in result.results if not item.ok and item.error is not None
               and item.error.code != "not_applied"]
    text = f"{done} {past}"
    if action == MESSAGE:
        text = f"Message sent to {done} creator{'s' if done != 1 else ''}"
    if not refused:
        return text + ".", "info"
    named = "; ".join(
        f"{slip_code(item.id)} {_refused_words(item.error.code, item.error.message)}"
        for item in refused[:SOME_SHOWN] if item.error is not None)
    more = f" (and {len(refused) - SOME_SHOWN} more)" if len(refused) > SOME_SHOWN else ""
    return f"{text}, {len(refused)} refused: {named}{more}.", "error"


def common_actions(rows: Sequence[RequestRow]) -> set[ShippingAction]:
    """The actions brand staff may take on every one of ``rows`` (none for no rows)."""
    allowed: set[ShippingAction] | None = None
    for row in rows:
        snapshot = RequestSnapshot(row.request.state, row.request.issue_state)
        mine = set(allowed_shipping_actions(snapshot, Role.BRAND_STAFF))
        allowed = mine if allowed is None else allowed & mine
    return allowed or set()


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


class ActionBar(QFrame):
    """See the module's docstring. ``current_dialog`` is the dialog last opened (for tests)."""

    def __init__(self, host: QueueHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.current_dialog: QDialog | None = None
        self._singles: dict[int, ShippingAction] = {}
        self._bulks: dict[str, ShippingAction | str] = {}
        self._campaign_counts: Mapping[str, int] = {}
        tr = self.tr
        self.selection_label = QLabel()
        self.accept_button = _button(tr("&Accept"), tr("Accept the selected requests"))
        self.refuse_button = _button(tr("&Refuse…"), tr("Refuse the selected requests"))
        self.ship_button = _button(tr("Mark &shipped…"), tr("Mark the selected requests shipped"))
        self.message_button = _button(tr("&Message selected…"),
                                      tr("Message the selected creators"))
        self.cancel_button = _button(tr("Ca&ncel…"), tr("Cancel the selected requests"))
        self.issue_label = QLabel()
        self.issue_label.setWordWrap(True)
        self.issue_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reship_button = _button(tr("Res&hip…"), tr("Reship the product"))
        self.cancel_order_button = _button(tr("Cancel the &order…"), tr("Cancel the order"))
        self.solved_button = _button(tr("Mark as so&lved"), tr("Mark the issue as solved"))
        self.station_button = _button(tr("Scan-to-ship s&tation"),
                                      tr("Open the scan-to-ship station"))
        self.cancel_campaign_button = _button(tr("Cancel campaign…"), tr("Cancel the campaign"))
        self.export_button = _button(tr("&Export approved orders…"),
                                     tr("Export approved orders to a spreadsheet"))
        self.import_button = _button(tr("&Import tracking numbers…"),
                                     tr("Import tracking numbers from a spreadsheet"))
        self.slips_button = _button(tr("&Packing slips…"), tr("Save packing slips as a PDF"))
        self.issue_panel = self._issue_panel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.selection_label)
        layout.addStretch(1)
        for button in (self.accept_button, self.refuse_button, self.ship_button,
                       self.message_button, self.cancel_button):
            layout.addWidget(button)
        self._connect()

    def _issue_panel(self) -> QFrame:
        panel = QFrame()
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        panel.setAccessibleName(self.tr("Shipping issue"))
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(24, 24))
        as_heading(self.issue_label)
        layout = QHBoxLayout(panel)
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.issue_label, 1)
        for button in (self.reship_button, self.cancel_order_button, self.solved_button):
            layout.addWidget(button)
        panel.hide()
        return panel

    def _connect(self) -> None:
        self.accept_button.clicked.connect(lambda: self.act(ShippingAction.ACCEPT))
        self.solved_button.clicked.connect(lambda: self.act(ShippingAction.MARK_SOLVED))
        self.refuse_button.clicked.connect(self.ask_refuse)
        self.ship_button.clicked.connect(self.ask_ship)
        self.message_button.clicked.connect(self.ask_message)
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.cancel_order_button.clicked.connect(self.ask_cancel)
        self.reship_button.clicked.connect(self.ask_reship)
        self.cancel_campaign_button.clicked.connect(self.ask_cancel_campaign)
        self.slips_button.clicked.connect(self.save_packing_slips)

    @property
    def engine(self) -> _Engine:
        engine: _Engine = self.host.engine  # type: ignore[assignment]
        return engine

    @property
    def source(self) -> _Source:
        source: _Source = self.host.source  # type: ignore[assignment]
        return source

    # --- what is offered ----------------------------------------------------------------------

    def update_for(self, rows: Sequence[RequestRow], campaign: CampaignItem | None,
                   counts: Mapping[str, int]) -> None:
        self._campaign_counts = counts
        active = campaign is not None and campaign.status is CampaignStatus.ACTIVE
        allowed = common_actions(rows) if active else set()
        issues = bool(rows) and all(r.request.issue_state is IssueState.OPEN for r in rows)
        self.selection_label.setText(self.tr("{count} selected").format(count=len(rows))
                                     if rows else self.tr("Select requests to act on them"))
        for button, action in ((self.accept_button, ShippingAction.ACCEPT),
                               (self.refuse_button, ShippingAction.REFUSE),
                               (self.ship_button, ShippingAction.SHIP),
                               (self.cancel_button, ShippingAction.CANCEL),
                               (self.reship_button, ShippingAction.RESHIP),
                               (self.cancel_order_button, ShippingAction.CANCEL),
                               (self.solved_button, ShippingAction.MARK_SOLVED)):
            button.setEnabled(action in allowed)
        self.cancel_button.setVisible(not issues)
        self.message_button.setEnabled(bool(rows))
        self.issue_panel.setVisible(issues)
        if issues:
            self.issue_label.setText(self._issue_text(rows))
        self.cancel_campaign_button.setEnabled(active)
        self.export_button.setEnabled(campaign is not None)
        self.slips_button.setEnabled(campaign is not None and (
            any(r.request.state is RequestState.READY_TO_SHIP for r in rows)
            or counts.get("ready", 0) > 0))

    def _issue_text(self, rows: Sequence[RequestRow]) -> str:
        if len(rows) == 1:
            request = rows[0].request
            return self.tr("Shipping problem reported by {name}: {reason}").format(
                name=request.creator_name,
                reason=request.issue_reason or self.tr("no reason given"))
        return self.tr("{count} requests with a shipping problem selected").format(
            count=len(rows))

    # --- asking -------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        self.current_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _scope(self, rows: Sequence[RequestRow]) -> str:
        if len(rows) == 1:
            return f"{slip_code(rows[0].id)} ({rows[0].request.creator_name})"
        return self.tr("{count} requests").format(count=len(rows))

    def ask_refuse(self) -> None:
        rows = self.host.selected_rows()
        dialog = ReasonDialog(self.tr("Refuse {scope}").format(scope=self._scope(rows)),
                              self.tr("Refuse {scope}?").format(scope=self._scope(rows)),
                              self.tr("Refuse {count}").format(count=len(rows)), required=True,
                              consequence=self.tr("Each creator is told the reason."),
                              parent=self.window())
        dialog.submitted.connect(lambda reason: self.act(ShippingAction.REFUSE, rows,
                                                         reason=reason))
        self._open(dialog)

    def ask_cancel(self) -> None:
        rows = self.host.selected_rows()
        dialog = ReasonDialog(self.tr("Cancel {scope}").format(scope=self._scope(rows)),
                              self.tr("Cancel {scope}?").format(scope=self._scope(rows)),
                              self.tr("Cancel {count}").format(count=len(rows)),
                              required=False, consequence=self.tr(
                                  "The creators are told; a cancelled request cannot be "
                                  "reopened."), parent=self.window())
        dialog.cancel_button.setText(self.tr("Keep"))
        dialog.submitted.connect(lambda reason: self.act(ShippingAction.CANCEL, rows,
                                                         reason=reason or None))
        self._open(dialog)

    def ask_reship(self) -> None:
        rows = self.host.selected_rows()
        dialog = ReasonDialog(self.tr("Reship {scope}").format(scope=self._scope(rows)),
                              self.tr("Send a new parcel for {scope}?").format(
                                  scope=self._scope(rows)),
                              self.tr("Reship"), required=False, label=self.tr("Note"),
                              consequence=self.tr(
                                  "The request goes back to Ready to Ship with three days to "
                                  "ship, and uses one unit of stock."), parent=self.window())
        dialog.submitted.connect(lambda note: self.act(ShippingAction.RESHIP, rows,
                                                       reason=note or None))
        self._open(dialog)

    def ask_ship(self) -> None:
        rows = self.host.selected_rows()
        dialog = ShipDialog([r.request for r in rows], self.source.tracking_owner,
                            self.window())
        dialog.submitted.connect(lambda carrier, number: self.act(
            ShippingAction.SHIP, rows, carrier=carrier or None, number=number or None))
        self._open(dialog)

    def ask_message(self) -> None:
        rows = self.host.selected_rows()
        names = list(dict.fromkeys(r.request.creator_name for r in rows))
        dialog = BulkMessageDialog(names, self.window())
        dialog.submitted.connect(lambda text: self.send_message(rows, text))
        self._open(dialog)

    def ask_cancel_campaign(self) -> None:
        campaign = self.host.campaign
        if campaign is None:
            return
        pending = self._campaign_counts.get("pending", 0)
        ready = self._campaign_counts.get("ready", 0)
        total = pending + ready
        dialog = ReasonDialog(
            self.tr("Cancel campaign “{name}”").format(name=campaign.name),
            self.tr("Cancel “{name}” and the {count} requests not yet sent?").format(
                name=campaign.name, count=total),
            self.tr("Cancel campaign and {count} requests").format(count=total),
            required=True, consequence=self.tr(
                "{pending} pending and {ready} ready-to-ship requests are cancelled and their "
                "creators told the reason. Requests already sent stay as they are. A cancelled "
                "campaign cannot be reopened.").format(pending=pending, ready=ready),
            parent=self.window())
        dialog.cancel_button.setText(self.tr("Keep the campaign"))
        dialog.submitted.connect(lambda reason: self.cancel_campaign(campaign.id, reason))
        self._open(dialog)

    # --- doing --------------------------------------------------------------------------------

    def _attempt(self, send: Callable[[], object]) -> tuple[bool, object]:
        """(True, the answer), or (False, None) with the error in the banner."""
        try:
            return True, send()
        except ServiceError as error:
            self.host.banner.show_message(describe(error), "error")
            return False, None

    def act(self, action: ShippingAction, rows: Sequence[RequestRow] | None = None, *,
            reason: str | None = None, carrier: str | None = None,
            number: str | None = None) -> None:
        """Takes ``action`` on ``rows`` (the selection by default)."""
        shown = list(rows if rows is not None else self.host.selected_rows())
        # The cache's copy, not the table's: its version is the newest this client knows.
        chosen = [self.source.request(r.id) or r for r in shown]
        if not chosen:
            return
        past = self.tr(PAST[action])
        if len(chosen) == 1:
            request = chosen[0].request
            body = ShippingActionIn(action=action, version=request.version, reason=reason,
                                    carrier=carrier, tracking_number=number)
            self._singles[request.id] = action
            if not self._attempt(lambda: self.engine.shipping_action(request.id, body))[0]:
                return
            self.host.banner.show_message(self.tr("{code} ({name}) {past}.").format(
                code=slip_code(request.id), name=request.creator_name, past=past), "info")
            return
        items = [BulkItemIn(id=r.request.id, version=r.request.version) for r in chosen]
        _ok, sent = self._attempt(lambda: self.engine.bulk_shipping(
            BulkShippingIn(action=action, items=items, reason=reason)))
        if isinstance(sent, str):
            self._bulks[sent] = action
            self.host.banner.show_message(self.tr("Sending: {count} requests to be {past}…")
                                          .format(count=len(chosen), past=past), "info")

    def send_message(self, rows: Sequence[RequestRow], text: str) -> None:
        _ok, sent = self._attempt(lambda: self.engine.bulk_message([r.id for r in rows], text))
        if isinstance(sent, str):
            self._bulks[sent] = MESSAGE
            self.host.banner.show_message(self.tr("Sending the message to {count} creators…")
                                          .format(count=len(rows)), "info")

    def cancel_campaign(self, campaign_id: int, reason: str) -> None:
        if self._attempt(lambda: self.engine.cancel_campaign(campaign_id, reason))[0]:
            self.host.banner.show_message(self.tr("Campaign cancelled."), "info")

    def save_packing_slips(self) -> None:
        campaign = self.host.campaign
        if campaign is None:
            return
        rows = [r for r in self.host.selected_rows()
                if r.request.state is RequestState.READY_TO_SHIP]
        if not rows:
            rows = [r for r in self.source.requests(campaign.id)
                    if r.request.state is RequestState.READY_TO_SHIP]
        if not rows:
            self.host.banner.show_message(self.tr("No request is Ready to Ship: there is no "
                                                  "packing slip to print."), "info")
            return
        names = {campaign.id: campaign.name}
        self.host.files.save_path(self.window(), self.tr("Save packing slips"),
                                  f"{campaign.name} - packing slips.pdf", self.tr("PDF (*.pdf)"),
                                  lambda path: self._write_slips(rows, names, path))

    def _write_slips(self, rows: list[RequestRow], names: dict[int, str], path: str) -> None:
        if not path:
            return
        self.host.background.run(
            lambda: write_packing_slips(rows, path, campaigns=names), name="packing slips",
            on_success=lambda count: self.host.banner.show_message(self.tr(
                "Packing slips for {count} requests saved to {name}.").format(
                count=count, name=Path(path).name), "info"),
            on_failure=lambda error: self.host.banner.show_message(self.tr(
                "The packing slips were not saved: {reason}").format(reason=error), "error"))

    # --- answers ------------------------------------------------------------------------------

    def on_bulk_finished(self, token: str, result: BulkResult | None, error: str) -> None:
        action = self._bulks.pop(token, None)
        if action is None:
            return
        text, kind = bulk_summary(action, result, error)
        self.host.banner.show_message(self.tr(text), kind)

    def on_request_refused(self, message: str, request_id: int) -> None:
        action = self._singles.pop(request_id, None)
        if action is None:
            return
        self.host.banner.show_message(self.tr("{code} was not {past}: {message}").format(
            code=slip_code(request_id), past=self.tr(PAST[action]), message=message), "error")
