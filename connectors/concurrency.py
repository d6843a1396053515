"""Running many calls a few at a time.

A task per item waiting at a semaphore looks the same and costs more: Python 3.11's
``asyncio.Semaphore`` scans its waiters on every acquire and removes each from a deque, so a
page of 100 look-ups or writes at concurrency 8 spent measurable time queueing. A few workers
taking the items in turn do the same work with ``limit`` tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


async def bounded_map(
    items: Sequence[T], job: Callable[[T], Awaitable[R]], *, limit: int
) -> list[R]:
    """``job(item)`` for every item, at most ``limit`` at once; the results in item order.
    The first error is raised (as ``asyncio.gather`` does); the other workers finish theirs."""
    results: list[R | None] = [None] * len(items)
    pending = iter(enumerate(items))

    async def worker() -> None:
        for index, item in pending:
            results[index] = await job(item)

    await asyncio.gather(*(worker() for _ in range(max(1, min(limit, len(items))))))
    return cast("list[R]", results)
