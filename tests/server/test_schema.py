"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from litdesk.server.models import Base, FeedHead
from litdesk.server.schema import upgrade
from tests.server.conftest import LiveServer


def test_migrated_database_matches_the_models(server: LiveServer) -> None:
    with server.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_keeps_the_feed_head(server: LiveServer) -> None:
    with server.db.read() as session:
        before = session.execute(select(FeedHead.pos)).scalar_one()
    upgrade(server.db.engine)
    with server.db.read() as session:
        heads = session.execute(select(FeedHead.pos)).scalars().all()
    assert len(heads) == 1
    assert heads[0] >= before
