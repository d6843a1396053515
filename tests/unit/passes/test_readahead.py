"""Reading one source page ahead: same pages, same order, errors in place, nothing left open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from reconciler.passes.readahead import read_ahead


class Source:
    """Pages 0..n-1, each fetched after a short wait; records what happened when."""

    def __init__(self, pages: int, *, fail_at: int | None = None) -> None:
        self.pages, self.fail_at = pages, fail_at
        self.events: list[str] = []
        self.closed = False

    async def read(self) -> AsyncIterator[int]:
        try:
            for n in range(self.pages):
                self.events.append(f"fetch {n}")
                await asyncio.sleep(0.01)
                if n == self.fail_at:
                    raise RuntimeError(f"page {n} failed")
                yield n
        finally:
            self.closed = True


async def _consume(source: Source, *, stop_after: int | None = None) -> list[int]:
    seen = []
    async for page in read_ahead(source.read()):
        source.events.append(f"plan {page}")
        seen.append(page)
        await asyncio.sleep(0.02)  # planning takes longer than fetching
        source.events.append(f"planned {page}")
        if stop_after is not None and len(seen) == stop_after:
            break
    return seen


def test_pages_arrive_in_order_and_the_next_is_fetched_while_one_is_planned() -> None:
    source = Source(3)
    assert asyncio.run(_consume(source)) == [0, 1, 2]
    for n in (0, 1):  # page n+1 is on its way before page n is planned
        assert source.events.index(f"fetch {n + 1}") < source.events.index(f"planned {n}")
    assert source.closed


def test_a_failing_page_raises_after_the_pages_before_it() -> None:
    source = Source(4, fail_at=2)
    seen: list[int] = []

    async def run() -> None:
        async for page in read_ahead(source.read()):
            seen.append(page)

    with pytest.raises(RuntimeError, match="page 2 failed"):
        asyncio.run(run())
    assert seen == [0, 1]


def test_stopping_early_cancels_the_fetch_ahead_and_closes_the_source() -> None:
    source = Source(10)
    assert asyncio.run(_consume(source, stop_after=2)) == [0, 1]
    assert source.closed
    assert "fetch 4" not in source.events  # never more than one page ahead
