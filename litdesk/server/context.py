"""Per-request context: who is calling, a database session, and the Idempotency-Key.

Every endpoint gets what it needs through these dependencies; nothing is global. Reads use
:class:`Reader`; every POST uses :class:`Mutation`, which owns the transaction, stores the
response under the caller's Idempotency-Key in that same transaction, and commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from litdesk.domain.orders import Role
from litdesk.server.changefeed import Notifier
from litdesk.server.config import Settings
from litdesk.server.db import Database
from litdesk.server.errors import ApiError, Replayed
from litdesk.server.models import IdempotencyKey, Token, User
from litdesk.server.payments import PaymentProvider

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/login.")


@dataclass
class ServerState:
    """Everything the endpoints share, built once by ``create_app``."""

    settings: Settings
    db: Database
    payments: PaymentProvider
    notifier: Notifier = field(default_factory=Notifier)
    # Set when the server is stopping: long-polls answer at once instead of being cancelled.
    closing: bool = False


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.litdesk
    return state


State = Annotated[ServerState, Depends(server_state)]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _authenticate(session: Session, credentials: HTTPAuthorizationCredentials | None) -> Token:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("Sign in first: this request needs a bearer token.")
    token = session.execute(
        select(Token).where(Token.token_hash == hash_token(credentials.credentials))
    ).scalar_one_or_none()
    if token is None:
        raise _unauthorized("Your session has ended. Sign in again.")
    return token


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass
class Reader:
    """A read-only request: the caller and a session."""

    session: Session
    user: User
    state: ServerState
    token_hash: str

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def reader(state: State, credentials: Credentials) -> Iterator[Reader]:
    session = state.db.read()
    try:
        token = _authenticate(session, credentials)
        yield Reader(session, token.user, state, token.token_hash)
    finally:
        session.close()


async def _request_digest(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


@dataclass
class Mutation(Reader):
    """A writing request. Call :meth:`done` exactly once to store the answer and commit."""

    key: str | None = None
    record: IdempotencyKey | None = None

    def done(self, payload: BaseModel | dict[str, Any] | list[Any] | None,
             status_code: int = 200) -> Response:
        if payload is None:
            body = b""
        else:
            content = (payload.model_dump(mode="json") if isinstance(payload, BaseModel)
                       else payload)
            body = json.dumps(jsonable_encoder(content), separators=(",", ":")).encode()
        if self.record is not None:
            self.record.status_code = status_code
            self.record.response_body = body
        self.session.commit()
        return Response(body, status_code=status_code,
                        media_type="application/json" if body else None)


def _replay_or_refuse(state: ServerState, user_id: int, key: str, digest: str) -> None:
    with state.db.read() as session:
        stored = session.execute(
            select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                         IdempotencyKey.key == key)
        ).scalar_one_or_none()
        if stored is None:
            return
        if stored.request_hash != digest:
            raise ApiError(422, "idempotency_key_reused",
                           "This Idempotency-Key was already used for a different request.")
        raise Replayed(stored.status_code, stored.response_body)


def mutation(request: Request, state: State, credentials: Credentials,
             digest: Annotated[str, Depends(_request_digest)]) -> Iterator[Mutation]:
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 200:
        raise ApiError(422, "invalid", "Idempotency-Key is longer than 200 characters.")
    # Authenticate and look for a stored answer before taking the write lock.
    with state.db.read() as probe:
        token = _authenticate(probe, credentials)
        user_id, token_hash = token.user_id, token.token_hash
    if key is not None:
        _replay_or_refuse(state, user_id, key, digest)
    session = state.db.write()
    try:
        user = session.get(User, user_id)
        if user is None:
            raise _unauthorized("Your account no longer exists.")
        record = None
        if key is not None:
            # Claiming the key first makes a concurrent duplicate wait on the unique index (or on
            # SQLite's write lock) until this transaction ends, then find the stored answer.
            record = IdempotencyKey(user_id=user_id, key=key, request_hash=digest)
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                _replay_or_refuse(state, user_id, key, digest)
                raise ApiError(409, "conflict", "A request with this Idempotency-Key is still "
                               "running; retry it.") from None
        yield Mutation(session, user, state, token_hash, key, record)
    finally:
        session.close()


Read = Annotated[Reader, Depends(reader)]
Write = Annotated[Mutation, Depends(mutation)]
