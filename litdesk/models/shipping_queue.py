"""The shipping queue's table model: one campaign's requests, one tab at a time.

Decisions
---------
* **Tabs** (``TAB_KEYS``) follow the seed's sections: Pending Requests, Ready to Ship, Sent, and
  Cancelled. Refused requests are listed under "cancelled": both are closed requests that will
  not ship, and the seed has no section for refusals (the view may label the tab "Cancelled /
  refused"). A request with an open shipping issue stays under Sent, where the seed puts it.
* **No proxy.** As for the order board, filtering and sorting Python rows in Python is far
  faster than a ``QSortFilterProxyModel`` calling ``data()``. The model keeps every row of the
  campaign (``_rows``, for the counts) and the current tab's ids in sort order with their keys
  (``_ids``/``_keys``), so a row's place is found by bisection.
* **Signals.** ``set_campaign`` and ``set_tab`` change the query: a reset. ``apply`` (a sync
  batch or an optimistic action) is incremental: ``rowsRemoved`` and ``rowsInserted`` per
  contiguous run, ``dataChanged`` per contiguous run of rows updated in place; a row whose sort
  key changed is removed and inserted again. ``sort`` is one ``layoutChanged`` whose persistent
  indexes follow their requests.
* **Reads** go through ``ShippingSource`` (the cache satisfies it); the view layer never sees
  the cache. The campaign's rows are read on the UI thread: 10,000 take about 0.2 s
  (``LocalCache.requests``, measured in tests/services/test_shipping_sync.py).
* **Tracking links** (``TrackingUrlRole``): the carrier as written when LitDesk knows it, else
  the carrier the number's format names (``domain/tracking.py``); None when neither.
* **Issues and overdue are never shown by colour alone**: an open issue has a red exclamation
  icon, a light red/orange background *and* "Shipping issue: <reason>" as tooltip and
  accessible text; an overdue ship-by date is bold and says "overdue".
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import total_ordering
from itertools import groupby
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QIcon

from litdesk.domain import tracking
from litdesk.domain.shipping import IssueState, RequestState
from litdesk.models.shipping_cells import (
    HEADERS,
    Column,
    cell_text,
    full_address,
    issue_icon,
    sort_key,
)
from litdesk.services.records import ChangeSet, RequestRow

__all__ = [
    "HEADERS",
    "TAB_KEYS",
    "TAB_OF_STATE",
    "BackgroundRole",
    "Column",
    "IssueRole",
    "OverdueRole",
    "RequestIdRole",
    "RequestRole",
    "ShippingQueueModel",
    "ShippingSource",
    "TrackingUrlRole",
]

TAB_KEYS = ("pending", "ready", "sent", "cancelled")
TAB_OF_STATE: dict[RequestState, str] = {
    RequestState.PENDING: "pending",
    RequestState.READY_TO_SHIP: "ready",
    RequestState.SENT: "sent",
    RequestState.CANCELLED: "cancelled",
    RequestState.REFUSED: "cancelled",
}

RequestRole = Qt.ItemDataRole.UserRole + 1
RequestIdRole = Qt.ItemDataRole.UserRole + 2
IssueRole = Qt.ItemDataRole.UserRole + 3
OverdueRole = Qt.ItemDataRole.UserRole + 4
TrackingUrlRole = Qt.ItemDataRole.UserRole + 5
BackgroundRole = Qt.ItemDataRole.BackgroundRole

ISSUE_BACKGROUND = QColor(255, 222, 204)  # light red/orange, as the seed describes


class ShippingSource(Protocol):
    """What the model reads (``LocalCache`` satisfies it)."""

    def requests(self, campaign_id: int) -> list[RequestRow]: ...

    def request_rows(self, ids: Iterable[int]) -> list[RequestRow]: ...


def tracking_link(carrier: str, number: str) -> str | None:
    """The carrier's tracking page: the carrier as written if LitDesk knows it, else the one
    the number's format names."""
    if not number:
        return None
    named = tracking.carrier_named(carrier)
    if named is None or named is tracking.Carrier.OTHER:
        named = tracking.check(number).carrier
    return tracking.tracking_url(named, number) if named is not None else None


@total_ordering
class _Descending:
    """A sort key compared the other way round, so descending order bisects like ascending."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.key == other.key

    def __lt__(self, other: _Descending) -> bool:
        return other.key < self.key

    def __hash__(self) -> int:
        return hash(self.key)


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) of each contiguous run."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows):
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class ShippingQueueModel(QAbstractTableModel):
    """One campaign's requests in one tab (see the module's docstring). ``clock`` gives "now"
    for the age column (tests pass their own)."""

    counts_changed = Signal()

    def __init__(self, source: ShippingSource, parent: QObject | None = None, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._clock = clock or (lambda: datetime.now(UTC))
        self._campaign_id: int | None = None
        self._tab = TAB_KEYS[0]
        self._rows: dict[int, RequestRow] = {}
        self._ids: list[int] = []
        self._keys: list[Any] = []
        self._column = Column.REQUESTED
        self._order = Qt.SortOrder.AscendingOrder
        self._counts = dict.fromkeys(TAB_KEYS, 0)
        self._bold = QFont()
        self._bold.setBold(True)
        self._issue_brush = QBrush(ISSUE_BACKGROUND)
        self._icon: QIcon | None = None

    # --- the query --------------------------------------------------------------------------

    def set_campaign(self, campaign_id: int | None) -> None:
        """Show this campaign's requests (None: none); reads them all from the source."""
        self.beginResetModel()
        self._campaign_id = campaign_id
        rows = self._source.requests(campaign_id) if campaign_id is not None else []
        self._rows = {r.request.id: r for r in rows}
        self._fill()
        self.endResetModel()
        self._recount()

    def campaign_id(self) -> int | None:
        return self._campaign_id

    def reload(self) -> None:
        self.set_campaign(self._campaign_id)

    def set_tab(self, key: str) -> None:
        if key not in TAB_KEYS:
            raise ValueError(f"unknown tab {key!r}; one of {TAB_KEYS}")
        if key == self._tab:
            return
        self.beginResetModel()
        self._tab = key
        self._fill()
        self.endResetModel()

    def tab(self) -> str:
        return self._tab

    def tab_counts(self) -> dict[str, int]:
        """Requests per tab in the whole campaign (not only the current tab)."""
        return dict(self._counts)

    def issue_count(self) -> int:
        """Requests with an open shipping issue."""
        return sum(1 for r in self._rows.values() if r.request.issue_state is IssueState.OPEN)

    def overdue_count(self) -> int:
        return sum(1 for r in self._rows.values() if r.overdue)

    def _in_tab(self, row: RequestRow) -> bool:
        return TAB_OF_STATE[row.request.state] == self._tab

    def _key(self, row: RequestRow) -> Any:
        key = (*sort_key(row, self._column), row.request.id)
        return key if self._order == Qt.SortOrder.AscendingOrder else _Descending(key)

    def _fill(self) -> None:
        ordered = sorted(((self._key(r), r.request.id) for r in self._rows.values()
                          if self._in_tab(r)), key=lambda pair: pair[0])
        self._keys = [k for k, _ in ordered]
        self._ids = [i for _, i in ordered]

    def _recount(self) -> None:
        counts = dict.fromkeys(TAB_KEYS, 0)
        for row in self._rows.values():
            counts[TAB_OF_STATE[row.request.state]] += 1
        if counts != self._counts:
            self._counts = counts
            self.counts_changed.emit()

    # --- rows -------------------------------------------------------------------------------

    def request_at(self, row: int) -> RequestRow:
        return self._rows[self._ids[row]]

    def row_of(self, request_id: int) -> int:
        """The row showing the request in the current tab, or -1."""
        row = self._rows.get(request_id)
        if row is None or not self._in_tab(row):
            return -1
        at = bisect_left(self._keys, self._key(row))
        return at if at < len(self._ids) and self._ids[at] == request_id else -1

    def rows_for(self, ids: Iterable[int]) -> list[int]:
        """The rows showing these requests in the current tab, ascending."""
        return sorted(r for r in (self.row_of(i) for i in set(ids)) if r >= 0)

    def request_ids(self) -> list[int]:
        """The current tab's request ids, in row order."""
        return list(self._ids)

    # --- incremental updates ---------------------------------------------------------------

    def apply(self, changes: ChangeSet) -> None:
        """Follow a batch: only the requests it names are read again."""
        if self._campaign_id is None or not changes.requests:
            return
        fresh = {r.request.id: r for r in self._source.request_rows(changes.requests)
                 if r.request.campaign_id == self._campaign_id}
        gone = [i for i in changes.requests if i in self._rows and i not in fresh]
        self._remove_rows(gone, fresh)
        inserted: list[RequestRow] = []
        updated: list[int] = []
        for request_id, row in fresh.items():
            old = self._rows.get(request_id)
            was = old is not None and self._in_tab(old)
            self._rows[request_id] = row
            if not self._in_tab(row):
                continue
            if was and old is not None and self._key(old) == self._key(row):
                updated.append(request_id)
            else:
                inserted.append(row)
        self._insert_rows(inserted)
        self._changed_rows(updated)
        self._recount()

    def _remove_rows(self, gone: Sequence[int], fresh: dict[int, RequestRow]) -> None:
        """Rows leaving the tab: deleted, moved to another tab, or whose sort key changed."""
        leaving: set[int] = set()
        for request_id in list(gone) + list(fresh):
            old = self._rows.get(request_id)
            if old is None or not self._in_tab(old):
                continue
            new = fresh.get(request_id)
            if new is None or not self._in_tab(new) or self._key(new) != self._key(old):
                leaving.add(self.row_of(request_id))
        for request_id in gone:
            del self._rows[request_id]
        for first, last in reversed(_runs(r for r in leaving if r >= 0)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._ids[first:last + 1]
            del self._keys[first:last + 1]
            self.endRemoveRows()

    def _insert_rows(self, rows: Sequence[RequestRow]) -> None:
        keyed = sorted(((self._key(r), r.request.id) for r in rows), key=lambda pair: pair[0])
        offset = 0
        positions = [bisect_left(self._keys, key) for key, _ in keyed]
        for position, block in groupby(zip(positions, keyed, strict=True),
                                       key=lambda pair: pair[0]):
            items = [pair[1] for pair in block]
            first = position + offset
            self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
            self._keys[first:first] = [key for key, _ in items]
            self._ids[first:first] = [i for _, i in items]
            self.endInsertRows()
            offset += len(items)

    def _changed_rows(self, ids: Iterable[int]) -> None:
        last_column = self.columnCount() - 1
        for first, last in _runs(self.row_of(i) for i in ids):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    # --- sorting ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (then by request id); persistent indexes follow their requests."""
        hint = QAbstractTableModel.LayoutChangeHint.VerticalSortHint
        _with_hint(self.layoutAboutToBeChanged).emit([], hint)
        persistent = self.persistentIndexList()
        held = [(p, self._ids[p.row()] if 0 <= p.row() < len(self._ids) else None)
                for p in persistent]
        self._column = Column(column)
        self._order = order
        self._fill()
        where = {request_id: row for row, request_id in enumerate(self._ids)}
        old = [QModelIndex(p) for p, _ in held]
        new = [self.index(where[i], p.column()) if i is not None else QModelIndex()
               for p, i in held]
        self.changePersistentIndexList(old, new)
        _with_hint(self.layoutChanged).emit([], hint)

    def sort_column(self) -> Column:
        return self._column

    def sort_order(self) -> Qt.SortOrder:
        return self._order

    # --- Qt's interface ---------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(Column)):
            return HEADERS[Column(section)]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._rows[self._ids[index.row()]]
        column = Column(index.column())
        request = row.request
        issue = request.issue_state is IssueState.OPEN
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column, self._clock())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, issue)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible(row, column, issue)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._issue_brush if issue else None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._issue_icon() if issue and column is Column.CREATOR else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if row.overdue and column is Column.SHIP_BY else None
        return self._user_data(row, role, issue)

    def _user_data(self, row: RequestRow, role: int, issue: bool) -> Any:
        if role == RequestRole:
            return row
        if role == RequestIdRole:
            return row.request.id
        if role == IssueRole:
            return issue
        if role == OverdueRole:
            return row.overdue
        if role == TrackingUrlRole:
            return tracking_link(row.request.carrier, row.request.tracking_number)
        return None

    def _notes(self, row: RequestRow, column: Column, issue: bool) -> list[str]:
        notes = []
        if issue:
            notes.append(f"Shipping issue: {row.request.issue_reason or 'no reason given'}")
        if row.overdue and column is Column.SHIP_BY:
            notes.append("Overdue: not shipped within three days of acceptance")
        return notes

    def _tooltip(self, row: RequestRow, column: Column, issue: bool) -> str | None:
        notes = self._notes(row, column, issue)
        if column is Column.ADDRESS:
            notes.insert(0, full_address(row.request))
        return "\n".join(notes) or None

    def _accessible(self, row: RequestRow, column: Column, issue: bool) -> str:
        text = cell_text(row, column, self._clock()) or "empty"
        return "; ".join([text, *self._notes(row, column, issue)])

    def _issue_icon(self) -> QIcon | None:
        if self._icon is None:
            if QGuiApplication.instance() is None:
                return None  # painting needs one; a view always has it
            self._icon = issue_icon()
        return self._icon


def _with_hint(signal: SignalInstance) -> SignalInstance:
    """The overload of a layout signal that carries its hint (PySide's plain ``emit()`` takes
    no arguments; see ``order_board.py``)."""
    overloads: Any = signal
    instance: SignalInstance = overloads[
        "QList<QPersistentModelIndex>,QAbstractItemModel::LayoutChangeHint"]
    return instance
