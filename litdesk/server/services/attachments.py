"""Uploaded files: what is accepted, how it is named, and who may download it.

The content type a client declares is **not trusted**. The type is detected from the file's own
bytes and only an allowlist is accepted: PNG, JPEG, GIF, WebP, PDF, and plain UTF-8 text. The
detected type is what is stored and what the file is served as (always as a download, with
``X-Content-Type-Options: nosniff``), so a file can never be served as something it is not.

The name a client gives is only a display name, never a path: it is reduced to a safe basename
(see :func:`safe_name`). The file itself is stored under a server-generated uuid4.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from typing import Any

import filetype
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from litdesk.server.access import orders_visible_to
from litdesk.server.errors import ApiError
from litdesk.server.models import Attachment, Message, MessageAttachment, Order, Thread, User
from litdesk.server.services.threads import thread_visible_clause

TEXT = "text/plain"

# Accepted types and, for each, the file extensions that agree with it (the first is the default).
ALLOWED: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    TEXT: (".txt", ".text", ".log", ".md", ".csv", ".tsv", ".json"),
}

MAX_NAME = 255
# Characters Windows refuses in file names; the desktop client saves attachments under this name.
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def too_large(limit: int) -> ApiError:
    mb = limit / (1024 * 1024)
    return ApiError(413, "too_large", f"The upload is larger than the {mb:g} MB limit.",
                    {"max_bytes": limit})


def detect_type(data: bytes) -> str:
    """The content type of ``data`` judged by its bytes, or 415 if it is not an accepted kind.

    Magic numbers come first. Data with no accepted signature is plain text only if it decodes
    as UTF-8 and holds no NUL byte (executables and archives always contain NULs); this also
    keeps text that happens to start like another format ("BM…", "MZ…") acceptable.
    """
    kind: Any = filetype.guess(data)
    detected: str | None = kind.mime if kind is not None else None
    if detected in ALLOWED:
        assert detected is not None
        return detected
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return TEXT
    what = detected or "unrecognised binary data"
    raise ApiError(
        415, "unsupported_type",
        f"This file looks like {what}, which cannot be attached. Accepted: PNG, JPEG, GIF and "
        "WebP images, PDF documents and plain text.",
        {"detected": detected or "application/octet-stream", "allowed": sorted(ALLOWED)},
    )


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def safe_name(raw: str | None, content_type: str) -> str:
    """A display name that is safe to show, to put in a header and to save a file under.

    Basename only (everything up to the last ``/`` or ``\\`` is dropped), NFC-normalised, no
    control or format characters (this covers NUL, newlines and bidi overrides), no characters
    Windows forbids, no leading dots or spaces, no trailing dots or spaces, not a reserved
    Windows device name, at most 255 characters, never empty. The extension always agrees with
    the detected type: if it does not, the type's extension is appended ("scan.png" holding a
    PDF becomes "scan.png.pdf"), so saving and opening the file never runs it as something else.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if ch in _WINDOWS_FORBIDDEN else ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    )
    name = name.lstrip(". \t").rstrip(". \t")
    extensions = ALLOWED.get(content_type, ("",))
    if not name:
        name = "attachment"
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    ext = _extension(name)
    suffix = "" if ext in extensions else extensions[0]
    if len(name) + len(suffix) > MAX_NAME:
        keep = "" if suffix else ext  # an agreeing extension is short; keep it whole
        stem = name[: len(name) - len(keep)]
        stem = stem[: MAX_NAME - len(keep) - len(suffix)].rstrip(". \t") or "attachment"
        name = stem + keep
    return name + suffix


def store_upload(session: Session, uploader: User, filename: str | None,
                 declared_type: str | None, data: bytes, *, max_bytes: int) -> Attachment:
    """Check and store one uploaded file; raise :class:`ApiError` before storing anything bad.

    ``declared_type`` (the client's Content-Type for the part) is ignored on purpose; see the
    module docstring. It is accepted here only so that callers pass everything they received.
    """
    del declared_type
    if not data:
        raise ApiError(422, "empty_file", "The file is empty.")
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    content_type = detect_type(data)
    attachment = Attachment(
        id=str(uuid.uuid4()), uploader_id=uploader.id, name=safe_name(filename, content_type),
        content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(attachment)
    session.flush()
    return attachment


def may_read(session: Session, user: User, attachment: Attachment) -> bool:
    """The uploader; anyone who can see a thread with a message carrying it; anyone who can see
    an order whose proof of delivery it is."""
    if attachment.uploader_id == user.id:
        return True
    in_visible_thread = exists(
        select(MessageAttachment.message_id)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Thread, Thread.id == Message.thread_id)
        .where(MessageAttachment.attachment_id == attachment.id, thread_visible_clause(user))
    )
    as_visible_proof = exists(
        orders_visible_to(user).with_only_columns(Order.id)
        .where(Order.proof_attachment_id == attachment.id)
    )
    return bool(session.execute(select(in_visible_thread | as_visible_proof)).scalar())
