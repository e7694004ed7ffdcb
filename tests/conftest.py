"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

# Qt needs a platform before anything imports it; there is no screen in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.live_server"]
