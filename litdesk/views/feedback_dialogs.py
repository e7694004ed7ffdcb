"""After completion: rating the collaboration (1-5 and a comment) and the advertiser's
established-metrics survey — the order view's panel that offers them, and their dialogs.

Like the action dialogs they only emit what was entered (``submitted``) and are opened with
``open()``. Every problem is shown in the dialog, which stays open with what was typed.

Decisions
---------
* **No preselected score.** A rating the person did not choose is worse than none: the five
  scores are radio buttons and one must be picked (arrow keys move between them).
* **Each party rates once**: the panel offers the rating until the person's own rating is in
  the cache or on its way; the survey only to the advertiser, once, from ``survey_due_at`` on
  (before then it says when it opens). ``clock`` is injectable for tests.
* **Counts as text fields**, not spin boxes: a spin box stops at 2^31 - 1, impressions may not,
  and a spin box silently clamps what is typed instead of saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.orders import Role
from litdesk.domain.wire import OrderOut, RatingIn, SurveyIn
from litdesk.services.order_details import OrderDetails
from litdesk.views.order_pane import format_when
from litdesk.views.text_styles import as_error, as_heading, as_muted

COMMENT_MAX = 5_000
COUNT_MAX = 10**12
SCORE_WORDS = {1: "Poor", 2: "Fair", 3: "Good", 4: "Very good", 5: "Excellent"}


class ScoreInput(QWidget):
    """Five radio buttons, 1 to 5; ``score()`` is 0 until one is chosen."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[int, QRadioButton] = {}
        for score, word in SCORE_WORDS.items():
            button = QRadioButton(str(score))
            button.setToolTip(self.tr(word))
            button.setAccessibleName(self.tr("{name}: {score} of 5, {word}").format(
                name=name, score=score, word=word))
            self.group.addButton(button, score)
            self.buttons[score] = button
            layout.addWidget(button)
        layout.addStretch(1)

    def score(self) -> int:
        return max(self.group.checkedId(), 0)

    def set_score(self, score: int) -> None:
        self.buttons[score].setChecked(True)


def _comment_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setAccessibleName(name)
    edit.setMaximumHeight(96)
    return edit


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return str(first.get("msg", error))


class _FeedbackDialog(QDialog):
    """The frame both dialogs share: a heading, a form, a problem line and the buttons;
    ``submitted(body)`` once ``body()`` has no problem."""

    submitted = Signal(object)

    def __init__(self, title: str, heading: str, send_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        as_heading(self.heading)
        self.form = QFormLayout()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName(self.tr("Problem"))
        as_error(self.problem_label)
        self.problem_label.hide()
        self.buttons = QDialogButtonBox()
        self.send_button = self.buttons.addButton(send_text,
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

    def problem(self) -> str:
        return "" if self.problem_label.isHidden() else self.problem_label.text()

    def _set_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def body(self) -> BaseModel:
        raise NotImplementedError

    def _send(self) -> None:
        try:
            body = self.body()
        except ValueError as error:
            self._set_problem(str(error))
            return
        self.submitted.emit(body)
        self.accept()


class RatingDialog(_FeedbackDialog):
    """Rates the collaboration with ``other_party``; emits ``submitted(RatingIn)``."""

    def __init__(self, order_number: str, other_party: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Rate order {number}").format(number=order_number),
                         self.tr("How was working with {name} on {number}?").format(
                             name=other_party, number=order_number),
                         self.tr("Send rating"), parent)
        self.score_input = ScoreInput(self.tr("Score"))
        self.comment_edit = _comment_edit(self.tr("Comment"))
        hint = QLabel(self.tr("You can rate an order once; both of you see the rating in the "
                              "events log."))
        hint.setWordWrap(True)
        as_muted(hint)
        self.form.addRow(self.tr("Score"), self.score_input)
        self.form.addRow(self.tr("Comment"), self.comment_edit)
        self.form.addRow(hint)

    def body(self) -> RatingIn:
        """The rating as entered; raises ``ValueError`` with the problem."""
        if not self.score_input.score():
            raise ValueError(self.tr("Choose a score from 1 to 5."))
        comment = self.comment_edit.toPlainText().strip()
        if len(comment) > COMMENT_MAX:
            raise ValueError(self.tr("The comment is too long (at most {limit:,} characters)."
                                     ).format(limit=COMMENT_MAX))
        try:
            return RatingIn(score=self.score_input.score(), comment=comment)
        except ValidationError as error:
            raise ValueError(_first_error(error)) from error


class SurveyDialog(_FeedbackDialog):
    """The established-metrics survey; emits ``submitted(SurveyIn)``."""

    def __init__(self, order_number: str, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Metrics survey for {number}").format(number=order_number),
                         self.tr("How did the placement on {number} perform?").format(
                             number=order_number),
                         self.tr("Send survey"), parent)
        self.counts: dict[str, QLineEdit] = {}
        for key, title in (("impressions", self.tr("Impressions")),
                           ("clicks", self.tr("Clicks")),
                           ("conversions", self.tr("Conversions"))):
            edit = QLineEdit()
            edit.setAccessibleName(title)
            edit.setPlaceholderText("0")
            self.counts[key] = edit
            self.form.addRow(title, edit)
        self.satisfaction_input = ScoreInput(self.tr("Satisfaction"))
        self.comment_edit = _comment_edit(self.tr("Comment"))
        self.form.addRow(self.tr("Satisfaction"), self.satisfaction_input)
        self.form.addRow(self.tr("Comment"), self.comment_edit)

    def _count(self, key: str) -> int:
        edit = self.counts[key]
        text = edit.text().strip().replace(",", "").replace("_", "")
        name = edit.accessibleName()
        if not text:
            edit.setFocus()
            raise ValueError(self.tr("{name}: enter a number (0 if none).").format(name=name))
        if not text.isdigit():
            edit.setFocus()
            raise ValueError(self.tr("{name}: enter a whole number such as 1200.").format(
                name=name))
        value = int(text)
        if value > COUNT_MAX:
            edit.setFocus()
            raise ValueError(self.tr("{name}: at most {limit:,}.").format(name=name,
                                                                          limit=COUNT_MAX))
        return value

    def body(self) -> SurveyIn:
        """The survey as entered; raises ``ValueError`` with the first problem."""
        counts = {key: self._count(key) for key in self.counts}
        if not self.satisfaction_input.score():
            raise ValueError(self.tr("Choose how satisfied you are, from 1 to 5."))
        comment = self.comment_edit.toPlainText().strip()
        if len(comment) > COMMENT_MAX:
            raise ValueError(self.tr("The comment is too long (at most {limit:,} characters)."
                                     ).format(limit=COMMENT_MAX))
        try:
            return SurveyIn(satisfaction=self.satisfaction_input.score(), comment=comment,
                            **counts)
        except ValidationError as error:
            raise ValueError(_first_error(error)) from error


def _wrapping() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class FeedbackPanel(QWidget):
    """"Rating and metrics" in the order view once the order is completed: who has rated, the
    buttons that open the dialogs, and when the survey is due."""

    def __init__(self, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime]) -> None:
        super().__init__(parent)
        self.clock = clock
        title = QLabel(self.tr("Rating and metrics"))
        as_heading(title)
        self.rating_label = _wrapping()
        self.rate_button = QPushButton(self.tr("Rate the collaboration…"))
        self.rate_button.setAccessibleName(self.tr("Rate the collaboration"))
        self.survey_label = _wrapping()
        self.survey_button = QPushButton(self.tr("Fill in the metrics survey…"))
        self.survey_button.setAccessibleName(self.tr("Fill in the metrics survey"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(self.rating_label)
        layout.addWidget(self.rate_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.survey_label)
        layout.addWidget(self.survey_button, 0, Qt.AlignmentFlag.AlignLeft)

    def show_order(self, order: OrderOut, details: OrderDetails, role: Role | None,
                   user_id: int | None, other_party: str) -> None:
        party = role in (Role.INFLUENCER, Role.ADVERTISER)
        self.setVisible(order.completed_at is not None and party)
        if order.completed_at is None or not party:
            return
        self._show_rating(details, user_id, other_party)
        self._show_survey(order, details, role is Role.ADVERTISER)

    def _show_rating(self, details: OrderDetails, user_id: int | None,
                     other_party: str) -> None:
        mine = [r for r in details.ratings if r.get("rater_id") == user_id]
        theirs = [r for r in details.ratings if r.get("rater_id") != user_id]
        if mine:
            lines = [self.tr("You rated this collaboration {score}/5.").format(
                score=mine[0].get("score"))]
        elif details.rating_pending:
            lines = [self.tr("Your rating is being sent.")]
        else:
            lines = [self.tr("Rate the collaboration: each of you rates it once.")]
        if theirs:
            lines.append(self.tr("{party} rated it {score}/5.").format(
                party=other_party, score=theirs[0].get("score")))
        self.rating_label.setText("\n".join(lines))
        self.rate_button.setVisible(user_id is not None and not details.rated_by(user_id))

    def _show_survey(self, order: OrderOut, details: OrderDetails, advertiser: bool) -> None:
        due = order.survey_due_at
        is_due = due is not None and self.clock() >= due
        answered = details.survey_answered()
        if not advertiser:
            text = self.tr("The advertiser has answered the metrics survey.") if answered else ""
        elif details.survey is not None:
            text = self.tr("You answered the metrics survey.")
        elif details.survey_pending:
            text = self.tr("Your metrics survey is being sent.")
        elif is_due:
            text = self.tr("The metrics survey is due: how did the placement perform?")
        else:
            text = self.tr("The metrics survey opens on {date}.").format(date=format_when(due))
        self.survey_label.setText(text)
        self.survey_label.setVisible(bool(text))
        self.survey_button.setVisible(advertiser and is_due and not answered)
