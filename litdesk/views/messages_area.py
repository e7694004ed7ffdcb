"""The Messages area: every thread on the left (latest activity first, unread badges), a search
over all messages above them, and the selected thread in a ``MessagePanel`` on the right.

``MessagesArea(source, actions)`` takes the same two objects as the panel, plus the thread
list and the search (``AreaSource``; ``LocalCache`` satisfies it). The app forwards the engine's
``changed`` to ``apply`` and the attachment signals to ``panel``, and listens to
``order_requested(order_id)`` ("Open order", for a thread that belongs to an order) and
``unread_changed(total)``.

Decisions
---------
* **Search runs on the UI thread, latest text wins.** ``search_messages`` is FTS5 with a limit
  (newest first): milliseconds even over 100k messages, and it reads the local cache only, so it
  works offline. Keystrokes go through a zero-millisecond timer so that a burst of them runs one
  search for the latest text, as on the order board.
* **Results replace the list while there is search text**; activating one (click, Enter) opens
  its thread on the right scrolled to the message, and the results stay for the next pick.
  Escape in the search box clears it and brings the threads back.
* **The selection follows the thread, not the row**: a new message moves its thread to the top
  (``rowsMoved``) and the selected thread stays selected; after a reload the same thread is
  selected again if it is still there.
* **Badges are drawn** by the delegate (a red pill with the count, "99+" above 99) and the
  title is bold while unread, so the count is not only a colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from litdesk.models.thread_list import ThreadListModel, ThreadRole
from litdesk.services.records import ChangeSet, MessageHit, ThreadItem
from litdesk.views.choosing_list import ChoosingList
from litdesk.views.message_panel import MessageActions, MessagePanel, PanelSource
from litdesk.views.text_styles import as_muted

ModelIndex = QModelIndex | QPersistentModelIndex

HitRole = int(Qt.ItemDataRole.UserRole) + 1
"""The search result's ``MessageHit``."""
SEARCH_LIMIT = 200
BADGE_COLOUR = QColor("#c62828")
_PAD = 8
_BADGE_PAD = 6


class AreaSource(PanelSource, Protocol):
    """What the Messages area reads (``LocalCache``)."""

    def threads(self) -> list[ThreadItem]: ...

    def thread_items(self, thread_ids: Iterable[int]) -> list[ThreadItem]: ...

    def search_messages(self, text: str, limit: int = ...) -> list[MessageHit]: ...


def short_time(at: datetime | None) -> str:
    """A list's time: "14:02" today, else "12 Mar" (with the year if not this year's)."""
    if at is None:
        return ""
    local = at.astimezone()
    day = QDate(local.year, local.month, local.day)
    today = QDate.currentDate()
    if day == today:
        return QTime(local.hour, local.minute).toString("HH:mm")
    return day.toString("d MMM" if day.year() == today.year() else "d MMM yyyy")


def badge_text(count: int) -> str:
    return "" if count <= 0 else (str(count) if count < 100 else "99+")


class TwoLineDelegate(QStyledItemDelegate):
    """Two lines per row: a title (bold when it matters) with a time on the right, then a muted
    line with an optional red count badge on the right. Subclasses say what goes where."""

    def lines(self, index: ModelIndex) -> tuple[str, bool, str, str, int] | None:
        """(title, bold, time, second line, badge count) for the row, or None."""
        raise NotImplementedError

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        height = QFontMetrics(option.font).height()
        return QSize(240, 2 * height + 3 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        shown = self.lines(index)
        if shown is None:
            super().paint(painter, option, index)
            return
        title, bold, time, second, badge = shown
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        rect: QRect = opt.rect.adjusted(_PAD + 2, _PAD, -_PAD - 2, -_PAD)
        metrics = QFontMetrics(opt.font)
        line = metrics.height()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_colour = opt.palette.color(QPalette.ColorRole.HighlightedText if selected
                                        else QPalette.ColorRole.Text)
        muted = text_colour if selected else opt.palette.color(
            QPalette.ColorRole.PlaceholderText)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        time_width = metrics.horizontalAdvance(time)
        painter.setPen(muted)
        painter.drawText(QRect(rect.right() - time_width, rect.top(), time_width, line),
                         int(Qt.AlignmentFlag.AlignRight), time)
        title_font = QFont(opt.font)
        title_font.setBold(bold)
        painter.setFont(title_font)
        painter.setPen(text_colour)
        title_width = rect.width() - time_width - _PAD
        painter.drawText(QRect(rect.left(), rect.top(), title_width, line),
                         int(Qt.AlignmentFlag.AlignLeft),
                         QFontMetrics(title_font).elidedText(title, Qt.TextElideMode.ElideRight,
                                                             title_width))
        second_top = rect.top() + line + _PAD
        badge_width = self._paint_badge(painter, opt.font, badge, rect.right(), second_top, line)
        painter.setFont(opt.font)
        painter.setPen(muted)
        second_width = rect.width() - badge_width - (_PAD if badge_width else 0)
        painter.drawText(QRect(rect.left(), second_top, second_width, line),
                         int(Qt.AlignmentFlag.AlignLeft),
                         metrics.elidedText(second, Qt.TextElideMode.ElideRight, second_width))
        painter.restore()

    def _paint_badge(self, painter: QPainter, base: QFont, count: int, right: int, top: int,
                     height: int) -> int:
        text = badge_text(count)
        if not text:
            return 0
        font = QFont(base)
        font.setBold(True)
        font.setPointSizeF(base.pointSizeF() * 0.85)
        width = max(height, QFontMetrics(font).horizontalAdvance(text) + 2 * _BADGE_PAD)
        pill = QRect(right - width, top, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE_COLOUR)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
        return width


class ThreadDelegate(TwoLineDelegate):
    """A thread: its title (bold while unread), last activity, the newest message's start and
    the unread badge."""

    def lines(self, index: ModelIndex) -> tuple[str, bool, str, str, int] | None:
        item = index.data(ThreadRole)
        if not isinstance(item, ThreadItem):
            return None
        snippet = item.snippet or QApplication.translate("MessagesArea", "No messages yet")
        return (item.title, item.unread > 0, short_time(item.last_message_at), snippet,
                item.unread)


class HitDelegate(TwoLineDelegate):
    """A search result: its thread and time, then who wrote it and the matching words."""

    def lines(self, index: ModelIndex) -> tuple[str, bool, str, str, int] | None:
        hit = index.data(HitRole)
        if not isinstance(hit, MessageHit):
            return None
        second = f"{hit.sender_name}: {hit.snippet}" if hit.sender_name else hit.snippet
        return hit.thread_title, False, short_time(hit.created_at), second, 0


class MessagesArea(QWidget):
    """Threads, search and the selected thread (see the module's docstring)."""

    order_requested = Signal(int)
    unread_changed = Signal(int)  # unread messages over every thread

    def __init__(self, source: AreaSource, actions: MessageActions,
                 parent: QWidget | None = None, *, panel: MessagePanel | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.threads = ThreadListModel(source, self)
        self.threads.unread_changed.connect(self.unread_changed)
        self.hits = QStandardItemModel(self)
        self.panel = panel or MessagePanel(source, actions)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(self.tr("Search all messages"))
        self.search_box.setAccessibleName(self.tr("Search all messages"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.installEventFilter(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(0)
        self._search_timer.timeout.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())

        self.thread_list = ChoosingList()
        self.thread_list.setUniformItemSizes(True)
        self.thread_list.setModel(self.threads)
        self.thread_list.setAccessibleName(self.tr("Threads"))
        self.thread_list.setItemDelegate(ThreadDelegate(self.thread_list))
        self.thread_list.selectionModel().currentChanged.connect(self._current_changed)
        self.thread_list.chosen.connect(lambda _index: self.panel.composer.setFocus())
        self.hit_list = ChoosingList()
        self.hit_list.setUniformItemSizes(True)
        self.hit_list.setModel(self.hits)
        self.hit_list.setAccessibleName(self.tr("Messages found"))
        self.hit_list.setItemDelegate(HitDelegate(self.hit_list))
        self.hit_list.chosen.connect(self._hit_chosen)
        self.hit_count = QLabel()
        as_muted(self.hit_count)
        self.empty_threads = QLabel(self.tr("No conversations yet."))
        self.empty_threads.setAlignment(Qt.AlignmentFlag.AlignCenter)
        as_muted(self.empty_threads)

        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.hit_count)
        results_layout.addWidget(self.hit_list, 1)
        self.left_stack = QStackedWidget()
        self.left_stack.addWidget(self.thread_list)
        self.left_stack.addWidget(results)
        self.left_stack.addWidget(self.empty_threads)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 0, 8)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self.left_stack, 1)
        left.setMinimumWidth(240)

        self.open_order_button = QPushButton(self.tr("Open &order"))
        self.open_order_button.setToolTip(self.tr("Show the order this conversation is about"))
        self.open_order_button.clicked.connect(self._open_order)
        self.open_order_button.hide()
        self.panel.header_layout.insertWidget(2, self.open_order_button)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([320, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        for signal in (self.threads.rowsInserted, self.threads.rowsRemoved,
                       self.threads.modelReset):
            signal.connect(self._show_left)
        self._show_left()

    # --- what the app calls ---------------------------------------------------------------------

    def apply(self, changes: ChangeSet) -> None:
        """Fold a batch from the engine in (connect ``SyncEngine.changed`` here)."""
        self.threads.apply(changes)
        self.panel.apply(changes)
        self._update_order_button()

    def reload(self) -> None:
        """Read every thread again (a new session), keeping the selected one if it is there."""
        current = self.current_thread()
        self.threads.reload()
        if current is not None and not self.open_thread(current.id):
            self.panel.set_thread(None)

    def open_thread(self, thread_id: int, message_id: int = 0) -> bool:
        """Select a thread (and scroll to one of its messages); False if there is no such
        thread."""
        row = self.threads.row_of(thread_id)
        if row < 0:
            return False
        self.thread_list.setCurrentIndex(self.threads.index(row))
        self.thread_list.scrollTo(self.threads.index(row))
        if message_id:
            return self.panel.show_message(message_id)
        return True

    def current_thread(self) -> ThreadItem | None:
        item = self.thread_list.currentIndex().data(ThreadRole)
        return item if isinstance(item, ThreadItem) else None

    def total_unread(self) -> int:
        return self.threads.total_unread()

    # --- search ---------------------------------------------------------------------------------

    def run_search(self) -> None:
        """Search for what the box holds now (see "Search runs on the UI thread")."""
        text = self.search_box.text().strip()
        self.hits.clear()
        if not text:
            self._show_left()
            return
        found = self.source.search_messages(text, SEARCH_LIMIT)
        for hit in found:
            row = QStandardItem(hit.snippet)
            row.setData(hit, HitRole)
            row.setData(f"{hit.thread_title}. {hit.sender_name}: {hit.snippet}",
                        Qt.ItemDataRole.AccessibleTextRole)
            row.setToolTip(hit.thread_title)
            row.setEditable(False)
            self.hits.appendRow(row)
        if found:
            self.hit_count.setText(self.tr("1 message found") if len(found) == 1 else
                                   self.tr("{n} messages found").format(n=len(found)))
            self.hit_list.setCurrentIndex(self.hits.index(0, 0))
        else:
            self.hit_count.setText(self.tr("No messages match “{text}”.").format(text=text))
        self.left_stack.setCurrentIndex(1)

    def hit_at(self, row: int) -> MessageHit | None:
        hit = self.hits.index(row, 0).data(HitRole)
        return hit if isinstance(hit, MessageHit) else None

    def _hit_chosen(self, index: QModelIndex) -> None:
        hit = index.data(HitRole)
        if isinstance(hit, MessageHit):
            self.open_thread(hit.thread_id, hit.message_id)
            self.panel.list.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress and isinstance(
                event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and self.search_box.text():
                self.search_box.clear()
                return True
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shown = self.hit_list if self.left_stack.currentIndex() == 1 else self.thread_list
                shown.setFocus()
                return True
        return super().eventFilter(watched, event)

    # --- the selected thread --------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = current.data(ThreadRole)
        if isinstance(item, ThreadItem):
            self.panel.set_thread(item.id, item.title)
        else:
            self.panel.set_thread(None)
        self._update_order_button()

    def _update_order_button(self) -> None:
        item = self.current_thread()
        self.open_order_button.setVisible(item is not None and item.order_id is not None)

    def _open_order(self) -> None:
        item = self.current_thread()
        if item is not None and item.order_id is not None:
            self.order_requested.emit(int(item.order_id))

    def _show_left(self, *_args: object) -> None:
        if self.search_box.text().strip():
            self.left_stack.setCurrentIndex(1)
        elif self.threads.rowCount():
            self.left_stack.setCurrentIndex(0)
        else:
            self.left_stack.setCurrentIndex(2)
