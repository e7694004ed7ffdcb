"""The FastAPI application factory."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import event, text

from litdesk import __version__
from litdesk.domain.wire import ErrorOut, HealthOut
from litdesk.server import changefeed
from litdesk.server.config import Settings
from litdesk.server.context import ServerState, State
from litdesk.server.db import Database
from litdesk.server.errors import install_handlers
from litdesk.server.limits import BodySizeLimit
from litdesk.server.payments import BuiltInProvider, PaymentProvider
from litdesk.server.routes import auth, changes, messages, orders, shipping

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, db: Database | None = None,
               payments: PaymentProvider | None = None) -> FastAPI:
    """Build the server. The database must already be migrated (see ``schema.upgrade``)."""
    database = db or Database(settings.db_url)
    changefeed.install(database.write)
    changefeed.install(database.read)
    app = FastAPI(
        title="LitDesk",
        version=__version__,
        description="Orders between influencers and advertisers, brands' shipping queues, "
                    "messages, and a change feed for clients that sync.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.litdesk = ServerState(settings=settings, db=database,
                                    payments=payments or BuiltInProvider())
    # Wake this process's long-polls on every commit, whichever endpoint made it.
    event.listen(database.write, "after_commit",
                 lambda _session: app.state.litdesk.notifier.notify())
    install_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_attachment_bytes)

    # Answers any endpoint may give, all in the one error shape.
    common: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorOut, "description": text} for code, text in (
            (400, "The body could not be parsed"),
            (401, "Not signed in"),
            (413, "The body is too large"),
            (422, "Invalid input"),
            (500, "The server failed"),
        )
    }
    api = APIRouter(prefix="/api/v1", responses=common)

    @api.get("/health", response_model=HealthOut, tags=["meta"])
    def health(state: State) -> HealthOut:
        with state.db.read() as session:
            session.execute(text("SELECT 1"))
        return HealthOut(version=__version__, database=state.db.engine.dialect.name)

    for module in (auth, orders, messages, shipping, changes):
        api.include_router(module.router)
    app.include_router(api)
    return app
