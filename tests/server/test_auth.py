"""Sign-in, tokens, logout and the failed-login limit, over real HTTP."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from litdesk.domain.orders import Role
from litdesk.server.models import Token
from tests.server.conftest import PASSWORD, LiveServer


def test_health_answers_without_auth(server: LiveServer) -> None:
    response = server.client().get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in {"sqlite", "postgresql"}


def test_openapi_document_is_served(server: LiveServer) -> None:
    response = httpx_get(server, "/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/login" in paths
    assert "/api/v1/health" in paths


def httpx_get(server: LiveServer, path: str):  # type: ignore[no-untyped-def]
    import httpx

    return httpx.get(server.url + path, timeout=10)


def test_login_returns_a_token_that_identifies_the_user(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    me = alice.client.get("/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == alice.email
    assert me.json()["role"] == "influencer"


def test_token_is_stored_only_as_a_hash(server: LiveServer) -> None:
    alice = server.account(Role.ADVERTISER)
    with server.db.read() as session:
        hashes = set(session.execute(
            select(Token.token_hash).where(Token.user_id == alice.id)).scalars())
    assert hashlib.sha256(alice.token.encode()).hexdigest() in hashes
    assert alice.token not in hashes


def test_password_is_hashed_with_argon2id(server: LiveServer) -> None:
    from litdesk.server.models import User

    alice = server.account(Role.CREATOR)
    with server.db.read() as session:
        stored = session.get(User, alice.id)
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash


def test_wrong_password_and_unknown_account_answer_401_in_one_shape(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    for email in (alice.email, "nobody@test.example"):
        response = server.client().post("/auth/login", json={"email": email, "password": "nope"})
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {"code", "message", "details"}
        assert body["code"] == "bad_credentials"


def test_requests_without_a_token_answer_401(server: LiveServer) -> None:
    response = server.client().get("/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert server.client("not-a-token").get("/auth/me").status_code == 401


def test_logout_revokes_the_token(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    assert alice.client.post("/auth/logout").status_code == 204
    assert alice.client.get("/auth/me").status_code == 401


def test_sixth_failed_login_in_a_minute_answers_429(server: LiveServer) -> None:
    alice = server.account(Role.ADVERTISER)
    anonymous = server.client()
    codes = [anonymous.post("/auth/login", json={"email": alice.email, "password": "wrong"})
             .status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # Locked for the minute even with the right password; other accounts are unaffected.
    right = anonymous.post("/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert right.status_code == 429
    assert right.headers["Retry-After"] == "60"
    bob = server.account(Role.ADVERTISER)
    assert anonymous.post("/auth/login",
                          json={"email": bob.email, "password": PASSWORD}).status_code == 200


def test_malformed_body_answers_422_in_the_error_shape(server: LiveServer) -> None:
    response = server.client().post("/auth/login", content=b"{not json",
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
