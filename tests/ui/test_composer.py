"""The composer on its own: Enter sends and Shift+Enter breaks the line, Send is disabled while
there is nothing to send, files come by the (injected) file dialog, by dropping and by pasting
an image, each shown as a chip that can be removed, and a file over the limit is refused on the
spot with a sentence naming it and its size. (tests/ui/test_message_panel.py sends through the
real engine and server.)"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from litdesk.views.composer import MAX_ATTACHMENT_BYTES, Composer


def composer(qtbot: QtBot, **options: object) -> tuple[Composer, list[tuple[str, list[Path]]]]:
    widget = Composer(**options)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(480, 160)
    widget.show()
    sent: list[tuple[str, list[Path]]] = []
    widget.send_requested.connect(lambda text, files: sent.append((text, files)))
    return widget, sent


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_enter_sends_and_shift_enter_breaks_the_line(qtbot: QtBot) -> None:
    widget, sent = composer(qtbot)
    assert not widget.send_button.isEnabled()
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)  # nothing written: nothing sent
    assert sent == []

    qtbot.keyClicks(widget.edit, "  Monday works")
    assert widget.send_button.isEnabled()
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(widget.edit, "for me  ")
    assert widget.text() == "  Monday works\nfor me  "
    assert sent == []

    qtbot.keyClick(widget.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert sent == [("Monday works\nfor me", [])]
    assert widget.text() == ""
    assert not widget.send_button.isEnabled()


def test_files_from_the_dialog_show_as_chips_that_can_be_removed(qtbot: QtBot,
                                                                  tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"Monday 9:00")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(3000))
    widget, sent = composer(qtbot, choose_files=lambda _parent: [str(notes), str(photo)])

    qtbot.mouseClick(widget.attach_button, Qt.MouseButton.LeftButton)
    assert widget.files() == [notes, photo]
    assert widget.send_button.isEnabled()  # a file alone can be sent
    labels = [chip.label.text() for chip in widget._chips.values()]
    assert labels == ["notes.txt · 11 B", "photo.jpg · 3 KB"]
    assert widget.chip_area.isVisible()

    chip = widget._chips[notes]
    assert chip.remove_button.accessibleName() == "Remove notes.txt"
    qtbot.mouseClick(chip.remove_button, Qt.MouseButton.LeftButton)
    assert widget.files() == [photo]

    qtbot.mouseClick(widget.send_button, Qt.MouseButton.LeftButton)
    assert sent == [("", [photo])]
    assert widget.files() == []
    assert not widget.chip_area.isVisible()


def test_a_file_over_the_limit_is_refused_at_once_naming_it_and_its_size(
        qtbot: QtBot, tmp_path: Path) -> None:
    big = sparse(tmp_path / "photo.png", int(12.3 * 1024 * 1024))
    just_over = sparse(tmp_path / "clip.mov", MAX_ATTACHMENT_BYTES + 1)
    empty = sparse(tmp_path / "empty.txt", 0)
    fine = tmp_path / "fine.txt"
    fine.write_bytes(b"fine")
    widget, sent = composer(qtbot, choose_files=lambda _parent: [str(big)])

    qtbot.mouseClick(widget.attach_button, Qt.MouseButton.LeftButton)
    assert widget.problem_text() == "photo.png is 12.3 MB; attachments can be at most 10 MB."
    assert widget.problem.isVisible()
    assert widget.files() == []
    assert not widget.send_button.isEnabled()

    assert not widget.attach_files([fine, just_over, empty, tmp_path / "gone.pdf"])
    assert widget.files() == [fine]  # the good one is kept
    problem = widget.problem_text()
    assert "clip.mov is 10,485,761 bytes; attachments can be at most 10 MB." in problem
    assert "Cannot attach empty.txt: the file is empty." in problem
    assert "Cannot attach gone.pdf:" in problem
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert sent == [("", [fine])]
    assert widget.problem_text() == ""


def test_dropped_files_and_a_pasted_image_are_attached(qtbot: QtBot, tmp_path: Path) -> None:
    widget, _sent = composer(qtbot)
    dropped = tmp_path / "brief.pdf"
    dropped.write_bytes(b"%PDF-1.4 brief")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert widget.files() == [dropped]

    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#2563EB"))
    QGuiApplication.clipboard().setImage(image)
    widget.edit.setFocus()
    qtbot.keyClick(widget.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(widget.files()) == 2
    pasted = widget.files()[1]
    assert pasted.name == "Pasted image 1.png"
    assert pasted.read_bytes().startswith(b"\x89PNG")
    assert QImage(str(pasted)).size() == image.size()
    assert widget.text() == ""  # the image went in as a file, not as text

    QGuiApplication.clipboard().setText("plain words")
    qtbot.keyClick(widget.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert widget.text() == "plain words"
    assert len(widget.files()) == 2
