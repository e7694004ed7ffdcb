"""Small helpers for the ApiClient tests: a sleep recorder, fresh keys and a closed port."""

from __future__ import annotations

import socket
import uuid


class Sleeps(list[float]):
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def key() -> str:
    """A fresh Idempotency-Key."""
    return str(uuid.uuid4())


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
