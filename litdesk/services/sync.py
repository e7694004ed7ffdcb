"""The sync engine: sends the outbox and follows the change feed, on a thread of its own.

Each turn of the loop flushes the outbox, oldest entry first, then fetches the next feed page: in
pages of ``page_size`` without waiting while catching up (the first sync, or after a restart or
an outage), then by long-poll. Each page goes into the cache in one transaction and what changed
is announced by ``changed``.

Decisions
---------
* **Nothing waits on the network while holding the loop.** Every HTTP call runs on a short-lived
  daemon thread while the loop waits on a doorbell (``threading.Event``) rung by the call
  finishing, by ``submit`` and by ``stop``. So ``submit`` gets its action sent at once even in
  the middle of a 25-second long-poll (the poll stays in flight and its page is still applied),
  and ``stop`` returns in milliseconds. A call abandoned by ``stop`` finishes on its own and its
  result is dropped: a page not applied is fetched again, an entry not marked done is sent again
  with the same Idempotency-Key and the server replays its first answer.
* **Errors.** Unreachable, 5xx and 429: the flush stops (order matters), the state is "offline"
  and the loop backs off with full jitter (``backoff``: base and cap, seconds); ``submit`` cuts
  the wait short. Any other refusal of an entry rolls it back and emits ``action_failed``; a 409
  whose ``details.current`` holds the order updates the cache with it. 401 emits ``signed_out``
  and ends the loop.
* **Pipelined catch-up.** A page says where the next one starts, so while one page is written to
  the cache the next is already being fetched: the first sync costs about the larger of the two,
  not their sum (bench/sync.py).
* **Progress.** The feed does not say how much is left, only whether another page is ready
  (``more``), so the first sync reports pages and changes fetched, with ``progress`` None.
* **Files go first.** An entry with files uploads each one (``POST /attachments``, key
  ``<entry key>:<n>``: a retry after a crash gets the stored attachment back instead of a
  second copy), then sends the action with their ids. A file the server refuses (too large, a
  type it does not take) refuses the whole entry with the file's name in the explanation.
* **Checked before queued.** ``send_message`` and ``submit`` check every file (exists, not
  empty, at most ``max_attachment_bytes``) and copy it beside the cache before anything is
  written: a file that cannot go is explained through ``action_failed`` and nothing is queued.
  Copying runs on the caller's thread: at most 20 files of 10 MB, a local disk's matter.
* **Who am I.** "Mine" and "unread" need the user's id: given to the constructor, kept in the
  cache file, or asked once (``/auth/me``) before the first flush. After the first catch-up
  of a cache, read markers are seeded from the server's unread counts (``GET /threads``).
* **Shipping** (``shipping_action``, ``bulk_shipping``, ``bulk_message``, ``cancel_campaign``)
  go through the outbox like everything else (``shipping_actions.py``). A bulk action or message
  returns a token (its entry's Idempotency-Key); ``bulk_finished(token, BulkResult | None,
  error)`` arrives on the UI thread once the server answered (items it refused are also told
  through ``action_failed``) or refused the whole batch (``None`` and the reason).
* **Downloads** run on the engine's ``Background`` pool, never on the loop (a 10 MB file must
  not hold up the feed) nor on the UI thread; downloaded files are kept and reused.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import ValidationError
from PySide6.QtCore import QObject, Qt, QThread, Signal

from litdesk.domain.orders import Role
from litdesk.domain.wire import (
    AttachmentOut,
    BulkResult,
    BulkShippingIn,
    ChangesPage,
    ShippingActionIn,
    ThreadPage,
    TransitionIn,
    UserOut,
)
from litdesk.services import messages as msg
from litdesk.services import shipping_actions
from litdesk.services.background import Background
from litdesk.services.cache import LocalCache
from litdesk.services.errors import (
    Conflict,
    Invalid,
    Offline,
    RateLimited,
    ServerError,
    ServiceError,
    Unauthorized,
    describe,
)
from litdesk.services.messages import MARK_READ, SEND_MESSAGE
from litdesk.services.optimistic import ORDER_TRANSITION
from litdesk.services.outbox import (
    Outbox,
    OutboxAction,
    OutboxEntry,
    remove_staged,
    stage_files,
)
from litdesk.services.pulse import lower_this_thread
from litdesk.services.records import ChangeSet, SyncStatus

log = logging.getLogger(__name__)

T = TypeVar("T")


class SyncApi(Protocol):
    """What the engine needs of ``ApiClient``."""

    def changes(self, after: int, limit: int = ..., wait: float = ...) -> ChangesPage: ...

    def send(self, method: str, path: str, body: Mapping[str, Any] | None,
             idempotency_key: str | None) -> dict[str, Any]: ...

    def me(self) -> UserOut: ...

    def threads(self, offset: int = ..., limit: int = ...) -> ThreadPage: ...

    def upload_attachment(self, file: Path, idempotency_key: str,
                          name: str | None = ...) -> AttachmentOut: ...

    def download_attachment(self, attachment_id: str) -> tuple[str, bytes]: ...


class _Stopped(Exception):
    """``stop()`` was called: leave the loop now."""


class _Refused(Exception):
    """An entry cannot be sent as it is (a file the server refused, or that is gone)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SAFE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def _transient(error: ServiceError) -> bool:
    """Worth retrying later, with the same key: nothing was decided about the request."""
    if isinstance(error, Offline | RateLimited | ServerError):
        return True
    # The server answers 409 while a request with the same key is still being handled (our own
    # earlier attempt, after a timeout); that is no refusal, the outcome is not known yet.
    return isinstance(error, Conflict) and "Idempotency-Key" in error.message


class _Call(Generic[T]):
    """One blocking call on a daemon thread; rings ``doorbell`` when it is over."""

    def __init__(self, fn: Callable[[], T], doorbell: threading.Event) -> None:
        self._fn = fn
        self._doorbell = doorbell
        self.done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name="litdesk-sync-call", daemon=True).start()

    def _run(self) -> None:
        lower_this_thread()
        try:
            self._value = self._fn()
        except BaseException as error:  # handed to the loop by result()
            self._error = error
        finally:
            self.done.set()
            self._doorbell.set()

    def result(self) -> T:
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


@dataclass(frozen=True)
class _BulkDone:
    """What ``bulk_finished`` carries, posted to the UI thread."""

    token: str
    result: BulkResult | None
    error: str


@dataclass(frozen=True)
class _Refusal:
    """What ``action_failed`` (and, for one shipping request, ``request_refused``) carry,
    posted to the UI thread."""

    message: str
    action: OutboxAction


@dataclass
class _Progress:
    pages: int = 0
    changes: int = 0


class _LoopThread(QThread):
    def __init__(self, loop: Callable[[], None]) -> None:
        super().__init__()
        self._loop = loop
        self.setObjectName("litdesk-sync")

    def run(self) -> None:
        lower_this_thread()
        self._loop()


class SyncEngine(QObject):
    """Keeps the cache in step with the server and sends the user's actions (see the module's
    docstring). Its methods are for the UI thread; its signals are emitted from its own thread
    and so reach UI-thread receivers through Qt's queued connections."""

    changed = Signal(object)          # ChangeSet
    status_changed = Signal(object)   # SyncStatus
    action_failed = Signal(str, int)  # the explanation, the order id (0 for other objects)
    request_refused = Signal(str, int)  # the explanation, the shipping request (after the above)
    signed_out = Signal()
    attachment_fetched = Signal(str, str)  # attachment id, path of the file on this machine
    attachment_failed = Signal(str, str)   # attachment id, the explanation
    bulk_finished = Signal(str, object, str)  # token, BulkResult | None, the refusal or ""

    # What submit() reports goes through the UI thread's event queue like the loop's signals, so
    # receivers see every change in the order it was written to the cache.
    _deliver = Signal(object)

    def __init__(self, api: SyncApi, cache: LocalCache, *, viewer_role: Role,
                 long_poll_seconds: float = 25.0, page_size: int = 1000,
                 backoff: tuple[float, float] = (0.5, 30.0), user_id: int | None = None,
                 max_attachment_bytes: int = msg.MAX_ATTACHMENT_BYTES,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.cache = cache
        if user_id is not None and cache.user_id != user_id:
            cache.set_user_id(user_id)
        self.max_attachment_bytes = max_attachment_bytes
        self._background = Background(self, max_threads=2)
        self.outbox = Outbox(cache, viewer_role=viewer_role)
        self.viewer_role = viewer_role
        self.long_poll_seconds = long_poll_seconds
        self.page_size = page_size
        self.backoff = backoff
        self._doorbell = threading.Event()
        self._submitted = threading.Event()
        self._stopping = threading.Event()
        self._thread: _LoopThread | None = None
        self._state = "syncing"
        self._message = ""
        self._retry_at: float | None = None  # time.monotonic() of the next attempt, offline
        self._rng = random.Random()  # jitter, not a secret
        # Held while writing to the cache and posting what changed: two threads write (submit on
        # the UI thread, the loop here), and an older ChangeSet delivered after a newer one
        # would show a stale row until the order next changes.
        self._write_lock = threading.Lock()
        self._deliver.connect(self._delivered, Qt.ConnectionType.QueuedConnection)

    # --- the UI thread's side ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.isRunning():
            return
        self._stopping.clear()
        self._thread = _LoopThread(self._run)
        self._thread.start()

    def stop(self) -> None:
        """End the loop; returns within milliseconds (network calls in flight are abandoned)."""
        self._stopping.set()
        self._doorbell.set()
        if self._thread is None:
            return
        if self._thread.wait(2000):
            self._thread = None  # kept otherwise: Qt aborts on destroying a running QThread
        else:
            log.warning("the sync thread did not stop within 2 s")

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def submit(self, action: OutboxAction, *, key: str | None = None) -> None:
        """Queue ``action`` (under ``key`` if given), show it at once, and have the loop send
        it. Its files are checked and copied beside the cache first. A file that cannot go, or
        a refusal by the local rules, queues nothing and is reported through
        ``action_failed`` (and ``bulk_finished`` for a bulk action or message)."""
        staged: tuple[str, ...] = ()
        try:
            if action.files:
                staged = stage_files(action.files, self.cache.outbox_files,
                                     self.max_attachment_bytes)
                action = replace(action, files=staged)
            with self._write_lock:
                changes = self.outbox.enqueue(action, key=key)
                if not changes.is_empty():
                    self._deliver.emit(changes)
        except ServiceError as error:
            remove_staged(staged, self.cache.outbox_files)
            if key is not None and shipping_actions.reports_per_item(action.kind):
                self._deliver.emit(_BulkDone(key, None, describe(error)))
            self._deliver.emit(_Refusal(describe(error), action))
            return
        self._deliver.emit(self._status())
        self._submitted.set()
        self._doorbell.set()

    def transition(self, order_id: int, body: TransitionIn) -> None:
        """Take an order action (``body.version`` is the version the user saw)."""
        self.submit(OutboxAction(
            kind=ORDER_TRANSITION, method="POST", path=f"/orders/{order_id}/transitions",
            body=body.model_dump(mode="json", exclude_none=True), entity="order",
            entity_id=order_id))

    # --- the shipping queue ---------------------------------------------------------------------

    def shipping_action(self, request_id: int, body: ShippingActionIn) -> None:
        """Take an action on one request (``body.version``: the version the user saw)."""
        self.submit(shipping_actions.single_action(request_id, body))

    def bulk_shipping(self, body: BulkShippingIn) -> str:
        """One action on many requests, every item shown at once; the token of its
        ``bulk_finished``."""
        token = str(uuid.uuid4())
        self.submit(shipping_actions.bulk_action(self.cache.connection(), body), key=token)
        return token

    def bulk_message(self, request_ids: Sequence[int], text: str) -> str:
        """One text to the threads of the selected requests; the token of its
        ``bulk_finished``."""
        token = str(uuid.uuid4())
        self.submit(shipping_actions.message_action(request_ids, text), key=token)
        return token

    def cancel_campaign(self, campaign_id: int, reason: str) -> None:
        """Cancel the campaign: every request not yet sent shows Cancelled at once."""
        self.submit(shipping_actions.cancel_action(campaign_id, reason))

    # --- messages -------------------------------------------------------------------------------

    def send_message(self, thread_id: int, text: str, files: Sequence[Path] = ()) -> None:
        """Send ``text`` and ``files`` to the thread: a local echo ("sending") shows at once and
        the message goes out in turn, offline or not, exactly once. A message that cannot go
        (nothing in it, too long, a file too large or unreadable) is explained through
        ``action_failed`` and nothing is queued."""
        text = text.strip()
        problem = ""
        if not text and not files:
            problem = "Write something or attach a file."
        elif len(text) > msg.MAX_TEXT:
            problem = (f"This message is {len(text):,} characters long; a message can be at "
                       f"most {msg.MAX_TEXT:,}.")
        elif len(files) > msg.MAX_ATTACHMENTS:
            problem = f"Attach at most {msg.MAX_ATTACHMENTS} files to one message."
        action = OutboxAction(
            kind=SEND_MESSAGE, method="POST", path=f"/threads/{int(thread_id)}/messages",
            body={"text": text, "attachment_ids": []}, entity="thread", entity_id=thread_id,
            files=tuple(str(f) for f in files), attach_to="attachment_ids")
        if problem:
            self._deliver.emit(_Refusal(problem, action))
            return
        self.submit(action)

    def retry_message(self, local_id: int) -> None:
        """Send a refused message again (``local_id``: the echo's ``MessageItem.id`` or its
        ``local_id``, either sign)."""
        with self._write_lock:
            changes = self.outbox.retry_message(abs(local_id))
            if changes.is_empty():
                return
            self._deliver.emit(changes)
        self._deliver.emit(self._status())
        self._submitted.set()
        self._doorbell.set()

    def discard_message(self, local_id: int) -> None:
        """Delete a message not sent yet, with its copied files (``local_id`` as for
        ``retry_message``)."""
        with self._write_lock:
            changes = self.outbox.discard_message(abs(local_id))
            if changes.is_empty():
                return
            self._deliver.emit(changes)
        self._deliver.emit(self._status())

    def mark_read(self, thread_id: int, last_message_id: int) -> None:
        """The user has seen the thread up to ``last_message_id``: unread counts drop at once;
        the server is told in turn (only the newest marker of a thread is sent)."""
        if last_message_id <= 0:
            return
        self.submit(OutboxAction(
            kind=MARK_READ, method="POST", path=f"/threads/{int(thread_id)}/read",
            body={"last_read_message_id": int(last_message_id)}, entity="thread",
            entity_id=thread_id))

    def fetch_attachment(self, attachment_id: str, target: Path | None = None) -> None:
        """Get an attachment onto this machine, off the UI thread: downloaded once and kept
        beside the cache, then copied to ``target`` if given ("save as"). Ends with
        ``attachment_fetched(id, path)`` (``target``, or the kept copy to open) or
        ``attachment_failed(id, explanation)``."""
        job = self._background.run(self._fetch, attachment_id, target, name="fetch-attachment")
        job.succeeded.connect(partial(self._fetched, attachment_id))
        job.failed.connect(partial(self._fetch_failed, attachment_id))

    def _fetch(self, attachment_id: str, target: Path | None) -> tuple[str, ChangeSet]:
        if not _SAFE_ID.fullmatch(attachment_id):
            raise Invalid("This file has not been uploaded yet.")
        local = self.cache.download_path(attachment_id)
        changes = ChangeSet()
        if local is None:
            name, data = self.api.download_attachment(attachment_id)
            local = msg.save_download(self.cache.downloads_dir, attachment_id, name, data)
            changes = self.cache.record_download(attachment_id, local)
        if target is None:
            return str(local), changes
        msg.copy_file(local, target)
        return str(target), changes

    def _fetched(self, attachment_id: str, result: tuple[str, ChangeSet]) -> None:
        path, changes = result
        if not changes.is_empty():
            self.changed.emit(changes)
        self.attachment_fetched.emit(attachment_id, path)

    def _fetch_failed(self, attachment_id: str, error: BaseException) -> None:
        if isinstance(error, OSError):
            text = f"Cannot save the file: {error.strerror or error}."
        else:
            text = describe(error)
        self.attachment_failed.emit(attachment_id, text)

    def _explain(self, refusal: _Refusal) -> None:
        """``action_failed`` for everyone, then ``request_refused`` when the action was about
        one shipping request, so that the views that sent it can say which."""
        action = refusal.action
        self.action_failed.emit(refusal.message, self._order_of(action))
        if action.entity == "request":
            self.request_refused.emit(refusal.message, action.entity_id)

    def _order_of(self, action: OutboxAction) -> int:
        """The order an action is about, for ``action_failed`` (a thread's order, if any)."""
        if action.entity == "order":
            return action.entity_id
        if action.kind in (SEND_MESSAGE, MARK_READ):
            thread = self.cache.entity("thread", action.entity_id)
            return int(thread.get("order_id") or 0) if thread else 0
        return 0

    # --- the loop (its own thread) ----------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        delay = 0.0
        catching_up = True  # after every start: the cache may be far behind
        progress = _Progress()
        poll: _Call[ChangesPage] | None = None
        self._set_state("syncing", message="Connecting…")
        while not self._stopping.is_set():
            try:
                if delay:
                    self._pause(delay)
                    delay = 0.0
                if self.cache.user_id is None:
                    self.cache.set_user_id(self._call(self.api.me).id)
                self._flush()
                if poll is None:
                    wait = 0.0 if catching_up else self.long_poll_seconds
                    poll = _Call(partial(self.api.changes, self.cache.cursor(),
                                         limit=self.page_size, wait=wait), self._doorbell)
                if not self._wait_for(poll):
                    continue  # an action was submitted: send it, the poll stays in flight
                call, poll = poll, None
                page = call.result()
                if page.more:  # fetch the next page while this one is written
                    poll = _Call(partial(self.api.changes, page.cursor, limit=self.page_size,
                                         wait=0.0), self._doorbell)
                with self._write_lock:
                    changes = self.cache.apply_page(page)
                    if not changes.is_empty():
                        self.changed.emit(changes)
                failures = 0
                catching_up = page.more
                if not catching_up and not self.cache.markers_seeded():
                    self._seed_read_markers()
                if catching_up:
                    progress.pages += 1
                    progress.changes += len(page.changes)
                    self._set_state("syncing", message=(
                        f"Downloading changes: {progress.pages:,} pages, "
                        f"{progress.changes:,} changes so far"))
                else:
                    progress = _Progress()
                    self._set_state("online")
            except _Stopped:
                break
            except Unauthorized as error:
                self._set_state("signed_out", message=describe(error))
                self.signed_out.emit()
                break
            except Exception as error:
                # Unreachable, failing, a page the cache could not read, or a bug: try again
                # later; a bug must not end syncing silently for the rest of the session.
                if not isinstance(error, ServiceError):
                    log.exception("the sync loop failed; retrying")
                poll = None
                catching_up = True  # so that coming back shows at once, not after a long-poll
                failures += 1
                base, cap = self.backoff
                delay = self._rng.uniform(0, min(cap, base * 2 ** (failures - 1)))
                if isinstance(error, Offline | ServerError | RateLimited):
                    self._set_state("offline", message=describe(error), retry_in=delay)

    def _flush(self) -> None:
        """Send pending entries oldest first; raises on the first one that cannot be decided."""
        last = 0
        while True:
            entry = next((e for e in self.outbox.pending() if e.id > last), None)
            if entry is None:
                return
            last = entry.id
            self._send(entry)

    def _send(self, entry: OutboxEntry) -> None:
        action = entry.action
        try:
            body = self._upload(entry) if action.files else action.body
            answer = self._call(partial(self.api.send, action.method, action.path, body,
                                        entry.key))
        except Unauthorized:
            raise
        except _Refused as refusal:
            self._back_online()
            self._refuse(entry, refusal.message, None)
            return
        except ServiceError as error:
            if _transient(error):
                raise
            self._back_online()
            current = error.details.get("current") if isinstance(error, Conflict) else None
            self._refuse(entry, describe(error), current if isinstance(current, dict) else None)
            return
        self._back_online()
        with self._write_lock:
            changes = self.outbox.mark_done(entry.id, answer)
            if not changes.is_empty():
                self.changed.emit(changes)
        self._emit_status()
        if shipping_actions.reports_per_item(action.kind):
            self._report_bulk(entry, answer)

    def _report_bulk(self, entry: OutboxEntry, answer: Mapping[str, Any]) -> None:
        try:
            result = BulkResult.model_validate(answer)
        except ValidationError:
            self._deliver.emit(_BulkDone(entry.key, None, "LitDesk cannot read the server's "
                                         "answer; the queue shows what the server holds."))
            return
        self._deliver.emit(_BulkDone(entry.key, result, ""))
        summary = shipping_actions.bulk_summary(entry.action.kind, entry.action.body, result)
        if summary:
            self._deliver.emit(_Refusal(summary, entry.action))

    def _upload(self, entry: OutboxEntry) -> dict[str, Any]:
        """Upload the entry's files; its body with their ids. Raises what cannot be decided
        now (offline...) as it is, and a refusal of a file as ``_Refused``."""
        ids = []
        for index, name in enumerate(entry.action.files):
            path = Path(name)
            try:
                out = self._call(partial(self.api.upload_attachment, path,
                                         f"{entry.key}:{index}"))
            except OSError as error:
                raise _Refused(f"{path.name} can no longer be read ({error.strerror or error}); "
                               "attach it again.") from error
            except ServiceError as error:
                if _transient(error) or isinstance(error, Unauthorized):
                    raise
                raise _Refused(f"{path.name}: {describe(error)}") from error
            ids.append(out.id)
        return msg.with_attachments(entry.action.body, entry.action.attach_to, ids)

    def _refuse(self, entry: OutboxEntry, message: str, current: dict[str, Any] | None) -> None:
        with self._write_lock:
            if not self.outbox.is_pending(entry.id):
                return  # discarded meanwhile (its files went with it): nothing to explain
            changes = self.outbox.roll_back(entry.id, message, current)
            if not changes.is_empty():
                self.changed.emit(changes)
        self._emit_status()  # first: when the refusal is shown, the count is already right
        if shipping_actions.reports_per_item(entry.action.kind):
            self._deliver.emit(_BulkDone(entry.key, None, message))
        if entry.action.kind != MARK_READ:
            self._explain(_Refusal(message, entry.action))

    def _seed_read_markers(self) -> None:
        unread: dict[int, int] = {}
        try:
            while True:
                page = self._call(partial(self.api.threads, len(unread), 500))
                unread.update((t.id, t.unread) for t in page.items)
                if not page.items or len(unread) >= page.total:
                    break
        except ServiceError as error:
            if _transient(error) or isinstance(error, Unauthorized):
                raise
            # Asking again would not help; unread then counts from the start of each thread.
            log.warning("cannot read the unread counts: %s", error.message)
            unread = {}
        with self._write_lock:
            changes = self.cache.seed_read_markers(unread)
            if not changes.is_empty():
                self.changed.emit(changes)

    # --- waiting ----------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        call = _Call(fn, self._doorbell)
        while not call.done.is_set():
            self._ring_wait(None)
        return call.result()

    def _wait_for(self, call: _Call[Any]) -> bool:
        """Wait until ``call`` is over (True) or an action is submitted (False)."""
        while not call.done.is_set():
            if self._submitted.is_set():
                self._submitted.clear()
                return False
            self._ring_wait(None)
        return True

    def _pause(self, seconds: float) -> None:
        """Back off for ``seconds``, or until an action is submitted."""
        deadline = time.monotonic() + seconds
        while not self._submitted.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._ring_wait(left)
        self._submitted.clear()

    def _ring_wait(self, timeout: float | None) -> None:
        # Checked before sleeping and after waking; whoever rings sets their flag first, so a
        # ring between the check and the wait is not lost (the event stays set).
        if self._stopping.is_set():
            raise _Stopped
        self._doorbell.wait(timeout)
        self._doorbell.clear()
        if self._stopping.is_set():
            raise _Stopped

    # --- status -----------------------------------------------------------------------------------

    def _back_online(self) -> None:
        if self._state == "offline":
            self._set_state("online")

    def _set_state(self, state: str, *, message: str = "",
                   retry_in: float | None = None) -> None:
        self._state, self._message = state, message
        self._retry_at = None if retry_in is None else time.monotonic() + retry_in
        self._emit_status()

    def _emit_status(self) -> None:
        self.status_changed.emit(self._status())

    def _status(self) -> SyncStatus:
        retry_at = self._retry_at
        retry_in = None if retry_at is None else max(0.0, retry_at - time.monotonic())
        return SyncStatus(state=self._state, last_sync=self.cache.last_sync(),
                          pending=self.outbox.count(), progress=None, message=self._message,
                          retry_in=retry_in)

    def _delivered(self, item: object) -> None:
        """On the UI thread: what submit() posted."""
        if isinstance(item, ChangeSet):
            self.changed.emit(item)
        elif isinstance(item, SyncStatus):
            self.status_changed.emit(item)
        elif isinstance(item, _BulkDone):
            self.bulk_finished.emit(item.token, item.result, item.error)
        elif isinstance(item, _Refusal):
            self._explain(item)
