"""The reference server inside the desktop app, for working alone on one machine or trying the
demo without installing a server.

It listens on 127.0.0.1 on a port the OS picks, over a SQLite file in the user data folder, and
the app talks to it through the same ``ApiClient`` as to a remote server. This is the one
service module that imports the server: it is a launcher, not a client of it.
"""

from __future__ import annotations

import getpass
import logging
import secrets
import threading
from pathlib import Path

from sqlalchemy import select

from litdesk.domain.orders import Role
from litdesk.domain.wire import UserOut
from litdesk.server import config
from litdesk.server.accounts import create_user
from litdesk.server.context import hash_token
from litdesk.server.db import Database
from litdesk.server.demo import fill_if_empty, is_empty
from litdesk.server.models import Token, User
from litdesk.server.runner import ServerThread, prepare
from litdesk.services.errors import NotFound

log = logging.getLogger(__name__)

DEMO_FILE = "litdesk-demo.sqlite3"
LOCAL_FILE = "litdesk.sqlite3"
LOCAL_EMAIL = "me@localhost"


class EmbeddedServer:
    """A running in-process server; build it with :meth:`start` (slow: call it off the UI
    thread, the first demo start fills ~200 orders) and end it with :meth:`stop`."""

    def __init__(self, db: Database, thread: ServerThread, *, demo: bool, path: Path) -> None:
        self._db = db
        self._thread = thread
        self._stopped = False
        self._stop_lock = threading.Lock()
        self.demo = demo
        self.path = path

    @classmethod
    def start(cls, *, demo: bool, data_dir: Path | None = None) -> EmbeddedServer:
        """Migrate (and for the demo, fill) the database file, then serve it on loopback."""
        folder = data_dir if data_dir is not None else config.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (DEMO_FILE if demo else LOCAL_FILE)
        app, db = prepare(config.Settings(db_url=f"sqlite:///{path}"))
        try:
            if demo and is_empty(db):
                log.info("creating demo data in %s", path)
                fill_if_empty(db)
            # 127.0.0.1, not localhost or 0.0.0.0: nothing off this machine may connect.
            thread = ServerThread(app, host="127.0.0.1", port=0).start()
        except BaseException:
            db.dispose()
            raise
        log.info("embedded server on %s (%s)", thread.base_url, path)
        return cls(db, thread, demo=demo, path=path)

    @property
    def base_url(self) -> str:
        return self._thread.base_url

    @property
    def port(self) -> int:
        return self._thread.port

    def accounts(self) -> list[UserOut]:
        """Every account, oldest first (the demo's picker lists them)."""
        with self._db.read() as session:
            users = session.execute(select(User).order_by(User.id)).scalars().all()
            return [UserOut.model_validate(user) for user in users]

    def local_account(self) -> str:
        """The email of the one local account, created on first use.

        Its password is random and never shown: the app signs in with :meth:`token_for`, and
        nobody else should be able to sign in as it.
        """
        if self.demo:
            raise RuntimeError("the demo database has no local account; pick one of accounts()")
        with self._db.write() as session:  # a write transaction: two first runs cannot both add
            found = session.execute(
                select(User.email).where(User.email == LOCAL_EMAIL)).scalar_one_or_none()
            if found is not None:
                return found
            user = create_user(session, email=LOCAL_EMAIL, name=_os_user_name(),
                               role=Role.INFLUENCER, password=secrets.token_urlsafe(32))
            session.commit()
            log.info("created the local account %s", user.email)
            return user.email

    def token_for(self, email: str) -> str:
        """A new bearer token for ``email``, made directly in the database.

        No password is needed: this process owns the database file, so it could do anything
        the server can. Only the token's hash is stored, as for a sign-in.
        """
        token = secrets.token_urlsafe(32)
        with self._db.write() as session:
            user_id = session.execute(
                select(User.id).where(User.email == email.strip().lower())).scalar_one_or_none()
            if user_id is None:
                raise NotFound(f"No account with the email {email}.", code="not_found")
            session.add(Token(user_id=user_id, token_hash=hash_token(token)))
            session.commit()
        return token

    def stop(self) -> None:
        """Stop serving and close the database; calling it again does nothing."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self._thread.stop()
        self._db.dispose()


def _os_user_name() -> str:
    try:
        return getpass.getuser() or "Me"
    except (OSError, KeyError):  # no login name in the environment and none in the passwd file
        return "Me"
