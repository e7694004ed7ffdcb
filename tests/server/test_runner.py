"""Stopping a server answers its waiting long-polls instead of cancelling them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from litdesk.domain.orders import Role
from litdesk.server.accounts import create_user
from litdesk.server.config import Settings
from litdesk.server.runner import ServerThread, prepare


def test_stop_releases_long_polls_promptly(tmp_path: Path) -> None:
    app, db = prepare(Settings(db_url=f"sqlite:///{tmp_path / 'stop.sqlite3'}"))
    with db.write() as session:
        create_user(session, email="m@x.test", name="M", role=Role.MEDIATOR, password="pw")
        session.commit()
    thread = ServerThread(app).start()
    api = thread.base_url + "/api/v1"
    token = httpx.post(api + "/auth/login", json={"email": "m@x.test", "password": "pw"}
                       ).json()["token"]
    answers: list[int] = []
    polling = threading.Event()

    def poll() -> None:
        polling.set()
        response = httpx.get(api + "/changes", params={"after": 10**6, "wait": 30},
                             headers={"Authorization": f"Bearer {token}"}, timeout=40)
        answers.append(response.status_code)

    poller = threading.Thread(target=poll)
    poller.start()
    polling.wait(5)
    # Let the request reach its wait (it has no change to return), then stop the server.
    deadline = time.monotonic() + 5
    while not app.state.litdesk.notifier._event and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    thread.stop()
    poller.join(10)
    db.dispose()
    assert answers == [200]
    assert time.monotonic() - began < 5
