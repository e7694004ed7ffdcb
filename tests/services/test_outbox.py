"""The outbox: an action queued and shown in one transaction, rolled back on refusal (to the
server's newest state), accepted with the server's answer, chained actions, and entries that
survive reopening the cache file."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from litdesk.domain.orders import OrderStatus, Role
from litdesk.services.cache import LocalCache
from litdesk.services.errors import Invalid, NotAllowed
from litdesk.services.outbox import Outbox
from tests.live_server import LiveServer
from tests.server.order_flow import PAID, Deal, new_deal, refused
from tests.services.sync_support import send, sync, transition, transition_events


@pytest.fixture
def deal(sqlite_server: LiveServer) -> Deal:
    return new_deal(sqlite_server)


def synced(cache: LocalCache, deal: Deal, role: Role) -> Outbox:
    sync(cache, deal.by(role))
    return Outbox(cache, viewer_role=role)


def test_enqueue_writes_the_entry_and_shows_the_change(cache: LocalCache, deal: Deal,
                                                       sqlite_server: LiveServer) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    before = cache.order(deal.id)

    changes = outbox.enqueue(transition(deal.order, "request_payment"))

    [row] = changes.orders
    assert (row.id, row.status, row.awaiting, row.pending_actions, row.version) == (
        deal.id, OrderStatus.PAYMENT_REQUIRED, Role.ADVERTISER, 1, deal.order["version"])
    assert cache.order_rows() == [row]
    [entry] = outbox.pending()
    assert str(uuid.UUID(entry.key)) == entry.key
    assert entry.state == "pending"
    assert entry.previous == before
    assert entry.action.body == {"action": "request_payment", "version": deal.order["version"]}
    assert outbox.count() == 1
    shown = cache.order(deal.id)
    assert shown is not None
    assert shown["status"] == "payment_required"
    assert shown["progress"] == 35
    # Nothing has been sent.
    assert transition_events(sqlite_server, deal.id, "request_payment") == 0


def test_roll_back_restores_the_order_and_keeps_the_reason(cache: LocalCache,
                                                           deal: Deal) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    before = cache.order(deal.id)
    outbox.enqueue(transition(deal.order, "request_payment"))
    [entry] = outbox.pending()

    changes = outbox.roll_back(entry.id, "Someone else changed this first.")

    assert [(r.status, r.pending_actions) for r in changes.orders] == [(OrderStatus.PENDING, 0)]
    assert cache.order(deal.id) == before
    assert outbox.count() == 0
    [failed] = outbox.failed()
    assert (failed.id, failed.state, failed.error) == (
        entry.id, "failed", "Someone else changed this first.")
    assert outbox.roll_back(entry.id, "again").is_empty()  # once only
    outbox.dismiss(entry.id)
    assert outbox.failed() == []


def test_roll_back_keeps_a_newer_server_version(cache: LocalCache, deal: Deal) -> None:
    """The advertiser cancels while the influencer asks a question on the server: the feed's
    newer version is shown under the pending cancel, and stays once the cancel is refused."""
    outbox = synced(cache, deal, Role.ADVERTISER)
    outbox.enqueue(transition(deal.order, "cancel", reason="Plans changed."))
    deal.drive("ask")
    sync(cache, deal.advertiser)

    shown = cache.order(deal.id)
    assert shown is not None
    assert (shown["status"], shown["version"]) == ("cancelled", deal.order["version"])
    [entry] = outbox.pending()

    changes = outbox.roll_back(entry.id, "Someone else changed this first.")

    assert [r.status for r in changes.orders] == [OrderStatus.FEEDBACK_REQUIRED]
    assert cache.order(deal.id) == deal.order


def test_a_conflicts_current_order_is_stored(cache: LocalCache, deal: Deal) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    outbox.enqueue(transition(deal.order, "request_payment"))
    [entry] = outbox.pending()
    deal.advertiser.client.post(f"/orders/{deal.id}/transitions", json={
        "action": "cancel", "version": deal.order["version"], "reason": "No longer needed."})
    stale = refused(deal.influencer.client.post(
        entry.action.path, json=entry.action.body, headers={"Idempotency-Key": entry.key}), 409)

    outbox.roll_back(entry.id, "Someone else changed this first.", stale["details"]["current"])

    assert cache.order(deal.id) == stale["details"]["current"]
    assert [r.status for r in cache.order_rows()] == [OrderStatus.CANCELLED]


def test_the_local_rules_refuse_before_anything_is_queued(cache: LocalCache,
                                                          deal: Deal) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    before = cache.order_rows()
    with pytest.raises(Invalid, match="while the order is Pending"):
        outbox.enqueue(transition(deal.order, "start_processing"))
    with pytest.raises(Invalid, match="needs: reason"):
        outbox.enqueue(transition(deal.order, "cancel"))
    with pytest.raises(NotAllowed, match="cannot request a refund"):
        outbox.enqueue(transition(deal.order, "request_refund", reason="x"))
    assert outbox.count() == 0
    assert cache.order_rows() == before


def test_mark_done_stores_the_servers_answer(cache: LocalCache, deal: Deal,
                                             sqlite_server: LiveServer) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    outbox.enqueue(transition(deal.order, "request_payment"))
    [entry] = outbox.pending()
    answer = send(deal.influencer, entry.action, entry.key)

    changes = outbox.mark_done(entry.id, answer)

    assert [(r.status, r.version, r.pending_actions) for r in changes.orders] == [
        (OrderStatus.PAYMENT_REQUIRED, answer["version"], 0)]
    assert cache.order(deal.id) == answer
    assert outbox.pending() == []
    assert outbox.failed() == []
    # The feed's copy of the same version changes nothing that matters.
    sync(cache, deal.influencer)
    assert cache.order(deal.id) == answer
    assert transition_events(sqlite_server, deal.id, "request_payment") == 1


def test_chained_actions_go_through_as_meant(cache: LocalCache, deal: Deal) -> None:
    """Start processing, then put on hold, both while the first is unsent: the second was made
    on the first's outcome, so it moves to the version the first one produced."""
    deal.drive(*PAID)
    outbox = synced(cache, deal, Role.INFLUENCER)
    outbox.enqueue(transition(deal.order, "start_processing"))
    changes = outbox.enqueue(transition(deal.order, "put_on_hold", reason="Samples are late."))
    assert [(r.status, r.pending_actions) for r in changes.orders] == [(OrderStatus.HOLD, 2)]

    first, second = outbox.pending()
    answer = send(deal.influencer, first.action, first.key)
    outbox.mark_done(first.id, answer)
    [second] = outbox.pending()
    assert second.action.body["version"] == answer["version"]
    assert [r.status for r in cache.order_rows()] == [OrderStatus.HOLD]  # no flicker back

    final = send(deal.influencer, second.action, second.key)
    outbox.mark_done(second.id, final)
    shown = cache.order(deal.id)
    assert shown == final
    assert (final["status"], final["held_from"]) == ("hold", "processing")


def test_a_refusal_fails_the_entries_made_on_top_of_it(cache: LocalCache, deal: Deal) -> None:
    deal.drive(*PAID)
    outbox = synced(cache, deal, Role.INFLUENCER)
    outbox.enqueue(transition(deal.order, "start_processing"))
    outbox.enqueue(transition(deal.order, "put_on_hold", reason="Samples are late."))
    first, second = outbox.pending()

    outbox.roll_back(first.id, "Refused.")

    assert outbox.pending() == []
    assert [(e.id, e.error) for e in outbox.failed()] == [
        (first.id, "Refused."),
        (second.id, "Not sent: an earlier change to this item was refused.")]
    assert [r.status for r in cache.order_rows()] == [OrderStatus.PAYMENT_RECEIVED]


def test_entries_survive_reopening_the_cache(tmp_path: Path, deal: Deal) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    outbox = synced(cache, deal, Role.INFLUENCER)
    outbox.enqueue(transition(deal.order, "request_payment"))
    [entry] = outbox.pending()
    cache.close()

    reopened = LocalCache(path)
    try:
        again = Outbox(reopened, viewer_role=Role.INFLUENCER)
        assert again.pending() == [entry]
        [row] = reopened.order_rows()
        assert (row.status, row.pending_actions) == (OrderStatus.PAYMENT_REQUIRED, 1)
        # A feed page after the restart still shows the pending change over the server's state.
        sync(reopened, deal.influencer)
        assert [r.status for r in reopened.order_rows()] == [OrderStatus.PAYMENT_REQUIRED]
    finally:
        reopened.close()


def test_other_kinds_are_queued_without_an_optimistic_change(cache: LocalCache,
                                                             deal: Deal) -> None:
    outbox = synced(cache, deal, Role.INFLUENCER)
    before = cache.order(deal.id)
    action = transition(deal.order, "request_payment")
    message = type(action)("message", "POST", f"/threads/{deal.order['thread_id']}/messages",
                           {"text": "Hi"}, "order", deal.id)
    changes = outbox.enqueue(message)
    assert [(r.status, r.pending_actions) for r in changes.orders] == [(OrderStatus.PENDING, 1)]
    assert cache.order(deal.id) == before
