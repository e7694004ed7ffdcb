"""The notification centre's list: news for the signed-in person, newest first, read or unread.

Decisions
---------
* **Fed by the sync engine through a ``NotificationFeed``.** ``apply`` and ``set_status`` are
  slots for ``SyncEngine.changed`` and ``status_changed``; what the feed finds is inserted and
  announced by ``arrived`` (the tray listens). ``add`` takes records directly, for anything
  else that has news (and for tests).
* **Capped.** The list holds at most ``capacity`` entries; the oldest go first. It lives only
  as long as the session: the events log and the unread counts of the Messages area are the
  permanent record.
* **Incremental.** A batch is one ``rowsInserted`` at the top (and one ``rowsRemoved`` at the
  bottom when the cap is reached); reading is ``dataChanged`` over the rows that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont

from litdesk.services.notifications import Notification, NotificationFeed
from litdesk.services.records import ChangeSet, SyncStatus

__all__ = ["BodyRole", "KindRole", "NotificationModel", "NotificationRole", "OrderIdRole",
           "RequestIdRole", "UnreadRole"]

ModelIndex = QModelIndex | QPersistentModelIndex

NotificationRole = int(Qt.ItemDataRole.UserRole) + 1
"""The whole ``Notification`` (a Python object: it comes back from Qt unchanged)."""
KindRole = int(Qt.ItemDataRole.UserRole) + 2
"""``str``: the ``NotificationKind`` value."""
OrderIdRole = int(Qt.ItemDataRole.UserRole) + 3
"""``int``: the order to open, 0 when the news is about a shipping request."""
RequestIdRole = int(Qt.ItemDataRole.UserRole) + 4
"""``int``: the shipping request to open, 0 when the news is about an order."""
UnreadRole = int(Qt.ItemDataRole.UserRole) + 5
"""``bool``: not read yet."""
BodyRole = int(Qt.ItemDataRole.UserRole) + 6
"""``str``: the line under the title."""

DEFAULT_CAPACITY = 200

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)


@dataclass(slots=True)
class _Entry:
    notification: Notification
    unread: bool = True


class NotificationModel(QAbstractListModel):
    """Notifications, newest first, with an unread flag each (see the module's docstring)."""

    NotificationRole = NotificationRole
    KindRole = KindRole
    OrderIdRole = OrderIdRole
    RequestIdRole = RequestIdRole
    UnreadRole = UnreadRole
    BodyRole = BodyRole

    arrived = Signal(object)  # list[Notification]: newly added, oldest first
    unread_changed = Signal(int)

    def __init__(self, feed: NotificationFeed | None = None, *,
                 capacity: int = DEFAULT_CAPACITY, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._feed = feed
        self._capacity = capacity
        self._entries: list[_Entry] = []
        self._keys: set[str] = set()
        self._unread = 0

    # --- feeding ----------------------------------------------------------------------------

    @Slot(object)
    def apply(self, changes: ChangeSet) -> None:
        """Slot for ``SyncEngine.changed``: add what the feed finds in the batch. The engine
        emits from its own thread; the connection queues the call to the UI thread (PySide6
        does so for a lambda too: its receiver lives on the thread that connected)."""
        if self._feed is not None:
            self.add(self._feed.collect(changes))

    @Slot(object)
    def set_status(self, status: SyncStatus) -> None:
        """Slot for ``SyncEngine.status_changed``."""
        if self._feed is not None:
            self._feed.set_status(status)

    def add(self, notifications: Sequence[Notification]) -> None:
        """Insert ``notifications`` (oldest first, as the feed returns them) at the top; ones
        already listed are ignored. Emits ``arrived`` with those added."""
        fresh: list[Notification] = []
        for notification in notifications:
            if notification.key not in self._keys:
                self._keys.add(notification.key)
                fresh.append(notification)
        if not fresh:
            return
        kept = fresh[-self._capacity:]
        self._keys.difference_update(n.key for n in fresh[:-self._capacity])
        self._drop_oldest(len(self._entries) + len(kept) - self._capacity)
        self.beginInsertRows(QModelIndex(), 0, len(kept) - 1)
        self._entries[:0] = [_Entry(n) for n in reversed(kept)]
        self._unread += len(kept)
        self.endInsertRows()
        self.unread_changed.emit(self._unread)
        self.arrived.emit(kept)

    def _drop_oldest(self, count: int) -> None:
        if count <= 0:
            return
        first = len(self._entries) - count
        self.beginRemoveRows(QModelIndex(), first, len(self._entries) - 1)
        for entry in self._entries[first:]:
            self._keys.discard(entry.notification.key)
            self._unread -= entry.unread
        del self._entries[first:]
        self.endRemoveRows()

    # --- reading ----------------------------------------------------------------------------

    def notification(self, row: int) -> Notification:
        return self._entries[row].notification

    def is_unread(self, row: int) -> bool:
        return self._entries[row].unread

    def unread_count(self) -> int:
        return self._unread

    def capacity(self) -> int:
        return self._capacity

    def mark_read(self, row: int) -> None:
        entry = self._entries[row]
        if entry.unread:
            entry.unread = False
            self._unread -= 1
            index = self.index(row)
            self.dataChanged.emit(index, index)
            self.unread_changed.emit(self._unread)

    def mark_all_read(self) -> None:
        unread = [row for row, entry in enumerate(self._entries) if entry.unread]
        if not unread:
            return
        for row in unread:
            self._entries[row].unread = False
        self._unread = 0
        self.dataChanged.emit(self.index(unread[0]), self.index(unread[-1]))
        self.unread_changed.emit(0)

    # --- Qt's side --------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        n = entry.notification
        if role == _DISPLAY:
            return n.title
        if role in (_TOOLTIP, BodyRole):
            return n.body
        if role == _ACCESSIBLE:
            return f"{'Unread: ' if entry.unread else ''}{n.title}. {n.body}"
        if role == _FONT:
            font = QFont()
            font.setBold(entry.unread)
            return font
        return self._user_data(entry, role)

    @staticmethod
    def _user_data(entry: _Entry, role: int) -> Any:
        n = entry.notification
        if role == NotificationRole:
            return n
        if role == KindRole:
            return n.kind.value
        if role == OrderIdRole:
            return n.order_id or 0
        if role == RequestIdRole:
            return n.request_id or 0
        if role == UnreadRole:
            return entry.unread
        return None
