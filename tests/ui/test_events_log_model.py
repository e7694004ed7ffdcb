"""The events log model: rows in time order, texts for who/when/what/from → to, and incremental
updates (one ``rowsInserted`` per contiguous run, no reset). Qt's model tester watches every
change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from litdesk.models.events_log import EventIdRole, EventsLogModel, KindRole, LogColumn

T0 = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


def event(event_id: int, minutes: int, kind: str = "transition", **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "order_id": 7, "actor_id": 1, "actor_name": "Maya Laurent",
            "actor_role": "influencer", "kind": kind, "action": None, "from_status": None,
            "to_status": None, "note": "",
            "created_at": (T0 + timedelta(minutes=minutes)).isoformat(), **extra}


def story() -> list[dict[str, Any]]:
    return [
        event(1, 0, "created", action="place_order", to_status="pending",
              actor_name="Northwind Audio", actor_role="advertiser", note="Podcast mid-roll"),
        event(2, 5, action="request_payment", from_status="pending",
              to_status="payment_required"),
        event(3, 9, "message", note="Invoice sent,\nplease check."),
        event(4, 20, action="payment_succeeded", from_status="payment_required",
              to_status="payment_received", actor_id=None, actor_name="",
              actor_role="payment_system", note="Paid 450.00 USD"),
    ]


def texts(model: EventsLogModel, column: LogColumn) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_rows_read_who_when_what_and_the_change(qtmodeltester: ModelTester) -> None:
    model = EventsLogModel()
    qtmodeltester.check(model)
    model.set_events(story())
    assert model.rowCount() == 4
    assert model.columnCount() == 4
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in LogColumn] == \
        ["When", "Who", "What", "From → to"]
    assert texts(model, LogColumn.WHO) == [
        "Northwind Audio (advertiser)", "Maya Laurent (influencer)",
        "Maya Laurent (influencer)", "payment system"]
    assert texts(model, LogColumn.WHAT) == [
        "Placed the order: Podcast mid-roll", "Request payment",
        "Message: Invoice sent, please check.", "Record payment: Paid 450.00 USD"]
    assert texts(model, LogColumn.CHANGE) == [
        "→ Pending", "Pending → Payment Required", "", "Payment Required → Payment Received"]
    assert "2026" in texts(model, LogColumn.WHEN)[0]
    assert model.index(2, LogColumn.WHAT).data(Qt.ItemDataRole.ToolTipRole) == \
        "Invoice sent,\nplease check."  # the note in full, line breaks kept
    assert model.index(2, 0).data(EventIdRole) == 3
    assert model.index(2, 0).data(KindRole) == "message"
    assert model.last_id() == 4


def test_ratings_and_surveys_read_as_such(qtmodeltester: ModelTester) -> None:
    model = EventsLogModel()
    qtmodeltester.check(model)
    model.set_events([event(1, 0, "rating", note="5/5: Great to work with"),
                      event(2, 1, "survey", actor_role="advertiser", actor_name="Northwind",
                            note="1200 impressions, 40 clicks, 3 conversions; satisfaction 4/5")])
    assert texts(model, LogColumn.WHAT) == [
        "Rated the collaboration 5/5: Great to work with",
        "Metrics survey: 1200 impressions, 40 clicks, 3 conversions; satisfaction 4/5"]


def test_a_new_event_is_one_insert_at_the_end_never_a_reset(
        qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = EventsLogModel()
    qtmodeltester.check(model)
    model.set_events(story()[:3])
    resets: list[bool] = []
    inserted: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))

    assert model.add_events(story()) == 1  # the known three are skipped
    assert inserted == [(3, 3)]
    assert not resets
    assert model.add_events(story()) == 0
    assert inserted == [(3, 3)]


def test_events_out_of_order_go_where_their_time_puts_them(qtmodeltester: ModelTester) -> None:
    model = EventsLogModel()
    qtmodeltester.check(model)
    model.set_events([event(10, 0), event(11, 10), event(12, 20)])
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    # Two between the first and the second, one after the last: two runs, two inserts.
    model.add_events([event(21, 30), event(20, 6), event(19, 5)])
    assert [model.index(r, 0).data(EventIdRole) for r in range(model.rowCount())] == \
        [10, 19, 20, 11, 12, 21]
    assert inserted == [(1, 2), (5, 5)]


def test_another_order_resets_and_clear_empties(qtmodeltester: ModelTester) -> None:
    model = EventsLogModel()
    qtmodeltester.check(model)
    model.set_events(story())
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_events([event(40, 0)])
    assert resets == [True]
    assert model.rowCount() == 1
    model.clear()
    assert model.rowCount() == 0
    assert model.last_id() == 0
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None
