"""The quick-message panel: one thread's messages, newest at the bottom, and the composer.

``MessagePanel(source, actions)`` shows the thread given to ``set_thread(thread_id, title)``:
a header with the title, the unread count and "Jump to first unread"; the messages (a
``QListView`` over ``ThreadMessagesModel`` painted by ``MessageDelegate``); the composer. It
reads through ``source`` (``LocalCache`` satisfies ``PanelSource``) and acts through
``actions`` (``SyncEngine`` satisfies ``MessageActions``): the view never imports either.
The app forwards the engine's ``changed`` to ``apply`` and ``attachment_fetched`` /
``attachment_failed`` to ``on_attachment_fetched`` / ``on_attachment_failed``.

Keys on the message list: Ctrl+R retries a failed message, Delete discards an unsent one,
Enter opens the message's attachment, Ctrl+S saves it, the Menu key (or Shift+F10) opens the
context menu with all of these.

Decisions
---------
* **Older pages load at the top, by hand.** Qt's views fetch more when their *last* row is
  visible, which in a chat (newest at the bottom) would load the whole thread page after page.
  So the list sees the model through a proxy that never offers more, and the panel fetches when
  the list is scrolled to the top, then scrolls by what was inserted above the row that was at
  the top: the person's view does not move.
* **Stuck to the bottom.** While the newest message is in view, the list stays at the bottom
  when messages arrive or rows grow (a thumbnail appears); scrolled up, it stays where it is.
  Sending always goes back to the bottom.
* **Read when seen.** The thread is marked read (up to its newest server message) when that
  message is visible and the window is active: on opening, scrolling, new messages and window
  activation, coalesced by a short timer; never more than once per message.
* **"Jump to first unread"** goes to the oldest message that was unread when the thread was
  opened (or that arrived unread since), loading older pages until it is there, even after the
  panel has marked the thread read: the button stays useful to someone who opened the thread
  and wants to read from where they left off.
* **Attachments.** Opening fetches the file (once; kept beside the cache) and hands it to
  ``open_url`` (``QDesktopServices.openUrl``); saving asks for a path (``choose_save_path``,
  ``QFileDialog``) and has the engine copy it there. Both dialogs and the opener are
  injectable so tests never meet a modal dialog. Images are fetched when first laid out so
  their thumbnails appear. A local echo's files are on this machine already.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import (
    QEvent,
    QIdentityProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from litdesk.models.thread_messages import PAGE_SIZE, MessageSource, ThreadMessagesModel
from litdesk.services.records import FAILED, AttachmentRef, ChangeSet, MessageItem, ThreadItem
from litdesk.views.banner import Banner
from litdesk.views.composer import MAX_ATTACHMENT_BYTES, ChooseFiles, Composer
from litdesk.views.message_delegate import ATTACHMENT, DISCARD, RETRY, MessageDelegate
from litdesk.views.text_styles import as_heading, as_muted

ModelIndex = QModelIndex | QPersistentModelIndex
ChooseSavePath = Callable[[QWidget, str], str]
OpenUrl = Callable[[QUrl], bool]

READ_DELAY_MS = 150
_BOTTOM_SLACK = 2  # pixels from the bottom that still count as "at the bottom"
OPEN, SAVE = "open", "save"


class MessageActions(Protocol):
    """What the panel asks of the sync engine (``SyncEngine`` has exactly these)."""

    def send_message(self, thread_id: int, text: str, files: Sequence[Path] = ...) -> None: ...

    def retry_message(self, local_id: int) -> None: ...

    def discard_message(self, local_id: int) -> None: ...

    def mark_read(self, thread_id: int, last_message_id: int) -> None: ...

    def fetch_attachment(self, attachment_id: str, target: Path | None = ...) -> None: ...


class PanelSource(MessageSource, Protocol):
    """What the panel reads (``LocalCache``): the model's pages and the thread's header."""

    def thread(self, thread_id: int) -> ThreadItem | None: ...


def _choose_save_path(parent: QWidget, name: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, parent.tr("Save attachment"), name)
    return path


class ElidedLabel(QLabel):
    """A one-line label that gives up width and elides its text (the full text in the
    tooltip), so a long thread title never makes the side panel wider."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                   max(self.width(), 0)))


class _ManualFetch(QIdentityProxyModel):
    """The model as the list sees it: never offering more (see "Older pages load at the top")."""

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return False

    def fetchMore(self, parent: ModelIndex) -> None:
        return


class MessageList(QListView):
    """The list of messages; turns the panel's keys into ``command`` (see the module's
    docstring)."""

    command = Signal(str)  # RETRY, DISCARD, OPEN, SAVE, "menu"

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = mods == Qt.KeyboardModifier.ControlModifier
        plain = mods == Qt.KeyboardModifier.NoModifier
        command = ""
        if key == Qt.Key.Key_R and ctrl:
            command = RETRY
        elif key == Qt.Key.Key_Delete and plain:
            command = DISCARD
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            command = OPEN
        elif key == Qt.Key.Key_S and ctrl:
            command = SAVE
        elif key == Qt.Key.Key_Menu or (key == Qt.Key.Key_F10
                                        and mods == Qt.KeyboardModifier.ShiftModifier):
            command = "menu"
        if command and self.currentIndex().isValid():
            self.command.emit(command)
            event.accept()
            return
        super().keyPressEvent(event)


class MessagePanel(QWidget):
    """One thread and its composer (see the module's docstring)."""

    thread_changed = Signal(int)  # the thread shown (0: none)

    def __init__(self, source: PanelSource, actions: MessageActions,
                 parent: QWidget | None = None, *, page_size: int = PAGE_SIZE,
                 max_bytes: int = MAX_ATTACHMENT_BYTES, choose_files: ChooseFiles | None = None,
                 choose_save_path: ChooseSavePath | None = None,
                 open_url: OpenUrl | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.message_actions = actions
        self.choose_save_path: ChooseSavePath = choose_save_path or _choose_save_path
        self.open_url: OpenUrl = open_url or QDesktopServices.openUrl
        self.model = ThreadMessagesModel(source, self, page_size=page_size)
        self.proxy = _ManualFetch(self)
        self.proxy.setSourceModel(self.model)
        self._title = ""
        self._jump_target: int | None = None
        self._read_sent = 0
        self._stick = True
        self._loading = False
        self._opening = False
        self._fetches: dict[str, tuple[str, str]] = {}  # attachment id: (OPEN/SAVE, name)
        self._thumbs_asked: set[str] = set()

        self.title_label = ElidedLabel()
        as_heading(self.title_label)
        self.unread_label = QLabel()
        as_muted(self.unread_label)
        self.jump_button = QPushButton(self.tr("&Jump to first unread"))
        self.jump_button.setToolTip(self.tr("Scroll to the oldest message you had not read"))
        self.jump_button.clicked.connect(self.jump_to_first_unread)
        self.header_layout = QHBoxLayout()
        self.header_layout.setContentsMargins(10, 8, 8, 4)
        self.header_layout.setSpacing(8)
        self.header_layout.addWidget(self.title_label, 1)
        self.header_layout.addWidget(self.unread_label)
        self.header_layout.addWidget(self.jump_button)
        self.banner = Banner()

        self.list = self._make_list()
        self.delegate = MessageDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.delegate.image_wanted.connect(self._fetch_thumbnail)
        self.delegate.part_clicked.connect(self._part_clicked)
        self.delegate.part_double_clicked.connect(self._part_double_clicked)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        as_muted(self.empty_label)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.list)

        self.composer = Composer(max_bytes=max_bytes, choose_files=choose_files)
        self.composer.send_requested.connect(self.send)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self.header_layout)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.composer)

        self._read_timer = QTimer(self)
        self._read_timer.setSingleShot(True)
        self._read_timer.setInterval(READ_DELAY_MS)
        self._read_timer.timeout.connect(self.check_read)
        bar = self.list.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._rows_changed)
        self.set_thread(None)

    def _make_list(self) -> MessageList:
        view = MessageList()
        view.setModel(self.proxy)
        view.setAccessibleName(self.tr("Messages"))
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(False)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.command.connect(self._command)
        view.verticalScrollBar().setSingleStep(24)
        return view

    # --- what the app calls ---------------------------------------------------------------------

    def thread_id(self) -> int | None:
        return self.model.thread_id()

    def set_thread(self, thread_id: int | None, title: str = "") -> None:
        """Show a thread (None: none), scrolled to its newest message."""
        if thread_id is not None and thread_id == self.model.thread_id():
            if title:
                self._set_title(title)
            return
        self._opening = True
        try:
            self._jump_target = None
            self._read_sent = 0
            self._stick = True
            self.banner.dismiss()
            self.model.set_thread(thread_id)
            self._set_title(title)
            self.composer.setEnabled(thread_id is not None)
            self._refresh_header()
            self._scroll_to_bottom()
        finally:
            self._opening = False
        self.thread_changed.emit(thread_id or 0)
        self._read_timer.start()

    def apply(self, changes: ChangeSet) -> None:
        """Fold a batch from the engine in (connect ``SyncEngine.changed`` here)."""
        thread_id = self.model.thread_id()
        if thread_id is None:
            return
        self.model.apply(changes)
        if thread_id in changes.threads or thread_id in changes.messages:
            self._refresh_header()
        self._read_timer.start()

    def on_attachment_fetched(self, attachment_id: str, path: str) -> None:
        """The engine has the file (connect ``SyncEngine.attachment_fetched`` here)."""
        wanted = self._fetches.pop(attachment_id, None)
        if wanted is None:
            return  # a thumbnail (the model's update brings it), or another panel's
        kind, name = wanted
        if kind == OPEN:
            if not self.open_url(QUrl.fromLocalFile(path)):
                self.banner.show_message(self.tr("No application opens {name}.").format(
                    name=name), "error")
        else:
            self.banner.show_message(self.tr("Saved {name} to {path}.").format(
                name=name, path=path), "info")

    def on_attachment_failed(self, attachment_id: str, text: str) -> None:
        """The engine could not get the file (connect ``SyncEngine.attachment_failed``)."""
        wanted = self._fetches.pop(attachment_id, None)
        if wanted is not None:
            self.banner.show_message(self.tr("{name}: {why}").format(name=wanted[1], why=text),
                                     "error")

    # --- reading --------------------------------------------------------------------------------

    def unread(self) -> int:
        """The thread's unread count as the header shows it."""
        thread_id = self.model.thread_id()
        info = self.source.thread(thread_id) if thread_id is not None else None
        return info.unread if info else 0

    def current_item(self) -> MessageItem | None:
        index = self.list.currentIndex()
        return self.model.item(index.row()) if index.isValid() else None

    def index_of(self, row: int) -> QModelIndex:
        """The list's index of a model row."""
        return self.proxy.index(row, 0)

    def is_row_visible(self, row: int) -> bool:
        rect = self.list.visualRect(self.index_of(row))
        return rect.isValid() and self.list.viewport().rect().intersects(rect)

    def _set_title(self, title: str) -> None:
        thread_id = self.model.thread_id()
        if not title and thread_id is not None:
            info = self.source.thread(thread_id)
            title = info.title if info else ""
        self._title = title
        self.title_label.set_full_text(title or self.tr("Messages"))

    def _refresh_header(self) -> None:
        thread_id = self.model.thread_id()
        count = self.unread()
        self.unread_label.setText(self.tr("{n} unread").format(n=count) if count else "")
        if thread_id is not None and self._jump_target is None and count:
            self._jump_target = self.source.first_unread(thread_id)
        self.jump_button.setEnabled(self._jump_target is not None)
        self._update_empty()

    def _update_empty(self) -> None:
        if self.model.thread_id() is None:
            self.empty_label.setText(self.tr("Choose a thread to read its messages."))
        else:
            self.empty_label.setText(self.tr("No messages yet — write the first one."))
        self.stack.setCurrentWidget(self.list if self.model.rowCount() else self.empty_label)

    # --- scrolling ------------------------------------------------------------------------------

    def fetch_older(self) -> int:
        """Load the next older page above, keeping what is on screen where it is; returns how
        many messages came in."""
        if self._loading or not self.model.has_older():
            return 0
        self._loading = True
        try:
            top = self.list.indexAt(QPoint(1, 1))
            anchor = QPersistentModelIndex(top if top.isValid() else self.index_of(0))
            before = self.list.visualRect(self.index_of(anchor.row())).top()
            count = self.model.rowCount()
            self.model.fetchMore(QModelIndex())
            added = self.model.rowCount() - count
            if added:
                self.list.doItemsLayout()
                after = self.list.visualRect(self.index_of(anchor.row())).top()
                bar = self.list.verticalScrollBar()
                bar.setValue(bar.value() + after - before)
            return added
        finally:
            self._loading = False

    def show_message(self, message_id: int) -> bool:
        """Scroll to a message (loading older pages until it is there) and make it current;
        False if the thread has no such message."""
        row = self.model.row_of(message_id)
        while row < 0 and message_id > 0 and self.model.has_older() and (
                self.model.rowCount() == 0 or self.model.item(0).id > message_id):
            if not self.model.canFetchMore(QModelIndex()):
                break
            count = self.model.rowCount()
            self.model.fetchMore(QModelIndex())
            if self.model.rowCount() == count:
                break
            row = self.model.row_of(message_id)
        if row < 0:
            return False
        index = self.index_of(row)
        self._stick = False
        self.list.doItemsLayout()
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        self.list.setCurrentIndex(index)
        self._read_timer.start()
        return True

    def jump_to_first_unread(self) -> bool:
        """Scroll to the first unread message (see "Jump to first unread")."""
        if self._jump_target is None:
            return False
        shown = self.show_message(self._jump_target)
        if shown:
            self.list.setFocus()
        return shown

    def _scroll_to_bottom(self) -> None:
        self._stick = True
        self._update_empty()
        self.list.doItemsLayout()
        self.list.scrollToBottom()

    def _scrolled(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        self._stick = value >= bar.maximum() - _BOTTOM_SLACK
        if (value <= bar.minimum() and bar.maximum() > bar.minimum() and not self._opening
                and self.model.has_older()):
            self.fetch_older()
        self._read_timer.start()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick and not self._loading:
            self.list.verticalScrollBar().setValue(maximum)

    def _rows_changed(self, *_args: object) -> None:
        self._update_empty()
        self._read_timer.start()

    # --- marking read ---------------------------------------------------------------------------

    def check_read(self) -> None:
        """Mark the thread read if its newest message is on screen in the active window."""
        thread_id = self.model.thread_id()
        count = self.model.rowCount()
        if thread_id is None or not count or not self._window_active():
            return
        if not self.is_row_visible(count - 1):
            return
        newest = next((self.model.item(r).id for r in range(count - 1, -1, -1)
                       if self.model.item(r).id > 0), 0)
        if newest <= self._read_sent:
            return
        self._read_sent = newest
        if self.unread():
            self.message_actions.mark_read(thread_id, newest)

    def _window_active(self) -> bool:
        return self.isVisible() and self.window().isActiveWindow()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ActivationChange:
            self._read_timer.start()
        super().changeEvent(event)

    # --- acting ---------------------------------------------------------------------------------

    def send(self, text: str, files: list[Path]) -> None:
        """Send what the composer wrote to the thread shown."""
        thread_id = self.model.thread_id()
        if thread_id is None:
            return
        self._stick = True
        self.message_actions.send_message(thread_id, text, files)
        self.list.scrollToBottom()

    def retry(self, index: ModelIndex) -> bool:
        item = self._item(index)
        if item is None or not item.is_local or item.state != FAILED:
            return False
        self.message_actions.retry_message(item.local_id)
        return True

    def discard(self, index: ModelIndex) -> bool:
        item = self._item(index)
        if item is None or not item.is_local:
            return False
        self.message_actions.discard_message(item.local_id)
        return True

    def open_attachment(self, index: ModelIndex, number: int = 0) -> bool:
        """Open an attachment of the message with the desktop's application for it."""
        ref = self._attachment(index, number)
        if ref is None:
            return False
        if ref.local_path and Path(ref.local_path).is_file():
            if not self.open_url(QUrl.fromLocalFile(ref.local_path)):
                self.banner.show_message(self.tr("No application opens {name}.").format(
                    name=ref.name), "error")
            return True
        self._fetches[ref.id] = (OPEN, ref.name)
        self.message_actions.fetch_attachment(ref.id)
        return True

    def save_attachment(self, index: ModelIndex, number: int = 0) -> bool:
        """Save an attachment where the person chooses."""
        ref = self._attachment(index, number)
        if ref is None:
            return False
        chosen = self.choose_save_path(self, ref.name)
        if not chosen:
            return False
        if not ref.id and ref.local_path:  # a local echo's own copy: not on the server yet
            try:
                shutil.copyfile(ref.local_path, chosen)
            except OSError as error:
                self.banner.show_message(self.tr("Cannot save {name}: {why}.").format(
                    name=ref.name, why=error.strerror or error), "error")
                return False
            self.banner.show_message(self.tr("Saved {name} to {path}.").format(
                name=ref.name, path=chosen), "info")
            return True
        self._fetches[ref.id] = (SAVE, ref.name)
        self.message_actions.fetch_attachment(ref.id, Path(chosen))
        return True

    def _item(self, index: ModelIndex) -> MessageItem | None:
        return self.model.item(index.row()) if index.isValid() else None

    def _attachment(self, index: ModelIndex, number: int) -> AttachmentRef | None:
        item = self._item(index)
        if item is None or not 0 <= number < len(item.attachments):
            return None
        return item.attachments[number]

    def _fetch_thumbnail(self, attachment_id: str) -> None:
        if attachment_id not in self._thumbs_asked:
            self._thumbs_asked.add(attachment_id)
            self.message_actions.fetch_attachment(attachment_id)

    def _part_clicked(self, index: QModelIndex, part: str, _number: int) -> None:
        self.list.setCurrentIndex(index)
        if part == RETRY:
            self.retry(index)
        elif part == DISCARD:
            self.discard(index)

    def _part_double_clicked(self, index: QModelIndex, part: str, number: int) -> None:
        if part == ATTACHMENT or (not part and self._attachment(index, 0) is not None):
            self.open_attachment(index, max(number, 0))

    def _command(self, command: str) -> None:
        index = self.list.currentIndex()
        item = self._item(index)
        if item is None:
            return
        if command == RETRY:
            self.retry(index)
        elif command == DISCARD:
            self.discard(index)
        elif command in (OPEN, SAVE) and len(item.attachments) == 1:
            (self.open_attachment if command == OPEN else self.save_attachment)(index, 0)
        elif command in (OPEN, SAVE, "menu"):
            rect = self.list.visualRect(index)
            self._context_menu(QPoint(rect.left() + 16, rect.top() + 16))

    # --- the context menu -----------------------------------------------------------------------

    def menu_for(self, index: ModelIndex) -> QMenu:
        """The context menu of a message: retry/discard for an unsent one, open and save each
        attachment, copy the text."""
        menu = QMenu(self)
        item = self._item(index)
        if item is None:
            return menu
        target = QPersistentModelIndex(index)
        if item.is_local:
            retry = self._menu_action(menu, self.tr("&Retry sending"), "Ctrl+R",
                                      lambda: self.retry(target))
            retry.setEnabled(item.state == FAILED)
            self._menu_action(menu, self.tr("&Discard"), "Del", lambda: self.discard(target))
            menu.addSeparator()
        for number, ref in enumerate(item.attachments):
            shortcut = len(item.attachments) == 1
            self._menu_action(menu, self.tr("&Open {name}").format(name=ref.name),
                              "Return" if shortcut else "",
                              partial(self.open_attachment, target, number))
            self._menu_action(menu, self.tr("&Save {name} as…").format(name=ref.name),
                              "Ctrl+S" if shortcut else "",
                              partial(self.save_attachment, target, number))
        if item.attachments:
            menu.addSeparator()
        if item.text:
            self._menu_action(menu, self.tr("&Copy text"), "",
                              lambda: QGuiApplication.clipboard().setText(item.text))
        return menu

    def _menu_action(self, menu: QMenu, text: str, shortcut: str,
                     slot: Callable[[], object]) -> QAction:
        # The key is shown after a tab, not registered: the list handles the keys itself.
        action = menu.addAction(f"{text}\t{shortcut}" if shortcut else text)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _context_menu(self, pos: QPoint) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            index = self.list.currentIndex()
        if not index.isValid():
            return
        self.list.setCurrentIndex(index)
        menu = self.menu_for(index)
        if not menu.isEmpty():
            menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()
