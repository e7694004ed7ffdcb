"""Fixtures for the app-level UI tests (see app_support.py)."""

from tests.ui.app_support import (  # noqa: F401 - fixtures, registered by being imported here
    home,
    make_app,
    memory_keyring,
    no_keyring,
    own_server,
)
