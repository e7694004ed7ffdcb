"""The one HTTP client the desktop app uses to talk to a LitDesk server.

Every reply is parsed here, into the domain's wire models, and every failure becomes one of the
typed errors of :mod:`litdesk.services.errors` in one function, :func:`service_error`. Nothing
above this module sees httpx, a status code or a half-parsed body.

Reads (GET) are retried a few times with exponential backoff and full jitter when the server is
unreachable, failing (5xx) or rate limiting (429). Mutations are never retried here: the outbox
owns them and retries each with its own Idempotency-Key, so a retry can never apply twice.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import httpx
from pydantic import BaseModel, ValidationError

from litdesk.domain.wire import (
    AttachmentOut,
    ChangesPage,
    ErrorOut,
    LoginOut,
    OrderDetailOut,
    OrderPage,
    ThreadPage,
    UserOut,
)
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

log = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)

API_PREFIX = "/api/v1"
USER_AGENT = "LitDesk-desktop/0.1"
MAX_ATTEMPTS = 3          # for GETs; mutations get exactly one
BACKOFF_BASE = 0.25       # seconds; attempt n waits up to BACKOFF_BASE * 2**n (full jitter)
BACKOFF_CAP = 4.0
CONNECT_TIMEOUT = 5.0     # a server that does not accept within 5 s is as good as offline
# Below uvicorn's default keep-alive (5 s): reusing a connection the server is about to close
# would fail a POST that the client must not retry itself.
KEEPALIVE_EXPIRY = 4.0

_INVALID_STATUSES = {400, 413, 415, 422}
# The exact name of a download, as the server sends it (RFC 5987).
_FILENAME_STAR = re.compile(r"filename\*=UTF-8''([^;]+)", re.IGNORECASE)


def service_error(cause: httpx.Response | httpx.HTTPError) -> ServiceError:
    """The typed error for a failed exchange: a transport failure or an unsuccessful reply.

    This is the only place that knows what a status code means to the client. The server's error
    body (``{code, message, details}``) supplies the message and details when it has that shape.
    """
    if isinstance(cause, httpx.TransportError):  # includes every TimeoutException
        return Offline(f"cannot reach the server ({type(cause).__name__}: {cause})")
    if isinstance(cause, httpx.HTTPError):  # decoding errors and the like: the reply is broken
        return ServerError(f"malformed reply ({type(cause).__name__}: {cause})")
    status = cause.status_code
    body = _error_body(cause)
    message = body.message if body else f"HTTP {status} {cause.reason_phrase}".strip()
    kwargs: dict[str, Any] = {"code": body.code if body else "", "status": status,
                              "details": dict(body.details) if body else {}}
    if status == 401:
        return Unauthorized(message, **kwargs)
    if status == 403:
        return NotAllowed(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409:
        return Conflict(message, **kwargs)
    if status == 429:
        retry_after = cause.headers.get("Retry-After", "")
        if retry_after.isdigit():
            kwargs["details"].setdefault("retry_after", int(retry_after))
        return RateLimited(message, **kwargs)
    if status in _INVALID_STATUSES:
        return Invalid(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if 400 <= status < 500:
        # Another 4xx (405, 406, ...) means this request was wrong; the user cannot fix it, but
        # it is not the server failing either.
        return Invalid(message, **kwargs)
    return ServerError(f"unexpected reply: HTTP {status}", **kwargs)


def _error_body(response: httpx.Response) -> ErrorOut | None:
    try:
        return ErrorOut.model_validate_json(response.content)
    except ValidationError:
        return None  # a proxy's HTML page, an empty body...: the status alone has to do


def _retryable(error: ServiceError) -> bool:
    return isinstance(error, Offline | RateLimited) or (
        isinstance(error, ServerError) and (error.status or 0) >= 500)


def server_root(url: str) -> str:
    """``https://host`` from what a person typed: spaces, a trailing slash or ``/api/v1``."""
    root = url.strip().rstrip("/")
    return root[: -len(API_PREFIX)] if root.endswith(API_PREFIX) else root


class ApiClient:
    """A LitDesk server's API over one keep-alive ``httpx.Client``; safe to share between threads.

    ``base_url`` is the server's address (``https://host``; ``/api/v1`` is added). ``transport``
    replaces the network (tests); ``sleep`` is what waits between retries (tests pass a recorder).
    """

    def __init__(self, base_url: str, *, token: str | None = None,
                 transport: httpx.BaseTransport | None = None, timeout: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        root = server_root(base_url)
        if not root.startswith(("http://", "https://")):
            raise Invalid(f"The server address must start with http:// or https:// ({root!r}).")
        self.base_url = root
        self._timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not a secret
        self._lock = threading.Lock()  # guards the token; httpx.Client is itself thread-safe
        self._token = token
        # The token is added per request, never to the client's shared headers: another thread
        # may be building a request while set_token runs.
        self._http = httpx.Client(
            base_url=root + API_PREFIX, transport=transport, verify=True,
            timeout=self._timeouts(), follow_redirects=False,
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5,
                                keepalive_expiry=KEEPALIVE_EXPIRY),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __repr__(self) -> str:  # never the token
        return f"ApiClient({self.base_url!r}, signed_in={self.token is not None})"

    # --- session ---

    @property
    def token(self) -> str | None:
        with self._lock:
            return self._token

    def set_token(self, token: str | None) -> None:
        with self._lock:
            self._token = token

    def login(self, email: str, password: str) -> LoginOut:
        """Sign in and keep the new token for the following requests.

        A wrong password is ``Unauthorized`` with code ``bad_credentials`` (show its message);
        too many wrong ones, ``RateLimited``. No Idempotency-Key: the server stores no answer
        for sign-ins, since the answer holds the token.
        """
        body = self._once("POST", "/auth/login", json_body={"email": email, "password": password},
                          authorize=False)
        out = _parse(LoginOut, body, "/auth/login")
        self.set_token(out.token)
        return out

    def logout(self) -> None:
        """Revoke the token on the server and forget it here.

        The token is forgotten even if the server cannot be told (the error is raised after);
        a token the server no longer knows is already signed out, so that is not an error.
        """
        try:
            if self.token is not None:
                self._once("POST", "/auth/logout")
        except Unauthorized:
            pass
        finally:
            self.set_token(None)

    def me(self) -> UserOut:
        return _parse(UserOut, self._get("/auth/me"), "/auth/me")

    # --- reads ---

    def changes(self, after: int, limit: int = 500, wait: float = 0.0) -> ChangesPage:
        """The change feed after ``after``; with ``wait`` the server holds the request until a
        change arrives or ``wait`` seconds pass, so the read timeout grows by ``wait``."""
        params = {"after": after, "limit": limit, "wait": wait}
        body = self._get("/changes", params=params, timeout=self._timeouts(extra_read=wait))
        return _parse(ChangesPage, body, "/changes")

    def list_orders(self, **filters: Any) -> OrderPage:
        """GET /orders: ``status`` (a list), ``q``, ``needs_action``, ``sort``, ``limit``,
        ``offset``. Filters given as None are left out."""
        params = {name: value for name, value in filters.items() if value is not None}
        return _parse(OrderPage, self._get("/orders", params=params), "/orders")

    def get_order(self, order_id: int) -> OrderDetailOut:
        path = f"/orders/{int(order_id)}"
        return _parse(OrderDetailOut, self._get(path), path)

    def threads(self, offset: int = 0, limit: int = 500) -> ThreadPage:
        """GET /threads: the caller's threads, latest activity first, with unread counts."""
        body = self._get("/threads", params={"offset": offset, "limit": limit})
        return _parse(ThreadPage, body, "/threads")

    def download_attachment(self, attachment_id: str) -> tuple[str, bytes]:
        """An attachment's name and bytes (retried like every GET)."""
        path = f"/attachments/{attachment_id}"
        response: httpx.Response = self._get(path, raw=True)
        found = _FILENAME_STAR.search(response.headers.get("Content-Disposition", ""))
        name = unquote(found.group(1)) if found else ""
        return name, response.content

    def upload_attachment(self, file: Path, idempotency_key: str,
                          name: str | None = None) -> AttachmentOut:
        """POST /attachments with one file, sent once (the outbox retries it with the same
        key). The declared type is always the same, so a retry is the same request."""
        data = file.read_bytes()
        upload = {"file": (name or file.name, data, "application/octet-stream")}
        body = self._once("POST", "/attachments", files=upload,
                          headers={"Idempotency-Key": idempotency_key})
        return _parse(AttachmentOut, body, "/attachments")

    # --- mutations ---

    def send(self, method: str, path: str, body: Mapping[str, Any] | None,
             idempotency_key: str | None) -> dict[str, Any]:
        """One mutation, sent once. Returns the reply's JSON object (``{}`` for 204).

        The outbox passes the same ``idempotency_key`` each time it retries an entry, so the
        server applies it once and replays its stored answer afterwards.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        reply = self._once(method.upper(), path, json_body=None if body is None else dict(body),
                           headers=headers)
        if reply is None:
            return {}
        if not isinstance(reply, dict):
            raise ServerError(f"malformed reply from {path}: expected an object, "
                              f"got {type(reply).__name__}")
        return reply

    def close(self) -> None:
        """Close the connections; later calls raise ``Offline``."""
        self._http.close()

    # --- the exchange ---

    def _timeouts(self, extra_read: float = 0.0) -> httpx.Timeout:
        return httpx.Timeout(self._timeout, connect=min(CONNECT_TIMEOUT, self._timeout),
                             read=self._timeout + extra_read)

    def _get(self, path: str, *, params: Mapping[str, Any] | None = None,
             timeout: httpx.Timeout | None = None, raw: bool = False) -> Any:
        """A GET, retried with exponential backoff and full jitter while it may succeed later."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._once("GET", path, params=params, timeout=timeout, raw=raw)
            except ServiceError as error:
                if attempt == MAX_ATTEMPTS - 1 or not _retryable(error):
                    raise
                delay = self._rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt))
                log.info("GET %s failed (%s: %s); retry %d in %.2f s", path,
                         type(error).__name__, error.message, attempt + 1, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              json_body: Mapping[str, Any] | None = None,
              files: Mapping[str, tuple[str, bytes, str]] | None = None,
              headers: Mapping[str, str] | None = None, timeout: httpx.Timeout | None = None,
              authorize: bool = True, raw: bool = False) -> Any:
        """One request; the reply's JSON (None for an empty body), the response itself with
        ``raw``, or a typed error."""
        all_headers = dict(headers or {})
        token = self.token if authorize else None
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            response = self._http.request(
                method, path, params=params, json=json_body, files=files, headers=all_headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            error = service_error(exc)
            log.debug("%s %s -> %s", method, path, type(error).__name__)
            raise error from exc
        except RuntimeError as exc:
            if not self._http.is_closed:
                raise
            raise Offline("the client is closed") from exc
        # Method, path and status only: headers would carry the token.
        log.debug("%s %s -> %d (%.0f ms)", method, path, response.status_code,
                  (time.monotonic() - started) * 1000)
        if not response.is_success:
            raise service_error(response)
        if raw:
            return response
        if not response.content.strip():
            return None
        try:
            return json.loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both
            raise ServerError(f"malformed reply from {path}: not JSON",
                              status=response.status_code) from None


def _parse(model: type[Model], body: Any, path: str) -> Model:
    """``body`` as ``model``, or ServerError: a reply of the wrong shape is the server's fault.

    The message names the field, never its value, and the pydantic error is not chained: its
    text quotes the input, which for a sign-in is the token."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ServerError(f"malformed reply from {path}: {where}: {first['msg']}") from None
