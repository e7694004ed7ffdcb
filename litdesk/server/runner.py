"""Running the server: in a background thread on an ephemeral port (tests, benchmarks, the
desktop app's embedded server) or in the foreground (the command line)."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from fastapi import FastAPI

from litdesk.server.app import create_app
from litdesk.server.config import Settings
from litdesk.server.db import Database
from litdesk.server.schema import upgrade


def prepare(settings: Settings) -> tuple[FastAPI, Database]:
    """Migrate the database and build the app on it."""
    db = Database(settings.db_url)
    upgrade(db.engine)
    return create_app(settings, db=db), db


class ServerThread:
    """A uvicorn server in a daemon thread. ``port=0`` picks a free port; read ``.port``."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="litdesk-server", daemon=True)
        self._error: BaseException | None = None
        self.host = host
        self.port = port

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve())
        except BaseException as exc:  # reported by start()
            self._error = exc

    def start(self, timeout: float = 20.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {self._error!r}")
            self._thread.join(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = sockets[0].getsockname()[1]
        return self

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        state = getattr(self.app.state, "litdesk", None)
        if state is not None:
            # Release waiting long-polls first, so shutdown need not cancel them mid-request.
            state.closing = True
            state.notifier.notify()
        self._server.should_exit = True
        self._thread.join(10)
