"""Signing in to a remote server: email, password, the server it goes to, and why it failed.

The dialog never signs in itself: it emits ``sign_in_requested(email, password)`` and the
composition root runs the login off the UI thread, then calls ``show_error`` or ``accept``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from litdesk.services.errors import describe
from litdesk.views.text_styles import as_error, as_muted, as_title


class SignInDialog(QDialog):
    """Asks for an email and a password for ``server_url``; stays open (busy) while the
    sign-in runs and shows the error line if it fails."""

    sign_in_requested = Signal(str, str)  # email, password

    def __init__(self, server_url: str, *, email: str = "", notice: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to LitDesk")
        self.setMinimumWidth(420)
        self._busy = False

        title = QLabel("Sign in")
        as_title(title)
        self.server_label = QLabel(f"Server: {server_url}")
        as_muted(self.server_label)
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Shown before the form: why we ask (session ended, no keyring, …).
        self.notice_label = QLabel(notice)
        self.notice_label.setWordWrap(True)
        self.notice_label.setVisible(bool(notice))

        self.email_edit = QLineEdit(email)
        self.email_edit.setPlaceholderText("you@example.com")
        self.email_edit.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Email", self.email_edit)
        form.addRow("Password", self.password_edit)

        self.error_label = QLabel()
        as_error(self.error_label)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: we cannot know how long a server takes
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(6)
        self.busy_bar.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText("Sign in")
        self.sign_in_button.setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.server_label)
        layout.addWidget(self.notice_label)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.buttons)

        self.email_edit.textChanged.connect(self._update_button)
        self.password_edit.textChanged.connect(self._update_button)
        self._update_button()
        (self.password_edit if email else self.email_edit).setFocus()

    # --- what the composition root calls ---

    def email(self) -> str:
        return self.email_edit.text().strip()

    def is_busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """While signing in: inputs locked, a moving bar, the button says what is happening."""
        self._busy = busy
        self.email_edit.setEnabled(not busy)
        self.password_edit.setEnabled(not busy)
        self.busy_bar.setVisible(busy)
        self.sign_in_button.setText("Signing in…" if busy else "Sign in")
        self._update_button()

    def show_error(self, error: BaseException | str) -> None:
        """Ends the busy state and says why; the password is cleared for another try."""
        self.set_busy(False)
        self.error_label.setText(error if isinstance(error, str) else describe(error))
        self.error_label.show()
        self.password_edit.clear()
        self.password_edit.setFocus()

    # --- internals ---

    def _update_button(self) -> None:
        ready = bool(self.email()) and bool(self.password_edit.text())
        self.sign_in_button.setEnabled(ready and not self._busy)

    def _submit(self) -> None:
        if self._busy or not self.sign_in_button.isEnabled():
            return
        self.error_label.hide()
        self.set_busy(True)
        self.sign_in_requested.emit(self.email(), self.password_edit.text())
