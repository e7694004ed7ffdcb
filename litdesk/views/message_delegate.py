"""Paints one message of a thread (``ThreadMessagesModel``'s ``MessageRole``) as a chat bubble:
the sender and time, the text wrapped, a chip per attachment, thumbnails of images that are on
this machine, and the state of a local echo ("Sending…", or "Failed" with Retry and Discard).

The person's own messages sit on the right, everyone else's on the left, LitDesk's notices
centred and muted without a bubble.

Decisions
---------
* **One layout per message and width, cached.** ``layout()`` measures everything once (a
  ``QTextLayout`` for the wrapped text, rectangles for chips, thumbnails and buttons) and both
  ``sizeHint`` and ``paint`` use it, so a row is exactly as tall as what is drawn. The cache is
  keyed by the (immutable, hashable) ``MessageItem`` and the width: a changed message is a new
  key, so nothing needs invalidating. It is bounded (LRU), and so is the thumbnail cache.
* **The width is the view's**, not the option's: ``QListView`` asks ``sizeHint`` with no useful
  rectangle. A view with ``setResizeMode(Adjust)`` lays out again when it is resized.
* **Thumbnails** are decoded at their drawn size (``QImageReader.setScaledSize``), so a 10 MB
  photo costs a small pixmap. An image that is not on this machine yet is drawn as a chip and
  announced once through ``image_wanted(attachment_id)``; whoever owns the engine fetches it and
  the model's ``dataChanged`` brings the thumbnail in.
* **Fixed colours.** Bubbles are soft fills with dark text (like the status badges), readable
  under light and dark window themes; a failed message has a red outline and a red line, so
  colour is never the only signal.
* **Clicks** on Retry, Discard, a chip or a thumbnail come out as ``part_clicked`` /
  ``part_double_clicked`` (index, part, attachment number); the keyboard equivalents live in the
  panel, which owns the actions.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImageReader,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from litdesk.models.thread_messages import MessageRole
from litdesk.services.records import FAILED, SENDING, AttachmentRef, MessageItem

ModelIndex = QModelIndex | QPersistentModelIndex

# Geometry, in pixels.
SIDE = 12          # between the view's edge and a bubble
ROW_GAP = 4        # above and below a bubble
PAD_X = 10         # inside a bubble
PAD_Y = 7
LINE_GAP = 4       # between the parts of a bubble
MAX_BUBBLE = 560   # a bubble's widest
BUBBLE_SHARE = 0.8  # ... or this share of the view, whichever is less
RADIUS = 10
CHIP_PAD = 6
ICON = 16
THUMB_W = 240      # a thumbnail's box
THUMB_H = 180
BUTTON_PAD = 8
CACHE_LAYOUTS = 4000
CACHE_THUMBS = 300

# Soft fills with dark text (see "Fixed colours"); hues from palette.py's families.
MINE_FILL = QColor("#DBEAFE")
MINE_HEADER = QColor("#1E40AF")
OTHER_FILL = QColor("#F3F4F6")
OTHER_HEADER = QColor("#374151")
BODY_TEXT = QColor("#111827")
MUTED_TEXT = QColor("#6B7280")
CHIP_FILL = QColor("#FFFFFF")
CHIP_BORDER = QColor("#D1D5DB")
FAILED_ACCENT = QColor("#DC2626")
FAILED_TEXT = QColor("#991B1B")
FAILED_FILL = QColor("#FEE2E2")

RETRY = "retry"
DISCARD = "discard"
ATTACHMENT = "attachment"


def _tr(text: str) -> str:
    return QCoreApplication.translate("MessageDelegate", text)


def stamp(at: datetime, today: QDate | None = None) -> str:
    """A message's time: "14:02" today, "12 Mar 14:02" before, with the year when it is not
    this year's."""
    local = at.astimezone()
    day = QDate(local.year, local.month, local.day)
    time = QTime(local.hour, local.minute).toString("HH:mm")
    today = today or QDate.currentDate()
    if day == today:
        return time
    pattern = "d MMM" if day.year() == today.year() else "d MMM yyyy"
    return f"{day.toString(pattern)} {time}"


def file_size(size: int) -> str:
    """A size as people read it: "820 B", "14 KB", "3.2 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    value = f"{size / (1024 * 1024):.1f}"
    return (value[:-2] if value.endswith(".0") else value) + " MB"


@dataclass
class Chip:
    rect: QRect
    attachment: int  # its position in MessageItem.attachments
    label: str


@dataclass
class Thumb:
    rect: QRect
    attachment: int
    path: str


@dataclass
class MessageLayout:
    """Where everything of one message goes, relative to the row's top-left corner."""

    height: int
    bubble: QRect
    header: str = ""
    header_rect: QRect = field(default_factory=QRect)
    text: QTextLayout | None = None
    text_origin: QPointF = field(default_factory=QPointF)
    chips: list[Chip] = field(default_factory=list)
    thumbs: list[Thumb] = field(default_factory=list)
    state: str = ""
    state_rect: QRect = field(default_factory=QRect)
    retry_rect: QRect = field(default_factory=QRect)
    discard_rect: QRect = field(default_factory=QRect)

    def part_at(self, pos: QPoint) -> tuple[str, int]:
        """(RETRY | DISCARD | ATTACHMENT | "", attachment number) under ``pos``."""
        if self.retry_rect.contains(pos):
            return RETRY, -1
        if self.discard_rect.contains(pos):
            return DISCARD, -1
        for thumb in self.thumbs:
            if thumb.rect.contains(pos):
                return ATTACHMENT, thumb.attachment
        for chip in self.chips:
            if chip.rect.contains(pos):
                return ATTACHMENT, chip.attachment
        return "", -1


def _text_layout(text: str, font: QFont, width: int,
                 align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> tuple[QTextLayout, int,
                                                                                 int]:
    """``text`` wrapped at ``width``: the layout, the widest line and the height."""
    layout = QTextLayout(text, font)
    option = QTextOption(align)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.setCacheEnabled(True)
    layout.beginLayout()
    height = 0.0
    widest = 0.0
    leading = QFontMetrics(font).leading()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, height))
        height += line.height() + leading
        widest = max(widest, line.naturalTextWidth())
    layout.endLayout()
    return layout, int(widest + 0.999), int(height + 0.999)


class MessageDelegate(QStyledItemDelegate):
    """Paints ``MessageRole`` rows of a ``QListView`` (see the module's docstring)."""

    image_wanted = Signal(str)  # an image attachment's id, not on this machine yet
    part_clicked = Signal(QModelIndex, str, int)         # index, RETRY/DISCARD/ATTACHMENT, n
    part_double_clicked = Signal(QModelIndex, str, int)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._layouts: OrderedDict[tuple[MessageItem, int], MessageLayout] = OrderedDict()
        self._thumbs: OrderedDict[tuple[str, int, int], QPixmap] = OrderedDict()
        self._image_sizes: dict[str, QSize] = {}
        self._wanted: set[str] = set()

    # --- measuring ------------------------------------------------------------------------------

    def width(self) -> int:
        """The width rows are laid out for: the view's viewport."""
        return max(self._view.viewport().width(), 160)

    def layout(self, item: MessageItem, width: int | None = None) -> MessageLayout:
        """The (cached) layout of ``item`` in a row ``width`` wide (the view's by default)."""
        width = self.width() if width is None else width
        key = (item, width)
        found = self._layouts.get(key)
        if found is not None:
            self._layouts.move_to_end(key)
            return found
        made = self._system_layout(item, width) if item.system else self._bubble_layout(item,
                                                                                        width)
        self._layouts[key] = made
        if len(self._layouts) > CACHE_LAYOUTS:
            self._layouts.popitem(last=False)
        return made

    def layout_at(self, index: ModelIndex) -> MessageLayout | None:
        item = index.data(MessageRole)
        return self.layout(item) if isinstance(item, MessageItem) else None

    def clear_cache(self) -> None:
        """Forget every layout (after a font change, say)."""
        self._layouts.clear()

    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        """(body, header, small)."""
        body = QFont(self._view.font())
        header = QFont(body)
        header.setPointSizeF(body.pointSizeF() * 0.9)
        small = QFont(header)
        header.setWeight(QFont.Weight.DemiBold)
        return body, header, small

    def _system_layout(self, item: MessageItem, width: int) -> MessageLayout:
        _, _, small = self._fonts()
        small.setItalic(True)
        inner = max(width - 8 * SIDE, 80)
        when = stamp(item.created_at)
        text = f"{item.text}  ·  {when}" if item.text else when
        laid, _widest, height = _text_layout(text, small, inner, Qt.AlignmentFlag.AlignHCenter)
        bubble = QRect((width - inner) // 2, ROW_GAP, inner, height + 2 * ROW_GAP)
        return MessageLayout(height=height + 4 * ROW_GAP, bubble=bubble, text=laid,
                             text_origin=QPointF(bubble.left(), bubble.top() + ROW_GAP))

    def _bubble_layout(self, item: MessageItem, width: int) -> MessageLayout:
        body_font, header_font, small_font = self._fonts()
        header_metrics, small_metrics = QFontMetrics(header_font), QFontMetrics(small_font)
        outer = max(min(MAX_BUBBLE, int(width * BUBBLE_SHARE)), 120)
        inner = outer - 2 * PAD_X
        made = MessageLayout(height=0, bubble=QRect())
        sender = _tr("You") if item.mine else (item.sender_name or _tr("Someone"))
        made.header = f"{sender}  ·  {stamp(item.created_at)}"
        made.header = header_metrics.elidedText(made.header, Qt.TextElideMode.ElideRight, inner)
        widest = header_metrics.horizontalAdvance(made.header)
        y = PAD_Y
        made.header_rect = QRect(PAD_X, y, inner, header_metrics.height())
        y += header_metrics.height() + LINE_GAP

        if item.text:
            laid, text_width, text_height = _text_layout(item.text, body_font, inner)
            made.text, made.text_origin = laid, QPointF(PAD_X, y)
            widest = max(widest, text_width)
            y += text_height + LINE_GAP

        for number, ref in enumerate(item.attachments):
            thumb = self._thumb_size(ref, inner)
            if thumb is not None and ref.local_path:
                made.thumbs.append(Thumb(QRect(QPoint(PAD_X, y), thumb), number, ref.local_path))
                widest = max(widest, thumb.width())
                y += thumb.height() + LINE_GAP
                continue
            if ref.is_image and ref.id and not ref.local_path:
                self._want(ref.id)
            label = f"{ref.name}  ·  {file_size(ref.size)}"
            label_width = min(small_metrics.horizontalAdvance(label),
                              inner - 2 * CHIP_PAD - ICON - CHIP_PAD)
            label = small_metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, label_width)
            label_width = min(small_metrics.horizontalAdvance(label) + 2, inner - 3 * CHIP_PAD
                              - ICON)  # drawn text can be a pixel or two wider than measured
            chip_width = 2 * CHIP_PAD + ICON + CHIP_PAD + label_width
            chip_height = max(small_metrics.height(), ICON) + 2 * (CHIP_PAD - 2)
            made.chips.append(Chip(QRect(PAD_X, y, chip_width, chip_height), number, label))
            widest = max(widest, chip_width)
            y += chip_height + LINE_GAP

        y = self._state_layout(item, made, small_metrics, inner, y)
        widest = max(widest, made.state_rect.width())
        if not made.discard_rect.isNull():
            widest = max(widest, made.discard_rect.right() + 1 - PAD_X)
        bubble_width = min(widest, inner) + 2 * PAD_X
        bubble_height = y - LINE_GAP + PAD_Y
        left = width - SIDE - bubble_width if item.mine else SIDE
        made.bubble = QRect(left, ROW_GAP, bubble_width, bubble_height)
        _shift(made, QPoint(left, ROW_GAP))
        if item.mine:  # the state line and its buttons hug the right edge of the bubble
            _right_align_state(made, made.bubble.right() - PAD_X)
        made.height = bubble_height + 2 * ROW_GAP
        return made

    def _state_layout(self, item: MessageItem, made: MessageLayout, metrics: QFontMetrics,
                      inner: int, y: int) -> int:
        if item.state == SENDING:
            made.state = _tr("Sending…")
            made.state_rect = QRect(PAD_X, y, metrics.horizontalAdvance(made.state),
                                    metrics.height())
            return y + metrics.height() + LINE_GAP
        if item.state != FAILED:
            return y
        reason = item.error or _tr("Not sent.")
        made.state = _tr("Failed — {reason}").format(reason=reason)
        bounds = metrics.boundingRect(QRect(0, 0, inner, 10_000),
                                      int(Qt.TextFlag.TextWordWrap), made.state)
        made.state_rect = QRect(PAD_X, y, min(bounds.width(), inner), bounds.height())
        y += bounds.height() + LINE_GAP
        height = metrics.height() + 4
        retry, discard = _tr("Retry"), _tr("Discard")
        retry_width = metrics.horizontalAdvance(retry) + 2 * BUTTON_PAD
        discard_width = metrics.horizontalAdvance(discard) + 2 * BUTTON_PAD
        made.retry_rect = QRect(PAD_X, y, retry_width, height)
        made.discard_rect = QRect(PAD_X + retry_width + BUTTON_PAD, y, discard_width, height)
        return y + height + LINE_GAP

    def _thumb_size(self, ref: AttachmentRef, inner: int) -> QSize | None:
        """The drawn size of an image on this machine, None if it is not one or cannot be
        read. Reads only the file's header."""
        path = ref.local_path
        if not path or not (ref.is_image or not ref.id):  # a local echo's type is not known
            return None
        size = self._image_sizes.get(path)
        if size is None:
            reader = QImageReader(path)
            size = reader.size() if reader.canRead() else QSize()
            self._image_sizes[path] = size
        if not size.isValid() or size.isEmpty():
            return None
        return size.scaled(QSize(min(THUMB_W, inner), THUMB_H),
                           Qt.AspectRatioMode.KeepAspectRatio).expandedTo(QSize(8, 8))

    def _want(self, attachment_id: str) -> None:
        if attachment_id not in self._wanted:
            self._wanted.add(attachment_id)
            self.image_wanted.emit(attachment_id)

    def thumbnail(self, path: str, size: QSize) -> QPixmap:
        """The image at ``path`` decoded at ``size`` (cached); null if it cannot be read."""
        key = (path, size.width(), size.height())
        found = self._thumbs.get(key)
        if found is not None:
            self._thumbs.move_to_end(key)
            return found
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        reader.setScaledSize(size)
        pixmap = QPixmap.fromImage(reader.read())
        self._thumbs[key] = pixmap
        if len(self._thumbs) > CACHE_THUMBS:
            self._thumbs.popitem(last=False)
        return pixmap

    # --- Qt's delegate interface ------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        made = self.layout_at(index)
        if made is None:
            return super().sizeHint(option, index)
        return QSize(self.width(), made.height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        item = index.data(MessageRole)
        if not isinstance(item, MessageItem):
            super().paint(painter, option, index)
            return
        made = self.layout(item)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        rect: QRect = option.rect
        painter.translate(rect.topLeft())
        state = option.state
        focused = bool(state & QStyle.StateFlag.State_Selected) or bool(
            state & QStyle.StateFlag.State_HasFocus)
        highlight = option.palette.color(QPalette.ColorRole.Highlight)
        if item.system:
            self._paint_system(painter, made, option, focused, highlight)
        else:
            self._paint_bubble(painter, item, made, focused, highlight)
        painter.restore()

    def _paint_system(self, painter: QPainter, made: MessageLayout,
                      option: QStyleOptionViewItem, focused: bool, highlight: QColor) -> None:
        if focused:
            painter.setPen(QPen(highlight, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(made.bubble), RADIUS, RADIUS)
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        if made.text is not None:
            made.text.draw(painter, made.text_origin)

    def _paint_bubble(self, painter: QPainter, item: MessageItem, made: MessageLayout,
                      focused: bool, highlight: QColor) -> None:
        body_font, header_font, small_font = self._fonts()
        failed = item.state == FAILED
        painter.setBrush(MINE_FILL if item.mine else OTHER_FILL)
        if focused:
            painter.setPen(QPen(highlight, 2))
        elif failed:
            painter.setPen(QPen(FAILED_ACCENT, 1.5))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(made.bubble).adjusted(1, 1, -1, -1), RADIUS, RADIUS)

        painter.setFont(header_font)
        painter.setPen(MINE_HEADER if item.mine else OTHER_HEADER)
        painter.drawText(made.header_rect, int(Qt.AlignmentFlag.AlignLeft
                                               | Qt.AlignmentFlag.AlignVCenter), made.header)
        if made.text is not None:
            painter.setFont(body_font)
            painter.setPen(BODY_TEXT)
            made.text.draw(painter, made.text_origin)
        painter.setFont(small_font)
        for chip in made.chips:
            self._paint_chip(painter, chip)
        for thumb in made.thumbs:
            pixmap = self.thumbnail(thumb.path, thumb.rect.size())
            if not pixmap.isNull():
                painter.drawPixmap(thumb.rect, pixmap)
            painter.setPen(QPen(CHIP_BORDER, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(thumb.rect), 4, 4)
        if made.state:
            self._paint_state(painter, made, failed)

    def _paint_chip(self, painter: QPainter, chip: Chip) -> None:
        painter.setPen(QPen(CHIP_BORDER, 1))
        painter.setBrush(CHIP_FILL)
        painter.drawRoundedRect(QRectF(chip.rect).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        style = self._view.style() if self._view is not None else QApplication.style()
        icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        top = chip.rect.top() + (chip.rect.height() - ICON) // 2
        icon.paint(painter, QRect(chip.rect.left() + CHIP_PAD, top, ICON, ICON))
        painter.setPen(BODY_TEXT)
        text_rect = chip.rect.adjusted(CHIP_PAD + ICON + CHIP_PAD, 0, -CHIP_PAD, 0)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                                        | Qt.TextFlag.TextDontClip), chip.label)

    def _paint_state(self, painter: QPainter, made: MessageLayout, failed: bool) -> None:
        painter.setPen(FAILED_TEXT if failed else MUTED_TEXT)
        flags = Qt.TextFlag.TextWordWrap if failed else Qt.TextFlag(0)
        painter.drawText(made.state_rect, int(flags) | int(Qt.AlignmentFlag.AlignLeft),
                         made.state)
        for rect, label in ((made.retry_rect, _tr("Retry")), (made.discard_rect, _tr("Discard"))):
            if rect.isNull():
                continue
            painter.setPen(QPen(FAILED_ACCENT, 1))
            painter.setBrush(FAILED_FILL)
            painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
            painter.setPen(FAILED_TEXT)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel,
                    option: QStyleOptionViewItem, index: ModelIndex) -> bool:
        kinds = (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)
        if event.type() not in kinds or not isinstance(event, QMouseEvent):
            return super().editorEvent(event, model, option, index)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        made = self.layout_at(index)
        if made is None:
            return False
        rect: QRect = option.rect
        part, number = made.part_at(event.position().toPoint() - rect.topLeft())
        if not part:
            if event.type() == QEvent.Type.MouseButtonDblClick:
                self.part_double_clicked.emit(_plain(index), "", -1)
            return False
        signal = (self.part_clicked if event.type() == QEvent.Type.MouseButtonRelease
                  else self.part_double_clicked)
        signal.emit(_plain(index), part, number)
        return True


def _shift(made: MessageLayout, by: QPoint) -> None:
    """Move everything laid out inside a bubble by ``by`` (from bubble to row coordinates)."""
    made.header_rect.translate(by)
    made.text_origin += QPointF(by)
    for chip in made.chips:
        chip.rect.translate(by)
    for thumb in made.thumbs:
        thumb.rect.translate(by)
    for rect in (made.state_rect, made.retry_rect, made.discard_rect):
        if not rect.isNull():
            rect.translate(by)


def _right_align_state(made: MessageLayout, right: int) -> None:
    if made.discard_rect.isNull():
        return
    shift = right - made.discard_rect.right()
    made.retry_rect.translate(shift, 0)
    made.discard_rect.translate(shift, 0)



def _plain(index: ModelIndex) -> QModelIndex:
    if isinstance(index, QModelIndex):
        return index
    model = index.model()
    return model.index(index.row(), index.column()) if model is not None else QModelIndex()
