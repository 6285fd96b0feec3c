"""Live refresh: wakes the dashboard's pages when the records database has something new.

The records service writes each batch and its offsets in one transaction, so a growing sum of
offsets means new rows are there to be read: a page woken by it never fetches ahead of the
database (as a page woken straight from the topics could, before the records were written).
"""

from __future__ import annotations

import asyncio

import structlog

from services.dashboard.view import DashboardView, Reader

log = structlog.get_logger(__name__)
POLL_S = 0.5


async def follow(reader: Reader, view: DashboardView, every_s: float = POLL_S) -> None:
    """Wake ``view``'s watchers whenever ``reader``'s change mark moves, forever."""
    seen = await asyncio.to_thread(reader.change_mark)
    while True:
        await asyncio.sleep(every_s)
        mark = await asyncio.to_thread(reader.change_mark)
        if mark != seen:
            seen = mark
            view.changed()
