"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Replaceable by tests with cheaper Argon2id parameters; hashes record their own parameters, so
# verification works across settings and ``needs_rehash`` upgrades old hashes on sign-in.
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher.check_needs_rehash(stored_hash)
