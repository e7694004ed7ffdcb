"""LitDesk's colours, in one table, for every place that shows an order's status.

Each status is a soft fill with dark text of the same hue (contrast ≥ 7:1, readable on light and
dark window themes and under a selection highlight) and a stronger accent for dots, bars and
borders. Hues follow the board's groups so a glance at the colour tells the kind of state, and
the label tells the state itself — colour is never the only signal:

* new — violet; feedback — teal (asked) and cyan (answered); payment — amber;
* in progress — blues (indigo for Hold, the paused one);
* completed — green;
* problems — orange while a conversation can settle them, red where a refusal, a dispute or a
  failed payment needs action, rose for mediation;
* closed — grey.

Hex strings rather than ``QColor`` so style sheets can use them too; ``status_colours`` gives the
``QColor``s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtGui import QColor

from litdesk.domain.orders import OrderStatus

S = OrderStatus


@dataclass(frozen=True)
class BadgeColours:
    """A status's fill (badge background), text (on the fill) and accent (dots, bars)."""

    fill: str
    text: str
    accent: str


_VIOLET = BadgeColours("#EDE9FE", "#5B21B6", "#7C3AED")
_TEAL = BadgeColours("#CCFBF1", "#115E59", "#0D9488")
_CYAN = BadgeColours("#CFFAFE", "#155E75", "#0891B2")
_AMBER = BadgeColours("#FEF3C7", "#92400E", "#D97706")
_SKY = BadgeColours("#E0F2FE", "#075985", "#0284C7")
_BLUE = BadgeColours("#DBEAFE", "#1E40AF", "#2563EB")
_INDIGO = BadgeColours("#E0E7FF", "#3730A3", "#4F46E5")
_GREEN = BadgeColours("#DCFCE7", "#166534", "#16A34A")
_ORANGE = BadgeColours("#FFEDD5", "#9A3412", "#EA580C")
_RED = BadgeColours("#FEE2E2", "#991B1B", "#DC2626")
_ROSE = BadgeColours("#FFE4E6", "#9F1239", "#E11D48")
_GREY = BadgeColours("#E5E7EB", "#374151", "#6B7280")

STATUS_COLOURS: dict[OrderStatus, BadgeColours] = {
    S.PENDING: _VIOLET,
    S.FEEDBACK_REQUIRED: _TEAL,
    S.FEEDBACK_PROVIDED: _CYAN,
    S.PAYMENT_REQUIRED: _AMBER,
    S.PAYMENT_RECEIVED: _SKY,
    S.PROCESSING: _BLUE,
    S.HOLD: _INDIGO,
    S.UPDATE_REQUESTED: _BLUE,
    S.COMPLETED: _GREEN,
    S.REFUND_REQUESTED: _ORANGE,
    S.DISPUTE_CLOSED: _ORANGE,
    S.REFUND_DECLINED: _RED,
    S.DISPUTE_OPENED: _RED,
    S.UNCOLLECTABLE: _RED,
    S.MEDIATION_REQUIRED: _ROSE,
    S.CANCELLED: _GREY,
    S.REFUNDED: _GREY,
    S.MEDIATION_COMPLETE: _GREY,
}


@cache
def status_colours(status: OrderStatus) -> tuple[QColor, QColor, QColor]:
    """(fill, text, accent) as ``QColor``s, made once per status."""
    colours = STATUS_COLOURS[status]
    return QColor(colours.fill), QColor(colours.text), QColor(colours.accent)
