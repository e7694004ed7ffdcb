"""Server settings, with defaults that suit the embedded server on a laptop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "LitDesk"


def data_dir() -> Path:
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url(demo: bool = False) -> str:
    name = "litdesk-demo.sqlite3" if demo else "litdesk.sqlite3"
    return f"sqlite:///{data_dir() / name}"


@dataclass(frozen=True)
class Settings:
    db_url: str
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_long_poll_seconds: float = 60.0
    # Other server processes sharing the database are noticed by re-reading this often.
    feed_recheck_seconds: float = 0.5
    login_failures_per_minute: int = 5
