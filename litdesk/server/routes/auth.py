"""Sign-in, sign-out and "who am I"."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import delete, func, select

from litdesk.domain.wire import ErrorOut, LoginIn, LoginOut, UserOut
from litdesk.server.context import Read, State, Write, hash_token
from litdesk.server.errors import ApiError
from litdesk.server.models import LoginFailure, Token, User, utcnow
from litdesk.server.passwords import hash_password, needs_rehash, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])

# Verifying against this when the account does not exist keeps both paths equally slow.
_DUMMY_HASH = hash_password("no such account")


@router.post("/login", response_model=LoginOut,
             responses={401: {"model": ErrorOut}, 429: {"model": ErrorOut}})
def login(body: LoginIn, state: State) -> LoginOut:
    """Exchange an email and password for a bearer token.

    After five failed attempts within a minute for one account, further attempts answer 429
    until the minute has passed, whatever the password.
    """
    email = body.email.strip().lower()
    limit = state.settings.login_failures_per_minute
    with state.db.write() as session:
        since = utcnow() - timedelta(minutes=1)
        recent = session.execute(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.email == email, LoginFailure.at > since)
        ).scalar_one()
        if recent >= limit:
            raise ApiError(429, "too_many_requests",
                           "Too many failed sign-ins for this account. Wait a minute and retry.",
                           headers={"Retry-After": "60"})
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, body.password)
        if user is None or not ok:
            session.add(LoginFailure(email=email))
            session.execute(delete(LoginFailure).where(LoginFailure.at < since))
            session.commit()
            raise ApiError(401, "bad_credentials", "Wrong email or password.")
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(body.password)
        token = secrets.token_urlsafe(32)
        session.add(Token(user_id=user.id, token_hash=hash_token(token)))
        session.commit()
        return LoginOut(token=token, user=UserOut.model_validate(user))


@router.post("/logout", status_code=204, responses={401: {"model": ErrorOut}})
def logout(ctx: Write) -> Response:
    """Revoke the token this request carries."""
    ctx.session.execute(delete(Token).where(Token.token_hash == ctx.token_hash))
    return ctx.done(None, 204)


@router.get("/me", response_model=UserOut, responses={401: {"model": ErrorOut}})
def me(ctx: Read) -> UserOut:
    return UserOut.model_validate(ctx.user)
