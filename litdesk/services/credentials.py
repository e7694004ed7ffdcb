"""Remembering sign-in tokens in the operating system's keyring, and nowhere else.

A backend that would put the token in a file we cannot vouch for counts as no keyring at all:
keyring's "fail" and "null" backends, and every backend of ``keyrings.alt`` (its file backends
keep secrets as plain or base64 text on disk, and its encrypted one asks for a password on the
terminal). Without a keyring the person simply signs in each time; ``save`` says so with
:class:`NoKeyring` so the app can explain it once.
"""

from __future__ import annotations

import logging

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from litdesk.services.errors import NoKeyring

log = logging.getLogger(__name__)

_UNSAFE_MODULE_PREFIXES = ("keyrings.alt",)


def _usable(backend: KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring | null.Keyring | chainer.ChainerBackend):
        return False
    module = type(backend).__module__
    return not module.startswith(_UNSAFE_MODULE_PREFIXES)


def secure_backend() -> KeyringBackend | None:
    """The active keyring backend if it keeps secrets safely, else None.

    keyring's chainer tries its backends in priority order, so a plaintext backend could win the
    write; instead the highest-priority safe backend it chains is used, alone, for everything.
    """
    try:
        active = keyring.get_keyring()
        if isinstance(active, chainer.ChainerBackend):
            return next((b for b in active.backends if _usable(b)), None)
    except KeyringError as exc:  # NoKeyringError, InitError: no backend could be set up
        log.info("no keyring: %s", exc)
        return None
    return active if _usable(active) else None


class CredentialStore:
    """Tokens in the OS keyring under ``service``, one per (server, account).

    The keyring entry's user name is ``f"{server}|{account}"`` so the same account on two
    servers keeps two tokens. The backend is looked up on each call: the keyring can be
    unlocked or replaced while the app runs.
    """

    def __init__(self, service: str = "LitDesk") -> None:
        self.service = service

    @property
    def available(self) -> bool:
        return secure_backend() is not None

    def save(self, server: str, account: str, token: str) -> None:
        """Remember ``token``; ``NoKeyring`` if no safe keyring takes it (nothing is written)."""
        backend = self._backend()
        try:
            backend.set_password(self.service, _key(server, account), token)
        except KeyringError as exc:  # locked, refused, the keyring daemon went away
            raise NoKeyring(f"the keyring refused to store the token ({type(exc).__name__})",
                            code="keyring_refused") from exc

    def load(self, server: str, account: str) -> str | None:
        """The remembered token, or None if there is none or no keyring to hold one.

        A keyring that fails to answer (locked, the user dismissed its prompt) is logged and
        treated as holding nothing: the person signs in, and ``save`` then explains the failure.
        """
        backend = secure_backend()
        if backend is None:
            return None
        try:
            return backend.get_password(self.service, _key(server, account))
        except KeyringError as exc:
            log.warning("the keyring could not be read (%s); signing in again",
                        type(exc).__name__)
            return None

    def delete(self, server: str, account: str) -> None:
        """Forget the token. Nothing to forget is fine; a keyring that refuses is ``NoKeyring``
        (the token is still stored, and the person should know)."""
        backend = secure_backend()
        if backend is None:
            return
        try:
            backend.delete_password(self.service, _key(server, account))
        except PasswordDeleteError:
            return  # not stored: already forgotten
        except KeyringError as exc:
            raise NoKeyring(f"the keyring refused to forget the token ({type(exc).__name__})",
                            code="keyring_refused") from exc

    def _backend(self) -> KeyringBackend:
        backend = secure_backend()
        if backend is None:
            raise NoKeyring("no secure keyring is available", code="no_keyring")
        return backend


def _key(server: str, account: str) -> str:
    return f"{server.rstrip('/')}|{account}"
