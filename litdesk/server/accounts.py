"""Creating accounts (the command line, demo data and tests share this)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from litdesk.domain.orders import Role
from litdesk.server.models import Brand, User
from litdesk.server.passwords import hash_password


class AccountError(ValueError):
    pass


def create_user(session: Session, *, email: str, name: str, role: Role | str, password: str,
                brand_id: int | None = None, handle: str | None = None) -> User:
    role = Role(role)
    if role is Role.PAYMENT_SYSTEM:
        raise AccountError("the payment system is not a person and has no account")
    if role is Role.BRAND_STAFF and brand_id is None:
        raise AccountError("brand staff need a brand")
    email = email.strip().lower()
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise AccountError(f"an account with the email {email} already exists")
    user = User(email=email, name=name, role=role.value, password_hash=hash_password(password),
                brand_id=brand_id, handle=handle)
    session.add(user)
    session.flush()
    return user


def create_brand(session: Session, name: str) -> Brand:
    brand = Brand(name=name)
    session.add(brand)
    session.flush()
    return brand
