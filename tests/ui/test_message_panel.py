"""The quick-message panel with a real cache and sync engine signed in against the live server:
Enter sends (a local echo "sending", then the server's copy), Shift+Enter does not, an oversized
file is refused before anything is queued, an image sent shows as a thumbnail, a failed message
is retried and discarded from the keyboard, the thread is marked read once its newest message
is seen in the active window.

The 10,000-message thread and the unread/jump tests use a cache filled directly through
synthetic feed pages (seeding 10k messages through the server would take minutes) and a
recording stand-in for the engine's actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from litdesk.server.config import Settings
from litdesk.services.cache import LocalCache
from litdesk.services.outbox import Outbox
from litdesk.views.message_panel import MessagePanel
from tests.live_server import LiveServer
from tests.server.order_flow import Deal
from tests.services.test_messages_cache import ME, OTHER, SyntheticFeed, read_action
from tests.services.test_messages_sync import (  # noqa: F401 - fixtures are used by name
    SERVER_LIMIT,
    WAIT_MS,
    Client,
    Start,
    deal,
    file,
    server_messages,
    server_unread,
    start,
    synced,
)
from tests.services.test_sync import Restartable

OpenPanel = Callable[..., MessagePanel]


@pytest.fixture
def open_panel(qtbot: QtBot, start: Start) -> Iterator[OpenPanel]:  # noqa: F811
    """A shown panel on a client's thread, wired to its engine as the app wires it; closed
    before the engine stops (this fixture depends on ``start``)."""
    made: list[tuple[MessagePanel, Client]] = []

    def make(client: Client, thread_id: int, **options: Any) -> MessagePanel:
        panel = MessagePanel(client.cache, client.engine, **options)
        qtbot.addWidget(panel)
        client.engine.changed.connect(panel.apply)
        client.engine.attachment_fetched.connect(panel.on_attachment_fetched)
        client.engine.attachment_failed.connect(panel.on_attachment_failed)
        panel.resize(520, 640)
        panel.show()
        qtbot.waitExposed(panel)
        panel.set_thread(thread_id, "LD · Weekly newsletter slot")
        made.append((panel, client))
        return panel

    yield make
    for panel, client in made:
        client.engine.changed.disconnect(panel.apply)
        client.engine.attachment_fetched.disconnect(panel.on_attachment_fetched)
        client.engine.attachment_failed.disconnect(panel.on_attachment_failed)
        panel.close()


def png(path: Path, width: int = 320, height: int = 200) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#0D9488"))
    assert image.save(str(path))
    return path


def texts(panel: MessagePanel) -> list[str]:
    return [panel.model.item(r).text for r in range(panel.model.rowCount())]


def last(panel: MessagePanel) -> Any:
    return panel.model.item(panel.model.rowCount() - 1)


def test_enter_sends_a_message_that_shows_sending_then_sent_and_reaches_the_server(
        qtbot: QtBot, open_panel: OpenPanel, start: Start,  # noqa: F811
        sqlite_server: LiveServer, deal: Deal) -> None:  # noqa: F811
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    panel = open_panel(client, thread_id)
    assert texts(panel) == ["Hello! Can we start next week?"]
    inserted: list[tuple[bool, str, str]] = []  # (local echo?, state, what the delegate says)
    panel.model.rowsInserted.connect(lambda _parent, first, end: inserted.extend(
        (panel.model.item(r).is_local, panel.model.item(r).state,
         panel.delegate.layout(panel.model.item(r)).state) for r in range(first, end + 1)))

    edit = panel.composer.edit
    qtbot.keyClicks(edit, "Monday works")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "for me")
    assert edit.toPlainText() == "Monday works\nfor me"
    assert client.engine.outbox.count() == 0  # Shift+Enter sent nothing
    assert panel.model.rowCount() == 1

    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert edit.toPlainText() == ""
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2 and last(panel).id > 0,
                    timeout=WAIT_MS)
    assert inserted[0] == (True, "sending", "Sending…")  # the local echo first
    assert inserted[-1] == (False, "sent", "")           # then the server's copy in its place
    assert texts(panel) == ["Hello! Can we start next week?", "Monday works\nfor me"]
    assert panel.is_row_visible(1)
    assert [m["text"] for m in server_messages(deal.advertiser, thread_id)] == texts(panel)


def test_the_thread_is_marked_read_when_its_newest_message_is_seen(
        qtbot: QtBot, open_panel: OpenPanel, start: Start,  # noqa: F811
        sqlite_server: LiveServer, deal: Deal) -> None:  # noqa: F811
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    assert server_unread(deal.influencer, thread_id) == 1
    panel = open_panel(client, thread_id)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=1000)
    qtbot.waitUntil(lambda: panel.unread() == 0 and client.sent(), timeout=WAIT_MS)
    assert panel.unread_label.text() == ""
    assert server_unread(deal.influencer, thread_id) == 0
    assert panel.jump_button.isEnabled()  # still takes the person to where they left off


def test_an_oversized_file_is_refused_before_anything_is_queued(
        qtbot: QtBot, open_panel: OpenPanel, start: Start,  # noqa: F811
        sqlite_server: LiveServer, deal: Deal, tmp_path: Path) -> None:  # noqa: F811
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    big = tmp_path / "photo.png"
    with big.open("wb") as sparse:
        sparse.truncate(int(12.3 * 1024 * 1024))
    panel = open_panel(client, thread_id, choose_files=lambda _parent: [str(big)])

    qtbot.mouseClick(panel.composer.attach_button, Qt.MouseButton.LeftButton)
    assert panel.composer.problem_text() == (
        "photo.png is 12.3 MB; attachments can be at most 10 MB.")
    assert panel.composer.files() == []
    assert not panel.composer.send_button.isEnabled()
    qtbot.keyClick(panel.composer.edit, Qt.Key.Key_Return)
    assert client.engine.outbox.count() == 0
    assert client.failures == []
    assert texts(panel) == ["Hello! Can we start next week?"]


def test_an_attached_image_shows_as_a_thumbnail_after_sending(
        qtbot: QtBot, open_panel: OpenPanel, start: Start,  # noqa: F811
        sqlite_server: LiveServer, deal: Deal, tmp_path: Path) -> None:  # noqa: F811
    thread_id = deal.order["thread_id"]
    client = start(deal.influencer, base_url=sqlite_server.url)
    synced(qtbot, client)
    photo = png(tmp_path / "draft.png")
    opened: list[str] = []
    saved_as = tmp_path / "saved copy.png"
    panel = open_panel(client, thread_id, choose_files=lambda _parent: [str(photo)],
                       open_url=lambda url: opened.append(url.toLocalFile()) or True,
                       choose_save_path=lambda _parent, name: str(saved_as))

    qtbot.mouseClick(panel.composer.attach_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.composer.edit, "The draft")
    qtbot.keyClick(panel.composer.edit, Qt.Key.Key_Return)
    assert panel.composer.files() == []

    def thumbnail_shown() -> bool:
        item = last(panel)
        if item.id < 0 or not item.attachments or not item.attachments[0].local_path:
            return False
        thumbs = panel.delegate.layout(item).thumbs
        row = panel.index_of(panel.model.rowCount() - 1)
        return len(thumbs) == 1 and panel.list.visualRect(row).height() > 150

    qtbot.waitUntil(thumbnail_shown, timeout=WAIT_MS)  # the server's copy, fetched back
    item = last(panel)
    [ref] = item.attachments
    assert (item.text, ref.name, ref.content_type) == ("The draft", "draft.png", "image/png")
    [thumb] = panel.delegate.layout(item).thumbs
    assert (thumb.rect.width(), thumb.rect.height()) == (240, 150)  # 320 x 200, scaled to fit
    pixmap = panel.delegate.thumbnail(thumb.path, thumb.rect.size())
    assert not pixmap.isNull()
    assert pixmap.toImage().pixelColor(10, 10) == QColor("#0D9488")
    on_server = server_messages(deal.advertiser, thread_id)[-1]
    assert [a["name"] for a in on_server["attachments"]] == ["draft.png"]

    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_End)
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)  # open it
    assert opened == [ref.local_path]
    qtbot.keyClick(panel.list, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # save it
    qtbot.waitUntil(lambda: saved_as.is_file(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.banner.text().startswith("Saved draft.png to "),
                    timeout=WAIT_MS)
    assert saved_as.read_bytes() == photo.read_bytes()


def test_a_failed_message_is_retried_and_another_discarded_from_the_keyboard(
        qtbot: QtBot, open_panel: OpenPanel, start: Start,  # noqa: F811
        sqlite_server: LiveServer, deal: Deal, tmp_path: Path) -> None:  # noqa: F811
    thread_id = deal.order["thread_id"]
    server = Restartable(sqlite_server)
    server.settings = Settings(db_url=sqlite_server.db.url, max_long_poll_seconds=5,
                               max_attachment_bytes=SERVER_LIMIT)
    server.up()
    try:
        client = start(deal.influencer, base_url=server.url,
                       max_attachment_bytes=2 * SERVER_LIMIT)  # the server is stricter
        synced(qtbot, client)
        panel = open_panel(client, thread_id, max_bytes=2 * SERVER_LIMIT)
        large = file(tmp_path, "large.txt", b"x" * (SERVER_LIMIT + 1000))
        assert panel.composer.attach_files([large])
        qtbot.keyClicks(panel.composer.edit, "with a large file")
        qtbot.keyClick(panel.composer.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: last(panel).state == "failed", timeout=WAIT_MS)
        failed = last(panel)
        drawn = panel.delegate.layout(failed)
        assert drawn.state == "Failed — large.txt: The upload is larger than the 1 MB limit."
        assert not drawn.retry_rect.isNull()
        assert not drawn.discard_rect.isNull()

        server.down()
        server.settings = Settings(db_url=sqlite_server.db.url, max_long_poll_seconds=5,
                                   max_attachment_bytes=4 * SERVER_LIMIT)
        server.up()
        panel.list.setFocus()
        qtbot.keyClick(panel.list, Qt.Key.Key_End)
        assert panel.current_item() == failed
        qtbot.keyClick(panel.list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: last(panel).id > 0 and client.sent(), timeout=WAIT_MS)
        assert texts(panel).count("with a large file") == 1
        assert server_messages(deal.advertiser, thread_id)[-1]["text"] == "with a large file"

        bad = file(tmp_path, "program.bin", b"\x00\x01binary")
        assert panel.composer.attach_files([bad])
        qtbot.keyClicks(panel.composer.edit, "a binary")
        qtbot.keyClick(panel.composer.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: last(panel).state == "failed", timeout=WAIT_MS)
        assert last(panel).error.startswith("program.bin: This file looks like")
        qtbot.keyClick(panel.list, Qt.Key.Key_End)
        menu = panel.menu_for(panel.list.currentIndex())
        assert [a.text() for a in menu.actions() if a.text()][:2] == [
            "&Retry sending\tCtrl+R", "&Discard\tDel"]
        qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
        qtbot.waitUntil(lambda: not any(panel.model.item(r).is_local
                                        for r in range(panel.model.rowCount())), timeout=1000)
        assert "a binary" not in texts(panel)
        assert client.engine.outbox.failed() == []
    finally:
        server.down()
    assert "a binary" not in [m["text"] for m in server_messages(deal.advertiser, thread_id)]


# --- a cache filled directly ------------------------------------------------------------------

@dataclass
class RecordedActions:
    """Stands in for the engine where no server is involved; records what the panel asks."""

    read: list[tuple[int, int]] = field(default_factory=list)
    sent: list[tuple[int, str]] = field(default_factory=list)

    def send_message(self, thread_id: int, text: str, files: Sequence[Path] = ()) -> None:
        self.sent.append((thread_id, text))

    def retry_message(self, local_id: int) -> None:
        raise AssertionError("not expected")

    def discard_message(self, local_id: int) -> None:
        raise AssertionError("not expected")

    def mark_read(self, thread_id: int, last_message_id: int) -> None:
        self.read.append((thread_id, last_message_id))

    def fetch_attachment(self, attachment_id: str, target: Path | None = None) -> None:
        raise AssertionError("not expected")


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3", user_id=ME)
    yield cache
    cache.close()


def shown(qtbot: QtBot, cache: LocalCache, actions: RecordedActions,
          thread_id: int, **options: Any) -> MessagePanel:
    panel = MessagePanel(cache, actions, **options)
    qtbot.addWidget(panel)
    panel.resize(520, 640)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_thread(thread_id)
    return panel


def test_a_ten_thousand_message_thread_opens_with_a_page_and_loads_more_at_the_top(
        qtbot: QtBot, cache: LocalCache) -> None:
    feed = SyntheticFeed(cache)
    feed.thread(1, title="LD-000001 · Big thread")
    feed.many(1, 10_000, sender_ids=(OTHER, ME))
    Outbox(cache).enqueue(read_action(1, 10_000))
    actions = RecordedActions()
    panel = shown(qtbot, cache, actions, 1)

    assert panel.title_label.full_text() == "LD-000001 · Big thread"
    assert panel.model.rowCount() == 100  # one page, not the thread
    assert panel.model.item(99).id == 10_000
    assert panel.is_row_visible(99)      # opened at the newest message
    assert not panel.is_row_visible(0)
    bar = panel.list.verticalScrollBar()
    assert bar.value() == bar.maximum()
    for _ in range(3):  # Qt's views fetch more from a zero-delay timer: let it run
        QApplication.processEvents()
    assert panel.model.rowCount() == 100  # the view did not page the thread in by itself

    bar.setValue(bar.minimum())  # scrolled to the top: the next older page comes in above
    assert panel.model.rowCount() == 200
    row = panel.model.row_of(9_901)  # the message that was at the top stays at the top
    assert row == 100
    assert abs(panel.list.visualRect(panel.index_of(row)).top()) <= 2
    assert bar.value() > 0
    qtbot.keyClick(panel.list, Qt.Key.Key_Home)  # and so on, by keyboard too
    assert panel.model.rowCount() == 300
    assert actions.read == []  # everything was read already


def test_unread_count_and_jump_to_first_unread(qtbot: QtBot, cache: LocalCache) -> None:
    feed = SyntheticFeed(cache)
    feed.thread(1)
    feed.many(1, 300)
    Outbox(cache).enqueue(read_action(1, 50))  # read up to 50: 250 unread
    actions = RecordedActions()
    panel = shown(qtbot, cache, actions, 1, page_size=100)
    assert panel.unread_label.text() == "250 unread"
    assert panel.jump_button.isEnabled()
    panel.activateWindow()
    qtbot.waitUntil(lambda: actions.read == [(1, 300)], timeout=1000)  # newest seen, active

    qtbot.mouseClick(panel.jump_button, Qt.MouseButton.LeftButton)
    row = panel.model.row_of(51)
    assert row >= 0  # older pages were loaded until it was there
    assert panel.current_item() is not None
    assert panel.current_item().id == 51
    assert abs(panel.list.visualRect(panel.index_of(row)).top()) <= 2
    assert not panel.is_row_visible(panel.model.rowCount() - 1)

    panel.apply(feed.post(1, "one more"))  # arrives while the newest is out of sight
    assert panel.unread_label.text() == "251 unread"
    panel.check_read()
    assert actions.read == [(1, 300)]  # not read: not seen
