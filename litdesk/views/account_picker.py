"""Choosing which demo account to use: the demo database has one of each kind of person."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.orders import Role
from litdesk.domain.wire import UserOut
from litdesk.views.text_styles import as_muted, as_title

ROLE_TITLES: dict[Role, str] = {  # the domain's role labels are sentence subjects ("An …")
    Role.INFLUENCER: "Influencer",
    Role.ADVERTISER: "Advertiser",
    Role.MEDIATOR: "Mediator",
    Role.PAYMENT_SYSTEM: "Payment system",
    Role.BRAND_STAFF: "Brand logistics",
    Role.CREATOR: "Creator",
}


class AccountPicker(QDialog):
    """A list of accounts (name, email, role); Enter or double-click uses the selected one and
    emits ``account_chosen(email)``."""

    account_chosen = Signal(str)

    def __init__(self, accounts: Sequence[UserOut], *, preselect: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a demo account")
        self.resize(560, 420)

        title = QLabel("Who are you today?")
        as_title(title)
        hint = QLabel("The demo has a few people in every role. Pick one to see LitDesk as "
                      "they do; you can switch later with File, Sign out.")
        hint.setWordWrap(True)
        as_muted(hint)

        self.list = QTreeWidget()
        self.list.setColumnCount(3)
        self.list.setHeaderLabels(["Name", "Email", "Role"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        # A little air between rows: the default is dense for a list read line by line.
        row_height = self.list.fontMetrics().height() + 10
        for account in accounts:
            role = Role(account.role)
            item = QTreeWidgetItem([account.name, account.email,
                                    ROLE_TITLES[role]])
            item.setData(0, Qt.ItemDataRole.UserRole, account.email)
            item.setSizeHint(0, QSize(0, row_height))
            self.list.addTopLevelItem(item)
        self.list.doubleClicked.connect(lambda _index: self.accept())

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this account")
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.itemSelectionChanged.connect(self._update_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)

        self._select(preselect)
        self.list.setFocus()

    def selected_email(self) -> str | None:
        items = self.list.selectedItems()
        if not items:
            return None
        email = items[0].data(0, Qt.ItemDataRole.UserRole)
        return str(email)

    def accept(self) -> None:
        email = self.selected_email()
        if email is None:
            return
        super().accept()
        self.account_chosen.emit(email)

    def _select(self, email: str) -> None:
        for row in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(row)
            if item is not None and (row == 0 or item.data(0, Qt.ItemDataRole.UserRole) == email):
                self.list.setCurrentItem(item)
        self._update_button()

    def _update_button(self) -> None:
        self.ok_button.setEnabled(self.selected_email() is not None)
