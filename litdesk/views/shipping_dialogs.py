"""The dialogs the shipping queue's actions open: a reason (refuse, cancel, reship, cancel a
campaign), marking shipped (carrier and tracking number for one request), a message to the
selected creators.

Like ``action_dialogs.py``, a dialog sends nothing: it emits ``submitted`` with what was entered
and the queue passes it on. Dialogs open with ``open()`` (window-modal, no nested event loop), so
a test drives them as a person would.

Decisions
---------
* **Refusing and cancelling a campaign need a reason** (the server requires one; the creator is
  told it). Cancelling a request and reshipping take an optional one.
* **Destructive actions name their scope** in the button and the title ("Cancel 12 requests"),
  so the count is read before the click, not after.
* **A tracking number is checked while typed** (``tracking.check``): the detected carrier is
  shown, an invalid number or one already on another request keeps the dialog open with the
  reason. Choosing "Other carrier" accepts any number, for carriers the table does not know.
* **Many requests are marked shipped without tracking numbers**: per-parcel numbers come from
  the spreadsheet import or the scan station, which pair each number with its request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain import tracking
from litdesk.domain.wire import ShippingRequestOut
from litdesk.views.packing_slips import slip_code
from litdesk.views.text_styles import as_error, as_heading, as_muted

TEXT_MAX = 5_000
MESSAGE_MAX = 20_000
OTHER_CARRIER = "__other__"
NUMBER_MAX = 60


def _problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName("Problem")
    as_error(label)
    label.hide()
    return label


def _text_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setAccessibleName(name)
    edit.setMinimumHeight(80)
    return edit


class _Dialog(QDialog):
    """Title, intro, a body, a problem line and [primary] [Cancel]."""

    def __init__(self, title: str, intro: str, primary: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        as_heading(self.intro)
        self.problem_label = _problem_label()
        self.buttons = QDialogButtonBox()
        self.primary_button: QPushButton = self.buttons.addButton(
            primary, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.primary_button.setDefault(True)
        self.primary_button.clicked.connect(self._primary)
        self.cancel_button.clicked.connect(self.reject)
        self.body = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.intro)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

    def _set_texts(self, title: str, intro: str, primary: str) -> None:
        self.setWindowTitle(title)
        self.intro.setText(intro)
        self.primary_button.setText(primary)

    def problem(self) -> str:
        return "" if self.problem_label.isHidden() else self.problem_label.text()

    def set_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def _primary(self) -> None:  # pragma: no cover - every dialog overrides it
        self.accept()


class ReasonDialog(_Dialog):
    """Asks for a reason (``required`` or not) and emits ``submitted(reason)``; ``consequence``
    says what will happen, under the title."""

    submitted = Signal(str)

    def __init__(self, title: str, intro: str, primary: str, *, required: bool,
                 consequence: str = "", label: str = "Reason",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, intro, primary, parent)
        self.required = required
        self.consequence = QLabel(consequence)
        self.consequence.setWordWrap(True)
        self.consequence.setVisible(bool(consequence))
        name = label if required else f"{label} (optional)"
        self.reason_edit = _text_edit(name)
        self.reason_edit.setPlaceholderText(
            self.tr("Told to the creator") if required else self.tr("Optional"))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(name, self.reason_edit)
        self.body.addWidget(self.consequence)
        self.body.addLayout(form)
        self.reason_edit.setFocus()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _primary(self) -> None:
        text = self.reason()
        if self.required and not text:
            self.set_problem(self.tr("Enter a reason."))
            self.reason_edit.setFocus()
            return
        if len(text) > TEXT_MAX:
            self.set_problem(self.tr("The reason is too long: {count:,} characters, at most "
                                     "{limit:,}.").format(count=len(text), limit=TEXT_MAX))
            return
        self.submitted.emit(text)
        self.accept()


TrackingOwner = Callable[[str], "int | None"]


class ShipDialog(_Dialog):
    """Marks requests shipped. For one request: an optional carrier and tracking number, checked
    as typed; for several: a confirmation (no tracking numbers). Emits ``submitted(carrier,
    tracking_number)`` ("" for none)."""

    submitted = Signal(str, str)

    def __init__(self, requests: Sequence[ShippingRequestOut], tracking_owner: TrackingOwner,
                 parent: QWidget | None = None) -> None:
        super().__init__("", "", "", parent)
        count = len(requests)
        one = requests[0] if count == 1 else None
        if one is not None:
            title = self.tr("Mark {code} shipped").format(code=slip_code(one.id))
            intro = self.tr("Mark {name}'s parcel shipped.").format(name=one.creator_name)
            primary = self.tr("Mark shipped")
        else:
            title = self.tr("Mark {count} requests shipped").format(count=count)
            intro = self.tr("Mark {count} requests shipped, without tracking numbers?").format(
                count=count)
            primary = self.tr("Mark {count} shipped").format(count=count)
        self._set_texts(title, intro, primary)
        self.request = one
        self.tracking_owner = tracking_owner
        self.carrier_box = QComboBox()
        self.carrier_box.setAccessibleName(self.tr("Carrier"))
        self.number_edit = QLineEdit()
        self.number_edit.setAccessibleName(self.tr("Tracking number"))
        self.number_edit.setMaxLength(NUMBER_MAX + 20)  # spaces are dropped before the check
        self.detected_label = QLabel()
        self.detected_label.setWordWrap(True)
        as_muted(self.detected_label)
        if one is not None:
            self._one_request_form()
        else:
            hint = QLabel(self.tr(
                "To add each parcel's tracking number, use Import tracking numbers… with the "
                "exported spreadsheet, or the scan-to-ship station."))
            hint.setWordWrap(True)
            as_muted(hint)
            self.body.addWidget(hint)
            self.primary_button.setFocus()

    def _one_request_form(self) -> None:
        self.carrier_box.addItem(self.tr("Detect from the number"), "")
        for carrier in tracking.Carrier:
            if carrier is not tracking.Carrier.OTHER:  # the "Other carrier" choice below
                self.carrier_box.addItem(carrier.value, carrier.value)
        self.carrier_box.addItem(self.tr("Other carrier"), OTHER_CARRIER)
        self.carrier_other = QLineEdit()
        self.carrier_other.setAccessibleName(self.tr("Carrier name"))
        self.carrier_other.setPlaceholderText(self.tr("Carrier name"))
        self.carrier_other.setMaxLength(40)
        self.carrier_other.hide()
        self.number_edit.setPlaceholderText(self.tr("Optional — leave empty to ship without"))
        form = QFormLayout()
        form.addRow(self.tr("Tracking number"), self.number_edit)
        form.addRow(self.tr("Carrier"), self.carrier_box)
        form.addRow("", self.carrier_other)
        form.addRow("", self.detected_label)
        self.body.addLayout(form)
        self.number_edit.textChanged.connect(self._update_detected)
        self.carrier_box.currentIndexChanged.connect(self._update_detected)
        self.number_edit.setFocus()
        self._update_detected()

    def _other(self) -> bool:
        return bool(self.carrier_box.currentData() == OTHER_CARRIER)

    def _update_detected(self) -> None:
        self.carrier_other.setVisible(self._other())
        text = self.number_edit.text().strip()
        if not text:
            self.detected_label.setText(self.tr("No tracking number: the parcel is marked "
                                                "shipped without one."))
            return
        if self._other():
            self.detected_label.setText(self.tr("Any number is accepted for another carrier."))
            return
        result = tracking.check(text)
        if result.valid:
            self.detected_label.setText(self.tr("✓ {carrier} tracking number {number}").format(
                carrier=_carrier(result.carrier) or self.tr("Unknown carrier"),
                number=result.number))
        else:
            self.detected_label.setText(self.tr("✗ {problem}").format(problem=result.problem))

    def values(self) -> tuple[str, str]:
        """(carrier, tracking number) as they will be sent; raises ``ValueError``."""
        if self.request is None:
            return "", ""
        text = self.number_edit.text().strip()
        chosen = str(self.carrier_box.currentData() or "")
        if self._other():
            carrier = self.carrier_other.text().strip()
            if not carrier:
                raise ValueError(self.tr("Enter the carrier's name."))
            number = "".join(text.split()).upper()
            if len(number) > NUMBER_MAX:
                raise ValueError(self.tr("The tracking number is too long."))
        elif not text:
            return chosen, ""
        else:
            result = tracking.check(text)
            if not result.valid:
                raise ValueError(result.problem or self.tr("Not a valid tracking number."))
            number = result.number
            carrier = chosen or _carrier(result.carrier)
        if number:
            owner = self.tracking_owner(number)
            if owner is not None and owner != self.request.id:
                raise ValueError(self.tr("{number} is already the tracking number of "
                                         "{code}.").format(number=number,
                                                           code=slip_code(owner)))
        return carrier, number

    def _primary(self) -> None:
        try:
            carrier, number = self.values()
        except ValueError as error:
            self.set_problem(str(error))
            self.number_edit.setFocus()
            return
        self.submitted.emit(carrier, number)
        self.accept()


def _carrier(carrier: tracking.Carrier | None) -> str:
    return carrier.value if carrier is not None else ""


class BulkMessageDialog(_Dialog):
    """One message to the selected requests' creators (each in their request's thread); emits
    ``submitted(text)``."""

    submitted = Signal(str)

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__("", "", "", parent)
        count = len(names)
        title = self.tr("Message {count} creators").format(count=count) if count != 1 else \
            self.tr("Message {name}").format(name=names[0])
        intro = self.tr("Each creator receives it in their request's thread.")
        self._set_texts(title, intro, self.tr("Send to {count}").format(count=count))
        shown = ", ".join(names[:6]) + (self.tr(" and {more} more").format(
            more=count - 6) if count > 6 else "")
        self.recipients = QLabel(self.tr("To: {names}").format(names=shown))
        self.recipients.setWordWrap(True)
        as_muted(self.recipients)
        self.text_edit = _text_edit(self.tr("Message"))
        self.text_edit.setPlaceholderText(self.tr(
            "For example: the blue variant is out of stock until the 12th; we will ship as "
            "soon as it is back."))
        self.body.addWidget(self.recipients)
        self.body.addWidget(self.text_edit)
        self.text_edit.setFocus()

    def _primary(self) -> None:
        text = self.text_edit.toPlainText().strip()
        if not text:
            self.set_problem(self.tr("Write the message first."))
            self.text_edit.setFocus()
            return
        if len(text) > MESSAGE_MAX:
            self.set_problem(self.tr("The message is too long: {count:,} characters, at most "
                                     "{limit:,}.").format(count=len(text), limit=MESSAGE_MAX))
            return
        self.submitted.emit(text)
        self.accept()
