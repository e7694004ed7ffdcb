"""Which server LitDesk talks to: the built-in one (no URL) or a team server."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from litdesk.views.text_styles import as_error, as_muted


def check_server_url(text: str) -> tuple[str, str]:
    """``(normalised URL, problem)``: an empty text means the built-in server; otherwise an
    http(s) URL with a host. ``problem`` is empty when the text is usable."""
    text = text.strip()
    if not text:
        return "", ""
    url = QUrl(text, QUrl.ParsingMode.StrictMode)
    if not url.isValid() or url.scheme() not in ("http", "https"):
        return text, "Enter an address that starts with https:// or http://"
    if not url.host():
        return text, "The address needs a server name, e.g. https://litdesk.example.com."
    if url.hasQuery() or url.hasFragment():
        return text, "Leave out everything after ? or #."
    return url.toString().rstrip("/"), ""


class SettingsDialog(QDialog):
    """Edits the server URL; OK is only enabled for an empty or a valid http(s) URL."""

    def __init__(self, server_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LitDesk settings")
        self.setMinimumWidth(480)

        self.url_edit = QLineEdit(server_url)
        self.url_edit.setPlaceholderText("Built-in server on this computer")
        self.url_edit.setClearButtonEnabled(True)
        hint = QLabel("Leave empty to keep your orders on this computer with LitDesk's built-in "
                      "server. Enter your team's server address to work together.")
        hint.setWordWrap(True)
        as_muted(hint)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        as_error(self.problem_label)
        self.problem_label.hide()

        # The hint and the problem sit under the field, aligned with it, not under the label.
        form = QFormLayout()
        form.addRow("Server", self.url_edit)
        form.addRow("", hint)
        form.addRow("", self.problem_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.url_edit.textChanged.connect(self._validate)
        self._validate()

    def server_url(self) -> str:
        """The normalised URL; empty means the built-in server."""
        return check_server_url(self.url_edit.text())[0]

    def _validate(self) -> None:
        _url, problem = check_server_url(self.url_edit.text())
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.ok_button.setEnabled(not problem)
