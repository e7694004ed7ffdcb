"""OrderBoardModel: Qt's model checks, incremental signals per sync batch, counts, search, sort.

Every test attaches Qt's own QAbstractItemModelTester (through ``qtmodeltester``), which checks
the model after each signal; a Qt warning fails the test, so its complaints are failures.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from litdesk.domain.order_guidance import STATUS_GROUP, StatusGroup
from litdesk.domain.orders import OrderStatus, Role
from litdesk.models.order_board import (
    GROUP_KEYS,
    Column,
    OrderBoardModel,
    OrderIdRole,
    RowRole,
    StatusRole,
)
from litdesk.services.records import ChangeSet, OrderRow
from tests.ui.order_rows import order_row, order_rows

pytestmark = pytest.mark.qt_log_level_fail("WARNING")

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


class Recorder:
    """Counts a model's structural signals and remembers their arguments."""

    def __init__(self, model: OrderBoardModel) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in ("modelReset", "layoutChanged", "dataChanged", "rowsInserted",
                     "rowsRemoved", "rowsMoved", "counts_changed"):
            getattr(model, name).connect(
                lambda *args, name=name: self.events.append((name, args)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def ranges(self, name: str) -> list[tuple[int, int]]:
        return [(args[1], args[2]) for n, args in self.events if n == name]


def ids(model: OrderBoardModel) -> list[int]:
    return [model.index(r, 0).data(OrderIdRole) for r in range(model.rowCount())]


def board(qtmodeltester: ModelTester, rows: list[OrderRow] | None = None,
          role: Role = Role.INFLUENCER) -> OrderBoardModel:
    model = OrderBoardModel(role)
    qtmodeltester.check(model)
    if rows is not None:
        model.set_rows(rows)
    return model


def test_empty_model_passes_qt_checks(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester)
    assert model.rowCount() == 0
    assert model.columnCount() == 7
    assert model.group_counts() == dict.fromkeys(GROUP_KEYS, 0)
    model.set_search("anything")
    model.sort(Column.VALUE, ASC)
    model.set_group("problems")
    assert model.rowCount() == 0


def test_five_hundred_rows_pass_qt_checks_through_every_operation(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(500))
    assert model.rowCount() == 500
    model.set_search("lagoon")
    model.sort(Column.VALUE, DESC)
    model.set_group("problems")
    model.apply(ChangeSet(orders=[order_row(5, status=OrderStatus.DISPUTE_OPENED),
                                  order_row(600, advertiser_name="Blue Lagoon Travel")],
                          removed_orders=[12, 19]))
    model.set_search("")
    model.sort(Column.STATUS, ASC)
    model.set_group("all")
    assert model.rowCount() == 500 + 1 - 2


def test_default_order_is_newest_first_with_formatted_cells(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(3))
    assert ids(model) == [3, 2, 1]
    assert (model.sort_column(), model.sort_order()) == (Column.ORDERED, DESC)
    first = order_row(3)
    cells = [model.index(0, c).data() for c in range(7)]
    assert cells[Column.ORDER] == "LD-000003"
    assert cells[Column.STATUS] == first.status.label
    assert cells[Column.ADVERTISER] == first.advertiser_name
    assert cells[Column.SPACE] == first.space_title
    assert cells[Column.VALUE].replace(",", "") == f"${first.value_cents / 100:.2f}"
    assert "2025" in cells[Column.ORDERED]
    index = model.index(0, Column.STATUS)
    assert index.data(OrderIdRole) == 3
    assert OrderStatus(index.data(StatusRole)) is first.status
    assert index.data(RowRole) == first
    assert first.brief in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == first.status.label


def test_updates_emit_data_changed_per_contiguous_range_and_never_reset(
        qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(20))  # rows 0..19 show ids 20..1
    seen = Recorder(model)
    with qtbot.waitSignal(model.dataChanged):
        model.apply(ChangeSet(orders=[order_row(n, brief=f"new brief {n}")
                                      for n in (20, 19, 18, 5)]))
    assert "modelReset" not in seen.names()
    assert "layoutChanged" not in seen.names()
    assert seen.names().count("dataChanged") == 2
    tops = sorted((args[0].row(), args[1].row()) for n, args in seen.events
                  if n == "dataChanged")
    assert tops == [(0, 2), (15, 15)]
    assert model.index(15, 0).data(RowRole).brief == "new brief 5"


def test_new_rows_are_inserted_at_their_sorted_position(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, [order_row(n, value_cents=n * 100) for n in (10, 20, 30, 40)])
    model.sort(Column.VALUE, ASC)
    seen = Recorder(model)
    model.apply(ChangeSet(orders=[order_row(50, value_cents=1),
                                  order_row(51, value_cents=2500),
                                  order_row(52, value_cents=2)]))
    assert seen.ranges("rowsInserted") == [(2, 2), (0, 1)]  # bottom-up, one range per gap
    assert ids(model) == [50, 52, 10, 20, 51, 30, 40]
    assert "modelReset" not in seen.names()
    assert "layoutChanged" not in seen.names()


def test_a_status_change_out_of_the_group_removes_the_row(
        qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    rows = [order_row(n, status=OrderStatus.PENDING) for n in range(1, 6)]
    model = board(qtmodeltester, rows)
    model.set_group(StatusGroup.NEW.value)
    assert model.rowCount() == 5
    seen = Recorder(model)
    with qtbot.waitSignals([model.rowsRemoved, model.counts_changed]):
        model.apply(ChangeSet(orders=[order_row(3, status=OrderStatus.PAYMENT_REQUIRED),
                                      order_row(4, status=OrderStatus.PAYMENT_REQUIRED)]))
    assert seen.ranges("rowsRemoved") == [(1, 2)]  # ids 5,4,3,2,1: rows 1-2 in one range
    assert ids(model) == [5, 2, 1]
    assert "modelReset" not in seen.names()
    counts = model.group_counts()
    assert counts["new"] == 3
    assert counts["payment"] == 2


def test_removed_orders_leave_and_unknown_ids_are_ignored(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(10))
    seen = Recorder(model)
    model.apply(ChangeSet(removed_orders=[1, 2, 9, 999]))
    assert seen.ranges("rowsRemoved") == [(8, 9), (1, 1)]
    assert ids(model) == [10, 8, 7, 6, 5, 4, 3]
    assert model.group_counts()["all"] == 7
    seen.events.clear()
    model.apply(ChangeSet(removed_orders=[999]))
    assert seen.events == []


def test_a_changed_sort_key_moves_the_row_and_its_selection(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(10))
    model.sort(Column.UPDATED, DESC)
    selected = QPersistentModelIndex(model.index(7, 0))  # id 3
    seen = Recorder(model)
    newest = order_row(3).updated_at + timedelta(days=30)
    model.apply(ChangeSet(orders=[order_row(3, updated_at=newest)]))
    assert "rowsMoved" in seen.names()
    assert "rowsRemoved" not in seen.names()
    assert ids(model)[0] == 3
    assert selected.row() == 0
    assert selected.data(RowRole).updated_at == newest


def test_counts_follow_batches_and_emit_only_when_they_change(
        qtmodeltester: ModelTester) -> None:
    rows = order_rows(180)
    model = board(qtmodeltester, rows)
    expected = {g.value: sum(STATUS_GROUP[r.status] is g for r in rows) for g in StatusGroup}
    expected["all"] = 180
    expected["needs_action"] = sum(r.awaiting is Role.INFLUENCER for r in rows)
    assert model.group_counts() == expected
    assert expected["needs_action"] > 0
    seen = Recorder(model)
    model.apply(ChangeSet(orders=[order_row(7, brief="only the brief changed")]))
    assert "counts_changed" not in seen.names()
    model.apply(ChangeSet(orders=[order_row(7, status=OrderStatus.COMPLETED)]))
    assert "counts_changed" in seen.names()
    assert model.group_counts()["completed"] == expected["completed"] + 1


def test_needs_action_follows_the_viewer_role(qtmodeltester: ModelTester) -> None:
    rows = order_rows(36)
    for role in (Role.INFLUENCER, Role.ADVERTISER):
        model = board(qtmodeltester, rows, role=role)
        model.set_group("needs_action")
        assert sorted(ids(model)) == sorted(r.id for r in rows if r.awaiting is role)


@pytest.mark.parametrize(("text", "expected"), [
    ("ld-000042", {42}),
    ("NORTHWIND", {n for n in range(1, 50) if n % 7 == 0}),
    ("tiktok", {n for n in range(1, 50) if (n // 2) % 5 == 2}),
    ("Brief Number 17 ", {17}),
    ("  number   17 ", {17}),
    ("brief 17", {17}),
    ("nothing-like-this", set()),
])
def test_search_matches_number_advertiser_space_and_brief_ignoring_case(
        qtmodeltester: ModelTester, text: str, expected: set[int]) -> None:
    model = board(qtmodeltester, order_rows(49))
    model.set_search(text)
    assert set(ids(model)) == expected


def test_search_narrows_as_the_text_grows_and_widens_when_it_shrinks(
        qtmodeltester: ModelTester) -> None:
    rows = order_rows(100)
    model = board(qtmodeltester, rows)
    for typed in ("n", "no", "nor", "nort", "north", "nor", "nor tik", "tik", ""):
        model.set_search(typed)  # narrowing filters what is shown; it must agree with a scan
        terms = typed.split()
        hay = {r.id: f"{r.advertiser_name} {r.space_title} {r.number} {r.brief}".lower()
               for r in rows}
        expected = sorted((r.id for r in rows if all(t in hay[r.id] for t in terms)),
                          reverse=True)
        assert ids(model) == expected, typed
    assert model.rowCount() == 100


def test_search_keeps_the_selection_of_a_row_still_shown(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(30))
    kept = QPersistentModelIndex(model.index(model.row_of(11), 1))
    lost = QPersistentModelIndex(model.index(model.row_of(12), 1))
    seen = Recorder(model)
    model.set_search("ld-000011")
    assert seen.names() == ["layoutChanged"]
    assert kept.row() == 0
    assert kept.column() == 1
    assert not lost.isValid()


@pytest.mark.parametrize("column", [Column.VALUE, Column.ORDERED, Column.UPDATED,
                                    Column.STATUS, Column.ADVERTISER, Column.ORDER])
@pytest.mark.parametrize("order", [ASC, DESC])
def test_sort_by_each_column_both_ways(qtmodeltester: ModelTester, column: Column,
                                       order: Qt.SortOrder) -> None:
    rows = order_rows(60)
    model = board(qtmodeltester, rows)
    model.set_group("all")
    model.sort(column, order)
    keys = {
        Column.VALUE: lambda r: r.value_cents,
        Column.ORDERED: lambda r: r.created_at,
        Column.UPDATED: lambda r: r.updated_at,
        Column.STATUS: lambda r: (list(StatusGroup).index(STATUS_GROUP[r.status]),
                                  list(OrderStatus).index(r.status)),
        Column.ADVERTISER: lambda r: r.advertiser_name.casefold(),
        Column.ORDER: lambda r: r.id,
    }
    shown = [model.index(r, 0).data(RowRole) for r in range(model.rowCount())]
    got = [keys[column](r) for r in shown]
    assert got == sorted(got, reverse=order == DESC)
    assert (model.sort_column(), model.sort_order()) == (column, order)


def test_status_sort_puts_problems_after_completed_and_closed_last(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(18))
    model.sort(Column.STATUS, ASC)
    statuses = [OrderStatus(model.index(r, 0).data(StatusRole)) for r in range(18)]
    assert statuses[0] is OrderStatus.PENDING
    assert statuses.index(OrderStatus.COMPLETED) < statuses.index(OrderStatus.DISPUTE_OPENED)
    assert STATUS_GROUP[statuses[-1]] is StatusGroup.CLOSED


def test_unknown_group_is_refused(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester)
    with pytest.raises(ValueError, match="Unknown"):
        model.set_group("later")


def test_headers_and_first_click_direction(qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester)
    horizontal = Qt.Orientation.Horizontal
    assert [model.headerData(c, horizontal) for c in range(7)] == [
        "Order", "Status", "Advertiser", "Space", "Value", "Ordered", "Updated"]
    initial = Qt.ItemDataRole.InitialSortOrderRole
    assert model.headerData(Column.VALUE, horizontal, initial) == DESC
    assert model.headerData(Column.ADVERTISER, horizontal, initial) == ASC
    assert model.data(QModelIndex()) is None


# --- invariant: any sequence of batches ends where a fresh load of the final rows would -------

_statuses = st.sampled_from(list(OrderStatus))
_change = st.tuples(st.integers(1, 40), _statuses, st.integers(0, 5_000), st.integers(0, 72),
                    st.booleans())


_Batch = list[tuple[int, OrderStatus, int, int, bool]]
_columns = st.sampled_from(list(Column))
_groups = st.sampled_from(GROUP_KEYS)
_texts = st.sampled_from(["", "o", "lagoon", "ld-0000"])


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(st.lists(_change, max_size=12), min_size=1, max_size=5),
       column=_columns, descending=st.booleans(), group=_groups, text=_texts)
def test_batches_keep_the_same_rows_and_order_as_a_fresh_load(
        batches: list[_Batch], column: Column, descending: bool, group: str, text: str) -> None:
    _check_batches(batches, column, descending, group, text)


_bulk_change = st.tuples(st.integers(1, 160), _statuses, st.integers(0, 5_000),
                         st.integers(0, 72), st.booleans())


@settings(max_examples=30, deadline=None)
@given(batches=st.lists(st.lists(_bulk_change, min_size=64, max_size=120), min_size=1,
                        max_size=3),
       column=_columns, descending=st.booleans(), group=_groups, text=_texts)
def test_bulk_batches_keep_the_same_rows_and_order_as_a_fresh_load(
        batches: list[_Batch], column: Column, descending: bool, group: str, text: str) -> None:
    """Batches of 64 rows and more take the one-pass path (a layout change)."""
    _check_batches(batches, column, descending, group, text)


def _check_batches(batches: list[_Batch], column: Column, descending: bool, group: str,
                   text: str) -> None:
    order = DESC if descending else ASC

    def configured(rows: list[OrderRow]) -> OrderBoardModel:
        model = OrderBoardModel(Role.INFLUENCER)
        model.set_rows(rows)
        model.sort(column, order)
        model.set_group(group)
        model.set_search(text)
        return model

    current = {row.id: row for row in order_rows(20)}
    live = configured(list(current.values()))
    for batch in batches:
        final: dict[int, OrderRow | None] = {}  # a ChangeSet holds each order's final state
        for order_id, status, value, hours, remove in batch:
            final[order_id] = None if remove else replace(
                order_row(order_id, status=status), value_cents=value,
                updated_at=order_row(order_id).updated_at + timedelta(hours=hours))
        changes = ChangeSet()
        for order_id, row in final.items():
            if row is None:
                changes.removed_orders.append(order_id)
                current.pop(order_id, None)
            else:
                changes.orders.append(row)
                current[order_id] = row
        live.apply(changes)
    fresh = configured(list(current.values()))
    assert ids(live) == ids(fresh)
    assert live.group_counts() == fresh.group_counts()


def test_a_large_batch_is_one_layout_change_that_keeps_the_selection(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(300))
    selected = QPersistentModelIndex(model.index(model.row_of(150), 2))
    recorder = Recorder(model)
    updated = order_row(150, value_cents=1)  # changed in place: a new entry for the same order
    arriving = [order_row(n) for n in range(301, 400)]
    model.apply(ChangeSet(orders=[updated, *arriving], removed_orders=[7, 8]))
    assert recorder.names().count("layoutChanged") == 1
    assert not {"modelReset", "rowsInserted", "rowsRemoved"} & set(recorder.names())
    assert model.rowCount() == 300 + 99 - 2
    assert selected.isValid()
    assert selected.row() == model.row_of(150)
    assert selected.data(RowRole) == updated
    assert ids(model) == sorted(ids(model), reverse=True)  # still newest (highest id) first


def test_a_large_batch_of_new_rows_in_one_place_is_one_insertion(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(300))
    recorder = Recorder(model)
    model.apply(ChangeSet(orders=order_rows(100, start=301)))  # all newer: they go on top
    assert recorder.names() == ["rowsInserted", "counts_changed"]
    assert recorder.ranges("rowsInserted") == [(0, 99)]
    assert ids(model) == list(range(400, 0, -1))


def test_a_batch_between_searches_is_not_hidden_by_a_remembered_result(
        qtmodeltester: ModelTester) -> None:
    model = board(qtmodeltester, order_rows(30))
    model.set_search("lagoon")
    model.set_search("lagoon tiktok")
    model.apply(ChangeSet(orders=[order_row(99, advertiser_name="Blue Lagoon Travel"),
                                  order_row(2, advertiser_name="Nobody")]))
    model.set_search("lagoon")  # the pre-batch result for these words must not come back
    assert 99 in ids(model)
    assert 2 not in ids(model)
    model.sort(Column.VALUE, ASC)
    model.set_search("lagoon tiktok")
    model.set_search("lagoon")
    values = [model.index(r, 0).data(RowRole).value_cents for r in range(model.rowCount())]
    assert values == sorted(values)


def test_an_advertiser_sees_the_influencer_in_the_party_column(qtmodeltester: ModelTester) -> None:
    model = OrderBoardModel(Role.ADVERTISER)
    model.set_rows(order_rows(5))
    qtmodeltester.check(model)
    assert model.headerData(Column.ADVERTISER, Qt.Orientation.Horizontal) == "Influencer"
    assert model.index(0, Column.ADVERTISER).data() == "Ivy Influencer"
    influencer_view = OrderBoardModel(Role.INFLUENCER)
    influencer_view.set_rows(order_rows(5))
    assert influencer_view.headerData(Column.ADVERTISER, Qt.Orientation.Horizontal) == \
        "Advertiser"
    assert influencer_view.index(0, Column.ADVERTISER).data() != "Ivy Influencer"
    model.set_search("ivy")
    assert model.rowCount() == 5


# --- a search of many rows: the first screenful at once, the rest from the event loop ----------

BIG = 12_000  # three scan chunks: the first call cannot read them all


def board_of(rows: list[OrderRow]) -> OrderBoardModel:
    """A model without Qt's checks, which read every row on a reset: slow at this size (the
    first of these tests runs them)."""
    model = OrderBoardModel(Role.INFLUENCER)
    model.set_rows(rows)
    return model


def _fresh(rows: list[OrderRow], text: str, column: Column = Column.ORDERED,
           order: Qt.SortOrder = DESC) -> list[int]:
    model = board_of(rows)
    model.sort(column, order)
    model.set_search(text)
    model.finish_search()
    return ids(model)


@pytest.fixture(scope="module")
def big_rows() -> list[OrderRow]:
    return order_rows(BIG)


def test_a_long_search_shows_the_top_rows_at_once_and_appends_the_rest(
        qtbot: QtBot, qtmodeltester: ModelTester, big_rows: list[OrderRow]) -> None:
    model = board(qtmodeltester, big_rows)
    recorder = Recorder(model)
    expected = _fresh(big_rows, "o")
    model.set_search("o")
    assert model.is_searching()
    first = ids(model)
    assert 200 <= len(first) < len(expected)
    assert first == expected[:len(first)]  # what is on screen is already the final top
    with qtbot.waitSignal(model.search_finished, timeout=10_000):
        pass
    assert not model.is_searching()
    assert ids(model) == expected
    names = recorder.names()
    assert "modelReset" not in names
    assert "rowsRemoved" not in names
    appended = recorder.ranges("rowsInserted")
    assert appended
    assert appended[0][0] == len(first)  # slices go at the end, in order
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(appended))


def test_a_letter_typed_while_searching_narrows_what_was_read_and_what_was_not(
        big_rows: list[OrderRow]) -> None:
    model = board_of(big_rows)
    model.set_search("o")
    assert model.is_searching()
    model.set_search("or")
    model.finish_search()
    assert ids(model) == _fresh(big_rows, "or")
    model.set_search("o")  # a backspace: read again (the first search never finished)
    model.finish_search()
    assert ids(model) == _fresh(big_rows, "o")


def test_a_batch_or_a_sort_during_a_search_gives_the_complete_result(
        big_rows: list[OrderRow]) -> None:
    model = board_of(big_rows)
    model.set_search("lagoon")
    extra = order_row(BIG + 1, advertiser_name="Blue Lagoon Travel")
    model.apply(ChangeSet(orders=[extra], removed_orders=[3]))
    assert not model.is_searching()
    rows = [r for r in big_rows if r.id != 3] + [extra]
    assert ids(model) == _fresh(rows, "lagoon")
    model.set_search("o")
    model.sort(Column.VALUE, ASC)
    assert not model.is_searching()
    assert ids(model) == _fresh(rows, "o", Column.VALUE, ASC)
