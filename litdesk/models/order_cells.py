"""How one order board cell reads: money, dates, the brief's tooltip. Used only for the few
cells on screen, so nothing here is cached."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import QLocale, QTime

from litdesk.models.board_entries import Column
from litdesk.services.records import OrderRow

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}
_NO_DECIMALS = frozenset({"JPY", "KRW"})
_BRIEF_TIP_CHARS = 600
_NBSP = "\u00a0"


class CellText:
    """Formats an ``OrderRow``'s cells with the user's locale."""

    def __init__(self, locale: QLocale | None = None) -> None:
        locale = locale or QLocale()
        if locale.language() == QLocale.Language.C:
            # The C locale (LANG unset) puts currency symbols after the amount and groups no
            # digits; English reads better for everyone than that.
            locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
        self._locale = locale
        self._months = [""] + [self._locale.monthName(m, QLocale.FormatType.ShortFormat)
                               for m in range(1, 13)]

    def text(self, row: OrderRow, column: int, party: str = "") -> str:
        if column == Column.ORDER:
            return row.number
        if column == Column.STATUS:
            return row.status.label
        if column == Column.ADVERTISER:
            return party or row.advertiser_name
        if column == Column.SPACE:
            return row.space_title
        if column == Column.VALUE:
            return self.money(row.value_cents, row.currency)
        if column == Column.ORDERED:
            return self.date(row.created_at)
        if column == Column.UPDATED:
            return self.recent(row.updated_at)
        return ""

    def recent(self, when: datetime) -> str:
        """Today's changes by their time, older ones by their date (as mail clients do), so the
        column stays narrow and the Space column gets the room."""
        local = when.astimezone() if when.tzinfo else when
        now = datetime.now(local.tzinfo)
        return self.time(when) if local.date() == now.date() else self.date(when)

    def money(self, cents: int, currency: str) -> str:
        digits = 0 if currency in _NO_DECIMALS else 2
        amount = cents / 100
        symbol = _SYMBOLS.get(currency)
        if symbol is None:  # the ISO code after the amount reads better than a glued prefix
            return f"{self._locale.toString(amount, 'f', digits)}{_NBSP}{currency}"
        return self._locale.toCurrencyString(amount, symbol, digits)

    def date(self, when: datetime) -> str:
        # "12 Mar 2025": a spelled month reads the same in every locale's day/month order.
        local = when.astimezone() if when.tzinfo else when
        return f"{local.day}{_NBSP}{self._months[local.month]}{_NBSP}{local.year}"

    def time(self, when: datetime) -> str:
        local = when.astimezone() if when.tzinfo else when
        return self._locale.toString(QTime(local.hour, local.minute),
                                     QLocale.FormatType.ShortFormat)

    @staticmethod
    def tooltip(row: OrderRow) -> str:
        brief = row.brief.strip() or "No brief."
        if len(brief) > _BRIEF_TIP_CHARS:
            brief = brief[:_BRIEF_TIP_CHARS].rstrip() + "…"
        # Rich text so that Qt wraps a long brief instead of drawing one screen-wide line.
        parts = [f"<b>{html.escape(row.number)}</b> · {html.escape(row.space_title)}",
                 html.escape(brief).replace("\n", "<br>")]
        if row.pending_actions:
            parts.append("<i>Your latest change is waiting to be sent.</i>")
        return "<qt>" + "<br><br>".join(parts) + "</qt>"
