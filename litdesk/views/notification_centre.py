"""The notification centre: a popup listing the news of this session, opened from a toolbar
button that carries an unread badge.

``NotificationCentre(model, parent)`` owns ``action`` (Ctrl+Shift+N; put it on a toolbar, or use
``make_button()``). Activating an item (click, Enter) marks it read, closes the popup and emits
``order_requested(order_id)``, or ``request_requested(request_id)`` for a shipping request's
message. "Mark all read" clears the badge.

Decisions
---------
* **A popup, not a dock.** The list is glanced at and left: a ``Qt.Popup`` window closes on
  Escape or a click elsewhere and takes no room from the board and the order.
* **One way to activate.** Mouse clicks and Enter/Return both go through ``_activate``; Qt's
  ``activated`` signal is not used because a double-click would also emit ``clicked`` (the
  order would be opened twice).
* **Badge drawn, not shipped.** The button's icon is a standard style icon with the unread
  count painted on a red disc; no icon files.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from litdesk.models.notifications import NotificationModel, NotificationRole
from litdesk.services.notifications import Notification, NotificationKind
from litdesk.views.choosing_list import ChoosingList
from litdesk.views.text_styles import as_heading, as_muted

ModelIndex = QModelIndex | QPersistentModelIndex

SHORTCUT = "Ctrl+Shift+N"
BADGE_COLOUR = QColor("#c62828")
ICON_SIZE = 32
_KIND_ICONS = {
    NotificationKind.STATUS: QStyle.StandardPixmap.SP_ArrowForward,
    NotificationKind.MESSAGE: QStyle.StandardPixmap.SP_MessageBoxInformation,
    NotificationKind.REFUND: QStyle.StandardPixmap.SP_BrowserReload,
    NotificationKind.DISPUTE: QStyle.StandardPixmap.SP_MessageBoxWarning,
}
_PAD = 6
_ROW_ICON = 20
_DOT = 8


def badge_icon(base: QIcon, count: int) -> QIcon:
    """``base`` with ``count`` on a red disc in its top-right corner (none when 0)."""
    if count <= 0:
        return base
    pixmap = base.pixmap(ICON_SIZE, ICON_SIZE)
    if pixmap.isNull():
        pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
        pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    text = str(count) if count < 100 else "99+"
    font = QFont(QApplication.font())
    font.setPixelSize(ICON_SIZE * 2 // 5)
    font.setBold(True)
    painter.setFont(font)
    width = max(ICON_SIZE // 2, QFontMetrics(font).horizontalAdvance(text) + 6)
    disc = QRect(ICON_SIZE - width, 0, width, ICON_SIZE // 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(BADGE_COLOUR)
    painter.drawRoundedRect(disc, disc.height() / 2, disc.height() / 2)
    painter.setPen(QColor("white"))
    painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


def when(at: datetime) -> str:
    """A notification's time: "14:02" today, else the day ("12 Mar")."""
    local = at.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return QTime(local.hour, local.minute).toString("HH:mm")
    return QDate(local.year, local.month, local.day).toString("d MMM")


class NotificationDelegate(QStyledItemDelegate):
    """Two lines per item: the kind's icon, the title (bold while unread) and the time, then the
    body, muted; an accent dot marks unread items for those who cannot see bold."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        height = option.fontMetrics.height()
        return QSize(320, 2 * height + 3 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        notification = index.data(NotificationRole)
        if not isinstance(notification, Notification):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        unread = bool(index.data(NotificationModel.UnreadRole))
        rect = opt.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        line = opt.fontMetrics.height()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal
        text_role = (QPalette.ColorRole.HighlightedText if selected
                     else QPalette.ColorRole.Text)
        painter.save()
        if unread:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE_COLOUR)
            painter.drawEllipse(rect.left(), rect.top() + (line - _DOT) // 2, _DOT, _DOT)
        icon = style.standardIcon(_KIND_ICONS[notification.kind])
        icon_left = rect.left() + _DOT + _PAD
        icon.paint(painter, QRect(icon_left, rect.top(), _ROW_ICON, _ROW_ICON))
        text_left = icon_left + _ROW_ICON + _PAD

        stamp = when(notification.at)
        stamp_width = opt.fontMetrics.horizontalAdvance(stamp)
        painter.setPen(opt.palette.color(group, text_role))
        painter.drawText(QRect(rect.right() - stamp_width, rect.top(), stamp_width, line),
                         Qt.AlignmentFlag.AlignRight, stamp)
        title_font = QFont(opt.font)
        title_font.setBold(unread)
        painter.setFont(title_font)
        title_width = rect.right() - stamp_width - _PAD - text_left
        title = QFontMetrics(title_font).elidedText(notification.title,
                                                    Qt.TextElideMode.ElideRight, title_width)
        painter.drawText(QRect(text_left, rect.top(), title_width, line),
                         Qt.AlignmentFlag.AlignLeft, title)

        body_font = QFont(opt.font)
        body_font.setBold(False)
        painter.setFont(body_font)
        if not selected:
            painter.setPen(opt.palette.color(group, QPalette.ColorRole.PlaceholderText))
        body_width = rect.right() - text_left
        body = QFontMetrics(body_font).elidedText(notification.body,
                                                  Qt.TextElideMode.ElideRight, body_width)
        painter.drawText(QRect(text_left, rect.top() + line + _PAD, body_width, line),
                         Qt.AlignmentFlag.AlignLeft, body)
        painter.restore()


class NotificationCentre(QFrame):
    """The popup list of notifications (see the module's docstring)."""

    order_requested = Signal(int)
    request_requested = Signal(int)

    def __init__(self, model: NotificationModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.model = model
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Notifications"))
        self.resize(380, 440)

        heading = QLabel(self.tr("Notifications"))
        as_heading(heading)
        self.mark_all_button = QPushButton(self.tr("&Mark all read"))
        self.mark_all_button.setAccessibleName(self.tr("Mark all notifications read"))
        self.mark_all_button.clicked.connect(model.mark_all_read)

        self.list = ChoosingList()
        self.list.setModel(model)
        self.list.setItemDelegate(NotificationDelegate(self.list))
        self.list.setAccessibleName(self.tr("Notifications, newest first"))
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.chosen.connect(self._activate)

        self.empty_label = QLabel(self.tr(
            "No notifications yet.\n\nWhen the other party changes an order's status, sends "
            "you a message, asks for a refund or opens a dispute, it will appear here."))
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        as_muted(self.empty_label)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.list)

        header = QHBoxLayout()
        header.addWidget(heading, 1)
        header.addWidget(self.mark_all_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)

        self._base_icon = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_FileDialogInfoView)
        self.action = QAction(self._base_icon, self.tr("&Notifications"), parent or self)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.triggered.connect(self.toggle)
        if parent is not None:
            parent.addAction(self.action)  # the shortcut works without a toolbar too
        self._buttons: list[QToolButton] = []

        model.unread_changed.connect(self._refresh)
        model.rowsInserted.connect(self._refresh)
        model.rowsRemoved.connect(self._refresh)
        model.modelReset.connect(self._refresh)
        self._refresh()

    # --- the button ---------------------------------------------------------------------------

    def make_button(self, parent: QWidget | None = None) -> QToolButton:
        """A tool button for ``action`` whose accessible name says how many are unread."""
        button = QToolButton(parent)
        button.setDefaultAction(self.action)
        button.setAutoRaise(True)
        self._buttons.append(button)
        button.destroyed.connect(lambda: self._buttons.remove(button))
        self._refresh()
        return button

    def label(self) -> str:
        """"Notifications", or "Notifications (3 unread)"."""
        unread = self.model.unread_count()
        if unread == 0:
            return self.tr("Notifications")
        return self.tr("Notifications (%n unread)", "", unread)

    def _refresh(self) -> None:
        unread = self.model.unread_count()
        label = self.label()
        self.action.setIcon(badge_icon(self._base_icon, unread))
        keys = self.action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.action.setToolTip(f"{label} ({keys})")
        for button in self._buttons:
            button.setAccessibleName(label)
        self.mark_all_button.setEnabled(unread > 0)
        self.stack.setCurrentWidget(self.list if self.model.rowCount() else self.empty_label)

    # --- showing --------------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.open_near(self._anchor())

    def open_near(self, anchor: QWidget | None = None) -> None:
        """Show under ``anchor`` (the button), or in the parent window's top-right corner."""
        self.move(self._position(anchor))
        self.show()
        self.raise_()
        self.activateWindow()
        if self.model.rowCount():
            if not self.list.currentIndex().isValid():
                self.list.setCurrentIndex(self.model.index(0))
            self.list.setFocus(Qt.FocusReason.PopupFocusReason)
        else:
            self.mark_all_button.setFocus(Qt.FocusReason.PopupFocusReason)

    def _anchor(self) -> QWidget | None:
        for obj in self.action.associatedObjects():
            if isinstance(obj, QWidget) and obj.isVisible() and obj is not self.parentWidget():
                return obj
        return None

    def _position(self, anchor: QWidget | None) -> QPoint:
        if anchor is not None:
            corner = anchor.mapToGlobal(QPoint(anchor.width(), anchor.height()))
            return QPoint(corner.x() - self.width(), corner.y())
        window = self.parentWidget()
        if window is not None and window.isVisible():
            top_right = window.mapToGlobal(QPoint(window.width(), 0))
            return QPoint(top_right.x() - self.width() - _PAD, top_right.y() + _PAD)
        return self.pos()

    # --- activating -----------------------------------------------------------------------------

    def _activate(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        notification = self.model.notification(index.row())
        self.model.mark_read(index.row())
        self.hide()
        if notification.order_id is not None:
            self.order_requested.emit(notification.order_id)
        elif notification.request_id is not None:
            self.request_requested.emit(notification.request_id)
