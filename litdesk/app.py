"""LitDesk's composition root: the command line, and ``LitDeskApp``, which builds the services,
models and window and connects their signals.

Only this module and ``sign_in.py`` (how a token is obtained) know every layer. Startup never
blocks the UI thread: the embedded server's start, keyring reads, sign-in and the cache's first
load all run through ``Background`` and continue in callbacks on the UI thread.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs
from PySide6.QtCore import QEventLoop, QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QApplication, QStackedWidget

from litdesk.domain.orders import Role
from litdesk.domain.wire import PayIn, RatingIn, SurveyIn, TransitionIn
from litdesk.models.notifications import NotificationModel
from litdesk.models.order_board import OrderBoardModel
from litdesk.models.shipping_queue import ShippingQueueModel
from litdesk.services import heap, pulse
from litdesk.services.background import Background
from litdesk.services.cache import LocalCache
from litdesk.services.credentials import CredentialStore
from litdesk.services.errors import describe
from litdesk.services.notifications import NotificationFeed
from litdesk.services.optimistic import ORDER_TRANSITION
from litdesk.services.order_details import (
    ORDER_PAYMENT,
    ORDER_RATING,
    ORDER_SURVEY,
    load_details,
    refused_order,
    version_seen,
)
from litdesk.services.outbox import OutboxAction
from litdesk.services.records import ChangeSet, OrderRow, SyncStatus
from litdesk.services.sync import SyncEngine
from litdesk.sign_in import SignedIn, SignInFlow
from litdesk.views.account_picker import ROLE_TITLES, AccountPicker
from litdesk.views.main_window import VIEWS, MainWindow
from litdesk.views.message_panel import MessagePanel
from litdesk.views.messages_area import MessagesArea
from litdesk.views.notification_centre import NotificationCentre
from litdesk.views.order_board import OrderBoardView
from litdesk.views.scan_station import ScanStation
from litdesk.views.settings_dialog import SettingsDialog, check_server_url
from litdesk.views.shipping_queue import ShippingQueueView
from litdesk.views.sign_in_dialog import SignInDialog
from litdesk.views.tray import SETTINGS_KEY as DESKTOP_NOTIFICATIONS
from litdesk.views.tray import NotificationTray

APP_NAME = "LitDesk"
FIRST_SYNC_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    server: str | None = None
    demo: bool = False
    account: str | None = None
    data_dir: Path | None = None
    screenshot: Path | None = None
    view: str | None = None  # None: Orders, or Shipping for a brand's logistics staff
    size: tuple[int, int] | None = None


def _size(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d{2,5})[xX](\d{2,5})", text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x800, not {text!r}")
    return int(found.group(1)), int(found.group(2))


def _server(text: str) -> str:
    url, problem = check_server_url(text)
    if problem or not url:
        raise argparse.ArgumentTypeError(problem or "the server URL must not be empty")
    return url


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="litdesk", description="LitDesk desktop app.")
    parser.add_argument("--server", type=_server, metavar="URL",
                        help="use this remote server (default: the built-in one)")
    parser.add_argument("--demo", action="store_true",
                        help="use the built-in server with demo data and pick a demo account")
    parser.add_argument("--account", metavar="EMAIL",
                        help="sign in as this demo or local account without asking")
    parser.add_argument("--data-dir", type=Path, metavar="PATH",
                        help="keep the built-in database, the cache and settings here")
    parser.add_argument("--screenshot", type=Path, metavar="PATH",
                        help="wait for the first sync, save the window as a PNG and exit")
    parser.add_argument("--view", choices=VIEWS, default=None,
                        help="the page to show first (default: Orders; Shipping for brand staff)")
    parser.add_argument("--size", type=_size, metavar="WxH", help="window size, e.g. 1280x800")
    args = parser.parse_args(argv)
    if args.server and args.demo:
        parser.error("--demo uses the built-in server; leave out --server")
    return Options(server=args.server, demo=args.demo, account=args.account,
                   data_dir=args.data_dir, screenshot=args.screenshot, view=args.view,
                   size=args.size)


# --- what the order view asks for, as outbox actions ------------------------------------------

PROOF_FIELD = "proof_attachment_id"


def _order_action(kind: str, order_id: int, tail: str, body: PayIn | RatingIn | SurveyIn |
                  TransitionIn, entity: str = "order") -> OutboxAction:
    return OutboxAction(kind=kind, method="POST", path=f"/orders/{order_id}/{tail}",
                        body=body.model_dump(mode="json", exclude_none=True), entity=entity,
                        entity_id=order_id)


def transition_action(order_id: int, body: TransitionIn) -> OutboxAction:
    return _order_action(ORDER_TRANSITION, order_id, "transitions", body)


def proof_file_action(order_id: int, body: TransitionIn, path: str) -> OutboxAction:
    """*Complete* with a screenshot as proof: the engine uploads ``path`` first and puts the
    attachment's id into the body's ``proof_attachment_id``."""
    return OutboxAction(kind=ORDER_TRANSITION, method="POST",
                        path=f"/orders/{order_id}/transitions",
                        body=body.model_dump(mode="json", exclude_none=True,
                                             exclude={PROOF_FIELD}),
                        entity="order", entity_id=order_id, files=(path,), attach_to=PROOF_FIELD)


def payment_action(order_id: int, body: PayIn) -> OutboxAction:
    """An "order" entry: the server answers with the order, which the outbox then stores. Not
    shown before the answer: only the payment provider knows whether the charge goes through."""
    return _order_action(ORDER_PAYMENT, order_id, "pay", body)


def rating_action(order_id: int, body: RatingIn) -> OutboxAction:
    return _order_action(ORDER_RATING, order_id, "ratings", body, ORDER_RATING)


def survey_action(order_id: int, body: SurveyIn) -> OutboxAction:
    return _order_action(ORDER_SURVEY, order_id, "survey", body, ORDER_SURVEY)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_")[:40]


# A batch this large comes from catching up (a first sync, a return after a long time offline).
_SETTLE_ROWS = 256


@dataclass(eq=False)
class Session:
    """One signed-in account on one server: its cache, sync engine, board model and view."""

    who: SignedIn
    cache: LocalCache
    engine: SyncEngine
    model: OrderBoardModel
    board: OrderBoardView
    quick: MessagePanel          # the open order's thread, right of the order view
    messages: MessagesArea       # every thread, the Messages view
    notes: NotificationModel
    centre: NotificationCentre
    shipping: ShippingDesk | None = None  # brand staff only
    synced: bool = False  # the first sync has reached the head of the feed


@dataclass(eq=False)
class ShippingDesk:
    """The Shipping view of a brand's logistics staff: the queue, and the scan-to-ship station
    that takes its place while a parcel table is worked."""

    model: ShippingQueueModel
    queue: ShippingQueueView
    station: ScanStation
    page: QStackedWidget


class LitDeskApp(QObject):
    """The whole app without its event loop: ``start()`` shows the window and begins (server,
    sign-in, sync), ``close()`` takes everything down. Tests build it directly."""

    session_started = Signal(object)  # Session
    first_sync_done = Signal()
    startup_failed = Signal(str)

    def __init__(self, options: Options, *, credentials: CredentialStore | None = None,
                 settings: QSettings | None = None, long_poll_seconds: float = 25.0,
                 backoff: tuple[float, float] = (0.5, 30.0), page_size: int = 1000) -> None:
        super().__init__()
        self.options = options
        self.data_dir = options.data_dir or Path(platformdirs.user_data_dir(APP_NAME,
                                                                            appauthor=False))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if settings is None:
            settings = (QSettings(str(self.data_dir / "settings.ini"), QSettings.Format.IniFormat)
                        if options.data_dir else QSettings())
        self.settings = settings
        self.credentials = credentials or CredentialStore()
        self._long_poll_seconds = long_poll_seconds
        self._backoff = backoff
        self._page_size = page_size
        self.background = Background(self)
        self.pulse = pulse.Pulse(parent=self)
        pulse.install(self.pulse)
        self.window = MainWindow()
        self.tray = NotificationTray(
            enabled=bool(settings.value(DESKTOP_NOTIFICATIONS, True, type=bool)), parent=self)
        self.tray.enabled_changed.connect(
            lambda on: self.settings.setValue(DESKTOP_NOTIFICATIONS, on))
        self.tray.order_requested.connect(self.reveal_order)
        self.tray.request_requested.connect(self.reveal_request)
        self.tray.window_requested.connect(self._raise_window)
        self.window.add_view_option(self.tray.toggle_action)
        self.flow = SignInFlow(self.window, self.background, settings, self.credentials,
                               self.data_dir, demo=options.demo, account=options.account,
                               unattended=options.screenshot is not None)
        self.flow.signed_in.connect(self._open_session)
        self.flow.failed.connect(self._fail)
        self.flow.signed_out.connect(self._signed_out_view)
        self.session: Session | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._server_override = options.server
        self._closed = False

        self.window.settings_requested.connect(self.open_settings)
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.sign_in_requested.connect(self.flow.sign_in_again)
        view = self.window.order_view
        view.transition_requested.connect(self._request_transition)
        view.payment_requested.connect(self._request_payment)
        view.rating_requested.connect(self._request_rating)
        view.survey_requested.connect(self._request_survey)
        if options.size:
            self.window.resize(*options.size)
        self.window.show_view(options.view or "orders")

    @property
    def sign_in_dialog(self) -> SignInDialog | None:
        return self.flow.sign_in_dialog

    @property
    def account_picker(self) -> AccountPicker | None:
        return self.flow.account_picker

    def server_url(self) -> str:
        """The remote server in use; empty for the built-in one."""
        if self.options.demo:
            return ""
        return self._server_override or str(self.settings.value("server/url", "") or "")

    def start(self) -> None:
        heap.settle()  # what start-up built stays: no full collection walks it again
        self.window.show()
        self.flow.start(self.server_url())

    def _fail(self, text: str) -> None:
        self.window.status_line.set_status(SyncStatus(state="offline", message=text))
        self.window.show_error(text)
        self.startup_failed.emit(text)

    # --- a session -----------------------------------------------------------------------------

    def _cache_path(self, server_key: str, email: str) -> Path:
        # Readable, with a hash so that two servers with similar names never share a file.
        digest = hashlib.sha256(f"{server_key}|{email}".encode()).hexdigest()[:12]
        name = f"{_slug(server_key.split('://')[-1])}-{_slug(email)}-{digest}.sqlite3"
        folder = self.data_dir / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def _open_session(self, who: SignedIn) -> None:
        self._end_session()
        role = Role(who.user.role)
        cache = LocalCache(self._cache_path(who.server_key, who.user.email),
                           user_id=who.user.id)
        engine = SyncEngine(who.api, cache, viewer_role=role,
                            long_poll_seconds=self._long_poll_seconds, backoff=self._backoff,
                            page_size=self._page_size, user_id=who.user.id)
        model = OrderBoardModel(role)
        board = OrderBoardView(model)
        quick = MessagePanel(cache, engine)
        messages = MessagesArea(cache, engine)
        notes = NotificationModel(NotificationFeed(cache, who.user.id), parent=self.window)
        centre = NotificationCentre(notes, self.window)
        session = Session(who, cache, engine, model, board, quick, messages, notes, centre)
        self.session = session
        self._wire_messages(session)
        if role is Role.BRAND_STAFF:
            self._wire_shipping(session)
            if self.options.view is None:
                self.window.show_view("shipping")

        engine.changed.connect(lambda changes: self._on_changed(session, changes))
        engine.status_changed.connect(lambda status: self._on_status(session, status))
        engine.action_failed.connect(
            lambda text, order_id: self._on_refused(session, text, order_id))
        engine.signed_out.connect(lambda: self._on_token_refused(session))
        board.order_activated.connect(self.open_order)

        where = {"demo": "Demo data", "local": "On this computer"}.get(who.server_key,
                                                                      who.server_key)
        self.window.set_account(who.user.name, f"{ROLE_TITLES[role]} · {where}")
        self.window.order_view.set_viewer(role, who.user.id)
        self.window.set_signed_in(True, can_sign_out=who.server_key != "local")
        self.window.status_line.set_starting("Loading your orders…")

        def loaded(rows: list[OrderRow]) -> None:
            if session is not self.session:
                return
            model.set_rows(rows)
            heap.settle()
            if rows or cache.cursor() > 0:  # else keep "Loading…" until the first sync says
                self.window.set_board(board)
            engine.start()

        # 100k rows take a noticeable moment: read them off the UI thread.
        self.background.run(cache.order_rows, on_success=loaded,
                            on_failure=lambda error: self._fail(describe(error)))
        self.session_started.emit(session)

    def _wire_messages(self, session: Session) -> None:
        """The quick-message panel beside the order, the Messages view, the notifications."""
        engine, quick, area, notes = (session.engine, session.quick, session.messages,
                                      session.notes)
        self.window.order_view.set_side_panel(quick)
        self.window.set_page("messages", area)
        for panel in (quick, area.panel):
            engine.attachment_fetched.connect(panel.on_attachment_fetched)
            engine.attachment_failed.connect(panel.on_attachment_failed)
        self.window.order_view.order_changed.connect(self._show_order_thread)
        area.order_requested.connect(self.reveal_order)
        area.unread_changed.connect(lambda n: self.window.set_view_badge("messages", n))
        self.window.set_view_badge("messages", area.total_unread())
        # Before the engine starts: the feed must see the first "syncing" status, or the pages
        # of the initial download would be announced.
        engine.changed.connect(notes.apply)
        engine.status_changed.connect(notes.set_status)
        notes.arrived.connect(self.tray.notify)
        session.centre.order_requested.connect(self.reveal_order)
        session.centre.request_requested.connect(self.reveal_request)
        self.window.add_session_tool(session.centre.make_button())

    def _wire_shipping(self, session: Session) -> None:
        engine, cache = session.engine, session.cache
        model = ShippingQueueModel(cache)
        queue = ShippingQueueView(model, cache, engine, background=self.background)
        station = ScanStation(cache, engine)
        page = QStackedWidget()
        page.addWidget(queue)
        page.addWidget(station)
        desk = ShippingDesk(model, queue, station, page)
        session.shipping = desk

        def changed(changes: ChangeSet) -> None:
            if session is self.session:
                model.apply(changes)  # first: the views read the model's new state
                queue.on_changed(changes)

        engine.changed.connect(changed)
        engine.bulk_finished.connect(queue.on_bulk_finished)
        engine.request_refused.connect(queue.on_request_refused)
        engine.request_refused.connect(station.on_request_refused)
        queue.station_requested.connect(lambda: page.setCurrentWidget(station))
        station.close_requested.connect(lambda: page.setCurrentWidget(queue))
        queue.request_activated.connect(self.reveal_request)
        self.window.set_page("shipping", page)

    def _end_session(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        if session.shipping is not None:
            session.engine.bulk_finished.disconnect()
            session.engine.request_refused.disconnect()
            self.window.set_page("shipping", None)
            session.shipping.page.deleteLater()
        session.engine.stop()
        for signal in (session.engine.changed, session.engine.status_changed,
                       session.engine.action_failed, session.engine.signed_out,
                       session.engine.attachment_fetched, session.engine.attachment_failed):
            signal.disconnect()
        self.window.order_view.order_changed.disconnect(self._show_order_thread)
        self.window.order_view.set_side_panel(None)
        self.window.set_page("messages", None)
        self.window.set_view_badge("messages", 0)
        self.window.clear_session_tools()
        session.centre.close()
        for widget in (session.quick, session.messages, session.centre):
            widget.deleteLater()
        session.notes.deleteLater()
        session.cache.close()
        heap.release()  # what the session left in reference cycles can be collected
        self.window.clear_board()

    def _signed_out_view(self, text: str) -> None:
        self._end_session()
        self.window.clear_board(text)
        self.window.set_account("")
        self.window.set_signed_in(False)
        self.window.status_line.set_status(SyncStatus(state="signed_out"))

    # --- what the engine says ------------------------------------------------------------------

    def _on_changed(self, session: Session, changes: ChangeSet) -> None:
        if session is not self.session:
            return
        session.model.apply(changes)
        session.quick.apply(changes)
        session.messages.apply(changes)
        shown = self.window.order_view.order_id
        if shown and session.quick.thread_id() is None and changes.threads:
            self._show_order_thread(shown)  # the order's thread has just arrived
        if len(changes.orders) >= _SETTLE_ROWS:  # catching up: the rows are here to stay
            heap.settle()
        if self.window.board() is not session.board:
            self.window.set_board(session.board)
        shown = self.window.order_view.order_id
        if shown is None:
            return
        if shown in changes.removed_orders:
            self.window.order_view.clear()
        elif shown in changes.order_events or any(row.id == shown for row in changes.orders):
            self.open_order(shown)

    def _on_status(self, session: Session, status: SyncStatus) -> None:
        if session is not self.session:
            return
        self.window.status_line.set_status(status)
        if status.state == "online" and not session.synced:
            session.synced = True
            heap.settle()
            if self.window.board() is not session.board:
                self.window.set_board(session.board)  # an account with no orders yet
            self.first_sync_done.emit()

    def _on_refused(self, session: Session, text: str, order_id: int) -> None:
        if session is not self.session:
            return
        self.window.show_error(text)
        view = self.window.order_view
        if view.order_id is not None and refused_order(session.engine.outbox,
                                                       order_id) == view.order_id:
            self.open_order(view.order_id)  # the rolled-back state, with the reason above it
            view.show_refusal(text)

    def _on_token_refused(self, session: Session) -> None:
        if session is self.session:
            self.flow.token_refused(session.who)

    # --- what the person asks for --------------------------------------------------------------

    def open_order(self, order_id: int) -> None:
        """Show the order in the order view, or bring it up to date (from the cache: a few rows
        by key, no network; an order already shown reads only its newer log entries)."""
        session = self.session
        if session is None:
            return
        view = self.window.order_view
        after = view.events_model.last_id() if view.order_id == order_id else 0
        view.show_details(load_details(session.cache, session.engine.outbox, order_id,
                                       events_after=after))

    def _seen(self, order_id: int, version: int) -> int:
        session, shown = self.session, self.window.order_view.order
        if session is None or shown is None or shown.id != order_id:
            return version
        return version_seen(shown.model_dump(mode="json"), session.cache.order(order_id),
                            version)

    def _request_transition(self, order_id: int, body: TransitionIn, proof_file: str) -> None:
        body = body.model_copy(update={"version": self._seen(order_id, body.version)})
        self._submit(proof_file_action(order_id, body, proof_file) if proof_file
                     else transition_action(order_id, body))

    def _request_payment(self, order_id: int, body: PayIn) -> None:
        body = body.model_copy(update={"version": self._seen(order_id, body.version)})
        self._submit(payment_action(order_id, body))

    def _request_rating(self, order_id: int, body: RatingIn) -> None:
        self._submit(rating_action(order_id, body))

    def _request_survey(self, order_id: int, body: SurveyIn) -> None:
        self._submit(survey_action(order_id, body))

    def _submit(self, action: OutboxAction) -> None:
        """Queue what the order view asked for; the engine shows it at once and explains a
        refusal through ``action_failed``."""
        session = self.session
        if session is None:
            return
        session.engine.submit(action)
        shown = self.window.order_view.order_id
        if shown == action.entity_id:
            # A rating or survey changes no order row, so no ``changed`` follows; its outbox
            # entry is written by now and the view stops offering it.
            self.open_order(shown)

    def _show_order_thread(self, order_id: int) -> None:
        session = self.session
        if session is None:
            return
        thread = session.cache.thread_for_order(order_id) if order_id else None
        session.quick.set_thread(thread.id if thread else None, thread.title if thread else "")

    def reveal_order(self, order_id: int) -> None:
        """Bring the order up from anywhere (a notification, the Messages view): the Orders
        view, the order current on the board when it shows there, and open."""
        session = self.session
        if session is None:
            return
        self.window.show_view("orders")
        session.board.select_order(order_id)
        self.open_order(order_id)
        self._raise_window()

    def reveal_request(self, request_id: int) -> None:
        """A shipping request's conversation, in the Messages view."""
        session = self.session
        thread = session.cache.thread_for_request(request_id) if session else None
        if session is None or thread is None:
            return
        self.window.show_view("messages")
        session.messages.open_thread(thread.id)
        self._raise_window()

    def _raise_window(self) -> None:
        if self.window.isMinimized():
            self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def sign_out(self) -> None:
        session = self.session
        if session is not None and session.who.server_key != "local":
            self.flow.sign_out(session.who)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.server_url(), parent=self.window)
        dialog.accepted.connect(lambda: self._apply_settings(dialog.server_url()))
        self.settings_dialog = dialog
        dialog.open()

    def _apply_settings(self, url: str) -> None:
        if url == self.server_url():
            return
        self.settings.setValue("server/url", url)
        self._server_override = None
        self.options = replace(self.options, demo=False, account=None)
        self._signed_out_view("Switching servers…")
        self.window.show_status_message("Server changed.")
        self.flow.demo, self.flow.account = False, None
        self.flow.start(url)

    # --- ending --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        pulse.uninstall(self.pulse)
        self._end_session()
        if self.settings_dialog is not None:
            self.settings_dialog.close()
        self.background.shutdown()
        self.flow.close()
        self.settings.sync()
        self.window.close()
        self.window.deleteLater()

    # --- screenshots ---------------------------------------------------------------------------

    def screenshot(self, path: Path, timeout_s: float = FIRST_SYNC_TIMEOUT_S) -> int:
        """Start, wait for the first sync, save the window to ``path``; 0 on success."""
        loop = QEventLoop()
        outcome: list[str] = []

        def finish(problem: str) -> None:
            if not outcome:
                outcome.append(problem)
                loop.quit()

        self.first_sync_done.connect(lambda: finish(""))
        self.startup_failed.connect(finish)
        QTimer.singleShot(int(timeout_s * 1000), lambda: finish(
            f"the first sync did not finish within {timeout_s:.0f} s"))
        self.start()
        loop.exec()
        if outcome[0]:
            print(f"litdesk: no screenshot: {outcome[0]}", file=sys.stderr)
            return 1
        session = self.session
        if session is not None and session.model.rowCount() > 0:
            # An open order shows more of the app than an empty pane.
            first = session.model.order_id(0)
            session.board.select_order(first)
            self.open_order(first)
        threads = session.cache.threads() if session is not None else []
        if session is not None and threads:  # likewise the latest conversation
            session.messages.open_thread(threads[0].id)
        # Twice: layout requests posted while handling the first batch need a second pass.
        for _ in range(2):
            QApplication.sendPostedEvents()
            QApplication.processEvents()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(path), "PNG"):
            print(f"litdesk: could not write {path}", file=sys.stderr)
            return 1
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.screenshot is not None:
        # Nothing needs to appear on a screen; this also works where there is none.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication(
        [sys.argv[0] if sys.argv else "litdesk"])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setOrganizationName(APP_NAME)
    app = LitDeskApp(options)
    try:
        if options.screenshot is not None:
            return app.screenshot(options.screenshot)
        app.start()
        return int(qt_app.exec())
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
