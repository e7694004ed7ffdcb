"""Messages endpoints: threads, messages, read markers, and attachments (upload and download)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from litdesk.domain.wire import (
    ID_MAX,
    AttachmentOut,
    ErrorOut,
    MessageIn,
    MessageOut,
    MessagePage,
    ReadIn,
    ThreadOut,
    ThreadPage,
)
from litdesk.server.context import Credentials, Mutation, Read, State, Write, mutation
from litdesk.server.errors import ApiError, not_found
from litdesk.server.models import Attachment
from litdesk.server.services import attachments as files
from litdesk.server.services import messages
from litdesk.server.services.threads import message_out, visible_thread

router = APIRouter(tags=["messages"])

_E = {"model": ErrorOut}
READ_ERRORS: dict[int | str, dict[str, Any]] = {401: _E, 404: _E, 422: _E}
# 400: a body that cannot be decoded at all (not UTF-8, broken multipart).
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {400: _E, 401: _E, 404: _E, 409: _E, 422: _E}
UPLOAD_FIELD = "file"
# Ids are 32-bit integer columns: a larger one cannot exist, and the databases refuse to compare
# with it (SQLite raises OverflowError), so it is refused up front as invalid (422).

Id = Annotated[int, Path(ge=1, le=ID_MAX)]


# --- attachments ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    filename: str | None
    declared_type: str | None
    data: bytes


async def read_upload(request: Request, state: State) -> Upload:
    """The ``file`` part of a multipart body, read into memory.

    The body is parsed here rather than through a ``File()`` parameter because the idempotency
    digest of the Write context reads the raw body, and a stream that FastAPI has already parsed
    as a form cannot be read again. Oversized bodies are cut off by ``limits.BodySizeLimit``
    while they stream in; the exact per-file limit is checked here, before anything is stored.
    """
    limit = state.settings.max_attachment_bytes
    async with request.form(max_files=1, max_fields=10) as form:
        parts = form.getlist(UPLOAD_FIELD)
        if len(parts) != 1 or not isinstance(parts[0], UploadFile):
            raise ApiError(422, "invalid",
                           f"{UPLOAD_FIELD}: send exactly one file, as multipart/form-data.",
                           {"errors": [{"loc": ["body", UPLOAD_FIELD],
                                        "msg": "Field required", "type": "missing"}]})
        part = parts[0]
        data = await part.read(limit + 1)
        if len(data) > limit:
            raise files.too_large(limit)
        return Upload(part.filename, part.content_type, data)


def _upload_digest(request: Request,
                   upload: Annotated[Upload, Depends(read_upload)]) -> str:
    """What makes two uploads "the same request" for the Idempotency-Key: the file's name,
    declared type and bytes, not the multipart encoding, whose boundary is random. A client that
    retries an upload after a restart re-encodes the body and must still get the stored answer."""
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, upload.filename or "",
                 upload.declared_type or ""):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(hashlib.sha256(upload.data).digest())
    return digest.hexdigest()


def _upload_mutation(request: Request, state: State, credentials: Credentials,
                     digest: Annotated[str, Depends(_upload_digest)]) -> Iterator[Mutation]:
    yield from mutation(request, state, credentials, digest)


UploadWrite = Annotated[Mutation, Depends(_upload_mutation)]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": [UPLOAD_FIELD],
            "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
        }}},
    },
}


@router.post(
    "/attachments", status_code=201, response_model=AttachmentOut, openapi_extra=_UPLOAD_BODY,
    responses={400: _E, 401: _E, 409: _E, 413: _E, 415: _E, 422: _E},
)
def upload_attachment(upload: Annotated[Upload, Depends(read_upload)],
                      ctx: UploadWrite) -> Response:
    """Upload one file (multipart field ``file``) to attach to a message or use as proof.

    The type is detected from the bytes; the declared Content-Type is ignored. Accepted: PNG,
    JPEG, GIF, WebP, PDF and UTF-8 text (415 otherwise). Empty files answer 422, files over the
    server's limit 413. The name is reduced to a safe display name. Until it is used in a
    message, only the uploader can download it.
    """
    attachment = files.store_upload(
        ctx.session, ctx.user, upload.filename, upload.declared_type, upload.data,
        max_bytes=ctx.state.settings.max_attachment_bytes)
    return ctx.done(AttachmentOut.model_validate(attachment), 201)


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact name in RFC 5987 form."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"description": "The file's bytes, as the type detected at upload.",
              "content": {t: {"schema": {"type": "string", "format": "binary"}}
                          for t in files.ALLOWED}},
        **READ_ERRORS,
    },
)
def download_attachment(attachment_id: str, ctx: Read) -> Response:
    """Download a file: the uploader, and anyone who can see a thread or order it is used in."""
    attachment = ctx.session.get(Attachment, attachment_id) if len(attachment_id) <= 36 else None
    if attachment is None or not files.may_read(ctx.session, ctx.user, attachment):
        raise not_found("attachment")
    data = attachment.data  # deferred: loaded only now that the caller may read it
    media_type = attachment.content_type
    if media_type == files.TEXT:
        media_type += "; charset=utf-8"  # it was checked to be UTF-8 at upload
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": content_disposition(attachment.name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    })


# --- threads -------------------------------------------------------------------------------------

@router.get("/threads", response_model=ThreadPage, responses=READ_ERRORS)
def list_threads(
    ctx: Read,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ThreadPage:
    """The caller's threads (orders and shipping requests they can see), most recent activity
    first, each with the caller's unread count."""
    return messages.list_threads(ctx.session, ctx.user, offset=offset, limit=limit)


@router.get("/threads/{thread_id}", response_model=ThreadOut, responses=READ_ERRORS)
def get_thread(thread_id: Id, ctx: Read) -> ThreadOut:
    return messages.thread_view(ctx.session, ctx.user,
                                visible_thread(ctx.session, ctx.user, thread_id))


@router.get("/threads/{thread_id}/messages", response_model=MessagePage, responses=READ_ERRORS)
def list_messages(
    thread_id: Id,
    ctx: Read,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX,
                                        description="Only messages older than this id.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """The newest ``limit`` messages (older than ``before`` if given), oldest first. To load
    older ones, ask again with ``before`` set to the first item's id while ``has_more``."""
    thread = visible_thread(ctx.session, ctx.user, thread_id)
    return messages.message_page(ctx.session, thread, before=before, limit=limit)


@router.post("/threads/{thread_id}/messages", status_code=201, response_model=MessageOut,
             responses=WRITE_ERRORS)
def send_message(thread_id: Id, body: MessageIn, ctx: Write) -> Response:
    """Send text and/or attachments (ids from POST /attachments, uploaded by the caller).

    Marks the thread read for the sender up to this message.
    """
    thread = visible_thread(ctx.session, ctx.user, thread_id)
    message = messages.send_message(ctx.session, ctx.user, thread, body.text, body.attachment_ids)
    return ctx.done(message_out(message), 201)


@router.post("/threads/{thread_id}/read", response_model=ThreadOut, responses=WRITE_ERRORS)
def mark_read(thread_id: Id, body: ReadIn, ctx: Write) -> Response:
    """Mark the thread read up to ``last_read_message_id``. The marker never moves backwards,
    nor past the thread's newest message. Answers the thread with the new unread count."""
    thread = visible_thread(ctx.session, ctx.user, thread_id)
    messages.mark_read(ctx.session, ctx.user, thread, body.last_read_message_id)
    return ctx.done(messages.thread_view(ctx.session, ctx.user, thread))


@router.get("/orders/{order_id}/thread", response_model=ThreadOut, responses=READ_ERRORS)
def order_thread(order_id: Id, ctx: Read) -> ThreadOut:
    """The quick-message thread of an order."""
    thread = messages.order_thread(ctx.session, ctx.user, order_id)
    return messages.thread_view(ctx.session, ctx.user, thread)


@router.get("/requests/{request_id}/thread", response_model=ThreadOut, responses=READ_ERRORS)
def request_thread(request_id: Id, ctx: Read) -> ThreadOut:
    """The thread between a shipping request's creator and the brand's staff."""
    thread = messages.request_thread(ctx.session, ctx.user, request_id)
    return messages.thread_view(ctx.session, ctx.user, thread)
