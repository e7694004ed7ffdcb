"""The change feed over HTTP, with long-poll."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from litdesk.domain.wire import ChangeOut, ChangesPage, ErrorOut
from litdesk.server.changefeed import Viewer, read_page
from litdesk.server.context import Reader, ServerState, reader

router = APIRouter(tags=["sync"])


def _page(state: ServerState, viewer: Viewer, after: int, limit: int) -> ChangesPage:
    with state.db.read() as session:
        rows, cursor, more = read_page(session, viewer, after, limit)
        return ChangesPage(
            changes=[ChangeOut(pos=r.pos, entity=r.entity,
                               id=r.entity_id, op=r.op,
                               data=json.loads(r.data)) for r in rows],
            cursor=cursor, more=more,
        )


@router.get("/changes", response_model=ChangesPage, responses={401: {"model": ErrorOut}})
async def changes(
    ctx: Annotated[Reader, Depends(reader)],
    after: Annotated[int, Query(ge=0, le=2**62, description="The cursor from the last page.")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    wait: Annotated[float, Query(ge=0, le=600,
                                 description="Seconds to wait for a change if none is ready.")] = 0,
) -> ChangesPage:
    """Changes visible to the caller after ``after``, oldest first.

    With ``wait`` the request is held until a change arrives or the time passes (long-poll).
    ``cursor`` is where to continue; it only moves forward. ``more`` says another page is ready.
    """
    state = ctx.state
    viewer = Viewer(ctx.user.id, ctx.user.role, ctx.user.brand_id)
    ctx.session.close()  # do not hold a pooled connection through the wait
    deadline = time.monotonic() + min(wait, state.settings.max_long_poll_seconds)
    while True:
        woken = state.notifier.current()  # taken before reading, so no commit slips between
        page = await run_in_threadpool(_page, state, viewer, after, limit)
        remaining = deadline - time.monotonic()
        if page.changes or remaining <= 0 or state.closing:
            return page
        after = page.cursor  # others' changes may have moved the head past the caller's cursor
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(),
                                   min(remaining, state.settings.feed_recheck_seconds))
