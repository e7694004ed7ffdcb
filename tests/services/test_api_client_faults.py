"""ApiClient on httpx.MockTransport, for what the real server cannot be made to do: malformed
bodies, 5xx sequences, timeouts; and for counting attempts and reading the headers sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from litdesk.services.api_client import BACKOFF_BASE, MAX_ATTEMPTS, ApiClient, service_error
from litdesk.services.errors import (
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
    ServiceError,
    Unauthorized,
)
from tests.services.api_support import Sleeps, key

USER = {"id": 7, "email": "a@b.test", "name": "A", "role": "influencer"}
Reply = httpx.Response | Exception
Mock = Callable[..., tuple[ApiClient, list[httpx.Request]]]


@pytest.fixture
def mock() -> Iterator[Mock]:
    """``mock(*replies, sleep=...)``: a signed-in client whose transport answers ``replies`` in
    turn (the last one repeats), and the list of requests it received."""
    made: list[ApiClient] = []

    def make(*replies: Reply, sleep: Callable[[float], None] | None = None,
             ) -> tuple[ApiClient, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            reply = replies[min(len(seen), len(replies)) - 1]
            if isinstance(reply, Exception):
                raise reply
            return reply

        client = ApiClient("http://server.test", token="t0ken",
                           transport=httpx.MockTransport(handle),
                           sleep=sleep if sleep is not None else Sleeps())
        made.append(client)
        return client, seen

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize(("status", "kind"), [
    (400, Invalid), (401, Unauthorized), (403, NotAllowed), (404, NotFound), (409, Conflict),
    (413, Invalid), (415, Invalid), (422, Invalid), (429, RateLimited), (405, Invalid),
    (500, ServerError), (502, ServerError), (503, ServerError), (302, ServerError),
])
def test_each_status_maps_to_its_error(status: int, kind: type[ServiceError]) -> None:
    error = service_error(httpx.Response(status, json={
        "code": "some_code", "message": "Because.", "details": {"n": 1}}))
    assert type(error) is kind
    assert error.status == status
    if status != 302:
        assert (error.code, error.message, error.details) == ("some_code", "Because.", {"n": 1})


def test_an_error_without_the_servers_shape_still_maps() -> None:
    error = service_error(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert isinstance(error, ServerError)
    assert error.message == "HTTP 502 Bad Gateway"


def test_transport_failures_and_timeouts_are_offline(mock: Mock) -> None:
    sleeps = Sleeps()
    client, seen = mock(httpx.ReadTimeout("slow"), sleep=sleeps)
    with pytest.raises(Offline):
        client.me()
    assert len(seen) == MAX_ATTEMPTS
    assert isinstance(service_error(httpx.ConnectTimeout("x")), Offline)
    assert isinstance(service_error(httpx.RemoteProtocolError("x")), Offline)


@pytest.mark.parametrize("reply", [
    httpx.Response(200, text="<html>hello</html>"),
    httpx.Response(200, content=b"\xff\xfe{"),
    httpx.Response(200, json={"id": "seven", "email": "a@b.test"}),
    httpx.Response(200, json=[USER]),
    httpx.Response(200),
])
def test_a_malformed_reply_is_a_server_error_and_not_retried(mock: Mock,
                                                             reply: httpx.Response) -> None:
    client, seen = mock(reply)
    with pytest.raises(ServerError) as caught:
        client.me()
    assert caught.value.message.startswith("malformed reply")
    assert len(seen) == 1


def test_malformed_feed_login_and_mutation_replies_are_server_errors(mock: Mock) -> None:
    client, _ = mock(httpx.Response(200, json={"changes": [{"pos": 1}], "cursor": 1,
                                                    "more": False}))
    with pytest.raises(ServerError, match=r"malformed reply from /changes: changes\.0"):
        client.changes(0)
    client, _ = mock(httpx.Response(200, json={"token": "s3cret-token"}))
    with pytest.raises(ServerError) as caught:
        client.login("a@b.test", "pw")
    assert "s3cret-token" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    client, _ = mock(httpx.Response(201, json=[1, 2]))
    with pytest.raises(ServerError, match="expected an object"):
        client.send("POST", "/spaces", {}, key())


def test_a_get_is_retried_on_503_and_then_succeeds(mock: Mock) -> None:
    sleeps = Sleeps()
    client, seen = mock(httpx.Response(503), httpx.Response(503),
                        httpx.Response(200, json=USER), sleep=sleeps)
    assert client.me().id == USER["id"]
    assert len(seen) == 3
    assert len(sleeps) == 2
    assert all(0 <= delay <= BACKOFF_BASE * 2 ** n for n, delay in enumerate(sleeps))


def test_a_get_gives_up_after_three_attempts(mock: Mock) -> None:
    client, seen = mock(httpx.Response(500, json={"code": "internal", "message": "Boom.",
                                                      "details": {}}))
    with pytest.raises(ServerError, match="Boom"):
        client.list_orders()
    assert len(seen) == MAX_ATTEMPTS


def test_a_get_is_retried_on_429(mock: Mock) -> None:
    client, seen = mock(httpx.Response(429), httpx.Response(200, json=USER))
    assert client.me().name == "A"
    assert len(seen) == 2


@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.ConnectError("refused"),
                                     httpx.Response(429)])
def test_a_post_is_never_retried(mock: Mock, failure: httpx.Response | Exception) -> None:
    sleeps = Sleeps()
    client, seen = mock(failure, httpx.Response(200, json={"ok": True}), sleep=sleeps)
    with pytest.raises(ServiceError):
        client.send("POST", "/orders/1/transitions", {"action": "cancel", "version": 1}, key())
    assert len(seen) == 1
    assert sleeps == []


def test_headers_key_token_and_long_poll_timeout(mock: Mock) -> None:
    page = httpx.Response(200, json={"changes": [], "cursor": 3, "more": False})
    client, seen = mock(page, page, httpx.Response(200, json=USER))
    client.send("POST", "/orders", {"space_id": 1, "brief": "b"}, "key-1")
    assert seen[-1].headers["Idempotency-Key"] == "key-1"
    assert seen[-1].headers["Authorization"] == "Bearer t0ken"
    assert json.loads(seen[-1].content) == {"space_id": 1, "brief": "b"}
    client.changes(2, limit=50, wait=25.0)
    assert dict(seen[-1].url.params) == {"after": "2", "limit": "50", "wait": "25.0"}
    assert seen[-1].extensions["timeout"]["read"] == pytest.approx(15.0 + 25.0)
    client.me()
    assert seen[-1].extensions["timeout"]["read"] == pytest.approx(15.0)


def test_login_sends_neither_an_old_token_nor_an_idempotency_key(mock: Mock) -> None:
    client, seen = mock(httpx.Response(200, json={"token": "new", "user": USER}))
    assert client.login("a@b.test", "pw").user.email == "a@b.test"
    assert "Authorization" not in seen[0].headers
    assert "Idempotency-Key" not in seen[0].headers
    assert client.token == "new"
