"""ApiClient against the real server on loopback: sign-in, reads, mutations, every refusal the
server makes, and the token kept out of the logs. What only a fake can produce (malformed
bodies, 5xx, timeouts) is in test_api_client_faults.py."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from litdesk.domain.orders import OrderStatus, Role
from litdesk.domain.wire import OrderDetailOut
from litdesk.services.api_client import BACKOFF_BASE, MAX_ATTEMPTS, ApiClient
from litdesk.services.errors import (
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    Offline,
    RateLimited,
    Unauthorized,
)
from tests.live_server import PASSWORD, LiveServer
from tests.services.api_support import Sleeps, closed_port, key

Json = dict[str, Any]
MakeClient = Callable[..., ApiClient]


@pytest.fixture
def api(sqlite_server: LiveServer) -> Iterator[MakeClient]:
    """Makes ApiClients on the live server (or at ``base_url=``) and closes them after."""
    made: list[ApiClient] = []

    def make(token: str | None = None, **options: Any) -> ApiClient:
        client = ApiClient(options.pop("base_url", sqlite_server.url), token=token, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@dataclass
class Deal:
    influencer: ApiClient
    advertiser: ApiClient
    order: Json


def new_deal(server: LiveServer, api: MakeClient) -> Deal:
    influencer = api(server.account(Role.INFLUENCER).token)
    advertiser = api(server.account(Role.ADVERTISER).token)
    space = influencer.send("POST", "/spaces", {"title": "Newsletter slot",
                                                "price_cents": 25_000}, key())
    order = advertiser.send("POST", "/orders", {"space_id": space["id"],
                                                "brief": "Launch of our trail shoe."}, key())
    return Deal(influencer, advertiser, order)


# --- over real HTTP ------------------------------------------------------------------------------

def test_login_keeps_the_new_token_and_me_uses_it(sqlite_server: LiveServer,
                                                  api: MakeClient) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    client = api()
    out = client.login(account.email, PASSWORD)
    assert out.user.id == account.id
    assert out.user.role is Role.INFLUENCER
    assert client.token == out.token
    assert client.me().email == account.email


def test_base_url_may_carry_the_api_prefix_but_must_be_http(sqlite_server: LiveServer,
                                                            api: MakeClient) -> None:
    account = sqlite_server.account(Role.ADVERTISER)
    assert api(account.token, base_url=sqlite_server.url + "/api/v1/").me().id == account.id
    with pytest.raises(Invalid):
        ApiClient("ftp://example.test")


def test_wrong_password_is_unauthorized_with_the_servers_reason(sqlite_server: LiveServer,
                                                                api: MakeClient) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    client = api()
    with pytest.raises(Unauthorized) as caught:
        client.login(account.email, "not the password")
    assert caught.value.status == 401
    assert caught.value.code == "bad_credentials"
    assert caught.value.message == "Wrong email or password."
    assert client.token is None


def test_too_many_failed_logins_are_rate_limited_and_never_retried(
        sqlite_server: LiveServer, api: MakeClient) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    sleeps = Sleeps()
    client = api(sleep=sleeps)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            client.login(account.email, "wrong")
    with pytest.raises(RateLimited) as caught:
        client.login(account.email, PASSWORD)
    assert caught.value.status == 429
    assert caught.value.details["retry_after"] == 60
    assert sleeps == []


def test_without_a_token_requests_are_unauthorized(api: MakeClient) -> None:
    with pytest.raises(Unauthorized) as caught:
        api().me()
    assert caught.value.code == "unauthorized"


def test_logout_revokes_the_token_and_forgets_it(sqlite_server: LiveServer,
                                                 api: MakeClient) -> None:
    account = sqlite_server.account(Role.ADVERTISER)
    client = api()
    token = client.login(account.email, PASSWORD).token
    client.logout()
    assert client.token is None
    with pytest.raises(Unauthorized):
        api(token).me()
    revoked = api(token)
    revoked.logout()  # already signed out on the server: not an error
    assert revoked.token is None


def test_send_with_an_idempotency_key_is_applied_once(sqlite_server: LiveServer,
                                                      api: MakeClient) -> None:
    account = sqlite_server.account(Role.INFLUENCER)
    client = api(account.token)
    body = {"title": "Podcast mid-roll", "price_cents": 40_000}
    once = key()
    first = client.send("POST", "/spaces", body, once)
    again = client.send("POST", "/spaces", body, once)
    assert again == first
    spaces = account.client.get("/spaces").json()
    assert [s["id"] for s in spaces] == [first["id"]]


def test_list_orders_passes_filters_and_get_order_parses_the_detail(
        sqlite_server: LiveServer, api: MakeClient) -> None:
    deal = new_deal(sqlite_server, api)
    page = deal.advertiser.list_orders(status=[OrderStatus.PENDING, OrderStatus.HOLD],
                                       q=deal.order["number"], sort="-created_at", limit=5,
                                       offset=0, needs_action=None)
    assert [o.id for o in page.items] == [deal.order["id"]]
    assert (page.total, page.limit) == (1, 5)
    assert deal.advertiser.list_orders(status=["completed"]).total == 0
    # needs_action is sent as true/false: exactly one side has the next move.
    awaiting = deal.order["awaiting"]
    mover, other = ((deal.influencer, deal.advertiser) if awaiting == "influencer"
                    else (deal.advertiser, deal.influencer))
    assert mover.list_orders(needs_action=True).total == 1
    assert other.list_orders(needs_action=True).total == 0
    assert other.list_orders(needs_action=False).total == 1

    detail = deal.influencer.get_order(deal.order["id"])
    assert isinstance(detail, OrderDetailOut)
    assert detail.status is OrderStatus.PENDING
    assert [e.kind for e in detail.events] == ["created"]
    assert detail.allowed_actions


def test_changes_pages_through_the_feed(sqlite_server: LiveServer, api: MakeClient) -> None:
    deal = new_deal(sqlite_server, api)
    first = deal.influencer.changes(0, limit=1)
    assert len(first.changes) == 1
    assert first.more
    everything = deal.influencer.changes(0)
    assert not everything.more
    orders = [c for c in everything.changes if c.entity == "order"]
    assert [c.data["id"] for c in orders] == [deal.order["id"]]
    assert deal.influencer.changes(everything.cursor).changes == []


def test_long_poll_read_timeout_grows_by_wait(sqlite_server: LiveServer,
                                              api: MakeClient) -> None:
    # The server holds the request for `wait` (1.5 s) when nothing changes; with a 1 s timeout
    # the read would time out unless the client adds `wait` to it.
    sleeps = Sleeps()
    client = api(sqlite_server.account(Role.INFLUENCER).token, timeout=1.0, sleep=sleeps)
    cursor = client.changes(0).cursor
    page = client.changes(cursor, wait=1.5)
    assert page.changes == []
    assert sleeps == []


def test_one_client_serves_several_threads(sqlite_server: LiveServer, api: MakeClient) -> None:
    deal = new_deal(sqlite_server, api)
    me = deal.advertiser.me()

    def work(n: int) -> tuple[int, int]:
        if n % 2:
            return deal.advertiser.me().id, -1
        return me.id, deal.advertiser.list_orders().items[0].id

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(32)))
    assert {r[0] for r in results} == {me.id}
    assert {r[1] for r in results} == {-1, deal.order["id"]}


# --- every refusal, from the real server ---------------------------------------------------------

def test_an_order_the_caller_cannot_see_is_not_found(sqlite_server: LiveServer,
                                                     api: MakeClient) -> None:
    deal = new_deal(sqlite_server, api)
    sleeps = Sleeps()
    stranger = api(sqlite_server.account(Role.ADVERTISER).token, sleep=sleeps)
    with pytest.raises(NotFound) as caught:
        stranger.send("POST", f"/orders/{deal.order['id']}/transitions",
                      {"action": "cancel", "version": deal.order["version"]}, key())
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    with pytest.raises(NotFound):
        stranger.get_order(deal.order["id"])
    assert sleeps == []  # a 404 is an answer, not a failure to retry


def test_a_stale_version_is_a_conflict_with_the_current_order(sqlite_server: LiveServer,
                                                              api: MakeClient) -> None:
    deal = new_deal(sqlite_server, api)
    with pytest.raises(Conflict) as caught:
        deal.influencer.send("POST", f"/orders/{deal.order['id']}/transitions",
                             {"action": "request_payment",
                              "version": deal.order["version"] + 5}, key())
    assert caught.value.status == 409
    assert caught.value.details["current"]["id"] == deal.order["id"]
    assert caught.value.details["current"]["version"] == deal.order["version"]


def test_a_role_that_may_never_do_this_is_not_allowed(sqlite_server: LiveServer,
                                                      api: MakeClient) -> None:
    advertiser = api(sqlite_server.account(Role.ADVERTISER).token)
    with pytest.raises(NotAllowed) as caught:
        advertiser.send("POST", "/spaces", {"title": "Mine", "price_cents": 1}, key())
    assert caught.value.status == 403
    assert caught.value.message == "Only influencer accounts can do this."


def test_invalid_input_is_invalid_with_the_servers_message(sqlite_server: LiveServer,
                                                           api: MakeClient) -> None:
    influencer = api(sqlite_server.account(Role.INFLUENCER).token)
    with pytest.raises(Invalid) as caught:
        influencer.send("POST", "/spaces", {"title": "Slot", "price_cents": -1}, key())
    assert caught.value.status == 422
    assert caught.value.message.startswith("price_cents:")
    assert caught.value.details["errors"]


def test_an_oversized_body_is_invalid(sqlite_server: LiveServer, api: MakeClient) -> None:
    influencer = api(sqlite_server.account(Role.INFLUENCER).token)
    with pytest.raises(Invalid) as caught:  # the fixture's server takes 1 MB (+ envelope)
        influencer.send("POST", "/spaces", {"title": "Slot", "price_cents": 1,
                                            "description": "x" * 1_300_000}, key())
    assert caught.value.status == 413


def test_a_closed_port_is_offline_and_gets_retried_for_reads_only(api: MakeClient) -> None:
    sleeps = Sleeps()
    client = api("t0ken", base_url=f"http://127.0.0.1:{closed_port()}", sleep=sleeps)
    with pytest.raises(Offline):
        client.me()
    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert all(0 <= delay <= BACKOFF_BASE * 2 ** n for n, delay in enumerate(sleeps))
    sleeps.clear()
    with pytest.raises(Offline):
        client.send("POST", "/spaces", {"title": "x", "price_cents": 1}, key())
    assert sleeps == []


def test_a_closed_client_is_offline(api: MakeClient) -> None:
    client = api()
    client.close()
    with pytest.raises(Offline):
        client.send("POST", "/auth/logout", None, None)


# --- secrets -------------------------------------------------------------------------------------

def test_the_token_never_reaches_the_logs(sqlite_server: LiveServer, api: MakeClient,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    account = sqlite_server.account(Role.INFLUENCER)
    client = api(sleep=Sleeps())
    token = client.login(account.email, PASSWORD).token
    client.me()
    client.changes(0)
    client.send("POST", "/spaces", {"title": "Slot", "price_cents": 100}, key())
    with pytest.raises(NotFound):
        client.get_order(2**31 - 1)
    broken = api(token, base_url=f"http://127.0.0.1:{closed_port()}", sleep=Sleeps())
    with pytest.raises(Offline):
        broken.me()

    ours = [r for r in caplog.records if r.name == "litdesk.services.api_client"]
    assert any("/auth/me -> 200" in r.getMessage() for r in ours)
    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)
    assert token not in caplog.text
    assert "Bearer" not in caplog.text
    assert token not in repr(client)
