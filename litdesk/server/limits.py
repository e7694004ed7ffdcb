"""Refuse oversized request bodies before they are read into memory or stored (413)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room for the multipart envelope and the other form fields around the file itself.
_ENVELOPE = 64 * 1024


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; FastAPI lets HTTP exceptions from body reading pass."""

    def __init__(self, limit: int) -> None:
        mb = limit / (1024 * 1024)
        super().__init__(413, f"The upload is larger than the {mb:g} MB limit.")


class BodySizeLimit:
    """ASGI middleware: a declared Content-Length over the limit is refused at once; a body sent
    without one is counted as it streams and cut off as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.limit = max_bytes + _ENVELOPE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    await self._refuse(send)
                    return
        seen = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal seen, started, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Answer here, not from wherever the exception ends up: the app's exception
                    # handlers turn it into a 413 of their own, without the details and without
                    # closing the connection (the server would go on reading the rest).
                    if not started:
                        started = refused = True
                        await self._refuse(send)
                    raise BodyTooLarge(self.limit - _ENVELOPE)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is out; drop what the app's handlers answer instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        mb = (self.limit - _ENVELOPE) / (1024 * 1024)
        body = json.dumps({
            "code": "too_large",
            "message": f"The upload is larger than the {mb:g} MB limit.",
            "details": {"max_bytes": self.limit - _ENVELOPE},
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
