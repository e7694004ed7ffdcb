"""A real server over real HTTP, on SQLite and on PostgreSQL (a pytest plugin, see conftest.py).

``server`` runs each test that uses it once per database; ``sqlite_server`` is one server on a
SQLite file for the client's tests (tests/services, tests/ui). The PostgreSQL run uses
``LITDESK_TEST_DATABASE_URL`` (set by .ci/run), creates a database of its own there and drops it
afterwards; it is skipped, with the reason shown, only when no PostgreSQL answers.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from litdesk.domain.orders import Role
from litdesk.server.accounts import create_brand, create_user
from litdesk.server.config import Settings
from litdesk.server.db import Database, normalise_url
from litdesk.server.runner import ServerThread, prepare
from tests.scratch_db import postgres_unavailable, scratch_database

PG_URL_ENV = "LITDESK_TEST_DATABASE_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery staple"


def _postgres_admin_url() -> str:
    return normalise_url(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; skips (or fails, when the variable
    is set) if no PostgreSQL answers."""
    admin_url = _postgres_admin_url()
    reason = postgres_unavailable(admin_url)
    if reason is not None:
        if os.environ.get(PG_URL_ENV):
            pytest.fail(f"{PG_URL_ENV} is set but {reason}")
        pytest.skip(reason)
    with scratch_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The PostgreSQL database the session's live server runs on."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id still, with small parameters: the suite makes hundreds of accounts."""
    from argon2 import PasswordHasher

    from litdesk.server import passwords

    default = passwords.hasher
    passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords.hasher = default


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "litdesk.sqlite3"
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@dataclass
class Account:
    id: int
    email: str
    role: Role
    token: str
    brand_id: int | None
    client: httpx.Client


@dataclass
class LiveServer:
    """The running server and ways to make accounts on it."""

    url: str
    db: Database
    thread: ServerThread
    _clients: list[httpx.Client] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def new_brand(self, name: str = "Brand") -> int:
        with self.db.write() as session:
            brand = create_brand(session, f"{name} {next(self._counter)}")
            session.commit()
            return brand.id

    def account(self, role: Role | str, *, brand_id: int | None = None,
                name: str | None = None) -> Account:
        """A new user with ``role``, signed in over HTTP."""
        role = Role(role)
        n = next(self._counter)
        email = f"{role.value}-{n}-{uuid.uuid4().hex[:6]}@test.example"
        if role is Role.BRAND_STAFF and brand_id is None:
            brand_id = self.new_brand()
        with self.db.write() as session:
            user = create_user(session, email=email, name=name or f"{role.value.title()} {n}",
                               role=role, password=PASSWORD, brand_id=brand_id,
                               handle=f"@{role.value}{n}" if role is Role.CREATOR else None)
            session.commit()
            user_id = user.id
        response = self.client().post("/auth/login", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        token = response.json()["token"]
        return Account(user_id, email, role, token, brand_id, self.client(token))

    def close(self) -> None:
        for client in self._clients:
            client.close()


def serve(db_url: str) -> Iterator[LiveServer]:
    """Migrate ``db_url``, serve it on an ephemeral port, and tear everything down after."""
    # A short long-poll cap keeps generated requests (schemathesis) from idling for a minute.
    settings = Settings(db_url=db_url, max_attachment_bytes=1024 * 1024,
                        max_long_poll_seconds=5)
    app, db = prepare(settings)
    thread = ServerThread(app).start()
    server = LiveServer(thread.base_url, db, thread)
    try:
        yield server
    finally:
        server.close()
        thread.stop()
        db.dispose()


@pytest.fixture(scope="session")
def live_server(db_url: str) -> Iterator[LiveServer]:
    yield from serve(db_url)


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("client-server") / "litdesk.sqlite3"
    yield from serve(f"sqlite:///{path}")
