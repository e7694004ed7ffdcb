"""LitDesk's main window: the order board beside the open order (``OrderView``, which holds the
quick-message panel on its own right), the Messages area, the File and View menus, a toolbar
that switches views, an error banner and the sync status bar.

The window owns no services: it shows what it is given and emits what the person asks for
(``settings_requested``, ``sign_out_requested``…); the composition root does the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from litdesk.views.banner import Banner
from litdesk.views.order_view import OrderView
from litdesk.views.status_line import StatusLine
from litdesk.views.text_styles import as_muted, as_title

VIEWS = ("orders", "messages", "shipping")
_VIEW_TITLES = {"orders": "Orders", "messages": "Messages", "shipping": "Shipping"}


def _coming_soon(title: str) -> QWidget:
    page = QWidget()
    heading = QLabel(title)
    as_title(heading)
    heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
    text = QLabel("Coming soon in LitDesk.")
    text.setAlignment(Qt.AlignmentFlag.AlignCenter)
    as_muted(text)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(heading)
    layout.addWidget(text)
    layout.addStretch(2)
    return page


class MainWindow(QMainWindow):
    """The board (``set_board``) and the ``OrderView`` side by side in a splitter, with pages
    for Messages and Shipping, menus, a ``Banner`` and a ``StatusLine``."""

    settings_requested = Signal()
    sign_out_requested = Signal()
    sign_in_requested = Signal()
    view_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LitDesk")
        self.resize(1280, 800)

        self.order_view = OrderView()
        self._board_holder = QStackedWidget()
        self._board_holder.addWidget(self._waiting_board())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._board_holder)
        self.splitter.addWidget(self.order_view)
        # The order view (details, actions, events log, and the quick messages on its right)
        # needs the larger share; the board keeps enough for its tabs and main columns and
        # takes what a wider window adds.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([500, 780])

        self.pages = QStackedWidget()
        self._page_index: dict[str, int] = {}
        self._placeholders: dict[str, QWidget] = {}
        for name in VIEWS:
            page = self.splitter if name == "orders" else _coming_soon(_VIEW_TITLES[name])
            if name != "orders":
                self._placeholders[name] = page
            self._page_index[name] = self.pages.addWidget(page)

        self.banner = Banner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.status_line = StatusLine()
        self.account_label = QLabel()
        as_muted(self.account_label)
        self.statusBar().addWidget(self.account_label)
        self.statusBar().addPermanentWidget(self.status_line)
        self.statusBar().setSizeGripEnabled(False)

        self._build_menus()
        self._build_toolbar()
        self.show_view("orders")

    # --- menus ---

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.settings_requested)
        self.sign_in_action = QAction("Sign &in…", self)
        self.sign_in_action.triggered.connect(self.sign_in_requested)
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.sign_in_action)
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.set_signed_in(False)

        view_menu = self.menuBar().addMenu("&View")
        self.view_menu = view_menu
        self._view_options: list[QAction] = []
        group = QActionGroup(self)
        group.setExclusive(True)
        self.view_actions: dict[str, QAction] = {}
        for number, name in enumerate(VIEWS, start=1):
            action = QAction(_VIEW_TITLES[name], self, checkable=True)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, name=name: self.show_view(name))
            group.addAction(action)
            view_menu.addAction(action)
            self.view_actions[name] = action

    def _build_toolbar(self) -> None:
        """The views as tabs-like buttons (their shortcuts are Ctrl+1…3), then room on the right
        for what a session adds (the notifications button)."""
        bar = QToolBar("Views")
        bar.setObjectName("views-toolbar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for name in VIEWS:
            bar.addAction(self.view_actions[name])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.toolbar = bar
        self._session_tools: list[QAction] = []
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    @staticmethod
    def _waiting_board() -> QWidget:
        label = QLabel("Loading your orders…")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        as_muted(label)
        return label

    # --- what the composition root calls ---

    def set_board(self, board: QWidget) -> None:
        """Put the order board (built over the session's model) on the left."""
        old = self._board_holder.widget(1)
        if old is not None:
            self._board_holder.removeWidget(old)
            old.deleteLater()
        self._board_holder.addWidget(board)
        self._board_holder.setCurrentWidget(board)

    def clear_board(self, text: str = "Loading your orders…") -> None:
        waiting = self._board_holder.widget(0)
        if isinstance(waiting, QLabel):
            waiting.setText(text)
        old = self._board_holder.widget(1)
        if old is not None:
            self._board_holder.removeWidget(old)
            old.deleteLater()
        self._board_holder.setCurrentIndex(0)
        self.order_view.clear()

    def board(self) -> QWidget | None:
        return self._board_holder.widget(1)

    def set_page(self, name: str, widget: QWidget | None) -> None:
        """Show ``widget`` as the ``name`` view ("messages", "shipping"); None puts the
        placeholder back. The window does not delete a page it is given."""
        index = self._page_index[name]
        current = self.pages.widget(index)
        page = widget if widget is not None else self._placeholders[name]
        if current is page:
            return
        showing = self.pages.currentIndex() == index
        if current is not None:
            self.pages.removeWidget(current)
        self.pages.insertWidget(index, page)
        if showing:
            self.pages.setCurrentIndex(index)

    def page(self, name: str) -> QWidget | None:
        return self.pages.widget(self._page_index[name])

    def set_view_badge(self, name: str, count: int) -> None:
        """A count after a view's title (unread messages), none when 0."""
        title = _VIEW_TITLES[name]
        action = self.view_actions[name]
        action.setText(f"{title} ({count})" if count else title)
        action.setToolTip(f"{title}: {count} unread" if count else title)

    def add_view_option(self, action: QAction) -> None:
        """A setting of the app at the end of the View menu (desktop notifications)."""
        if not self._view_options:
            self.view_menu.addSeparator()
        self._view_options.append(action)
        self.view_menu.addAction(action)

    def add_session_tool(self, widget: QWidget) -> None:
        """A widget for the right end of the toolbar, removed by ``clear_session_tools``."""
        self._session_tools.append(self.toolbar.addWidget(widget))

    def clear_session_tools(self) -> None:
        for action in self._session_tools:
            self.toolbar.removeAction(action)
        self._session_tools.clear()

    def current_view(self) -> str:
        index = self.pages.currentIndex()
        return next(name for name, i in self._page_index.items() if i == index)

    def show_view(self, name: str) -> None:
        if name not in self._page_index:
            raise ValueError(f"unknown view {name!r}; expected one of {', '.join(VIEWS)}")
        self.pages.setCurrentIndex(self._page_index[name])
        self.view_actions[name].setChecked(True)
        self.view_changed.emit(name)

    def set_account(self, name: str, detail: str = "") -> None:
        """Who is signed in (window title and status bar), e.g. ("Maya Laurent", "Influencer")."""
        self.setWindowTitle(f"LitDesk — {name}" if name else "LitDesk")
        self.account_label.setText(f"{name} · {detail}" if detail else name)

    def set_signed_in(self, signed_in: bool, *, can_sign_out: bool = True) -> None:
        self.sign_out_action.setVisible(signed_in)
        self.sign_out_action.setEnabled(can_sign_out)
        self.sign_in_action.setVisible(not signed_in)

    def show_error(self, text: str) -> None:
        """Something the person must read (a refused change): the banner, until dismissed."""
        self.banner.show_message(text, "error")

    def show_notice(self, text: str) -> None:
        self.banner.show_message(text, "info")

    def show_status_message(self, text: str, timeout_ms: int = 8000) -> None:
        """Something worth a glance (signed out, settings saved): the status bar, briefly."""
        self.statusBar().showMessage(text, timeout_ms)
