"""An order's events log as a table: when, who, what, and the status change (from → to).

Every transition, message, rating and survey of the order is one entry (the server logs them all
as order events; see ``services/order_details.py``).

Decisions
---------
* **Time order** is (``created_at``, id). Entries nearly always arrive newer than every shown
  one, so ``add_events`` usually appends; an entry that sorts earlier (a clock that jumped) is
  inserted where it belongs. Each contiguous run of new rows is one ``rowsInserted``; the model
  is reset only when another order is shown (``set_events``).
* **Text is made once per entry** (``LogEntry``), not in ``data()``: a long-running order with a
  busy thread has thousands of entries and the view asks for each cell many times.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from litdesk.domain.orders import Action, OrderStatus, action_label
from litdesk.models.order_cells import CellText

ModelIndex = QModelIndex | QPersistentModelIndex

EventIdRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2


class LogColumn(IntEnum):
    WHEN = 0
    WHO = 1
    WHAT = 2
    CHANGE = 3


LOG_HEADERS = {LogColumn.WHEN: "When", LogColumn.WHO: "Who", LogColumn.WHAT: "What",
               LogColumn.CHANGE: "From → to"}

ROLE_TITLES = {"influencer": "influencer", "advertiser": "advertiser", "mediator": "mediator",
               "payment_system": "payment system", "system": "LitDesk"}
_NOTE_CHARS = 160


def _status_label(value: object) -> str:
    try:
        return OrderStatus(str(value)).label
    except ValueError:
        return str(value)


def _short(note: str) -> str:
    flat = " ".join(note.split())
    return flat if len(flat) <= _NOTE_CHARS else flat[:_NOTE_CHARS].rstrip() + "…"


def _what(kind: str, action: str | None, note: str) -> str:
    if kind == "message":
        return f"Message: {_short(note)}"
    if kind == "rating":
        return f"Rated the collaboration {_short(note)}"
    if kind == "survey":
        return f"Metrics survey: {_short(note)}"
    if kind == "created":
        title = "Placed the order" if action == Action.PLACE_ORDER.value else "Order set up"
        return f"{title}: {_short(note)}" if note else title
    label = kind.capitalize()
    if action:
        try:
            label = action_label(Action(action))
        except ValueError:
            label = action.replace("_", " ").capitalize()
    return f"{label}: {_short(note)}" if note else label


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row, with its texts made once."""

    id: int
    at: datetime
    kind: str
    when: str
    who: str
    what: str
    change: str
    note: str

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.at, self.id)


def log_entry(event: Mapping[str, Any], cells: CellText) -> LogEntry:
    """A row from an order event (``OrderEventOut`` as JSON)."""
    at = datetime.fromisoformat(str(event["created_at"]))
    if at.tzinfo is None:  # the server writes UTC; keep every key comparable
        at = at.replace(tzinfo=UTC)
    role = str(event.get("actor_role") or "")
    name = str(event.get("actor_name") or "")
    title = ROLE_TITLES.get(role, role.replace("_", " "))
    who = f"{name} ({title})" if name and title and name != title else (name or title)
    source, target = event.get("from_status"), event.get("to_status")
    if source and target:
        change = f"{_status_label(source)} → {_status_label(target)}"
    elif target:
        change = f"→ {_status_label(target)}"
    else:
        change = ""
    kind = str(event.get("kind", ""))
    note = str(event.get("note") or "")
    action = event.get("action")
    return LogEntry(
        id=int(event["id"]), at=at, kind=kind,
        when=f"{cells.date(at)}, {cells.time(at)}", who=who,
        what=_what(kind, str(action) if action else None, note), change=change, note=note)


class EventsLogModel(QAbstractTableModel):
    """The log of the order shown: ``set_events`` for another order (a reset), ``add_events``
    for newer entries of the same one (``rowsInserted`` per contiguous run; known ids are
    skipped)."""

    def __init__(self, parent: QObject | None = None, *, cells: CellText | None = None) -> None:
        super().__init__(parent)
        self._cells = cells or CellText()
        self._entries: list[LogEntry] = []
        self._ids: set[int] = set()

    # --- Qt's model interface ---

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(LogColumn)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == LogColumn.WHAT and entry.note:
                return entry.note
            return self._text(entry, column) or None
        if role == EventIdRole:
            return entry.id
        if role == KindRole:
            return entry.kind
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(LogColumn)):
            return LOG_HEADERS[LogColumn(section)]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemNeverHasChildren

    # --- ours ---

    @staticmethod
    def _text(entry: LogEntry, column: int) -> str:
        if column == LogColumn.WHEN:
            return entry.when
        if column == LogColumn.WHO:
            return entry.who
        if column == LogColumn.WHAT:
            return entry.what
        if column == LogColumn.CHANGE:
            return entry.change
        return ""

    def entry(self, row: int) -> LogEntry:
        return self._entries[row]

    def entries(self) -> list[LogEntry]:
        return list(self._entries)

    def last_id(self) -> int:
        """The highest event id shown (0 for none): ask the cache for entries after it."""
        return max(self._ids, default=0)

    def set_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Show these entries instead (another order): a reset."""
        entries = {e.id: e for e in (log_entry(event, self._cells) for event in events)}
        self.beginResetModel()
        self._entries = sorted(entries.values(), key=lambda e: e.key)
        self._ids = set(entries)
        self.endResetModel()

    def add_events(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Add the entries not shown yet, each where its time puts it; returns how many."""
        fresh: dict[int, LogEntry] = {}
        for event in events:
            event_id = int(event["id"])
            if event_id not in self._ids and event_id not in fresh:
                fresh[event_id] = log_entry(event, self._cells)
        for run in self._runs(sorted(fresh.values(), key=lambda e: e.key)):
            row = bisect.bisect_left(self._keys(), run[0].key)
            self.beginInsertRows(QModelIndex(), row, row + len(run) - 1)
            self._entries[row:row] = run
            self._ids.update(e.id for e in run)
            self.endInsertRows()
        return len(fresh)

    def clear(self) -> None:
        self.set_events(())

    def _keys(self) -> list[tuple[datetime, int]]:
        return [e.key for e in self._entries]

    def _runs(self, fresh: list[LogEntry]) -> list[list[LogEntry]]:
        """``fresh`` (sorted) cut where a shown entry falls between two of them: each run is
        inserted at one place."""
        runs: list[list[LogEntry]] = []
        keys = self._keys()
        slot = -1
        for entry in fresh:
            here = bisect.bisect_left(keys, entry.key)
            if runs and here == slot:
                runs[-1].append(entry)
            else:
                runs.append([entry])
                slot = here
        return runs
