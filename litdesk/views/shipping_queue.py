"""The shipping queue: a campaign picker, tabs Pending Requests / Ready to Ship / Sent /
Cancelled with their counts, the table of requests (several can be selected), and the actions on
the selection: accept, refuse, mark shipped, message, cancel, and for shipping issues reship,
cancel the order or mark as solved. Export, import, packing slips and cancelling the campaign
act on the campaign.

The view reads through ``QueueSource`` (the cache) and acts through ``QueueActions`` (the sync
engine); the app connects the engine's signals to ``on_changed``, ``on_bulk_finished`` and
``on_request_refused``. Dialogs live in ``shipping_dialogs.py``, export and import in
``shipping_io.py``, the action bar in ``shipping_bar.py``.

Decisions
---------
* **Offered actions are the rules'**: a button is enabled only when
  ``allowed_shipping_actions`` allows it for *every* selected request (brand staff), and never
  on a cancelled campaign. The issue resolutions appear, with the issue's reason, when every
  selected request has an open issue.
* **One request goes alone** (``shipping_action``, with its version); several go as one
  ``BulkShippingIn`` (not atomic: each item stands alone), and the per-item answer is summed up
  in the banner: "12 shipped, 1 refused: LDR-40 was changed by someone else."
* **Tracking numbers are links** (underlined, in the link colour); a click, or Ctrl+T on the
  current row, opens the carrier's page (``open_url``, injectable).
* **Empty states say what to do next**, per tab.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain import tracking
from litdesk.domain.shipping import CampaignKind, CampaignStatus, RequestState
from litdesk.domain.wire import (
    BulkResult,
    BulkShippingIn,
    ShippingActionIn,
    ShippingRequestOut,
)
from litdesk.models.shipping_queue import (
    TAB_KEYS,
    Column,
    RequestRole,
    ShippingQueueModel,
)
from litdesk.services.background import Background
from litdesk.services.records import CampaignItem, ChangeSet, RequestRow
from litdesk.views.banner import Banner
from litdesk.views.shipping_bar import ActionBar
from litdesk.views.shipping_io import ExportFlow, FileDialogs, ImportFlow, QtFileDialogs
from litdesk.views.tables import overlay_empty_state, set_up_row_table
from litdesk.views.text_styles import as_muted

TAB_LABELS: dict[str, str] = {
    "pending": "Pending Requests",
    "ready": "Ready to Ship",
    "sent": "Sent",
    "cancelled": "Cancelled",
}
EMPTY_STATES: dict[str, tuple[str, str]] = {
    "pending": ("No pending requests",
                "New requests from creators wait here for you to accept or refuse them. "
                "Gifted-review campaigns approve requests on arrival, so they skip this tab."),
    "ready": ("Nothing to ship",
              "Accepted requests wait here until you mark them shipped: one by one, with Export "
              "approved orders… and Import tracking numbers…, or at the scan-to-ship station."),
    "sent": ("Nothing sent yet",
             "Requests marked shipped appear here. A creator who reports a shipping problem "
             "puts a red exclamation mark on the row."),
    "cancelled": ("No cancelled or refused requests",
                  "Requests you refuse or cancel are kept here."),
}
# Columns that say nothing in a tab (no tracking before shipping, no ship-by after it).
HIDDEN_COLUMNS: dict[str, frozenset[Column]] = {
    "pending": frozenset({Column.ACCEPTED, Column.SHIP_BY, Column.CARRIER, Column.TRACKING,
                          Column.ISSUE}),
    "ready": frozenset({Column.CARRIER, Column.TRACKING, Column.ISSUE}),
    "sent": frozenset({Column.AGE, Column.SHIP_BY}),
    "cancelled": frozenset({Column.AGE, Column.SHIP_BY, Column.ISSUE}),
}
_COLUMN_SAMPLES = {
    Column.CREATOR: "Maya Lopez-Garcia",
    Column.HANDLE: "@maya.lopez",
    Column.PRODUCT: "Trail runner (EU 39)",
    Column.ADDRESS: "12 rue des Lilas, 69001 Lyon, FR",
    Column.REQUESTED: "00 Mmm 0000",
    Column.ACCEPTED: "00 Mmm 0000",
    Column.AGE: "00 days",
    Column.SHIP_BY: "00 Mmm 0000 — overdue",
    Column.CARRIER: "FedEx",
    Column.TRACKING: "1Z999AA10123456784",
}


class QueueSource(Protocol):
    """What the queue reads (``LocalCache``)."""

    def campaigns(self) -> list[CampaignItem]: ...

    def requests(self, campaign_id: int) -> list[RequestRow]: ...

    def request(self, request_id: int) -> RequestRow | None: ...

    def tracking_owner(self, number: str) -> int | None: ...


class QueueActions(Protocol):
    """What the queue asks of the sync engine (``SyncEngine`` has these)."""

    def shipping_action(self, request_id: int, body: ShippingActionIn) -> object: ...

    def bulk_shipping(self, body: BulkShippingIn) -> str: ...

    def bulk_message(self, request_ids: Sequence[int], text: str) -> str: ...

    def cancel_campaign(self, campaign_id: int, reason: str) -> object: ...


def tracking_link(request: ShippingRequestOut) -> str | None:
    """The carrier's tracking page for the request's parcel, if there is one to link."""
    number = request.tracking_number
    if not number:
        return None
    carrier = tracking.carrier_named(request.carrier) if request.carrier else None
    if carrier is None or carrier is tracking.Carrier.OTHER:
        carrier = tracking.check(number).carrier or carrier
    return tracking.tracking_url(carrier, number) if carrier is not None else None


def _row(index: QModelIndex | QPersistentModelIndex) -> RequestRow | None:
    value = index.data(RequestRole)
    return value if isinstance(value, RequestRow) else None


class TrackingLinkDelegate(QStyledItemDelegate):
    """Draws a tracking number that has a carrier page as a link (underlined, link colour)."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        row = _row(index)
        if row is not None and tracking_link(row.request):
            option.font.setUnderline(True)
            palette: QPalette = option.palette
            palette.setColor(QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.Link))


def campaign_label(item: CampaignItem) -> str:
    kind = "gifted review" if item.kind is CampaignKind.GIFTED_REVIEW else "influence"
    cancelled = " — cancelled" if item.status is CampaignStatus.CANCELLED else ""
    return f"{item.name} ({kind}){cancelled}"


def file_stem(text: str) -> str:
    """A campaign name as a safe file name."""
    return re.sub(r"[^\w\- ]+", "", text).strip() or "campaign"


class ShippingQueueView(QWidget):
    """See the module's docstring. ``request_activated(request_id)`` on Enter or a
    double-click (the app may open the request's thread); ``station_requested`` for the
    scan-to-ship station."""

    request_activated = Signal(int)
    station_requested = Signal()

    def __init__(self, model: ShippingQueueModel, source: QueueSource, actions: QueueActions,
                 parent: QWidget | None = None, *, background: Background | None = None,
                 files: FileDialogs | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.source = source
        self.engine = actions
        self.background = background or Background(self)
        self.files: FileDialogs = files or QtFileDialogs()
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.campaign: CampaignItem | None = None

        self.campaign_box = QComboBox()
        self.campaign_box.setAccessibleName(self.tr("Campaign"))
        self.campaign_box.setMinimumContentsLength(28)
        self.campaign_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.campaign_info = QLabel()
        self.campaign_info.setTextFormat(Qt.TextFormat.PlainText)
        # A summary, not a control: it gives up width first (a label's minimum is its whole
        # text, which would keep the window from narrowing).
        self.campaign_info.setSizePolicy(QSizePolicy.Policy.Ignored,
                                         QSizePolicy.Policy.Preferred)
        as_muted(self.campaign_info)
        self.tabs = QTabBar()
        self.tabs.setAccessibleName(self.tr("Request states"))
        self.tabs.setDocumentMode(True)
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.tabs.setUsesScrollButtons(True)
        for key in TAB_KEYS:
            self.tabs.setTabData(self.tabs.addTab(self.tr(TAB_LABELS[key])), key)
        self.banner = Banner()
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Shipping requests"))
        self._link_delegate = TrackingLinkDelegate(self.table)
        self._set_up_table()
        self.empty_title = QLabel()
        self.empty_hint = QLabel()
        self._set_up_empty_state()
        self.bar = ActionBar(self)
        self.export_flow = ExportFlow(self, self.background, self.files)
        self.import_flow = ImportFlow(self, self.background, source, actions, self.files)
        self._build()
        self._connect()
        self.refresh_campaigns()
        self.tabs.setCurrentIndex(TAB_KEYS.index(model.tab()))
        self._show_columns()
        self._update_tabs()
        self._update_state()
        self.setFocusProxy(self.table)

    def _build(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(8)
        campaign_label_widget = QLabel(self.tr("&Campaign:"))
        campaign_label_widget.setBuddy(self.campaign_box)
        top.addWidget(campaign_label_widget)
        top.addWidget(self.campaign_box)
        top.addWidget(self.campaign_info, 1)
        top.addWidget(self.bar.station_button)
        top.addWidget(self.bar.cancel_campaign_button)
        files = QHBoxLayout()
        files.addWidget(self.tabs, 1)
        files.addWidget(self.bar.export_button)
        files.addWidget(self.bar.import_button)
        files.addWidget(self.bar.slips_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(files)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.bar.issue_panel)
        layout.addWidget(self.bar)

    def _connect(self) -> None:
        self.campaign_box.currentIndexChanged.connect(self._on_campaign_chosen)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.model.counts_changed.connect(self._update_tabs)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved,
                       self.model.layoutChanged, self.model.dataChanged):
            signal.connect(self._update_state)
        self.table.selectionModel().selectionChanged.connect(self._update_state)
        self.table.doubleClicked.connect(self._activate)
        self.table.clicked.connect(self._clicked)
        self.bar.station_button.clicked.connect(self.station_requested)
        self.bar.export_button.clicked.connect(self.export_approved)
        self.bar.import_button.clicked.connect(self.import_tracking)
        self.export_flow.finished.connect(lambda count, _path: self.banner.show_message(
            self.tr("Exported {count} approved orders.").format(count=count), "info"))
        self.import_flow.applied.connect(lambda count: self.banner.show_message(
            self.tr("{count} requests marked shipped from the spreadsheet.").format(
                count=count), "info"))
        open_link = QAction(self.tr("Open tracking page"), self.table)
        open_link.setShortcut(QKeySequence("Ctrl+T"))
        open_link.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        open_link.triggered.connect(self.open_tracking_page)
        activate = QAction(self.tr("Open the request's messages"), self.table)
        activate.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        activate.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        activate.triggered.connect(lambda: self._activate(self.table.currentIndex()))
        self.table.addAction(open_link)
        self.table.addAction(activate)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # --- what the app calls -------------------------------------------------------------------

    def refresh_campaigns(self) -> None:
        """Reread the campaigns (names, status, counts), keeping the one shown."""
        items = self.source.campaigns()
        current = self.model.campaign_id()
        if current is None and items:
            current = items[0].id
        self.campaign_box.blockSignals(True)
        self.campaign_box.clear()
        for item in items:
            self.campaign_box.addItem(campaign_label(item), item.id)
        position = self.campaign_box.findData(current) if current is not None else -1
        self.campaign_box.setCurrentIndex(position)
        self.campaign_box.setEnabled(bool(items))
        self.campaign_box.blockSignals(False)
        self.campaign = next((c for c in items if c.id == current), None)
        if self.model.campaign_id() != (self.campaign.id if self.campaign else None):
            self.model.set_campaign(self.campaign.id if self.campaign else None)
            self._go_where_the_work_is()
        self._update_state()

    def select_campaign(self, campaign_id: int) -> bool:
        position = self.campaign_box.findData(campaign_id)
        if position < 0:
            return False
        self.campaign_box.setCurrentIndex(position)
        return True

    def select_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TAB_KEYS.index(key))

    def select_requests(self, request_ids: Sequence[int]) -> int:
        """Select these requests in the current tab; returns how many are shown."""
        rows = self.model.rows_for(request_ids)
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = (selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        for row in rows:
            selection.select(self.model.index(row, 0), flags)
        if rows:
            selection.setCurrentIndex(self.model.index(rows[0], 0),
                                      selection.SelectionFlag.NoUpdate)
        return len(rows)

    def selected_rows(self) -> list[RequestRow]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.request_at(row) for row in rows if row < self.model.rowCount()]

    def on_changed(self, changes: ChangeSet) -> None:
        """Slot for ``SyncEngine.changed``, after the model's ``apply``."""
        if changes.campaigns:
            self.refresh_campaigns()

    def on_bulk_finished(self, token: str, result: BulkResult | None, error: str) -> None:
        """Slot for ``SyncEngine.bulk_finished``."""
        if self.import_flow.on_bulk_finished(token, result, error):
            return
        self.bar.on_bulk_finished(token, result, error)

    def on_request_refused(self, message: str, request_id: int) -> None:
        """Slot for ``SyncEngine.request_refused``: shown when it is about a request acted on
        here."""
        self.bar.on_request_refused(message, request_id)

    def export_approved(self) -> None:
        if self.campaign is None:
            return
        ready = [row.request for row in self.source.requests(self.campaign.id)
                 if row.request.state is RequestState.READY_TO_SHIP]
        self.export_flow.start(ready, f"{file_stem(self.campaign.name)} - approved orders.xlsx",
                               campaigns={self.campaign.id: self.campaign.name})

    def import_tracking(self) -> None:
        self.import_flow.start()

    def open_tracking_page(self) -> bool:
        index = self.table.currentIndex()
        row = _row(index) if index.isValid() else None
        link = tracking_link(row.request) if row is not None else None
        if link is None:
            return False
        self.open_url(QUrl(link))
        return True

    # --- reacting -----------------------------------------------------------------------------

    def _on_campaign_chosen(self, position: int) -> None:
        campaign_id = self.campaign_box.itemData(position) if position >= 0 else None
        self.campaign = next((c for c in self.source.campaigns() if c.id == campaign_id), None)
        self.banner.dismiss()
        self.model.set_campaign(campaign_id if isinstance(campaign_id, int) else None)
        self._go_where_the_work_is()
        self._update_state()

    def _go_where_the_work_is(self) -> None:
        """A campaign just shown whose current tab is empty opens on its first tab with
        requests (a gifted-review campaign has no Pending Requests: Ready to Ship)."""
        counts = self.model.tab_counts()
        if counts.get(self.model.tab(), 0):
            return
        for key in TAB_KEYS:
            if counts.get(key, 0):
                self.select_tab(key)
                return

    def _on_tab_changed(self, position: int) -> None:
        key = self.tabs.tabData(position)
        if isinstance(key, str):
            self.model.set_tab(key)
            self._show_columns()
            self.table.scrollToTop()

    def _show_columns(self) -> None:
        hidden = HIDDEN_COLUMNS.get(self.model.tab(), frozenset())
        for column in Column:
            self.table.setColumnHidden(column, column in hidden)

    def _activate(self, index: QModelIndex) -> None:
        row = _row(index) if index.isValid() else None
        if row is not None:
            self.request_activated.emit(row.request.id)

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() == Column.TRACKING:
            self.open_tracking_page()

    def _update_tabs(self) -> None:
        counts = self.model.tab_counts()
        locale = self.locale()
        for position in range(self.tabs.count()):
            key = self.tabs.tabData(position)
            self.tabs.setTabText(position, f"{self.tr(TAB_LABELS[key])} "
                                           f"({locale.toString(counts.get(key, 0))})")
        self._update_state()

    def _update_state(self) -> None:
        self._update_campaign_info()
        self._update_empty_state()
        self.bar.update_for(self.selected_rows(), self.campaign, self.model.tab_counts())

    def _update_campaign_info(self) -> None:
        item = self.campaign
        if item is None:
            self.campaign_info.setText("")
            return
        parts = [item.product]
        if item.stock is not None:
            parts.append(self.tr("{count} in stock").format(count=item.stock))
        overdue, issues = self.model.overdue_count(), self.model.issue_count()
        if overdue:
            parts.append(self.tr("{count} overdue (not shipped within 3 days)").format(
                count=overdue))
        if issues:
            parts.append(self.tr("{count} with a shipping issue").format(count=issues))
        if item.status is CampaignStatus.CANCELLED:
            parts.append(self.tr("cancelled: no more actions"))
        self.campaign_info.setText(" · ".join(parts))
        self.campaign_info.setToolTip(self.campaign_info.text())

    def _update_empty_state(self) -> None:
        if self.model.rowCount() > 0:
            self.empty_title.hide()
            self.empty_hint.hide()
            return
        if self.campaign_box.count() == 0:
            title = self.tr("No campaigns yet")
            hint = self.tr("Campaigns your brand launches appear here, with the creators' "
                           "requests to receive the product.")
        elif self.campaign is None:
            title, hint = self.tr("Choose a campaign"), self.tr(
                "Pick a campaign above to work its requests.")
        else:
            title, hint = (self.tr(text) for text in EMPTY_STATES[self.model.tab()])
        self.empty_title.setText(title)
        self.empty_hint.setText(hint)
        self.empty_title.show()
        self.empty_hint.show()

    # --- building -----------------------------------------------------------------------------

    def _set_up_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        self._style = set_up_row_table(table, multi_select=True, widths=_COLUMN_SAMPLES.items(),
                                       padding=30)
        table.setItemDelegateForColumn(Column.TRACKING, self._link_delegate)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSortIndicator(self.model.sort_column(), self.model.sort_order())
        table.setSortingEnabled(True)

    def _set_up_empty_state(self) -> None:
        overlay_empty_state(self.table, self.empty_title, self.empty_hint)
