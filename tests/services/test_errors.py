"""Every typed error has words for the user, chosen in one place."""

from __future__ import annotations

import pytest

from litdesk.services import errors as e


@pytest.mark.parametrize("kind", [e.Offline, e.Unauthorized, e.NotAllowed, e.NotFound, e.Conflict,
                                  e.Invalid, e.RateLimited, e.ServerError, e.NoKeyring])
def test_each_kind_is_described_in_its_own_words(kind: type[e.ServiceError]) -> None:
    text = e.describe(kind("detail from the server"))
    assert text
    others = {e.describe(k("detail from the server")) for k in
              (e.Offline, e.Unauthorized, e.NotAllowed, e.NotFound, e.Conflict, e.RateLimited,
               e.ServerError, e.NoKeyring, e.Invalid) if k is not kind}
    assert text not in others


def test_wrong_password_is_not_called_an_ended_session() -> None:
    assert e.describe(e.Unauthorized("x", code="bad_credentials")) == "Wrong email or password."
    assert "sign in again" in e.describe(e.Unauthorized("x"))


def test_invalid_shows_the_servers_reason_and_unknown_errors_are_labelled() -> None:
    assert e.describe(e.Invalid("Cannot complete while the order is Pending.")) == \
        "Cannot complete while the order is Pending."
    assert e.describe(ValueError("boom")).startswith("Unexpected error")
