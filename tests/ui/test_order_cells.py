"""Cell texts: the Updated column shows today's changes by time, older ones by date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QLocale

from litdesk.models.order_cells import CellText


def test_recent_shows_time_today_and_date_before() -> None:
    cells = CellText(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    now = datetime.now(UTC)
    today = cells.recent(now)
    assert ":" in today
    assert str(now.astimezone().year) not in today
    older = cells.recent(now - timedelta(days=3))
    assert str((now - timedelta(days=3)).astimezone().year) in older
    assert ":" not in older
