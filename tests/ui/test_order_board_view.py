"""OrderBoardView: search box, tabs with counts, activation by key and mouse, the status badge."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import OrderStatus, Role
from litdesk.models.order_board import Column, OrderBoardModel
from litdesk.services.records import ChangeSet
from litdesk.views.order_board import OrderBoardView
from litdesk.views.palette import STATUS_COLOURS
from tests.ui.order_rows import order_row, order_rows

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    # The offscreen platform says so whenever a window is shown; nothing of ours.
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def view(qtbot: QtBot) -> OrderBoardView:
    model = OrderBoardModel(Role.INFLUENCER)
    model.set_rows(order_rows(200))
    board = OrderBoardView(model)
    qtbot.addWidget(board)
    board.resize(1200, 700)
    board.show()
    qtbot.waitExposed(board)
    return board


def type_search(qtbot: QtBot, view: OrderBoardView, text: str) -> None:
    """Type into the search box and wait for the search (queued keystrokes run as one)."""
    qtbot.keyClicks(view.search_field, text)
    qtbot.waitUntil(lambda: view.model.search_text() == " ".join(text.casefold().split()))


def tab_texts(view: OrderBoardView) -> dict[str, str]:
    return {view.tabs.tabData(i): view.tabs.tabText(i) for i in range(view.tabs.count())}


def test_typing_in_the_search_box_filters_the_table(qtbot: QtBot, view: OrderBoardView) -> None:
    assert view.search_field.placeholderText() == \
        "Search advertiser, space, order number, brief"
    type_search(qtbot, view, "Lagoon")
    model = view.table.model()
    assert 0 < model.rowCount() < 200
    assert all(model.index(r, Column.ADVERTISER).data() == "Blue Lagoon Travel"
               for r in range(model.rowCount()))
    assert view.result_label.text() == f"{model.rowCount()} of 200 orders"
    assert view.empty_title.isHidden()


def test_no_match_shows_the_empty_state_and_escape_clears_it(
        qtbot: QtBot, view: OrderBoardView) -> None:
    type_search(qtbot, view, "zzz")
    assert view.table.model().rowCount() == 0
    assert not view.empty_title.isHidden()
    assert view.empty_title.text() == "No orders match “zzz”"
    QTest.keyClick(view.search_field, Qt.Key.Key_Escape)
    assert view.search_field.text() == ""
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 200)
    assert view.empty_title.isHidden()


def test_tabs_show_counts_and_switch_groups(view: OrderBoardView) -> None:
    counts = view.model.group_counts()
    texts = tab_texts(view)
    assert texts["needs_action"] == f"Needs my action ({counts['needs_action']})"
    assert texts["all"] == "All (200)"
    assert list(texts) == ["all", "needs_action", "new", "feedback", "payment", "in_progress",
                           "completed", "problems", "closed"]
    view.tabs.setCurrentIndex(list(texts).index("problems"))
    assert view.model.group() == "problems"
    assert view.table.model().rowCount() == counts["problems"]


def test_tab_counts_follow_a_sync_batch(view: OrderBoardView) -> None:
    before = view.model.group_counts()["completed"]
    view.model.apply(ChangeSet(orders=[order_row(1000, status=OrderStatus.COMPLETED)]))
    assert tab_texts(view)["completed"] == f"Completed ({before + 1})"
    assert tab_texts(view)["all"] == "All (201)"


def test_empty_group_says_so(view: OrderBoardView) -> None:
    view.model.set_rows([order_row(1, status=OrderStatus.COMPLETED)])  # awaits nobody
    view.tabs.setCurrentIndex(list(tab_texts(view)).index("closed"))
    assert view.empty_title.text() == "No orders in Closed"
    view.tabs.setCurrentIndex(list(tab_texts(view)).index("needs_action"))
    assert view.empty_title.text() == "Nothing needs your action"


def test_return_activates_the_current_order(qtbot: QtBot, view: OrderBoardView) -> None:
    view.table.setFocus()
    view.table.setCurrentIndex(view.table.model().index(2, 0))
    expected = view.model.order_id(2)
    with qtbot.waitSignal(view.order_activated) as blocker:
        QTest.keyClick(view.table, Qt.Key.Key_Return)
    assert blocker.args == [expected]
    with qtbot.waitSignal(view.order_activated) as blocker:
        QTest.keyClick(view.table, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert blocker.args == [expected]


def test_double_click_activates_that_order(qtbot: QtBot, view: OrderBoardView) -> None:
    index = view.table.model().index(5, Column.ADVERTISER)
    centre = view.table.visualRect(index).center()
    # A double-click is a click and then a double-click event at the same place.
    QTest.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    with qtbot.waitSignal(view.order_activated) as blocker:
        QTest.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == [view.model.order_id(5)]


def test_ctrl_f_goes_to_search_and_down_comes_back(qtbot: QtBot, view: OrderBoardView) -> None:
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.table.setFocus()
    QTest.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search_field.hasFocus()
    QTest.keyClick(view.search_field, Qt.Key.Key_Down)
    assert view.table.hasFocus()
    assert view.current_order_id() == view.model.order_id(0)


def test_select_order_scrolls_to_it(view: OrderBoardView) -> None:
    assert view.select_order(3)
    assert view.current_order_id() == 3
    assert not view.select_order(99_999)


def test_status_badge_is_painted_in_its_colour_with_its_label(view: OrderBoardView) -> None:
    view.model.set_rows([order_row(n, status=OrderStatus.DISPUTE_OPENED) for n in range(1, 4)])
    fill = QColor(STATUS_COLOURS[OrderStatus.DISPUTE_OPENED].fill)
    text = QColor(STATUS_COLOURS[OrderStatus.DISPUTE_OPENED].text)
    image = view.grab().toImage()
    cell = view.table.visualRect(view.table.model().index(1, Column.STATUS))
    origin = view.table.viewport().mapTo(view, QPoint(0, 0))
    cell.translate(origin)
    pixels = [image.pixelColor(x, y) for x in range(cell.left(), cell.right())
              for y in range(cell.top(), cell.bottom())]
    assert sum(p == fill for p in pixels) > 100  # the badge
    # The label: pixels close to the text colour (antialiasing blends its edges).
    assert sum(abs(p.red() - text.red()) + abs(p.green() - text.green())
               + abs(p.blue() - text.blue()) < 60 for p in pixels) > 20
    # The column is wide enough for the widest badge, so no label is cut short.
    option = QStyleOptionViewItem()
    option.initFrom(view.table)
    view.model.set_rows([order_row(1, status=OrderStatus.MEDIATION_REQUIRED)])
    hint = view.table.itemDelegateForColumn(Column.STATUS).sizeHint(
        option, view.table.model().index(0, Column.STATUS))
    assert view.table.columnWidth(Column.STATUS) >= hint.width()


def test_the_selected_order_stays_selected_while_the_search_still_shows_it(
        qtbot: QtBot, view: OrderBoardView) -> None:
    assert view.select_order(42)
    type_search(qtbot, view, "ld-00004")
    assert view.current_order_id() == 42
    assert view.table.selectionModel().isRowSelected(view.model.row_of(42))
    QTest.keyClick(view.table, Qt.Key.Key_Escape)  # Escape in the table clears the search too
    assert view.search_field.text() == ""
    qtbot.waitUntil(lambda: view.model.search_text() == "")
    assert view.current_order_id() == 42


def test_queued_keystrokes_collapse_into_one_search_for_the_latest_text(
        qtbot: QtBot, view: OrderBoardView) -> None:
    searches: list[str] = []
    view.model.layoutChanged.connect(lambda *_: searches.append(view.model.search_text()))
    for text in ("l", "la", "lag", "lago"):  # set without the event loop running between
        view.search_field.setText(text)
    qtbot.waitUntil(lambda: view.model.search_text() == "lago")
    assert searches == ["lago"]


def test_down_in_the_search_box_runs_a_pending_search_first(
        qtbot: QtBot, view: OrderBoardView) -> None:
    view.search_field.setText("ld-000007")
    QTest.keyClick(view.search_field, Qt.Key.Key_Down)
    assert view.current_order_id() == 7


def test_an_advertisers_search_box_names_the_influencer(qtbot: QtBot) -> None:
    board = OrderBoardView(OrderBoardModel(Role.ADVERTISER))
    qtbot.addWidget(board)
    assert board.search_field.placeholderText() == \
        "Search influencer, space, order number, brief"


def test_a_long_search_says_searching_until_it_is_done(qtbot: QtBot) -> None:
    model = OrderBoardModel(Role.INFLUENCER, slice_seconds=0)  # a slice reads 4,096 rows
    model.set_rows(order_rows(12_000))
    board = OrderBoardView(model)
    qtbot.addWidget(board)
    seen: list[tuple[str, str]] = []  # connected after the view: sees what it just showed
    model.layoutChanged.connect(
        lambda *_: seen.append((board.empty_title.text(), board.result_label.text())))
    board.search_field.setText("qqq")  # no row has it: the first slice finds nothing
    with qtbot.waitSignal(model.search_finished, timeout=10_000):
        pass
    total = board.locale().toString(12_000)
    assert seen == [("Searching…", f"0… of {total} orders")]
    assert board.empty_title.text() == "No orders match “qqq”"
    assert board.result_label.text() == f"0 of {total} orders"
