"""One error shape for every 4xx and 5xx answer: ``{"code", "message", "details"}``.

Handlers here turn every exception into that shape; a stack trace never reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from litdesk.domain.orders import IllegalTransition, MissingInput, NotPermitted, OrderRuleError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, raised anywhere in the server."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def not_found(what: str = "object") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def conflict(message: str, current: Any = None) -> ApiError:
    details = {"current": current} if current is not None else {}
    return ApiError(409, "conflict", message, details)


def from_rule(error: OrderRuleError) -> ApiError:
    """Map a domain refusal to HTTP: never allowed → 403, not now or missing input → 422."""
    if isinstance(error, NotPermitted):
        return ApiError(403, "not_allowed", error.reason)
    if isinstance(error, MissingInput):
        return ApiError(422, "missing_input", error.reason, {"missing": list(error.missing)})
    if isinstance(error, IllegalTransition):
        return ApiError(422, "illegal_transition", error.reason)
    return ApiError(422, "rule_violation", error.reason)


class Replayed(Exception):
    """A repeated Idempotency-Key: answer with the stored response."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def error_response(status: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "details": details or {}},
        status_code=status, headers=headers,
    )


_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "not_allowed", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(OrderRuleError)
    async def _rule(_request: Request, exc: OrderRuleError) -> Response:
        api = from_rule(exc)
        return error_response(api.status, api.code, api.message, api.details)

    @app.exception_handler(Replayed)
    async def _replayed(_request: Request, exc: Replayed) -> Response:
        return Response(exc.body, status_code=exc.status,
                        media_type="application/json" if exc.body else None,
                        headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> Response:
        # Endpoints lock rows before checking versions; this is the safety net if one does not.
        return error_response(409, "conflict", "Someone else changed this just now. Reload it "
                              "and try again.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"][1:]) or "request"
        return error_response(422, "invalid", f"{where}: {first['msg']}", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal", "The server failed to handle this request.")
