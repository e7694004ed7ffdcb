"""EmbeddedServer: the real server in-process on loopback, over a SQLite file in a temp folder,
reached through the real ApiClient."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from litdesk.domain.orders import Role
from litdesk.services.api_client import ApiClient
from litdesk.services.embedded import LOCAL_EMAIL, EmbeddedServer
from litdesk.services.errors import NotFound, Offline, Unauthorized


@pytest.fixture
def started() -> Iterator[list[EmbeddedServer]]:
    """Servers a test starts are stopped after it, whatever happens."""
    servers: list[EmbeddedServer] = []
    yield servers
    for server in servers:
        server.stop()


def connects(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_demo_is_filled_once_and_any_account_signs_in_without_a_password(
        tmp_path: Path, started: list[EmbeddedServer]) -> None:
    server = EmbeddedServer.start(demo=True, data_dir=tmp_path)
    started.append(server)
    assert server.path == tmp_path / "litdesk-demo.sqlite3"
    assert server.base_url.startswith("http://127.0.0.1:")

    accounts = server.accounts()
    assert accounts[0].email == "influencer@demo.test"
    assert {Role.INFLUENCER, Role.ADVERTISER, Role.MEDIATOR, Role.CREATOR,
            Role.BRAND_STAFF} <= {a.role for a in accounts}

    client = ApiClient(server.base_url, token=server.token_for("influencer@demo.test"))
    try:
        assert client.me().name == "Maya Laurent"
        assert client.list_orders(limit=1).total >= 100
        assert client.changes(0, limit=5).more
    finally:
        client.close()
    with pytest.raises(RuntimeError):
        server.local_account()  # the demo has no local account
    server.stop()

    again = EmbeddedServer.start(demo=True, data_dir=tmp_path)  # filled already: not twice
    started.append(again)
    assert [a.id for a in again.accounts()] == [a.id for a in accounts]


def test_local_account_is_made_once_and_signs_in(tmp_path: Path,
                                                 started: list[EmbeddedServer]) -> None:
    server = EmbeddedServer.start(demo=False, data_dir=tmp_path)
    started.append(server)
    assert server.path == tmp_path / "litdesk.sqlite3"
    assert server.accounts() == []  # not the demo: nothing is made up front

    email = server.local_account()
    assert email == LOCAL_EMAIL
    assert server.local_account() == email
    client = ApiClient(server.base_url, token=server.token_for(email))
    try:
        me = client.me()
        assert me.role is Role.INFLUENCER
        assert me.name
        # Its password is random and never shown: no guessable one signs in.
        for guess in ["me", "password", "litdesk", "localhost", me.name]:
            with pytest.raises(Unauthorized):
                client.login(email, guess)
    finally:
        client.close()
    server.stop()

    again = EmbeddedServer.start(demo=False, data_dir=tmp_path)
    started.append(again)
    assert again.local_account() == email
    assert [a.id for a in again.accounts()] == [me.id]


def test_each_token_is_new_and_unknown_emails_are_refused(
        tmp_path: Path, started: list[EmbeddedServer]) -> None:
    server = EmbeddedServer.start(demo=False, data_dir=tmp_path)
    started.append(server)
    email = server.local_account()
    first, second = server.token_for(email), server.token_for(email.upper())
    assert first != second
    assert len(first) >= 40
    with pytest.raises(NotFound):
        server.token_for("nobody@localhost")


def test_stop_closes_the_port(tmp_path: Path, started: list[EmbeddedServer]) -> None:
    server = EmbeddedServer.start(demo=False, data_dir=tmp_path)
    started.append(server)
    token = server.token_for(server.local_account())
    assert connects(server.port)
    server.stop()
    server.stop()  # a second stop is harmless
    assert not connects(server.port)
    client = ApiClient(server.base_url, token=token, sleep=lambda _s: None)
    try:
        with pytest.raises(Offline):
            client.me()
    finally:
        client.close()


def test_the_default_folder_is_the_user_data_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[EmbeddedServer]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    server = EmbeddedServer.start(demo=False)
    started.append(server)
    assert server.path == tmp_path / "data" / "LitDesk" / "litdesk.sqlite3"
    assert server.path.exists()
