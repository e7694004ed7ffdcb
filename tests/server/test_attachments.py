"""Uploading and downloading attachments over real HTTP: types judged by their bytes, safe
names, size limits (with and without Content-Length), who may download, idempotent retries."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from litdesk.domain.orders import Role
from litdesk.server.models import Attachment, Message, Order
from litdesk.server.services.attachments import MAX_NAME, safe_name
from tests.server.conftest import Account, LiveServer
from tests.server.factories import make_order

LIMIT = 1024 * 1024  # the test server's max_attachment_bytes
BOUNDARY = "litdesk-test-boundary-7f3a"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG (RGB, filter 0 on every row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes([200, 30, 90]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
# An ELF header (64-bit, little-endian, x86-64 executable) and a PE/DOS header, as real
# binaries start; both are longer than the detector's minimum and full of NUL bytes.
ELF = (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
       + b"\x00\x10\x40\x00\x00\x00\x00\x00" + b"\x00" * 200)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + \
    b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00\x4c\x01" + b"\x00" * 200


def multipart(filename: bytes, data: bytes, content_type: bytes = b"application/octet-stream",
              ) -> tuple[bytes, dict[str, str]]:
    """A multipart body written byte by byte, so names can hold what httpx would escape."""
    body = (b"--" + BOUNDARY.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
            b"Content-Type: " + content_type + b"\r\n\r\n" + data + b"\r\n"
            b"--" + BOUNDARY.encode() + b"--\r\n")
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload(account: Account, name: str, data: bytes, content_type: str = "application/octet-stream",
           **headers: str) -> httpx.Response:
    return account.client.post("/attachments", files={"file": (name, data, content_type)},
                               headers=headers)


@pytest.fixture(scope="module")
def uploader(live_server: LiveServer) -> Account:
    """One account for the many parametrized upload cases (signing in costs an Argon2 hash)."""
    return live_server.account(Role.INFLUENCER)


def attachment_rows(server: LiveServer) -> int:
    with server.db.read() as session:
        return session.execute(select(func.count()).select_from(Attachment)).scalar_one()


def stored(server: LiveServer, attachment_id: str) -> Attachment:
    with server.db.read() as session:
        row = session.get(Attachment, attachment_id)
        assert row is not None
        _ = row.data  # load the deferred bytes before the session closes
        return row


# --- round trip and headers ----------------------------------------------------------------------

def test_png_round_trips_byte_for_byte_with_safe_headers(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    data = png()
    response = upload(alice, "Screenshot 2024.png", data, "image/png")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/png"
    assert body["size"] == len(data)
    assert body["name"] == "Screenshot 2024.png"
    assert uuid.UUID(body["id"]).version == 4

    row = stored(server, body["id"])
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.uploader_id == alice.id
    assert row.data == data

    download = alice.client.get(f"/attachments/{body['id']}")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Screenshot%202024.png" in disposition


def test_text_is_accepted_by_content_and_served_as_utf8_text(server: LiveServer) -> None:
    alice = server.account(Role.ADVERTISER)
    data = "BMW launch notes: café, ünïcode, 日本語\n".encode()  # "BM" is also the BMP magic
    response = upload(alice, "notes", data, "application/x-msdownload")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "text/plain"
    assert response.json()["name"] == "notes.txt"
    download = alice.client.get(f"/attachments/{response.json()['id']}")
    assert download.content == data
    assert download.headers["content-type"] == "text/plain; charset=utf-8"


def test_pdf_declared_as_png_is_stored_and_served_as_pdf(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    response = upload(alice, "scan.png", PDF, "image/png")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "application/pdf"
    # The name's extension is made to agree with what the file really is.
    assert response.json()["name"] == "scan.png.pdf"
    assert stored(server, response.json()["id"]).content_type == "application/pdf"
    download = alice.client.get(f"/attachments/{response.json()['id']}")
    assert download.headers["content-type"] == "application/pdf"
    assert download.content == PDF
    assert "filename*=UTF-8''scan.png.pdf" in download.headers["content-disposition"]


# --- refused content ------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "detected"), [
    (ELF, "application/x-executable"),
    (PE, "application/x-msdownload"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "application/zip"),
    (bytes(range(256)) * 4, "application/octet-stream"),
])
def test_executables_archives_and_binary_junk_are_refused_415(
        server: LiveServer, uploader: Account, data: bytes, detected: str) -> None:
    alice = uploader
    before = attachment_rows(server)
    response = upload(alice, "invoice.pdf", data, "application/pdf")
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == "unsupported_type"
    assert body["details"]["detected"] == detected
    assert attachment_rows(server) == before


def test_empty_file_is_refused_422(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    before = attachment_rows(server)
    response = upload(alice, "empty.txt", b"", "text/plain")
    assert response.status_code == 422
    assert response.json()["code"] == "empty_file"
    assert attachment_rows(server) == before


def test_body_without_a_file_part_is_refused_422(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    response = alice.client.post("/attachments", data={"note": "no file"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert alice.client.post("/attachments", json={"file": "x"}).status_code == 422


def test_upload_needs_a_signed_in_caller(server: LiveServer) -> None:
    response = server.client().post("/attachments", files={"file": ("a.png", png(), "image/png")})
    assert response.status_code == 401


# --- size limits ---------------------------------------------------------------------------------

def _png_of_size(size: int) -> bytes:
    data = png()
    return data + b"\x00" * (size - len(data))


def test_a_file_of_exactly_the_limit_is_accepted(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    data = _png_of_size(LIMIT)
    response = upload(alice, "max.png", data, "image/png")
    assert response.status_code == 201, response.text
    assert response.json()["size"] == LIMIT


@pytest.mark.parametrize("size", [LIMIT + 1, 2 * LIMIT, 8 * LIMIT])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_upload_is_refused_413_and_nothing_is_stored(
        server: LiveServer, uploader: Account, size: int, chunked: bool) -> None:
    """One byte over is caught by the endpoint's exact check; bodies far over by the size-limit
    middleware, from Content-Length at once or, without one, while the chunks stream in."""
    alice = uploader
    body, headers = multipart(b"big.png", _png_of_size(size), b"image/png")
    before = attachment_rows(server)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    request = alice.client.build_request("POST", "/attachments",
                                         content=chunks() if chunked else body, headers=headers)
    if chunked:
        assert request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in request.headers
    else:
        assert int(request.headers["content-length"]) == len(body)
    response = alice.client.send(request)
    assert response.status_code == 413, response.text
    assert response.json() == {
        "code": "too_large", "message": "The upload is larger than the 1 MB limit.",
        "details": {"max_bytes": LIMIT},
    }
    assert attachment_rows(server) == before
    # The account (and the server) carry on normally.
    assert upload(alice, "small.png", png(), "image/png").status_code == 201


# --- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "data", "expected"), [
    (b"../../etc/passwd.png", png(), "passwd.png"),
    (b"..\\..\\x.pdf", PDF, "x.pdf"),
    (b"C:\\Users\\me\\Desktop\\brief.pdf", PDF, "brief.pdf"),
    (b"/var/www/../../.htaccess", b"deny from all\n", "htaccess.txt"),
    (b"evil\x00name.png", png(), "evilname.png"),
    (b"line\nbreak.png", png(), "linebreak.png"),
    (b"tab\tbell\x07.png", png(), "tabbell.png"),
    (b"...", png(), "attachment.png"),
    (b"", PDF, "attachment.pdf"),
    ("invoice\u202egnp.exe".encode(), png(), "invoicegnp.exe.png"),
    (b"a<b>:c|e?f*.png", png(), "a_b__c_e_f_.png"),
    ("café ☕.png".encode(), png(), "café ☕.png"),
])
def test_names_are_sanitised_in_what_is_stored_and_served(
        server: LiveServer, uploader: Account, raw: bytes, data: bytes, expected: str) -> None:
    alice = uploader
    body, headers = multipart(raw, data)
    response = alice.client.post("/attachments", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == expected
    assert stored(server, response.json()["id"]).name == expected

    download = alice.client.get(f"/attachments/{response.json()['id']}")
    disposition = download.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote(expected, safe='')}" in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert all(32 <= ord(ch) < 127 for ch in fallback)
    assert "/" not in fallback
    assert "\\" not in fallback


def test_names_sent_through_httpx_escaping_are_still_safe(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    response = upload(alice, "..\\..\\windows\\system32\\report.png", png(), "image/png")
    assert response.status_code == 201
    assert response.json()["name"] == "report.png"


@pytest.mark.parametrize(("raw", "content_type", "expected"), [
    ("photo.PNG", "image/png", "photo.PNG"),
    ("photo.jpeg", "image/jpeg", "photo.jpeg"),
    ("photo.png", "image/jpeg", "photo.png.jpg"),
    (".bashrc", "text/plain", "bashrc.txt"),
    ("  . hidden  .", "text/plain", "hidden.txt"),
    ("CON.txt", "text/plain", "_CON.txt"),
    ("nul", "application/pdf", "_nul.pdf"),
    (None, "image/webp", "attachment.webp"),
    ("a/b\\c/", "image/gif", "attachment.gif"),
    ("\u200b\ufeff", "image/gif", "attachment.gif"),
    ("two\r\nlines\u2028.pdf", "application/pdf", "twolines.pdf"),
    ('say "hi".txt', "text/plain", "say _hi_.txt"),
])
def test_safe_name_rules(raw: str | None, content_type: str, expected: str) -> None:
    assert safe_name(raw, content_type) == expected


@pytest.mark.parametrize("name", ["x" * 400 + ".png", "x" * 400, "é" * 300 + ".PNG"])
def test_long_names_are_cut_to_255_characters_keeping_the_extension(name: str) -> None:
    result = safe_name(name, "image/png")
    assert len(result) == MAX_NAME
    assert result.lower().endswith(".png")


# --- who may download ----------------------------------------------------------------------------

def test_an_attachment_is_private_until_used_in_a_thread_the_reader_can_see(
        server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    stranger = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    attachment_id = upload(advertiser, "logo.png", png(), "image/png").json()["id"]

    # Uploaded but not sent yet: only the uploader.
    assert advertiser.client.get(f"/attachments/{attachment_id}").status_code == 200
    assert influencer.client.get(f"/attachments/{attachment_id}").status_code == 404

    sent = advertiser.client.post(f"/threads/{order.thread_id}/messages",
                                  json={"text": "our logo", "attachment_ids": [attachment_id]})
    assert sent.status_code == 201, sent.text
    assert [a["id"] for a in sent.json()["attachments"]] == [attachment_id]

    assert influencer.client.get(f"/attachments/{attachment_id}").content == png()
    for who in (stranger, server.account(Role.INFLUENCER), server.account(Role.BRAND_STAFF)):
        response = who.client.get(f"/attachments/{attachment_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert stranger.client.get(f"/attachments/{uuid.uuid4()}").status_code == 404
    assert stranger.client.get("/attachments/" + "x" * 300).status_code == 404


def test_proof_of_delivery_is_readable_by_whoever_sees_the_order(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    stranger = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    attachment_id = upload(influencer, "proof.png", png(), "image/png").json()["id"]
    assert advertiser.client.get(f"/attachments/{attachment_id}").status_code == 404
    with server.db.write() as session:
        row = session.get(Order, order.id)
        assert row is not None
        row.proof_attachment_id = attachment_id
        session.commit()
    assert advertiser.client.get(f"/attachments/{attachment_id}").status_code == 200
    assert server.account(Role.MEDIATOR).client.get(
        f"/attachments/{attachment_id}").status_code == 200
    assert stranger.client.get(f"/attachments/{attachment_id}").status_code == 404


def test_a_message_may_not_carry_someone_elses_attachment(server: LiveServer) -> None:
    influencer = server.account(Role.INFLUENCER)
    advertiser = server.account(Role.ADVERTISER)
    stranger = server.account(Role.ADVERTISER)
    order = make_order(server, influencer, advertiser)
    theirs = upload(stranger, "secret.png", png(), "image/png").json()["id"]
    mine = upload(advertiser, "mine.png", png(), "image/png").json()["id"]

    for ids in ([theirs], [mine, theirs], [str(uuid.uuid4())]):
        response = advertiser.client.post(f"/threads/{order.thread_id}/messages",
                                          json={"text": "look", "attachment_ids": ids})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_attachment"
        assert response.json()["details"]["attachment_ids"] == [i for i in ids if i != mine]
    with server.db.read() as session:
        assert session.execute(select(func.count()).select_from(Message)
                               .where(Message.thread_id == order.thread_id)).scalar_one() == 0
    # The attempt did not make the stranger's file readable to the advertiser.
    assert advertiser.client.get(f"/attachments/{theirs}").status_code == 404


# --- retries -------------------------------------------------------------------------------------

def test_retried_upload_with_the_same_idempotency_key_stores_one_file(server: LiveServer) -> None:
    alice = server.account(Role.INFLUENCER)
    key = f"upload-{uuid.uuid4()}"
    before = attachment_rows(server)
    # httpx picks a new random multipart boundary each time, as a client re-encoding the file
    # after a restart would: the retry must still be recognised.
    first = upload(alice, "a.png", png(), "image/png", **{"Idempotency-Key": key})
    second = upload(alice, "a.png", png(), "image/png", **{"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert attachment_rows(server) == before + 1

    other = upload(alice, "b.png", png(3, 3), "image/png", **{"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert attachment_rows(server) == before + 1


def test_openapi_documents_the_upload(server: LiveServer) -> None:
    document = httpx.get(server.url + "/openapi.json", timeout=10).json()
    post = document["paths"]["/api/v1/attachments"]["post"]
    schema = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert {"201", "413", "415", "422"} <= set(post["responses"])
    get = document["paths"]["/api/v1/attachments/{attachment_id}"]["get"]
    assert "404" in get["responses"]
