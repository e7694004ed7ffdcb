"""Server tests: the live-server fixtures come from tests/live_server.py (a plugin)."""

from tests.live_server import PASSWORD, Account, LiveServer, fresh_postgres_database

__all__ = ["PASSWORD", "Account", "LiveServer", "fresh_postgres_database"]
