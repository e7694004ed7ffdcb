"""A brand's shipping queue against the real server: a staff account with a SyncEngine and its
LocalCache, creators who request the product over HTTP, and helpers to move requests along on
the server and to wait until the cache shows them. Used by the shipping views' tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from litdesk.domain.orders import Role
from litdesk.domain.shipping import RequestState
from litdesk.services.api_client import ApiClient
from litdesk.services.background import Background
from litdesk.services.cache import LocalCache
from litdesk.services.records import ChangeSet
from litdesk.services.sync import SyncEngine
from tests.live_server import Account, LiveServer
from tests.server.order_flow import ok

WAIT_MS = 15_000
Json = dict[str, Any]


@dataclass
class Shop:
    """One brand's campaign on the live server and the staff member's client."""

    server: LiveServer
    staff: Account
    creators: list[Account]
    campaign: Json
    engine: SyncEngine
    cache: LocalCache
    api: ApiClient
    background: Background
    changes: list[ChangeSet] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)

    @property
    def campaign_id(self) -> int:
        return int(self.campaign["id"])

    def new_request(self, creator: int = 0, **fields: Any) -> Json:
        body = {"recipient_name": f"Recipient {uuid.uuid4().hex[:4]}",
                "address_line1": "12 rue des Lilas", "city": "Lyon", "postal_code": "69001",
                "country": "FR", "variant": "EU 39", **fields}
        request: Json = ok(self.creators[creator].client.post(
            f"/campaigns/{self.campaign_id}/requests", json=body), 201)
        return request

    def act(self, request_id: int, action: str, *, by: Account | None = None,
            **inputs: Any) -> Json:
        answer: Json = ok((by or self.staff).client.post(
            f"/requests/{request_id}/actions", json={"action": action, **inputs}))
        return answer

    def ready(self, creator: int = 0) -> int:
        """A new request, accepted: Ready to Ship."""
        request = self.new_request(creator)
        return int(self.act(request["id"], "accept")["id"])

    def with_issue(self, creator: int = 0, reason: str = "The parcel arrived empty.") -> int:
        """A new request, shipped, with a problem reported by its creator."""
        request_id = self.ready(creator)
        self.act(request_id, "ship", carrier="UPS", tracking_number=ups(request_id))
        self.act(request_id, "report_issue", by=self.creators[creator], reason=reason)
        return request_id

    def on_server(self, request_id: int) -> Json:
        request: Json = ok(self.staff.client.get(f"/requests/{request_id}"))
        return request

    def state(self, request_id: int) -> str:
        return str(self.on_server(request_id)["state"])

    def cached(self, qtbot: QtBot, *ids: int, state: RequestState | None = None) -> None:
        """Wait until the cache holds these requests (in ``state``, if given) with nothing of
        the user's pending on them."""
        def there() -> bool:
            for request_id in ids:
                row = self.cache.request(request_id)
                if row is None or row.pending_actions:
                    return False
                if state is not None and row.request.state is not state:
                    return False
            return True
        qtbot.waitUntil(there, timeout=WAIT_MS)

    def settled(self, qtbot: QtBot) -> None:
        """Everything the user did has been answered by the server."""
        qtbot.waitUntil(lambda: self.engine.outbox.count() == 0, timeout=WAIT_MS)

    def on_server_state(self, qtbot: QtBot, request_id: int, state: str) -> Json:
        qtbot.waitUntil(lambda: self.state(request_id) == state, timeout=WAIT_MS)
        return self.on_server(request_id)


def ups(seed: int) -> str:
    """A valid UPS tracking number of its own for ``seed``."""
    from litdesk.domain.tracking import ups_mod10

    data = f"999AA1{seed % 100:02d}{seed % 10_000_000:07d}"
    return f"1Z{data}{ups_mod10(data)}"


@pytest.fixture(name="shop")
def shop_fixture(qtbot: QtBot, sqlite_server: LiveServer, tmp_path: Path) -> Iterator[Shop]:
    staff = sqlite_server.account(Role.BRAND_STAFF, name="Dana Staff")
    creators = [sqlite_server.account(Role.CREATOR, name=name)
                for name in ("Maya Lopez", "Noah Chen", "Ines Duarte", "Kofi Mensah",
                             "Lea Martin", "Sam Okafor")]
    campaign: Json = ok(staff.client.post("/campaigns", json={
        "name": f"Spring launch {uuid.uuid4().hex[:4]}", "kind": "influence",
        "product": "Trail runner"}), 201)
    cache = LocalCache(tmp_path / "cache.sqlite3")
    api = ApiClient(sqlite_server.url, token=staff.token)
    engine = SyncEngine(api, cache, viewer_role=Role.BRAND_STAFF, long_poll_seconds=2.0,
                        backoff=(0.05, 0.3), user_id=staff.id)
    background = Background()
    shop = Shop(sqlite_server, staff, creators, campaign, engine, cache, api, background)
    engine.changed.connect(shop.changes.append)
    engine.action_failed.connect(lambda text, n: shop.failures.append((text, n)))
    engine.start()
    yield shop
    engine.stop()
    background.shutdown()
    api.close()
    cache.close()
