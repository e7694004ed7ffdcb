"""The scan-to-ship station against the real server: a scanner's keystrokes (the packing slip's
code, Enter, the tracking number, Enter) ship the request with a green confirmation and one beep;
wrong codes, requests not Ready to Ship, invalid and already used tracking numbers are refused in
red with three beeps; Escape starts over."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from litdesk.domain.shipping import RequestState
from litdesk.views.scan_station import ScanStation, Step
from tests.ui.shipping_support import Shop, shop_fixture, ups  # noqa: F401 - the fixture

WAIT_MS = 15_000


class Beeper:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def make_station(qtbot: QtBot, shop: Shop) -> tuple[ScanStation, Beeper]:
    beeper = Beeper()
    station = ScanStation(shop.cache, shop.engine, beep=beeper)
    qtbot.addWidget(station)
    shop.engine.request_refused.connect(station.on_request_refused)
    station.resize(820, 640)
    station.show()
    return station, beeper


def scan(qtbot: QtBot, station: ScanStation, text: str) -> None:
    """Types like a scanner: the characters, then Enter."""
    qtbot.keyClicks(station.input, text)
    qtbot.keyClick(station.input, Qt.Key.Key_Return)


def beeps(qtbot: QtBot, beeper: Beeper, expected: int) -> None:
    qtbot.waitUntil(lambda: beeper.count == expected, timeout=2000)


def test_a_scan_sequence_ships_the_request(qtbot: QtBot, shop: Shop) -> None:
    request_id = shop.ready(creator=0)
    shop.cached(qtbot, request_id, state=RequestState.READY_TO_SHIP)
    station, beeper = make_station(qtbot, shop)

    scan(qtbot, station, f"*LDR-{request_id}*")
    assert station.step is Step.TRACKING
    assert "Maya Lopez" in station.request_label.text()
    assert station.input.text() == ""

    wrong = ups(request_id)[:-1] + str((int(ups(request_id)[-1]) + 1) % 10)
    scan(qtbot, station, wrong.lower())
    assert station.panel.kind == "error"
    assert "check digit" in station.panel.detail.text()
    assert station.step is Step.TRACKING  # asks again, for the same request
    beeps(qtbot, beeper, 3)

    number = ups(request_id)
    scan(qtbot, station, f"{number[:8]} {number[8:]}".lower())  # spaces and lower case
    assert station.panel.kind == "ok"
    assert "Maya Lopez" in station.panel.headline.text()
    assert station.step is Step.REQUEST
    assert station.input.hasFocus()
    beeps(qtbot, beeper, 4)
    assert station.history.count() == 1
    assert number in station.history.item(0).text()

    answer = shop.on_server_state(qtbot, request_id, "sent")
    assert answer["tracking_number"] == number
    assert answer["carrier"] == "UPS"
    station.grab().save("/tmp/scan_station.png")

    scan(qtbot, station, f"LDR-{request_id}")  # the same slip again
    assert station.panel.kind == "error"
    assert "already shipped" in station.panel.headline.text()


def test_wrong_codes_and_requests_not_ready_are_refused(qtbot: QtBot, shop: Shop) -> None:
    pending = int(shop.new_request(creator=1)["id"])
    shop.cached(qtbot, pending, state=RequestState.PENDING)
    station, beeper = make_station(qtbot, shop)

    scan(qtbot, station, "1Z999AA10123456784")  # a tracking number first
    assert station.panel.kind == "error"
    assert "not a packing slip" in station.panel.headline.text()
    assert station.step is Step.REQUEST
    beeps(qtbot, beeper, 3)

    scan(qtbot, station, "LDR-987654321")
    assert station.panel.kind == "error"
    assert "No request" in station.panel.headline.text()
    beeps(qtbot, beeper, 6)

    scan(qtbot, station, str(pending))  # a typed id
    assert station.panel.kind == "error"
    assert "not Ready to Ship" in station.panel.headline.text()
    assert "Pending" in station.panel.detail.text()
    assert station.step is Step.REQUEST
    beeps(qtbot, beeper, 9)
    assert shop.state(pending) == "pending"


def test_a_used_tracking_number_and_escape(qtbot: QtBot, shop: Shop) -> None:
    first, second = shop.ready(creator=0), shop.ready(creator=1)
    shop.act(first, "ship", carrier="UPS", tracking_number=ups(first))
    shop.cached(qtbot, first, state=RequestState.SENT)
    shop.cached(qtbot, second, state=RequestState.READY_TO_SHIP)
    station, _beeper = make_station(qtbot, shop)

    scan(qtbot, station, f"LDR-{second}")
    scan(qtbot, station, ups(first))
    assert station.panel.kind == "error"
    assert f"LDR-{first}" in station.panel.detail.text()
    assert station.step is Step.TRACKING

    qtbot.keyClick(station.input, Qt.Key.Key_Escape)
    assert station.step is Step.REQUEST
    assert station.current is None

    scan(qtbot, station, f"LDR-{second}")
    qtbot.keyClick(station.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert station.panel.kind == "ok"
    answer = shop.on_server_state(qtbot, second, "sent")
    assert answer["tracking_number"] == ""


def test_a_refusal_from_the_server_turns_the_line_red(qtbot: QtBot, shop: Shop) -> None:
    request_id = shop.ready(creator=0)
    shop.cached(qtbot, request_id, state=RequestState.READY_TO_SHIP)
    station, _beeper = make_station(qtbot, shop)
    shop.engine.stop()  # so the other staff member's change lands first
    shop.act(request_id, "cancel", reason="Out of stock")

    scan(qtbot, station, f"LDR-{request_id}")
    scan(qtbot, station, ups(request_id))
    assert station.panel.kind == "ok"
    shop.engine.start()
    qtbot.waitUntil(lambda: station.panel.kind == "error", timeout=WAIT_MS)
    assert "not shipped" in station.panel.headline.text()
    qtbot.waitUntil(lambda: "changed" in station.history.item(0).text()
                    or "cancel" in station.history.item(0).text().lower(), timeout=WAIT_MS)
    assert station.history.item(0).text().startswith("✗")
