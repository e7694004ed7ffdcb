"""The composer under a thread: a multi-line text box, the files waiting to go as chips, and
Attach and Send buttons.

Enter sends and Shift+Enter starts a new line. Files come by the Attach button (a file dialog),
by dropping them on the composer, or by pasting (files copied in a file manager, or an image on
the clipboard, which is saved as a PNG in a temporary folder first). ``send_requested(text,
files)`` hands the message over; the composer then empties itself.

Decisions
---------
* **Checked on the spot.** A file over the limit (10 MiB, the server's), missing, empty or one
  too many is refused when it is attached, with a sentence naming it and its size, worded like
  the sync engine's own check (which runs again when the message is queued): the person learns
  at once, not after typing the message.
* **Send is disabled** while there is neither text nor a file, so an empty message cannot be
  sent by the button; Enter on an empty box does nothing either.
* **The file dialog is injectable** (``choose_files``) so tests never meet a modal dialog.
* **Pasted images** live in a ``QTemporaryDir`` owned by the composer until it is destroyed:
  the engine copies each file beside the cache when the message is queued, so the temporary
  copy is not needed afterwards but costs nothing to keep until then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, QTemporaryDir, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from litdesk.views.message_delegate import file_size
from litdesk.views.text_styles import as_error

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # the server's default limit (services/messages.py)
MAX_ATTACHMENTS = 20
MAX_TEXT = 20_000
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

ChooseFiles = Callable[[QWidget], Sequence[str]]


def megabytes(size: int) -> str:
    """A size in MB (MiB, as the server counts) with one decimal, none when it is whole."""
    value = f"{size / (1024 * 1024):.1f}"
    return value[:-2] if value.endswith(".0") else value


def too_large(name: str, size: int, limit: int) -> str:
    """"photo.png is 12.3 MB; attachments can be at most 10 MB." (the engine's wording)."""
    shown = megabytes(size)
    shown = f"{size:,} bytes" if shown == megabytes(limit) else shown + " MB"
    return f"{name} is {shown}; attachments can be at most {megabytes(limit)} MB."


def _local_files(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _choose_files(parent: QWidget) -> Sequence[str]:
    names, _ = QFileDialog.getOpenFileNames(parent, parent.tr("Attach files"))
    return names


class MessageEdit(QPlainTextEdit):
    """The text box: Enter emits ``submitted``, Shift+Enter breaks the line; files and images
    pasted or dropped on it come out as ``files_given`` / ``image_given`` instead of text."""

    submitted = Signal()
    files_given = Signal(list)   # list[Path]
    image_given = Signal(QImage)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER_KEYS:
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if modifiers == Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
                event.accept()
                return
            if modifiers == Qt.KeyboardModifier.NoModifier:
                self.submitted.emit()
                event.accept()
                return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(_local_files(source)) or source.hasImage() or super(
        ).canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = _local_files(source)
        if files:
            self.files_given.emit(files)
        elif source.hasImage():
            image = source.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.image_given.emit(image)
        else:
            super().insertFromMimeData(source)


class AttachmentChip(QFrame):
    """A file waiting to go, with a button that takes it off the message."""

    remove_requested = Signal(object)  # the Path

    def __init__(self, path: Path, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(f"{path.name} · {file_size(size)}")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip(self.tr("Remove {name}").format(name=path.name))
        self.remove_button.setAccessibleName(self.remove_button.toolTip())
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.path))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 1, 1)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)


class Composer(QWidget):
    """Writes one message (see the module's docstring)."""

    send_requested = Signal(str, list)  # the text (stripped), list[Path]

    def __init__(self, parent: QWidget | None = None, *,
                 max_bytes: int = MAX_ATTACHMENT_BYTES, max_files: int = MAX_ATTACHMENTS,
                 max_text: int = MAX_TEXT, choose_files: ChooseFiles | None = None) -> None:
        super().__init__(parent)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.max_text = max_text
        self.choose_files: ChooseFiles = choose_files or _choose_files
        self._files: list[Path] = []
        self._chips: dict[Path, AttachmentChip] = {}
        self._temp: QTemporaryDir | None = None
        self._pasted = 0
        self.setAcceptDrops(True)

        self.edit = MessageEdit()
        self.edit.setPlaceholderText(self.tr("Write a message — Enter sends, Shift+Enter "
                                             "starts a new line"))
        self.edit.setAccessibleName(self.tr("Message"))
        self.edit.setTabChangesFocus(True)
        lines = self.edit.fontMetrics().lineSpacing()
        self.edit.setFixedHeight(3 * lines + 14)
        self.edit.submitted.connect(self.send)
        self.edit.files_given.connect(self.attach_files)
        self.edit.image_given.connect(self.attach_image)
        self.edit.textChanged.connect(self._update_send)

        self.attach_button = QPushButton(self.tr("&Attach…"))
        self.attach_button.setToolTip(self.tr("Attach files (or drop them here, or paste an "
                                              "image)"))
        self.attach_button.clicked.connect(self.choose)
        self.send_button = QPushButton(self.tr("&Send"))
        self.send_button.setToolTip(self.tr("Send the message (Enter)"))
        self.send_button.clicked.connect(self.send)

        self.chip_row = QWidget()
        self.chip_layout = QHBoxLayout(self.chip_row)
        self.chip_layout.setContentsMargins(0, 0, 0, 0)
        self.chip_layout.setSpacing(4)
        self.chip_layout.addStretch(1)
        self.chip_area = QScrollArea()
        self.chip_area.setWidget(self.chip_row)
        self.chip_area.setWidgetResizable(True)
        self.chip_area.setFrameShape(QFrame.Shape.NoFrame)
        self.chip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chip_area.setAccessibleName(self.tr("Attached files"))
        self.chip_area.hide()

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        as_error(self.problem)
        self.problem.hide()

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.attach_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.chip_area)
        layout.addWidget(self.problem)
        layout.addLayout(row)
        self.setFocusProxy(self.edit)
        self._update_send()

    # --- what the panel reads -------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.toPlainText()

    def files(self) -> list[Path]:
        return list(self._files)

    def problem_text(self) -> str:
        return "" if self.problem.isHidden() else self.problem.text()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), 280), hint.height())

    # --- attaching ------------------------------------------------------------------------------

    def choose(self) -> None:
        """Ask for files with the (injectable) file dialog."""
        chosen = self.choose_files(self)
        if chosen:
            self.attach_files([Path(name) for name in chosen])

    def attach_files(self, paths: Sequence[Path]) -> bool:
        """Add files to the message; the first that cannot go is refused with a sentence naming
        it (the others are still added). True if every file was added."""
        problems: list[str] = []
        for path in paths:
            problem = self._check(Path(path))
            if problem:
                problems.append(problem)
            elif Path(path) not in self._chips:
                self._add_chip(Path(path))
        self._show_problem(" ".join(problems))
        self._update_send()
        return not problems

    def attach_image(self, image: QImage) -> Path | None:
        """Save a pasted image as a PNG in the composer's temporary folder and attach it."""
        if self._temp is None:
            self._temp = QTemporaryDir()
        if not self._temp.isValid():
            self._show_problem(self.tr("Cannot save the pasted image: no temporary folder."))
            return None
        self._pasted += 1
        name = self.tr("Pasted image {n}.png").format(n=self._pasted)
        path = Path(self._temp.path()) / name
        if not image.save(str(path)):  # PNG, from the name
            self._show_problem(self.tr("Cannot save the pasted image."))
            return None
        return path if self.attach_files([path]) else None

    def remove_file(self, path: Path) -> None:
        chip = self._chips.pop(Path(path), None)
        if chip is None:
            return
        self._files.remove(Path(path))
        chip.deleteLater()
        self.chip_area.setVisible(bool(self._files))
        self._show_problem("")
        self._update_send()
        self.edit.setFocus()

    def _check(self, path: Path) -> str:
        if len(self._files) >= self.max_files:
            return self.tr("Attach at most {n} files to one message.").format(n=self.max_files)
        try:
            size = path.stat().st_size
        except OSError as error:
            return self.tr("Cannot attach {name}: {why}.").format(
                name=path.name, why=error.strerror or self.tr("it cannot be read"))
        if path.is_dir():
            return self.tr("Cannot attach {name}: it is a folder.").format(name=path.name)
        if size == 0:
            return self.tr("Cannot attach {name}: the file is empty.").format(name=path.name)
        if size > self.max_bytes:
            return too_large(path.name, size, self.max_bytes)
        return ""

    def _add_chip(self, path: Path) -> None:
        chip = AttachmentChip(path, path.stat().st_size)
        chip.remove_requested.connect(self.remove_file)
        self._files.append(path)
        self._chips[path] = chip
        self.chip_layout.insertWidget(self.chip_layout.count() - 1, chip)
        bar = self.chip_area.horizontalScrollBar().sizeHint().height()
        self.chip_area.setFixedHeight(chip.sizeHint().height() + bar + 2)
        self.chip_area.show()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # --- sending --------------------------------------------------------------------------------

    def send(self) -> None:
        """Emit ``send_requested`` and empty the composer, if there is something to send."""
        text = self.text().strip()
        if not text and not self._files:
            return
        if len(text) > self.max_text:
            self._show_problem(self.tr("This message is {n:,} characters long; a message can "
                                       "be at most {limit:,}.").format(n=len(text),
                                                                       limit=self.max_text))
            return
        files = list(self._files)
        self.send_requested.emit(text, files)
        self.clear()

    def clear(self) -> None:
        self.edit.clear()
        for path in list(self._chips):
            self.remove_file(path)
        self._show_problem("")
        self._update_send()

    def _update_send(self) -> None:
        self.send_button.setEnabled(bool(self.text().strip() or self._files))

    # --- drag and drop on the whole composer ----------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = _local_files(event.mimeData())
        if not files:
            super().dropEvent(event)
            return
        self.attach_files(files)
        event.acceptProposedAction()
