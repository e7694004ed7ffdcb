"""The built-in server: the demo with its account picker, and ``litdesk --screenshot``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from litdesk.app import main, parse_args
from litdesk.domain.orders import Role
from litdesk.services.embedded import EmbeddedServer
from tests.ui.app_support import AppFactory, board_rows, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose demo database is already filled (that takes a few seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    EmbeddedServer.start(demo=True, data_dir=folder).stop()
    return folder


def test_screenshot_writes_a_png_of_the_asked_size(qapp: QApplication, demo_dir: Path,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "shots" / "orders.png"
    code = main(["--demo", "--data-dir", str(demo_dir), "--account", "influencer@demo.test",
                 "--screenshot", str(out), "--size", "1280x800"])
    assert code == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    # Not a blank window: the board's rows and badges put many colours in it.
    colours = {image.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 20


def test_screenshot_of_a_placeholder_view(qapp: QApplication, demo_dir: Path,
                                          tmp_path: Path) -> None:
    out = tmp_path / "shipping.png"
    code = main(["--demo", "--data-dir", str(demo_dir), "--account", "logistics@demo.test",
                 "--screenshot", str(out), "--view", "shipping", "--size", "900x600"])
    assert code == 0
    assert (QImage(str(out)).width(), QImage(str(out)).height()) == (900, 600)


def test_screenshot_fails_with_a_message_when_the_server_cannot_be_reached(
        qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never.png"
    code = main(["--server", "http://127.0.0.1:9", "--data-dir", str(tmp_path),
                 "--screenshot", str(out)])
    assert code != 0
    assert not out.exists()
    assert "no screenshot" in capsys.readouterr().err


def test_the_demo_asks_which_account_and_enter_picks_it(
        qtbot: QtBot, demo_dir: Path, make_app: AppFactory) -> None:
    make_app.data_dir = demo_dir
    app = make_app(demo=True)
    app.start()
    wait_for(qtbot, lambda: app.account_picker is not None and app.account_picker.isVisible())
    picker = app.account_picker
    assert picker is not None
    emails = [picker.list.topLevelItem(n).text(1)  # type: ignore[union-attr]
              for n in range(picker.list.topLevelItemCount())]
    assert "advertiser@demo.test" in emails
    picker.list.setCurrentItem(picker.list.topLevelItem(emails.index("advertiser@demo.test")))
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: app.session is not None and app.session.synced)
    assert app.session is not None
    assert app.session.who.user.role is Role.ADVERTISER
    assert board_rows(app)
    assert {row.advertiser_name for row in board_rows(app)} == {"Northwind Audio"}

    # Enter on the board opens the selected order in the pane.
    board = app.session.board
    board.table.setFocus()
    board.table.setCurrentIndex(app.session.model.index(0, 0))
    qtbot.keyClick(board.table, Qt.Key.Key_Return)
    first = board_rows(app)[0]
    assert app.window.order_view.order_id == first.id
    assert app.window.order_view.header.number_label.text() == f"Order {first.number}"

    # Signing out of the demo asks again who to be.
    app.window.sign_out_action.trigger()
    wait_for(qtbot, lambda: app.session is None)
    wait_for(qtbot, lambda: app.account_picker is not None and app.account_picker.isVisible())
    assert app.window.order_view.order_id is None


def test_command_line() -> None:
    options = parse_args(["--server", "https://litdesk.example.com/", "--view", "messages",
                          "--size", "1024x700", "--account", "me@example.com"])
    assert options.server == "https://litdesk.example.com"
    assert options.view == "messages"
    assert options.size == (1024, 700)
    for wrong in (["--size", "big"], ["--server", "ftp://x"], ["--view", "calendar"],
                  ["--demo", "--server", "https://x.example"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)


def test_an_unknown_account_is_explained(qapp: QApplication, demo_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--demo", "--data-dir", str(demo_dir), "--account", "nobody@demo.test",
                 "--screenshot", str(tmp_path / "x.png")])
    assert code == 1
    assert "There is no account nobody@demo.test" in capsys.readouterr().err
