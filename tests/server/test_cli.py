"""The ``litdesk-server`` command: create an account, start, answer, sign in."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EXE = str(Path(sys.executable).with_name("litdesk-server"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_create_user_then_serve_and_sign_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    created = subprocess.run(
        [EXE, "create-user", "--db", url, "--email", "Staff@Example.test", "--name", "Staff",
         "--role", "brand_staff", "--brand", "Acme", "--password-stdin"],
        input="s3cret pass\n", capture_output=True, text=True, timeout=60, check=False)
    assert created.returncode == 0, created.stderr
    assert "brand_staff account staff@example.test" in created.stdout

    again = subprocess.run(
        [EXE, "create-user", "--db", url, "--email", "staff@example.test", "--name", "Twin",
         "--role", "creator", "--password-stdin"],
        input="x\n", capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 1
    assert "already exists" in again.stderr

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([EXE, "--db", url, "--port", str(port),
                                   "--log-level", "warning"], stdout=out, stderr=out)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(base + "/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert health.json()["database"] == "sqlite"
        login = httpx.post(base + "/auth/login",
                           json={"email": "staff@example.test", "password": "s3cret pass"})
        assert login.status_code == 200
        assert login.json()["user"]["role"] == "brand_staff"
    finally:
        server.terminate()
        server.wait(10)


def test_refuses_brand_staff_without_a_brand(tmp_path: Path) -> None:
    result = subprocess.run(
        [EXE, "create-user", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--email",
         "a@b.test", "--name", "A", "--role", "brand_staff", "--password-stdin"],
        input="pw\n", capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "brand staff need a brand" in result.stderr
