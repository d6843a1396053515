"""Reading the next source page while the current one is planned.

A pass spends much of its observe half waiting: for the source's next page, then for the
target's answers to the page's look-ups. Fetching page n+1 while page n is looked up and planned
overlaps the two waits with koppel's own work. One page ahead, never more, so memory stays one
page and the source is never asked for what the pass may not reach (a stopped pass cancels it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar, cast

T = TypeVar("T")
_END = object()


async def read_ahead(pages: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """Yield ``pages`` in order, always fetching the next one while the caller holds the
    current one. An error of the source is raised where its page would have been."""

    async def fetch() -> T | object:
        try:
            return await anext(pages)
        except StopAsyncIteration:
            return _END

    pending: asyncio.Task[T | object] = asyncio.create_task(fetch())
    try:
        while True:
            page = await pending
            if page is _END:
                return
            pending = asyncio.create_task(fetch())
            yield cast(T, page)
    finally:
        if not pending.done():
            pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pending
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()
