"""CredentialStore over keyring, with an in-memory backend standing in for the OS keyring (the
only fake here: CI has no keyring daemon)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked

from litdesk.services.credentials import CredentialStore
from litdesk.services.errors import NoKeyring
from tests.memory_keyring import MemoryKeyring

TOKEN = "tok-9f8e7d6c5b4a-very-secret"


class LockedKeyring(MemoryKeyring):
    """A keyring whose user dismissed the unlock prompt."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


class PlaintextFileKeyring(MemoryKeyring):
    """Looks like keyrings.alt's file backend, which keeps secrets as base64 text on disk."""

    priority = 5


PlaintextFileKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    """Tests set their own backend with keyring.set_keyring; the real one comes back after."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_save_load_delete_round_trip() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    store = CredentialStore()
    assert store.available
    store.save("https://litdesk.example/", "maya@example.test", TOKEN)
    assert memory.entries == {("LitDesk", "https://litdesk.example|maya@example.test"): TOKEN}
    assert store.load("https://litdesk.example", "maya@example.test") == TOKEN
    assert store.load("http://127.0.0.1:8000", "maya@example.test") is None
    store.delete("https://litdesk.example", "maya@example.test")
    assert store.load("https://litdesk.example", "maya@example.test") is None
    store.delete("https://litdesk.example", "maya@example.test")  # nothing left: fine


def test_each_server_and_account_has_its_own_token() -> None:
    keyring.set_keyring(MemoryKeyring())
    store = CredentialStore(service="LitDesk-test")
    store.save("https://a.example", "me@x.test", "token-a")
    store.save("https://b.example", "me@x.test", "token-b")
    store.save("https://a.example", "you@x.test", "token-c")
    assert store.load("https://a.example", "me@x.test") == "token-a"
    assert store.load("https://b.example", "me@x.test") == "token-b"
    assert store.load("https://a.example", "you@x.test") == "token-c"
    assert CredentialStore().load("https://a.example", "me@x.test") is None  # other service


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, the XDG folders and the working directory all inside ``tmp_path``."""
    home = tmp_path / "home"
    for name, sub in [("HOME", ""), ("XDG_DATA_HOME", ".local/share"),
                      ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                      ("XDG_STATE_HOME", ".local/state")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_holding_the_token(root: Path) -> list[Path]:
    needles = [TOKEN.encode(), base64.b64encode(TOKEN.encode())]
    return [path for path in root.rglob("*")
            if path.is_file() and any(n in path.read_bytes() for n in needles)]


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlaintextFileKeyring()],
                         ids=["fail", "null", "keyrings.alt file"])
def test_without_a_safe_keyring_nothing_is_stored_anywhere(
        private_home: Path, backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    store = CredentialStore()
    assert not store.available
    with pytest.raises(NoKeyring):
        store.save("https://litdesk.example", "maya@example.test", TOKEN)
    assert store.load("https://litdesk.example", "maya@example.test") is None
    store.delete("https://litdesk.example", "maya@example.test")
    if isinstance(backend, PlaintextFileKeyring):
        assert backend.entries == {}
    assert files_holding_the_token(private_home) == []


def test_a_chainer_uses_its_best_safe_backend_only(monkeypatch: pytest.MonkeyPatch) -> None:
    unsafe, safe = PlaintextFileKeyring(), MemoryKeyring()
    # keyring chains every installed backend by priority; here the plaintext one ranks first.
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [unsafe, safe])
    keyring.set_keyring(chainer.ChainerBackend())
    store = CredentialStore()
    assert store.available
    store.save("https://litdesk.example", "maya@example.test", TOKEN)
    assert unsafe.entries == {}
    assert list(safe.entries.values()) == [TOKEN]
    assert store.load("https://litdesk.example", "maya@example.test") == TOKEN


def test_a_chainer_of_nothing_safe_is_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [PlaintextFileKeyring()])
    keyring.set_keyring(chainer.ChainerBackend())
    assert not CredentialStore().available


def test_a_locked_keyring_refuses_saving_and_deleting_and_loads_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    keyring.set_keyring(LockedKeyring())
    store = CredentialStore()
    assert store.available
    with pytest.raises(NoKeyring) as caught:
        store.save("https://litdesk.example", "maya@example.test", TOKEN)
    assert caught.value.code == "keyring_refused"
    with pytest.raises(NoKeyring):
        store.delete("https://litdesk.example", "maya@example.test")
    with caplog.at_level(logging.WARNING):
        assert store.load("https://litdesk.example", "maya@example.test") is None
    assert "could not be read" in caplog.text
