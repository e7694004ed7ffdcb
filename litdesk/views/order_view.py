"""The order view: one order's status, progress and next steps, the actions the signed-in person
may take now, ratings and the metrics survey after completion, the details, and the events log;
with room on its right for the quick-message panel.

The view sends nothing itself: each request leaves as a signal (``transition_requested``,
``payment_requested``, ``rating_requested``, ``survey_requested``) that the composition root
hands to the sync engine. What the engine then does (the optimistic change, the server's answer
or a rollback) comes back as a new ``show_details``.

Decisions
---------
* **Offered actions are the table's.** The buttons are exactly ``allowed_actions(state, role)``
  for the order as shown, plus *Pay* for the advertiser in Payment Required or Uncollectable
  (paying goes through the payment provider, which is not a row of the table). Nothing else is
  ever offered; the outbox checks the same rules again before queuing.
* **The quick-message panel** goes into this view's splitter, on the right
  (``set_side_panel``): it belongs to the order (Lit: "in every order you will find a Quick
  Message tool on the right-hand side"), and the splitter lets the person trade the log's width
  for the chat's. Until one is set the view has no right-hand side.
* **A refusal is shown in the view** (``show_refusal``), above the order, as well as in the
  window's banner: the rolled-back state is right below it. It stays until dismissed or
  another order is shown.
* **Ratings and the survey** live in ``FeedbackPanel`` (feedback_dialogs.py); the view's
  ``clock`` (injectable for tests) decides whether the survey is due.
* **Buttons are rebuilt only when what they offer changes** (status, version, role), so a
  refresh for a new message does not take the keyboard focus away from them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from litdesk.domain.order_guidance import next_steps
from litdesk.domain.orders import OrderStatus, Role, Transition, action_label, allowed_actions
from litdesk.domain.wire import OrderOut, TransitionIn
from litdesk.models.events_log import EventsLogModel, LogColumn
from litdesk.services.optimistic import order_state
from litdesk.services.order_details import OrderDetails
from litdesk.views.action_dialogs import (
    TEXT_INPUTS,
    ActionDialog,
    PaymentDialog,
    needs_confirmation,
    needs_dialog,
)
from litdesk.views.banner import Banner
from litdesk.views.feedback_dialogs import FeedbackPanel, RatingDialog, SurveyDialog
from litdesk.views.order_pane import OrderFields, OrderHeader, money
from litdesk.views.text_styles import as_heading, as_muted

PAY = "pay"
PAYABLE = frozenset({OrderStatus.PAYMENT_REQUIRED, OrderStatus.UNCOLLECTABLE})
_BUTTON_COLUMNS = 2
_NO_ORDER_HINT = "Select an order on the board and press Enter,\nor double-click it."


def _section(text: str) -> QLabel:
    label = QLabel(text)
    as_heading(label)
    return label


def _wrapping(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _needs(transition: Transition) -> str:
    names = [TEXT_INPUTS.get(need, need.value.replace("_", " ")).lower()
             for need in transition.required]
    parts = [f"Asks for: {', '.join(names)}."] if names else []
    if needs_confirmation(transition):
        parts.append("Asks you to confirm first.")
    return " ".join(parts)


class OrderView(QWidget):
    """One order (``show_details``) for the signed-in person (``set_viewer``), or a hint to open
    one. See the module's docstring."""

    transition_requested = Signal(int, object, str)  # order id, TransitionIn, proof file or ""
    payment_requested = Signal(int, object)          # order id, PayIn
    rating_requested = Signal(int, object)           # order id, RatingIn
    survey_requested = Signal(int, object)           # order id, SurveyIn
    order_changed = Signal(int)  # another order is shown (0: none), e.g. for the side panel

    def __init__(self, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.order_id: int | None = None
        self.order: OrderOut | None = None
        self.details: OrderDetails | None = None
        self.role: Role | None = None
        self.user_id: int | None = None
        self.current_dialog: QDialog | None = None
        self.action_buttons: dict[str, QPushButton] = {}
        self._offer: tuple[object, ...] = ()

        self.stack = QStackedWidget()
        self.empty_page = self._empty_page()
        self.order_page = self._order_page()
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.order_page)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 1)
        self._side_panel: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.setMinimumWidth(320)
        self.clear()

    # --- building ---

    def _empty_page(self) -> QWidget:
        self.empty_title = QLabel()
        as_heading(self.empty_title)
        self.empty_hint = QLabel()
        as_muted(self.empty_hint)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        for label in (self.empty_title, self.empty_hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(2)
        return page

    def _order_page(self) -> QWidget:
        self.refusal = Banner()
        self.refusal.setAccessibleName(self.tr("Why your change was not made"))
        self.header = OrderHeader()
        self.pending_label = _wrapping()
        as_muted(self.pending_label)
        self.actions_box = QWidget()
        self.actions_grid = QGridLayout(self.actions_box)
        self.actions_grid.setContentsMargins(0, 0, 0, 0)
        self.no_actions_label = _wrapping(self.tr("Nothing you can do on this order now."))
        as_muted(self.no_actions_label)
        self.feedback_box = FeedbackPanel(clock=lambda: self.clock())
        self.feedback_box.rate_button.clicked.connect(self.open_rating)
        self.feedback_box.survey_button.clicked.connect(self.open_survey)
        # Shortcuts for the tests and the composition root.
        self.rate_button = self.feedback_box.rate_button
        self.survey_button = self.feedback_box.survey_button
        self.rating_label = self.feedback_box.rating_label
        self.survey_label = self.feedback_box.survey_label
        self.fields = OrderFields()

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(10)
        column.addWidget(self.header)
        column.addWidget(_section(self.tr("Actions")))
        column.addWidget(self.pending_label)
        column.addWidget(self.actions_box)
        column.addWidget(self.no_actions_label)
        column.addWidget(self.feedback_box)
        column.addWidget(_section(self.tr("Details")))
        column.addWidget(self.fields)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.details_area = scroll

        self.body_splitter = QSplitter(Qt.Orientation.Vertical)
        self.body_splitter.setChildrenCollapsible(False)
        self.body_splitter.addWidget(scroll)
        self.body_splitter.addWidget(self._events_box())
        self.body_splitter.setStretchFactor(0, 3)
        self.body_splitter.setStretchFactor(1, 2)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.refusal)
        layout.addWidget(self.body_splitter, 1)
        return page

    def _events_box(self) -> QWidget:
        self.events_model = EventsLogModel(self)
        table = QTableView()
        table.setModel(self.events_model)
        table.setAccessibleName(self.tr("Events log"))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        # Widths from samples (they follow the font); What takes the rest, the longest texts
        # elide and show whole in their tooltip.
        for column, sample in ((LogColumn.WHEN, "00 Mmm 0000, 00:00 PM"),
                               (LogColumn.WHO, "Northwind Audio"),
                               (LogColumn.CHANGE, "Refund Requested → Refunded")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 16)
        header.setMinimumSectionSize(metrics.horizontalAdvance("0000") + 16)
        header.setSectionResizeMode(LogColumn.WHAT, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        self.events_table = table
        self.events_model.rowsInserted.connect(self._follow_log)

        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(20, 8, 20, 12)
        layout.addWidget(_section(self.tr("Events log")))
        layout.addWidget(table, 1)
        return box

    # --- what the composition root calls ---

    def set_viewer(self, role: Role | None, user_id: int | None) -> None:
        """Who is looking: their role decides the actions and next steps."""
        self.role, self.user_id = role, user_id
        self._offer = ()
        if self.order is not None and self.details is not None:
            self._show(self.order, self.details)

    def set_side_panel(self, widget: QWidget | None) -> None:
        """Put ``widget`` (the quick-message panel) on the view's right; None removes it."""
        old = self._side_panel
        if old is widget:
            return
        if old is not None:
            old.hide()
            old.setParent(None)
        self._side_panel = widget
        if widget is not None:
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(1, 0)
            total = max(self.splitter.width(), 900)
            self.splitter.setSizes([total - 320, 320])

    def side_panel(self) -> QWidget | None:
        return self._side_panel

    def clear(self, title: str = "", hint: str = "") -> None:
        """No order: a title and a hint instead."""
        self._close_dialog()
        shown, self.order_id = self.order_id, None
        self.order = self.details = None
        self._offer = ()
        self.events_model.clear()
        self.refusal.dismiss()
        self.empty_title.setText(title or self.tr("No order open"))
        self.empty_hint.setText(hint or self.tr(_NO_ORDER_HINT))
        self.stack.setCurrentWidget(self.empty_page)
        if shown is not None:
            self.order_changed.emit(0)

    def show_details(self, details: OrderDetails | None) -> None:
        """Show this order (another one: from scratch; the same one: what changed)."""
        if details is None:
            self.clear()
            return
        try:
            order = OrderOut.model_validate(details.order)
        except ValidationError:
            # A cache row we cannot read is a bug elsewhere; say so instead of half a view.
            self.clear(self.tr("This order could not be shown"),
                       self.tr("Its copy on this computer is incomplete; it is fetched again "
                               "at the next sync."))
            return
        another = order.id != self.order_id
        if another:
            self._close_dialog()
            self.refusal.dismiss()
            self._offer = ()
            self.events_model.set_events(details.events)
            self.events_table.scrollToBottom()
        else:
            self.events_model.add_events(details.events)
        self._show(order, details)
        if another:
            self.order_changed.emit(order.id)

    def show_refusal(self, text: str) -> None:
        """Why the person's last change on this order was not made (it has been undone)."""
        self.refusal.show_message(text, "error")

    def offered_actions(self) -> list[str]:
        """The actions offered now, in order: action values, and "pay"."""
        return list(self.action_buttons)

    # --- showing ---

    def _show(self, order: OrderOut, details: OrderDetails) -> None:
        self.order, self.order_id, self.details = order, order.id, details
        status = OrderStatus(order.status)
        self.header.show_order(order, next_steps(status, self.role) if self.role else ())
        self.fields.show_order(order)
        pending = details.pending_actions
        self.pending_label.setText(self.tr(
            "Your latest change is waiting to be sent; the server has the last word.")
            if pending else "")
        self.pending_label.setVisible(bool(pending))
        self._show_actions(order)
        self.feedback_box.show_order(order, details, self.role, self.user_id,
                                     self._other_party())
        self.stack.setCurrentWidget(self.order_page)

    def _transitions(self, order: OrderOut) -> tuple[Transition, ...]:
        if self.role is None:
            return ()
        return allowed_actions(order_state(order.model_dump(mode="json")), self.role)

    def _show_actions(self, order: OrderOut) -> None:
        transitions = self._transitions(order)
        can_pay = self.role is Role.ADVERTISER and OrderStatus(order.status) in PAYABLE
        offer = (order.status, order.version, self.role, tuple(t.action for t in transitions),
                 can_pay)
        if offer == self._offer:
            return
        self._offer = offer
        for button in self.action_buttons.values():
            self.actions_grid.removeWidget(button)
            button.deleteLater()
        self.action_buttons = {}
        if can_pay:
            again = OrderStatus(order.status) is OrderStatus.UNCOLLECTABLE
            text = (self.tr("Pay again ({amount})…") if again
                    else self.tr("Pay {amount}…")).format(
                        amount=money(order.value_cents, order.currency))
            self._add_button(PAY, text, self.tr("Pay for the order through the payment "
                                                "provider. Asks you to confirm first."),
                             self.open_payment)
        for transition in transitions:
            label = action_label(transition.action)
            self._add_button(transition.action.value,
                             label + ("…" if needs_dialog(transition) else ""),
                             _needs(transition),
                             lambda _checked=False, t=transition: self.take_action(t))
        self.actions_box.setVisible(bool(self.action_buttons))
        self.no_actions_label.setVisible(not self.action_buttons)

    def _add_button(self, key: str, text: str, tip: str, slot: Callable[..., None]) -> None:
        button = QPushButton(text)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        count = len(self.action_buttons)
        self.actions_grid.addWidget(button, count // _BUTTON_COLUMNS, count % _BUTTON_COLUMNS)
        button.show()  # at once: a layout shows a new child only on the next event loop turn
        self.action_buttons[key] = button

    def _other_party(self) -> str:
        if self.order is None:
            return ""
        if self.role is Role.ADVERTISER:
            return self.order.influencer.name
        return self.order.advertiser.name

    def _follow_log(self) -> None:
        table = self.events_table
        bar = table.verticalScrollBar()
        if bar.value() >= bar.maximum() - table.verticalHeader().defaultSectionSize() * 3:
            table.scrollToBottom()

    # --- what the person does ---

    def take_action(self, transition: Transition) -> None:
        """Take ``transition`` now, or first ask for its inputs / a confirmation."""
        order = self.order
        if order is None:
            return
        if not needs_dialog(transition):
            self._request(TransitionIn(action=transition.action, version=order.version), "")
            return
        dialog = ActionDialog(order.number, transition,
                              order_state(order.model_dump(mode="json")), order.version,
                              parent=self)
        dialog.submitted.connect(self._request)
        self._open(dialog)

    def open_payment(self) -> None:
        order = self.order
        if order is None:
            return
        dialog = PaymentDialog(order.number, money(order.value_cents, order.currency),
                               order.version, parent=self)
        dialog.submitted.connect(lambda body: self._send(self.payment_requested, body))
        self._open(dialog)

    def open_rating(self) -> None:
        order = self.order
        if order is None:
            return
        dialog = RatingDialog(order.number, self._other_party(), parent=self)
        dialog.submitted.connect(lambda body: self._send(self.rating_requested, body))
        self._open(dialog)

    def open_survey(self) -> None:
        order = self.order
        if order is None:
            return
        dialog = SurveyDialog(order.number, parent=self)
        dialog.submitted.connect(lambda body: self._send(self.survey_requested, body))
        self._open(dialog)

    def _request(self, body: TransitionIn, proof_file: str) -> None:
        if self.order_id is not None:
            self.refusal.dismiss()
            self.transition_requested.emit(self.order_id, body, proof_file)

    def _send(self, signal: SignalInstance, body: BaseModel) -> None:
        if self.order_id is not None:
            self.refusal.dismiss()
            signal.emit(self.order_id, body)

    def _open(self, dialog: QDialog) -> None:
        self._close_dialog()
        self.current_dialog = dialog
        dialog.finished.connect(lambda _result: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.current_dialog is dialog:
            self.current_dialog = None
        dialog.deleteLater()

    def _close_dialog(self) -> None:
        if self.current_dialog is not None:
            self.current_dialog.reject()  # finished: _closed forgets and deletes it
