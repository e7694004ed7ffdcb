"""The app for uvicorn's worker processes (``litdesk-server --workers N``).

The parent process migrates the database first and passes its URL in ``LITDESK_DATABASE_URL``;
each worker builds its own engine and app. Long-polls in one worker notice commits made by
another through the change feed's periodic re-check.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from litdesk.server.app import create_app
from litdesk.server.config import Settings

DATABASE_URL_ENV = "LITDESK_DATABASE_URL"


def create_from_env() -> FastAPI:
    return create_app(Settings(db_url=os.environ[DATABASE_URL_ENV]))
