"""Fixtures shared by the client services' tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from litdesk.services.cache import LocalCache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    """A fresh local cache file, closed afterwards."""
    cache = LocalCache(tmp_path / "cache.sqlite3")
    yield cache
    cache.close()
