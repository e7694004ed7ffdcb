"""The Messages area with a real cache and sync engine against the live server: every thread by
last activity with unread badges (a new message lifts its thread to the top and the selection
stays on the selected thread), "Open order", and a search that works with the server stopped
and opens the thread of the message found, scrolled to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from litdesk.views.messages_area import MessagesArea, ThreadDelegate
from tests.live_server import LiveServer
from tests.server.order_flow import Deal, new_deal, ok, place
from tests.services.test_messages_sync import (  # noqa: F401 - fixtures are used by name
    WAIT_MS,
    Client,
    Start,
    start,
    synced,
)
from tests.services.test_sync import Restartable

OpenArea = Callable[[Client], MessagesArea]


@pytest.fixture
def open_area(qtbot: QtBot, start: Start) -> Iterator[OpenArea]:  # noqa: F811
    """A shown Messages area on a client, wired as the app wires it; closed before the engine
    stops."""
    made: list[tuple[MessagesArea, Client]] = []

    def make(client: Client) -> MessagesArea:
        area = MessagesArea(client.cache, client.engine)
        qtbot.addWidget(area)
        client.engine.changed.connect(area.apply)
        area.resize(1000, 640)
        area.show()
        qtbot.waitExposed(area)
        made.append((area, client))
        return area

    yield make
    for area, client in made:
        client.engine.changed.disconnect(area.apply)
        area.close()


def two_orders(server: LiveServer) -> tuple[Deal, dict[str, Any]]:
    """Two orders between the same people, each with a first message; the second is newer."""
    deal = new_deal(server, first_message="Shall we say the first week of May?")
    second = place(deal.advertiser, deal.space["id"], brief="A second slot.",
                   first_message="And a second slot in June, with the trail shoe.")
    return deal, second


def rows(area: MessagesArea) -> list[tuple[int, str, int, bool]]:
    """(thread id, snippet, badge count, bold) as the delegate draws each row."""
    delegate = area.thread_list.itemDelegate()
    assert isinstance(delegate, ThreadDelegate)
    shown = []
    for row in range(area.threads.rowCount()):
        lines = delegate.lines(area.threads.index(row))
        assert lines is not None
        _title, bold, _time, snippet, badge = lines
        shown.append((area.threads.thread_at(row).id, snippet, badge, bold))
    return shown


def test_threads_are_listed_by_last_activity_with_unread_badges(
        qtbot: QtBot, open_area: OpenArea, start: Start,  # noqa: F811
        sqlite_server: LiveServer) -> None:
    deal, second = two_orders(sqlite_server)
    first_thread, second_thread = deal.order["thread_id"], second["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    area = open_area(client)
    totals: list[int] = []
    area.unread_changed.connect(totals.append)

    assert rows(area) == [
        (second_thread, "And a second slot in June, with the trail shoe.", 1, True),
        (first_thread, "Shall we say the first week of May?", 1, True)]
    assert area.total_unread() == 2
    assert area.panel.thread_id() is None
    assert area.panel.empty_label.text() == "Choose a thread to read its messages."

    area.open_thread(first_thread)
    assert area.panel.thread_id() == first_thread
    assert area.open_order_button.isVisible()
    with qtbot.waitSignal(area.order_requested, timeout=1000) as blocker:
        qtbot.mouseClick(area.open_order_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [deal.id]

    area.panel.list.clearFocus()
    area.window().activateWindow()  # the panel marks the thread it shows read...
    qtbot.waitUntil(lambda: rows(area)[1][2:] == (0, False), timeout=WAIT_MS)
    ok(deal.advertiser.client.post(f"/threads/{first_thread}/messages",
                                   json={"text": "Or the second week?"}), 201)
    qtbot.waitUntil(lambda: rows(area)[0][0] == first_thread, timeout=WAIT_MS)
    # ...so the new message is read at once; the other thread keeps its badge.
    qtbot.waitUntil(lambda: rows(area) == [
        (first_thread, "Or the second week?", 0, False),
        (second_thread, "And a second slot in June, with the trail shoe.", 1, True)],
        timeout=WAIT_MS)
    assert area.current_thread() is not None
    assert area.current_thread().id == first_thread
    assert area.panel.model.item(area.panel.model.rowCount() - 1).text == "Or the second week?"
    assert totals[-1] == 1


def test_search_finds_a_message_offline_and_opens_its_thread_at_it(
        qtbot: QtBot, open_area: OpenArea, start: Start,  # noqa: F811
        sqlite_server: LiveServer) -> None:
    server = Restartable(sqlite_server)
    server.up()
    try:
        deal, second = two_orders(sqlite_server)
        for n in range(150):  # older than one page: the panel has to load it to show it
            ok(deal.advertiser.client.post(f"/threads/{second['thread_id']}/messages",
                                           json={"text": f"filler {n}"}), 201)
        client = start(deal.influencer, base_url=server.url)
        synced(qtbot, client)
        area = open_area(client)
    finally:
        server.down()

    qtbot.keyClicks(area.search_box, "trail sh")
    qtbot.waitUntil(lambda: area.hits.rowCount() == 1, timeout=1000)
    hit = area.hit_at(0)
    assert hit is not None
    assert hit.thread_id == second["thread_id"]
    assert hit.sender_name  # the advertiser's name, from the cache
    assert "trail shoe" in hit.snippet
    assert area.hit_count.text() == "1 message found"

    qtbot.keyClick(area.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(area.hit_list, Qt.Key.Key_Return)
    assert area.panel.thread_id() == second["thread_id"]
    current = area.panel.current_item()
    assert current is not None
    assert current.id == hit.message_id
    assert area.panel.is_row_visible(area.panel.model.row_of(hit.message_id))

    area.search_box.setFocus()
    qtbot.keyClicks(area.search_box, "zzz")
    qtbot.waitUntil(lambda: area.hit_count.text() == "No messages match “trail shzzz”.",
                    timeout=1000)
    qtbot.keyClick(area.search_box, Qt.Key.Key_Escape)
    assert area.search_box.text() == ""
    qtbot.waitUntil(lambda: area.left_stack.currentWidget() is area.thread_list, timeout=1000)
