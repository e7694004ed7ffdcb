"""Typed errors for everything the client's services do, and the one place that turns them into
words for the person using LitDesk."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a service raises to its callers."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}


class Offline(ServiceError):
    """The server could not be reached (no connection, refused, timed out)."""


class Unauthorized(ServiceError):
    """The token is missing, expired or revoked: the person must sign in again."""


class NotAllowed(ServiceError):
    """The server refused: this account may never do this (403)."""


class NotFound(ServiceError):
    """No such object, or not one this account may see (404)."""


class Conflict(ServiceError):
    """Someone else changed the object first (409); ``details["current"]`` may hold it."""


class Invalid(ServiceError):
    """The request broke a rule or an input was wrong (400, 413, 415, 422)."""


class RateLimited(ServiceError):
    """Too many attempts (429)."""


class ServerError(ServiceError):
    """The server failed (5xx) or answered something that is not the API's shape."""


class NoKeyring(ServiceError):
    """No usable OS keyring: tokens cannot be remembered between runs."""


def describe(error: BaseException) -> str:
    """The sentence shown to the user for ``error``: status bar, banner or dialog."""
    match error:
        case Offline():
            return ("You are offline. Your changes are kept and will be sent when the server "
                    "is back.")
        case Unauthorized() if error.code == "bad_credentials":
            return "Wrong email or password."
        case Unauthorized():
            return "Your session has ended. Please sign in again."
        case NotAllowed():
            return f"Not allowed: {error.message}"
        case NotFound():
            return "That item no longer exists, or you no longer have access to it."
        case Conflict():
            return ("Someone else changed this first. LitDesk has reloaded it; "
                    "check it and try again.")
        case RateLimited():
            return "Too many attempts. Wait a minute and try again."
        case Invalid():
            return error.message
        case ServerError():
            return f"The server had a problem: {error.message}"
        case NoKeyring():
            return ("No system keyring is available, so LitDesk cannot remember your sign-in. "
                    "You will be asked to sign in each time.")
        case ServiceError():
            return error.message
    return f"Unexpected error: {error}"
