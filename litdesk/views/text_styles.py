"""The few text styles the dialogs and panes share, so a muted line looks the same everywhere.

Styles go through the widget's palette and font rather than style sheets: a style sheet on a
label stops it following the platform's palette (dark mode) and its font size.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

ERROR_COLOR = QColor("#c62828")


def as_title(widget: QWidget, scale: float = 1.45) -> None:
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setWeight(font.Weight.DemiBold)
    widget.setFont(font)


def as_heading(widget: QWidget) -> None:
    font = widget.font()
    font.setWeight(font.Weight.DemiBold)
    widget.setFont(font)


def as_muted(widget: QWidget) -> None:
    widget.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def as_error(widget: QWidget) -> None:
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOR)
    widget.setPalette(palette)
