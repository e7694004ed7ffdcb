"""One thread's messages as a Qt list model, oldest at the top, loaded a page at a time.

``set_thread`` loads only the newest page (``page_size`` messages), so a thread of ten thousand
messages opens as fast as one of ten; scrolling up asks ``canFetchMore``/``fetchMore`` for the
next older page, inserted at the top. ``data()`` only reads the ``MessageItem`` of a row.

Decisions
---------
* **Order and identity** are ``MessageItem.sort_key``: server ids, then local echoes. Rows are
  found by bisection on a parallel list of keys.
* **Updates are a diff, never a reset.** ``apply`` re-reads the thread from the oldest key the
  batch touched (``ChangeSet.message_ids``/``local_messages``; usually the last few rows) and
  compares it with the rows held from there: rows that went are removed first (bottom-up),
  then new ones inserted and changed ones reported with ``dataChanged``, one signal per
  contiguous range. A local echo replaced by the server's copy is therefore removed before the
  copy is inserted: the two are never in the model together. Changes older than the loaded
  pages are left for when those pages are loaded.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from litdesk.services.records import ChangeSet, MessageItem

ModelIndex = QModelIndex | QPersistentModelIndex
Key = tuple[int, int]

MessageRole = int(Qt.ItemDataRole.UserRole) + 1
"""The row's ``MessageItem`` (a Python object: it comes back from Qt unchanged)."""
MessageIdRole = int(Qt.ItemDataRole.UserRole) + 2
"""``int``: the message's id (negative for a local echo)."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_PROVIDED = frozenset({_DISPLAY, _TOOLTIP, _ACCESSIBLE, MessageRole, MessageIdRole})
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)
PAGE_SIZE = 100


class MessageSource(Protocol):
    """What the model reads (``LocalCache``)."""

    def messages(self, thread_id: int, *, before: Key | None = ...,
                 limit: int = ...) -> list[MessageItem]: ...

    def messages_since(self, thread_id: int, key: Key) -> list[MessageItem]: ...

    def first_unread(self, thread_id: int) -> int | None: ...


class ThreadMessagesModel(QAbstractListModel):
    """The messages of one thread (see the module's docstring). Roles: ``DisplayRole`` the
    text, ``MessageRole`` the ``MessageItem``, ``MessageIdRole`` its id."""

    MessageRole = MessageRole
    MessageIdRole = MessageIdRole

    def __init__(self, cache: MessageSource, parent: QObject | None = None, *,
                 page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._cache = cache
        self._page_size = page_size
        self._thread: int | None = None
        self._items: list[MessageItem] = []
        self._keys: list[Key] = []
        self._has_older = False
        self._fetching = False

    # --- what the views read ------------------------------------------------------------------

    def thread_id(self) -> int | None:
        return self._thread

    def item(self, row: int) -> MessageItem:
        return self._items[row]

    def row_of(self, message_id: int) -> int:
        """The row of a loaded message (a server id, or a local echo's negative id), or -1."""
        key: Key = (1, -message_id) if message_id < 0 else (0, message_id)
        row = bisect_left(self._keys, key)
        return row if row < len(self._keys) and self._keys[row] == key else -1

    def has_older(self) -> bool:
        """Older messages remain to be loaded with ``fetchMore``."""
        return self._has_older

    def first_unread_row(self) -> int:
        """The row of the oldest unread message, loading older pages until it is there; -1
        when everything is read."""
        if self._thread is None:
            return -1
        found = self._cache.first_unread(self._thread)
        if found is None:
            return -1
        while True:
            row = self.row_of(found)
            if row >= 0 or not self._has_older or (self._keys and self._keys[0] < (0, found)):
                return row
            loaded = len(self._items)
            self.fetchMore(QModelIndex())
            if len(self._items) == loaded:  # asked from inside a fetch: nothing more now
                return -1

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
            return item.text
        if role == MessageRole:
            return item
        if role == MessageIdRole:
            return item.id
        if role == _ACCESSIBLE:
            return _spoken(item)
        if role == _TOOLTIP:
            return item.error or None
        return None

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and self._has_older

    def fetchMore(self, parent: ModelIndex) -> None:
        # A receiver of rowsAboutToBeInserted may ask again before this page is in (Qt's model
        # tester does): it would get the same page twice.
        if parent.isValid() or not self._has_older or self._thread is None or self._fetching:
            return
        before = self._keys[0] if self._keys else None
        older = self._cache.messages(self._thread, before=before, limit=self._page_size)
        self._has_older = len(older) == self._page_size
        if not older:
            return
        self._fetching = True
        try:
            self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
            self._items[:0] = older
            self._keys[:0] = [m.sort_key for m in older]
            self.endInsertRows()
        finally:
            self._fetching = False

    # --- what the app calls -------------------------------------------------------------------

    def set_thread(self, thread_id: int | None) -> None:
        """Show another thread (a reset), with its newest page loaded."""
        self.beginResetModel()
        self._thread = thread_id
        newest = [] if thread_id is None else self._cache.messages(thread_id,
                                                                   limit=self._page_size)
        self._items = newest
        self._keys = [m.sort_key for m in newest]
        self._has_older = len(newest) == self._page_size
        self.endResetModel()

    def apply(self, changes: ChangeSet) -> None:
        """Fold a sync batch or a local change in (see the module's docstring)."""
        if self._thread is None or self._thread not in changes.messages:
            return
        start = self._first_touched(changes)
        if start is None:
            return
        fresh = self._cache.messages_since(self._thread, start)
        first = bisect_left(self._keys, start)
        self._remove_missing(first, {m.sort_key for m in fresh})
        self._insert_and_update(first, fresh)

    def _first_touched(self, changes: ChangeSet) -> Key | None:
        touched = [(0, i) for i in changes.message_ids]
        touched += [(1, i) for i in changes.local_messages]
        if not touched:  # a batch that does not say which: everything loaded
            return self._keys[0] if self._keys else (0, 0)
        start = min(touched)
        if self._has_older and self._keys and start < self._keys[0]:
            start = self._keys[0]  # not loaded yet: read when that page is
        return start

    def _remove_missing(self, first: int, keep: set[Key]) -> None:
        last = len(self._keys) - 1
        while last >= first:
            if self._keys[last] in keep:
                last -= 1
                continue
            top = last
            while top - 1 >= first and self._keys[top - 1] not in keep:
                top -= 1
            self.beginRemoveRows(QModelIndex(), top, last)
            del self._items[top:last + 1]
            del self._keys[top:last + 1]
            self.endRemoveRows()
            last = top - 1

    def _insert_and_update(self, first: int, fresh: Sequence[MessageItem]) -> None:
        """``self._keys[first:]`` is now a subsequence of ``fresh``'s keys."""
        row, n = first, 0
        changed_from: int | None = None
        while n < len(fresh):
            if row < len(self._keys) and self._keys[row] == fresh[n].sort_key:
                if self._items[row] != fresh[n]:
                    self._items[row] = fresh[n]
                    changed_from = row if changed_from is None else changed_from
                else:
                    self._report_changed(changed_from, row)
                    changed_from = None
                row, n = row + 1, n + 1
                continue
            self._report_changed(changed_from, row)
            changed_from = None
            end = n
            while end < len(fresh) and (row >= len(self._keys)
                                        or self._keys[row] != fresh[end].sort_key):
                end += 1
            self.beginInsertRows(QModelIndex(), row, row + end - n - 1)
            self._items[row:row] = fresh[n:end]
            self._keys[row:row] = [m.sort_key for m in fresh[n:end]]
            self.endInsertRows()
            row, n = row + end - n, end
        self._report_changed(changed_from, row)

    def _report_changed(self, start: int | None, end: int) -> None:
        """``dataChanged`` for rows ``start`` to ``end - 1``, if any."""
        if start is not None and end > start:
            self.dataChanged.emit(self.index(start), self.index(end - 1))


def _spoken(item: MessageItem) -> str:
    """What a screen reader says for a message."""
    who = "You" if item.mine else item.sender_name
    files = ", ".join(a.name for a in item.attachments)
    parts = [f"{who}, {item.created_at:%d %b %H:%M}", item.text]
    if files:
        parts.append(f"attached: {files}")
    if item.state != "sent":
        parts.append(item.error or item.state)
    return ". ".join(p for p in parts if p)
