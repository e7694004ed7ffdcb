"""``--demo`` fills an empty database with data that covers every state, on both databases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from litdesk.domain.orders import OrderStatus
from litdesk.domain.shipping import RequestState, is_overdue
from litdesk.server.config import Settings
from litdesk.server.demo import fill_if_empty
from litdesk.server.models import (
    Attachment,
    Campaign,
    Message,
    Order,
    Rating,
    ShippingRequest,
    utcnow,
)
from litdesk.server.runner import ServerThread, prepare
from tests.server.conftest import fresh_postgres_database

DEMO_ACCOUNTS = ["influencer@demo.test", "advertiser@demo.test", "logistics@demo.test",
                 "creator@demo.test", "mediator@demo.test"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[ServerThread]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
        yield from _serve(url)
    else:
        with fresh_postgres_database() as url:
            yield from _serve(url)


def _serve(url: str) -> Iterator[ServerThread]:
    app, db = prepare(Settings(db_url=url))
    assert fill_if_empty(db) is True
    thread = ServerThread(app).start()
    try:
        yield thread
    finally:
        thread.stop()
        db.dispose()


def _db(thread: ServerThread):  # type: ignore[no-untyped-def]
    return thread.app.state.litdesk.db


def test_demo_covers_all_eighteen_statuses(demo_server: ServerThread) -> None:
    with _db(demo_server).read() as session:
        counts = Counter(session.execute(select(Order.status)).scalars())
    assert set(counts) == {s.value for s in OrderStatus}
    assert 190 <= sum(counts.values()) <= 210


def test_demo_has_threads_attachments_ratings_and_a_recurring_series(
        demo_server: ServerThread) -> None:
    with _db(demo_server).read() as session:
        assert session.execute(select(func.count()).select_from(Message)).scalar_one() > 100
        assert session.execute(select(func.count()).select_from(Attachment)).scalar_one() > 5
        assert session.execute(select(func.count()).select_from(Rating)).scalar_one() > 20
        series = session.execute(
            select(Order.series_id, func.count()).where(Order.series_id.is_not(None))
            .group_by(Order.series_id)).all()
        assert any(count >= 3 for _, count in series)
        # History is spread over past months, never in the future.
        first, last = session.execute(
            select(func.min(Order.created_at), func.max(Order.updated_at))).one()
        assert utcnow() - first > timedelta(days=60)
        assert last <= utcnow()


def test_demo_campaigns_cover_every_shipping_state(demo_server: ServerThread) -> None:
    now = utcnow()
    with _db(demo_server).read() as session:
        kinds = set(session.execute(select(Campaign.kind)).scalars())
        requests = session.execute(select(ShippingRequest)).scalars().all()
    assert kinds == {"influence", "gifted_review"}
    states = {r.state for r in requests}
    assert states == {s.value for s in RequestState}
    assert any(r.state == "sent" and r.issue_state == "open" for r in requests)
    assert any(is_overdue(RequestState(r.state), r.accepted_at, now) for r in requests)
    assert any(r.state == "ready_to_ship" and not is_overdue(RequestState(r.state),
               r.accepted_at, now) for r in requests)


def test_demo_accounts_sign_in_with_password_demo_and_see_their_data(
        demo_server: ServerThread) -> None:
    import httpx

    api = demo_server.base_url + "/api/v1"
    seen = {}
    for email in DEMO_ACCOUNTS:
        login = httpx.post(api + "/auth/login", json={"email": email, "password": "demo"})
        assert login.status_code == 200, email
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        feed = httpx.get(api + "/changes", params={"limit": 5000}, headers=headers).json()
        seen[email] = Counter(entity for entity, _ in
                              {(c["entity"], c["id"]) for c in feed["changes"]})
    assert seen["influencer@demo.test"]["order"] >= 100
    assert seen["advertiser@demo.test"]["order"] >= 80
    assert seen["mediator@demo.test"]["order"] >= 190
    assert seen["logistics@demo.test"]["request"] == 40
    assert seen["creator@demo.test"]["request"] == 2
    assert seen["creator@demo.test"]["order"] == 0


def test_demo_does_not_touch_a_database_that_has_accounts(demo_server: ServerThread) -> None:
    db = _db(demo_server)
    with db.read() as session:
        before = session.execute(select(func.count()).select_from(Order)).scalar_one()
    assert fill_if_empty(db) is False
    with db.read() as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() == before
