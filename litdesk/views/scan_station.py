"""The scan-to-ship station: one big input that a barcode scanner types into.

A scanner is a keyboard that types fast and presses Enter. The station takes two scans per
parcel: first the packing slip's code (``LDR-123``, ``*LDR-123*``) or a typed request id, then the
parcel's tracking number. The request is then marked shipped, a large green panel names the
creator, the computer beeps once, and the input is ready for the next parcel. Anything wrong (a
code that is no request, a request not Ready to Ship, an invalid or already used tracking
number) shows a red panel saying what to do, and beeps three times.

Decisions
---------
* **Two steps, one field.** The field never leaves the keyboard focus, so a person can work with
  the scanner alone; the step is said in words above it ("Scan the tracking number for …").
* **An invalid tracking number asks again** for the same request (the person rescans the label);
  Escape drops the current request, so the next scan is a packing slip again.
* **Shipping goes through the outbox** (``shipping_action`` with the request's ``version``): the
  confirmation shows at once, as the cache does; a refusal that comes back later
  (``SyncEngine.request_refused``, naming the request) turns the parcel's history line red and
  repeats the error beeps.
* **Duplicates** are checked against the cache (``tracking_owner``) and against what this
  station shipped since it opened (the cache may not show it yet).
* **Sound** is ``QApplication.beep()`` — once for shipped, three times for a problem, so a
  person who is not looking at the screen can tell them apart. The beeper is injectable.
* **Shipping without a tracking number** is a button (Ctrl+Enter) rather than a scan, for parcels
  sent by a carrier without tracking.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain import tracking
from litdesk.domain.shipping import IssueState, RequestState, ShippingAction
from litdesk.domain.wire import ShippingActionIn, ShippingRequestOut
from litdesk.services.records import RequestRow
from litdesk.views.packing_slips import SLIP_PREFIX, parse_slip_code, slip_code
from litdesk.views.text_styles import as_muted, as_title

ERROR_BEEPS = 3
BEEP_GAP_MS = 160

_PANEL_COLOURS = {  # (background, text): readable in light and dark themes alike
    "ok": (QColor("#1b7f3b"), QColor("#ffffff")),
    "error": (QColor("#b3261e"), QColor("#ffffff")),
    "idle": (QColor("#e8eaed"), QColor("#202124")),
    "working": (QColor("#e8f1fb"), QColor("#123f6b")),
}

STATE_WORDS: dict[RequestState, str] = {
    RequestState.PENDING: "still Pending (accept it first)",
    RequestState.REFUSED: "Refused",
    RequestState.READY_TO_SHIP: "Ready to Ship",
    RequestState.SENT: "already Sent",
    RequestState.CANCELLED: "Cancelled",
}


class StationSource(Protocol):
    """What the station reads (``LocalCache``)."""

    def request(self, request_id: int) -> RequestRow | None: ...

    def tracking_owner(self, number: str) -> int | None: ...


class StationActions(Protocol):
    """What the station asks of the sync engine."""

    def shipping_action(self, request_id: int, body: ShippingActionIn) -> object: ...


class Step(Enum):
    REQUEST = "request"
    TRACKING = "tracking"


def carrier_text(carrier: tracking.Carrier | None) -> str:
    """A detected carrier as the request's ``carrier`` field holds it ("" for none)."""
    return carrier.value if carrier is not None else ""


class ResultPanel(QFrame):
    """The large coloured panel: a symbol and a headline (never colour alone) and a detail."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumHeight(150)
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        as_title(self.headline, 2.2)
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        as_title(self.detail, 1.2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addStretch(1)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self.kind = ""
        self.setAccessibleName("Scan result")

    def show_result(self, kind: str, headline: str, detail: str = "") -> None:
        background, foreground = _PANEL_COLOURS[kind]
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, background)
        palette.setColor(QPalette.ColorRole.WindowText, foreground)
        self.setPalette(palette)
        self.kind = kind
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setAccessibleDescription(f"{headline}. {detail}")


class ScanStation(QWidget):
    """See the module's docstring. ``shipped(request_id)`` after a request is sent to be marked
    shipped; ``close_requested`` when the person asks to leave the station (the app decides)."""

    shipped = Signal(int)
    close_requested = Signal()

    def __init__(self, source: StationSource, actions: StationActions,
                 parent: QWidget | None = None, *,
                 beep: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.engine = actions
        self.beep = beep or QApplication.beep
        self.step = Step.REQUEST
        self.current: ShippingRequestOut | None = None
        self.shipped_here: dict[int, QListWidgetItem] = {}
        self.refused_here: dict[int, QListWidgetItem] = {}
        self.numbers_here: dict[str, int] = {}
        self._beeps_left = 0
        self._beeper = QTimer(self)
        self._beeper.setInterval(BEEP_GAP_MS)
        self._beeper.timeout.connect(self._next_beep)

        self.setAccessibleName(self.tr("Scan-to-ship station"))
        self.title = QLabel(self.tr("Scan-to-ship station"))
        as_title(self.title)
        self.step_label = QLabel()
        self.step_label.setWordWrap(True)
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        as_title(self.step_label, 1.25)
        self.input = QLineEdit()
        self.input.setAccessibleName(self.tr("Scan or type here"))
        self.input.setClearButtonEnabled(False)
        font = self.input.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        self.input.setFont(font)
        self.input.setMinimumHeight(self.input.fontMetrics().height() + 20)
        self.request_label = QLabel()
        self.request_label.setWordWrap(True)
        self.request_label.setTextFormat(Qt.TextFormat.PlainText)
        self.panel = ResultPanel()
        self.no_tracking_button = QPushButton(self.tr("Ship without tracking number"))
        self.no_tracking_button.setToolTip(self.tr("Ctrl+Enter"))
        self.cancel_button = QPushButton(self.tr("Start over (Esc)"))
        self.leave_button = QPushButton(self.tr("Leave the station"))
        self.history_label = QLabel(self.tr("Shipped at this station"))
        as_muted(self.history_label)
        self.history = QListWidget()
        self.history.setAccessibleName(self.tr("Shipped at this station"))
        self.history.setMaximumHeight(180)
        self._build()

        self.input.returnPressed.connect(self._on_enter)
        self.input.installEventFilter(self)
        self.no_tracking_button.clicked.connect(self.ship_without_tracking)
        self.cancel_button.clicked.connect(self.start_over)
        self.leave_button.clicked.connect(self.close_requested)
        self.setFocusProxy(self.input)
        self._ask_for_request()
        self.panel.show_result("idle", self.tr("Ready"),
                               self.tr("Scan a packing slip to begin."))

    def _build(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.no_tracking_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.leave_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.step_label)
        layout.addWidget(self.input)
        layout.addWidget(self.request_label)
        layout.addLayout(buttons)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.history_label)
        layout.addWidget(self.history)

    # --- what a scan does ---------------------------------------------------------------------

    def scan(self, text: str) -> None:
        """Takes one scan (what the field holds when Enter is pressed)."""
        text = text.strip()
        if not text:
            return
        if self.step is Step.REQUEST:
            self._take_request(text)
        else:
            self._take_tracking(text)

    def start_over(self) -> None:
        """Drops the current request (Escape): the next scan is a packing slip again."""
        if self.current is not None:
            self.panel.show_result("idle", self.tr("Cancelled"), self.tr(
                "{code} was not shipped. Scan the next packing slip.").format(
                code=slip_code(self.current.id)))
        self._ask_for_request()

    def ship_without_tracking(self) -> None:
        if self.step is Step.TRACKING and self.current is not None:
            self._ship(self.current.id, "", "")

    def on_request_refused(self, message: str, request_id: int) -> None:
        """Slot for ``SyncEngine.request_refused``: a parcel shipped here was refused (the cache
        has rolled it back already)."""
        self._refused(request_id, message)

    def _refused(self, request_id: int, message: str) -> None:
        item = self.shipped_here.pop(request_id, None) or self.refused_here.get(request_id)
        if item is None:
            return
        self.refused_here[request_id] = item
        for number, owner in list(self.numbers_here.items()):
            if owner == request_id:
                del self.numbers_here[number]
        code = slip_code(request_id)
        reason = message or self.tr("the server refused it")
        item.setText(self.tr("✗ {code} was NOT shipped: {reason}").format(code=code,
                                                                         reason=reason))
        item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical))
        self._error(self.tr("{code} was not shipped").format(code=code), reason)

    # --- Qt overrides -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is not self.input or event.type() != QEvent.Type.KeyPress
                or not isinstance(event, QKeyEvent)):
            return super().eventFilter(watched, event)
        if event.key() == Qt.Key.Key_Escape:
            self.start_over()
            return True
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.ship_without_tracking()  # QLineEdit would take it as a plain Enter
            return True
        return super().eventFilter(watched, event)

    # --- the two steps ------------------------------------------------------------------------

    def _on_enter(self) -> None:
        text = self.input.text()
        self.input.clear()
        self.scan(text)

    def _ask_for_request(self) -> None:
        self.step = Step.REQUEST
        self.current = None
        self.step_label.setText(self.tr("1. Scan a packing slip (or type a request id)"))
        self.request_label.setText("")
        self.request_label.hide()
        self.no_tracking_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.input.setPlaceholderText(f"{SLIP_PREFIX}…")
        self.input.clear()
        self.input.setFocus()

    def _take_request(self, text: str) -> None:
        request_id = parse_slip_code(text)
        if request_id is None:
            self._error(self.tr("“{text}” is not a packing slip").format(text=text), self.tr(
                "Scan the code on the packing slip ({prefix}…) first, then the tracking "
                "number.").format(prefix=SLIP_PREFIX))
            return
        code = slip_code(request_id)
        if request_id in self.shipped_here:
            self._error(self.tr("{code} is already shipped").format(code=code),
                        self.tr("It was shipped at this station. Scan the next packing slip."))
            return
        row = self.source.request(request_id)
        if row is None:
            self._error(self.tr("No request {code}").format(code=code), self.tr(
                "This account has no such request. Check the packing slip."))
            return
        request = row.request
        if request.state is not RequestState.READY_TO_SHIP:
            detail = self.tr("{name}'s request is {state}.").format(
                name=request.creator_name, state=STATE_WORDS[request.state])
            if request.state is RequestState.SENT and request.tracking_number:
                detail += " " + self.tr("Tracking number {number}.").format(
                    number=request.tracking_number)
            self._error(self.tr("{code} is not Ready to Ship").format(code=code), detail)
            return
        self.current = request
        self.step = Step.TRACKING
        self.step_label.setText(self.tr("2. Scan the tracking number for {code}").format(
            code=code))
        self.request_label.setText(self._describe(request))
        self.request_label.show()
        self.no_tracking_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.input.setPlaceholderText(self.tr("Tracking number"))
        self.panel.show_result("working", f"{code} — {request.creator_name}",
                               self.tr("Now scan the parcel's tracking number."))

    def _take_tracking(self, text: str) -> None:
        assert self.current is not None
        code = slip_code(self.current.id)
        if text.upper().lstrip("*").startswith(SLIP_PREFIX):
            self._error(self.tr("That is a packing slip"), self.tr(
                "Scan the tracking number for {code}, or press Esc to start over.").format(
                code=code))
            return
        result = tracking.check(text)
        if not result.valid:
            self._error(self.tr("Invalid tracking number"), self.tr(
                "{problem} Scan the tracking number for {code} again.").format(
                problem=result.problem, code=code))
            return
        owner = self.numbers_here.get(result.number) or self.source.tracking_owner(
            result.number)
        if owner is not None and owner != self.current.id:
            self._error(self.tr("Tracking number already used"), self.tr(
                "{number} is on {other}. Scan the tracking number for {code} again.").format(
                number=result.number, other=slip_code(owner), code=code))
            return
        self._ship(self.current.id, carrier_text(result.carrier), result.number)

    def _ship(self, request_id: int, carrier: str, number: str) -> None:
        row = self.source.request(request_id)  # the newest version, in case it moved
        if row is None or row.request.state is not RequestState.READY_TO_SHIP:
            state = STATE_WORDS[row.request.state] if row else self.tr("gone")
            self._error(self.tr("{code} can no longer be shipped").format(
                code=slip_code(request_id)), self.tr("It is now {state}.").format(state=state))
            self._ask_for_request()
            return
        request = row.request
        self.engine.shipping_action(request_id, ShippingActionIn(
            action=ShippingAction.SHIP, version=request.version, carrier=carrier or None,
            tracking_number=number or None))
        code = slip_code(request_id)
        parcel = " ".join(part for part in (carrier, number) if part) or self.tr(
            "no tracking number")
        item = QListWidgetItem(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DialogApplyButton),
            self.tr("✓ {code} — {name} — {parcel}").format(code=code,
                                                          name=request.creator_name,
                                                          parcel=parcel))
        self.history.insertItem(0, item)
        self.shipped_here[request_id] = item
        if number:
            self.numbers_here[number] = request_id
        self._ask_for_request()
        self.panel.show_result("ok", self.tr("✓ Shipped — {name}").format(
            name=request.creator_name), self.tr("{code} · {product} · {parcel}").format(
            code=code, product=_product(request), parcel=parcel))
        self._beep(1)
        self.shipped.emit(request_id)

    # --- feedback -----------------------------------------------------------------------------

    def _describe(self, request: ShippingRequestOut) -> str:
        where = ", ".join(p for p in (request.city, request.country.upper()) if p)
        issue = self.tr(" (a reship)") if request.reship_count else ""
        if request.issue_state is IssueState.OPEN:
            issue += self.tr(" — open shipping issue")
        return f"{request.creator_name} · {_product(request)} · {where}{issue}"

    def _error(self, headline: str, detail: str) -> None:
        self.panel.show_result("error", f"✗ {headline}", detail)
        self._beep(ERROR_BEEPS)
        self.input.setFocus()

    def _beep(self, times: int) -> None:
        self._beeper.stop()
        self.beep()
        self._beeps_left = times - 1
        if self._beeps_left > 0:
            self._beeper.start()

    def _next_beep(self) -> None:
        self.beep()
        self._beeps_left -= 1
        if self._beeps_left <= 0:
            self._beeper.stop()


def _product(request: ShippingRequestOut) -> str:
    return f"{request.product} ({request.variant})" if request.variant else request.product
