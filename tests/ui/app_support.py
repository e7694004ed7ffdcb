"""The whole app against a real server of its own: a server on a SQLite file that a test can stop
and start again on the same port, an in-memory keyring, and ``LitDeskApp`` built without its
event loop. Fixtures are registered in tests/ui/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from litdesk.app import LitDeskApp, Options
from litdesk.domain.orders import Role
from litdesk.server.config import Settings
from litdesk.server.runner import ServerThread, prepare
from litdesk.services.records import OrderRow
from tests.live_server import Account, LiveServer
from tests.memory_keyring import MemoryKeyring

WAIT_MS = 15_000


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of the test's own, so that anything written "in the user's home" is seen."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(path / ".local" / "share"))
    return path


class OwnServer:
    """A server the test controls: ``stop()`` takes it off the network, ``start()`` brings it
    back on the same port over the same SQLite file (as a restarted server would be)."""

    def __init__(self, path: Path) -> None:
        # A short long-poll cap: stopping waits for requests in flight.
        self.settings = Settings(db_url=f"sqlite:///{path}", max_long_poll_seconds=2)
        app, db = prepare(self.settings)
        self.thread: ServerThread | None = ServerThread(app).start()
        self.port = self.thread.port
        self.live = LiveServer(self.thread.base_url, db, self.thread)

    @property
    def url(self) -> str:
        return self.live.url

    def account(self, role: Role) -> Account:
        return self.live.account(role)

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None

    def start(self) -> None:
        assert self.thread is None
        app, db = prepare(self.settings)
        self.live.db.dispose()
        self.live.db = db
        self.thread = ServerThread(app, port=self.port).start()
        self.live.thread = self.thread

    def close(self) -> None:
        self.stop()
        self.live.close()
        self.live.db.dispose()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[OwnServer]:
    server = OwnServer(tmp_path / "server.sqlite3")
    yield server
    server.close()


@dataclass
class AppFactory:
    """Builds ``LitDeskApp``s on one data folder, as successive runs of the program would,
    and closes whatever is still open at the end of the test."""

    qtbot: QtBot
    data_dir: Path
    built: list[LitDeskApp] = field(default_factory=list)

    def __call__(self, *, page_size: int = 1000, **options: object) -> LitDeskApp:
        app = LitDeskApp(Options(data_dir=self.data_dir, **options),  # type: ignore[arg-type]
                         long_poll_seconds=2.0, backoff=(0.1, 0.5), page_size=page_size)
        self.built.append(app)
        return app

    def close_all(self) -> None:
        for app in self.built:
            app.close()


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[AppFactory]:
    factory = AppFactory(qtbot, tmp_path / "data")
    yield factory
    factory.close_all()


def remember_sign_in(data_dir: Path, keyring_backend: MemoryKeyring, server: str,
                     account: Account) -> None:
    """What an earlier run that signed in left behind: the token in the keyring, who it was
    in the settings."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(data_dir / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in (("server", server), ("account", account.email),
                       ("name", account.email), ("role", account.role.value),
                       ("user_id", account.id)):
        settings.setValue(f"session/{key}", value)
    settings.sync()
    keyring_backend.set_password("LitDesk", f"{server}|{account.email}", account.token)


def board_rows(app: LitDeskApp) -> list[OrderRow]:
    session = app.session
    if session is None:
        return []
    model = session.model
    return [model.index(r, 0).data(model.RowRole) for r in range(model.rowCount())]


def row_for(app: LitDeskApp, order_id: int) -> OrderRow | None:
    return next((row for row in board_rows(app) if row.id == order_id), None)


def wait_for(qtbot: QtBot, condition: Callable[[], object], timeout: int = WAIT_MS) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=timeout)


def files_containing(root: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [path for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]
