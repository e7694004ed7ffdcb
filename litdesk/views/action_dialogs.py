"""The dialogs an order action opens: its required inputs, then, for a destructive one, a
confirmation; and the advertiser's payment confirmation.

A dialog never sends anything: it emits ``submitted`` with the request body and the order view
passes it on. Dialogs are opened with ``open()`` (window-modal, no nested event loop), so a test
drives them like a person would.

Decisions
---------
* **What confirms first.** The table marks *cancel* and *grant refund* destructive (they close the
  order). Requesting a refund, declining one, opening a dispute, asking for mediation and the
  mediator's decision also confirm here: each starts something the other party must answer and
  none can be taken back by the person who took it.
* **Inputs are checked in the dialog** (blank, too long, a proof link that is not http(s), a
  screenshot file that is not there) and the dialog stays open with the text as typed, so bad
  input loses nothing. The body is then built as ``TransitionIn``, whose own checks (NUL
  characters, lengths) are reported the same way.
* **Proof of delivery** is a link *or* a screenshot file; the file is uploaded by the outbox
  before the action is sent (``submitted``'s second argument), so the body carries no
  attachment id yet.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.orders import (
    Action,
    Input,
    OrderState,
    Transition,
    action_label,
    reachable_targets,
)
from litdesk.domain.wire import PayIn, TransitionIn
from litdesk.views.text_styles import as_error, as_heading, as_muted

TEXT_MAX = 20_000
LINK_MAX = 2_000

ALSO_CONFIRMED = frozenset({Action.REQUEST_REFUND, Action.DECLINE_REFUND, Action.OPEN_DISPUTE,
                            Action.REQUEST_MEDIATION, Action.MEDIATOR_DECIDES})

# What each text input is called in the dialog and in the confirmation.
TEXT_INPUTS: dict[Input, str] = {
    Input.QUESTION: "Your question",
    Input.ANSWER: "Your answer",
    Input.REASON: "Reason",
    Input.UPDATE_TEXT: "Update",
    Input.RESOLUTION: "Resolution note",
    Input.DECISION: "Decision",
}

CONSEQUENCES: dict[Action, str] = {
    Action.CANCEL: "The order ends for both of you and cannot be reopened.",
    Action.GRANT_REFUND: "The advertiser's payment is returned and the order closes.",
    Action.REQUEST_REFUND: "The influencer is asked to return your payment.",
    Action.DECLINE_REFUND: "The advertiser may then ask the mediation team to decide.",
    Action.OPEN_DISPUTE: "The influencer must address the dispute before the order settles.",
    Action.REQUEST_MEDIATION: "The mediation team decides; their decision is final.",
    Action.MEDIATOR_DECIDES: "Your decision is final for both parties.",
}


def needs_confirmation(transition: Transition) -> bool:
    return transition.destructive or transition.action in ALSO_CONFIRMED


def needs_dialog(transition: Transition) -> bool:
    """Whether taking the action asks anything first (inputs or a confirmation)."""
    return bool(transition.required) or needs_confirmation(transition)


def check_proof_link(text: str) -> str:
    """The problem with ``text`` as a proof-of-delivery link ("" when it is usable)."""
    link = text.strip()
    if not link:
        return "Enter the link to the published placement."
    if len(link) > LINK_MAX:
        return f"The link is too long (at most {LINK_MAX:,} characters)."
    parts = urlsplit(link)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return "The link must start with https:// or http:// and name a site."
    return ""


def check_proof_file(text: str) -> str:
    """The problem with ``text`` as a screenshot file ("" when it is usable)."""
    if not text.strip():
        return "Choose the screenshot file."
    path = Path(text.strip()).expanduser()
    if not path.is_file():
        return f"There is no file {path}."
    if path.stat().st_size == 0:
        return f"{path.name} is empty."
    return ""


def _text_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
    edit.setAccessibleName(name)
    edit.setMinimumHeight(72)
    return edit


class ProofInput(QWidget):
    """A link or a screenshot file, chosen with two radio buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link_choice = QRadioButton(self.tr("A link to the placement"))
        self.file_choice = QRadioButton(self.tr("A screenshot file"))
        self.link_choice.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.link_choice)
        group.addButton(self.file_choice)
        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText("https://")
        self.link_edit.setAccessibleName(self.tr("Proof of delivery link"))
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText(self.tr("Path to a PNG or JPEG screenshot"))
        self.file_edit.setAccessibleName(self.tr("Proof of delivery screenshot file"))
        self.browse_button = QPushButton(self.tr("Browse…"))
        self.browse_button.setAccessibleName(self.tr("Choose the screenshot file"))
        self.browse_button.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.link_choice)
        layout.addWidget(self.link_edit)
        layout.addWidget(self.file_choice)
        layout.addLayout(file_row)
        self.link_choice.toggled.connect(self._follow_choice)
        self.file_edit.textEdited.connect(lambda _text: self.file_choice.setChecked(True))
        self._follow_choice()

    def uses_file(self) -> bool:
        return self.file_choice.isChecked()

    def problem(self) -> str:
        if self.uses_file():
            return check_proof_file(self.file_edit.text())
        return check_proof_link(self.link_edit.text())

    def focus_field(self) -> None:
        (self.file_edit if self.uses_file() else self.link_edit).setFocus()

    def _follow_choice(self) -> None:
        link = self.link_choice.isChecked()
        self.link_edit.setEnabled(link)
        self.file_edit.setEnabled(not link)
        self.browse_button.setEnabled(not link)

    def _browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Screenshot of the placement"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Images (*.png *.jpg *.jpeg *.gif *.webp)"))
        dialog.fileSelected.connect(self._chosen)
        dialog.open()

    def _chosen(self, path: str) -> None:
        self.file_choice.setChecked(True)
        self.file_edit.setText(path)


class ActionDialog(QDialog):
    """Asks for ``transition``'s required inputs and, if it is destructive, confirms. Emits
    ``submitted(TransitionIn, proof_file)`` (``proof_file`` "" unless a screenshot was chosen)
    and closes; Cancel emits nothing."""

    submitted = Signal(object, str)

    def __init__(self, order_number: str, transition: Transition, state: OrderState,
                 version: int, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transition = transition
        self.state = state
        self.version = version
        self.order_number = order_number
        self.label = action_label(transition.action)
        self.setWindowTitle(f"{self.label} — {order_number}")
        self.setMinimumWidth(460)

        self.texts: dict[Input, QPlainTextEdit] = {}
        self.outcome_box: QComboBox | None = None
        self.proof: ProofInput | None = None
        self.pages = QStackedWidget()
        self.input_page = self._input_page()
        self.confirm_page = self._confirm_page()
        self.pages.addWidget(self.input_page)
        self.pages.addWidget(self.confirm_page)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName(self.tr("Problem"))
        as_error(self.problem_label)
        self.problem_label.hide()

        self.buttons = QDialogButtonBox()
        self.primary_button = self.buttons.addButton(
            self.label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.back_button = self.buttons.addButton(
            self.tr("Back"), QDialogButtonBox.ButtonRole.ResetRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.primary_button.setDefault(True)
        self.primary_button.clicked.connect(self._primary)
        self.back_button.clicked.connect(self._back)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self._show_page(self.input_page if transition.required else self.confirm_page)

    # --- building ---

    def _input_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        intro = QLabel(self.tr("{action} on order {number}.").format(
            action=self.label, number=self.order_number))
        as_heading(intro)
        form.addRow(intro)
        for need in self.transition.required:
            if need in TEXT_INPUTS:
                edit = _text_edit(TEXT_INPUTS[need])
                self.texts[need] = edit
                form.addRow(self.tr(TEXT_INPUTS[need]), edit)
            elif need is Input.OUTCOME:
                self.outcome_box = self._outcomes()
                form.addRow(self.tr("Outcome"), self.outcome_box)
            elif need is Input.PROOF:
                self.proof = ProofInput()
                form.addRow(self.tr("Proof of delivery"), self.proof)
        return page

    def _outcomes(self) -> QComboBox:
        box = QComboBox()
        box.setAccessibleName(self.tr("Outcome"))
        box.setPlaceholderText(self.tr("Choose the outcome"))
        targets = sorted(reachable_targets(self.transition, self.state), key=lambda s: s.label)
        for status in targets:
            box.addItem(status.label, status.value)
        box.setCurrentIndex(-1)
        return box

    def _confirm_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.confirm_title = QLabel(self.tr("{action} on order {number}?").format(
            action=self.label, number=self.order_number))
        as_heading(self.confirm_title)
        self.confirm_title.setWordWrap(True)
        self.consequence_label = QLabel(self.tr(CONSEQUENCES.get(
            self.transition.action, "This cannot be undone.")))
        self.consequence_label.setWordWrap(True)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        as_muted(self.summary_label)
        layout.addWidget(self.confirm_title)
        layout.addWidget(self.consequence_label)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)
        return page

    # --- reading ---

    def inputs(self) -> dict[str, str]:
        """What was entered, by ``TransitionIn`` field (blank fields left out)."""
        values = {need.value: edit.toPlainText().strip() for need, edit in self.texts.items()}
        if self.outcome_box is not None and self.outcome_box.currentIndex() >= 0:
            values[Input.OUTCOME.value] = str(self.outcome_box.currentData())
        if self.proof is not None and not self.proof.uses_file():
            values["proof_url"] = self.proof.link_edit.text().strip()
        return {key: value for key, value in values.items() if value}

    def proof_file(self) -> str:
        if self.proof is None or not self.proof.uses_file():
            return ""
        return str(Path(self.proof.file_edit.text().strip()).expanduser())

    def problem(self) -> str:
        return "" if self.problem_label.isHidden() else self.problem_label.text()

    def body(self) -> TransitionIn:
        """The request as entered; raises ``ValueError`` with the first problem."""
        for need, edit in self.texts.items():
            text = edit.toPlainText().strip()
            name = TEXT_INPUTS[need]
            if not text:
                edit.setFocus()
                raise ValueError(self.tr("{name} is required.").format(name=name))
            if len(text) > TEXT_MAX:
                edit.setFocus()
                raise ValueError(self.tr("{name} is too long: {count:,} characters, at most "
                                         "{limit:,}.").format(name=name, count=len(text),
                                                              limit=TEXT_MAX))
        if self.outcome_box is not None and self.outcome_box.currentIndex() < 0:
            self.outcome_box.setFocus()
            raise ValueError(self.tr("Choose the outcome."))
        if self.proof is not None and (problem := self.proof.problem()):
            self.proof.focus_field()
            raise ValueError(problem)
        try:
            return TransitionIn.model_validate({"action": self.transition.action.value,
                                                "version": self.version, **self.inputs()})
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(str(first.get("msg", error))) from error

    # --- flow ---

    def _show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        confirming = page is self.confirm_page
        ask_first = bool(self.transition.required)
        goes_on = not confirming and needs_confirmation(self.transition)
        self.primary_button.setText(self.tr("Continue…") if goes_on else self.label)
        self.back_button.setVisible(confirming and ask_first)
        if confirming:
            self.primary_button.setFocus()
        else:
            first = next(iter(self.texts.values()), None)
            if first is not None:
                first.setFocus()

    def _set_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def _primary(self) -> None:
        try:
            body = self.body()
        except ValueError as error:
            self._set_problem(str(error))
            return
        self._set_problem("")
        if self.pages.currentWidget() is self.input_page and needs_confirmation(self.transition):
            self.summary_label.setText(self._summary())
            self._show_page(self.confirm_page)
            return
        self.submitted.emit(body, self.proof_file())
        self.accept()

    def _back(self) -> None:
        self._show_page(self.input_page)

    def _summary(self) -> str:
        lines = [f"{TEXT_INPUTS[need]}: {edit.toPlainText().strip()}"
                 for need, edit in self.texts.items()]
        if self.outcome_box is not None:
            lines.append(f"Outcome: {self.outcome_box.currentText()}")
        return "\n".join(lines)


class PaymentDialog(QDialog):
    """Confirms paying ``amount`` for the order; emits ``submitted(PayIn)``."""

    submitted = Signal(object)

    def __init__(self, order_number: str, amount: str, version: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.version = version
        self.setWindowTitle(self.tr("Pay for {number}").format(number=order_number))
        title = QLabel(self.tr("Pay {amount} for order {number}?").format(
            amount=amount, number=order_number))
        as_heading(title)
        title.setWordWrap(True)
        hint = QLabel(self.tr("The payment provider charges your payment method; the order "
                              "moves on when the payment is received."))
        hint.setWordWrap(True)
        as_muted(hint)
        self.buttons = QDialogButtonBox()
        self.pay_button = self.buttons.addButton(self.tr("Pay {amount}").format(amount=amount),
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.pay_button.setDefault(True)
        self.pay_button.clicked.connect(self._pay)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)

    def _pay(self) -> None:
        self.submitted.emit(PayIn(version=self.version))
        self.accept()
