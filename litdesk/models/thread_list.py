"""Every thread of the Messages area as a Qt list model: latest activity first, with unread
counts for the badges and their total for the window.

Decisions
---------
* **Incremental.** ``apply`` re-reads only the threads a batch touched (``ChangeSet.threads``
  and ``ChangeSet.messages``) and, per thread, removes, inserts, moves (``rowsMoved``, so a
  selected thread stays selected when a new message lifts it to the top) or updates it in
  place. ``reload`` (a reset) is for a new session only.
* **Order** is ``records.thread_order``: latest activity (the user's unsent messages count)
  first, then the newest thread; rows are found by bisection on that key.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from litdesk.services.records import ChangeSet, ThreadItem, thread_order

ModelIndex = QModelIndex | QPersistentModelIndex
Key = tuple[float, int]

ThreadRole = int(Qt.ItemDataRole.UserRole) + 1
"""The row's ``ThreadItem``."""
ThreadIdRole = int(Qt.ItemDataRole.UserRole) + 2
"""``int``: the thread's id."""
UnreadRole = int(Qt.ItemDataRole.UserRole) + 3
"""``int``: messages from others after the read marker (for a badge)."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_PROVIDED = frozenset({_DISPLAY, _TOOLTIP, _ACCESSIBLE, ThreadRole, ThreadIdRole, UnreadRole})
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)


class ThreadSource(Protocol):
    """What the model reads (``LocalCache``)."""

    def threads(self) -> list[ThreadItem]: ...

    def thread_items(self, thread_ids: set[int]) -> list[ThreadItem]: ...


class ThreadListModel(QAbstractListModel):
    """Every thread the user can see (see the module's docstring). Roles: ``DisplayRole`` the
    title, ``ThreadRole`` the ``ThreadItem``, ``ThreadIdRole``, ``UnreadRole``."""

    ThreadRole = ThreadRole
    ThreadIdRole = ThreadIdRole
    UnreadRole = UnreadRole

    unread_changed = Signal(int)  # the new total

    def __init__(self, cache: ThreadSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache = cache
        self._items: list[ThreadItem] = cache.threads()
        self._keys: list[Key] = [thread_order(t) for t in self._items]
        self._by_id: dict[int, Key] = {t.id: k for t, k in zip(self._items, self._keys,
                                                               strict=True)}
        self._unread = sum(t.unread for t in self._items)

    # --- what the views read ------------------------------------------------------------------

    def total_unread(self) -> int:
        """Unread messages over every thread."""
        return self._unread

    def thread_at(self, row: int) -> ThreadItem:
        return self._items[row]

    def row_of(self, thread_id: int) -> int:
        """The thread's row, or -1."""
        key = self._by_id.get(thread_id)
        return -1 if key is None else bisect_left(self._keys, key)

    # --- Qt's list interface ------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's API
        return 0 if parent.isValid() else len(self._items)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if role not in _PROVIDED or not index.isValid():
            return None
        item = self._items[index.row()]
        if role == _DISPLAY:
            return item.title
        if role == ThreadRole:
            return item
        if role == ThreadIdRole:
            return item.id
        if role == UnreadRole:
            return item.unread
        if role == _TOOLTIP:
            return item.snippet or None
        if role == _ACCESSIBLE:
            unread = f", {item.unread} unread" if item.unread else ""
            return f"{item.title}{unread}. {item.snippet}".rstrip(". ")
        return None

    # --- what the app calls -------------------------------------------------------------------

    def reload(self) -> None:
        """Read every thread again (a reset)."""
        self.beginResetModel()
        self._items = self._cache.threads()
        self._keys = [thread_order(t) for t in self._items]
        self._by_id = {t.id: k for t, k in zip(self._items, self._keys, strict=True)}
        self.endResetModel()
        self._set_unread(sum(t.unread for t in self._items))

    def apply(self, changes: ChangeSet) -> None:
        """Fold a sync batch or a local change in: only the threads it touched."""
        wanted = changes.threads | changes.messages
        if not wanted:
            return
        fresh = {t.id: t for t in self._cache.thread_items(wanted)}
        unread = self._unread
        for thread_id in sorted(wanted):
            row, item = self.row_of(thread_id), fresh.get(thread_id)
            if row >= 0:
                unread -= self._items[row].unread
            if item is not None:
                unread += item.unread
            if row < 0 and item is not None:
                self._insert(item)
            elif row >= 0 and item is None:
                self._remove(row)
            elif row >= 0 and item is not None:
                self._update(row, item)
        self._set_unread(unread)

    def _insert(self, item: ThreadItem) -> None:
        key = thread_order(item)
        row = bisect_left(self._keys, key)
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.insert(row, item)
        self._keys.insert(row, key)
        self._by_id[item.id] = key
        self.endInsertRows()

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._by_id[self._items[row].id]
        del self._items[row]
        del self._keys[row]
        self.endRemoveRows()

    def _update(self, row: int, item: ThreadItem) -> None:
        key = thread_order(item)
        rest = self._keys[:row] + self._keys[row + 1:]
        target = bisect_left(rest, key)  # its row once moved
        if target != row:
            # Qt's destination is a row of the list before the move.
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(),
                               target if target < row else target + 1)
            del self._items[row]
            del self._keys[row]
            self._items.insert(target, item)
            self._keys.insert(target, key)
            self._by_id[item.id] = key
            self.endMoveRows()
        elif self._items[row] == item:
            return
        self._items[target] = item
        self._keys[target] = key
        self._by_id[item.id] = key
        self.dataChanged.emit(self.index(target), self.index(target))

    def _set_unread(self, total: int) -> None:
        if total != self._unread:
            self._unread = total
            self.unread_changed.emit(total)
