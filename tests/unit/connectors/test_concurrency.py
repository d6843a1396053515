"""bounded_map: every item once, results in order, never more than ``limit`` at once."""

from __future__ import annotations

import asyncio

import pytest

from connectors.concurrency import bounded_map


def test_results_keep_the_items_order_and_the_limit_holds() -> None:
    running, peak = 0, 0

    async def job(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (n % 3))  # finish out of order
        running -= 1
        return n * 10

    assert asyncio.run(bounded_map(list(range(25)), job, limit=4)) == [n * 10 for n in range(25)]
    assert peak == 4
    assert asyncio.run(bounded_map([], job, limit=4)) == []


def test_the_first_error_is_raised() -> None:
    async def job(n: int) -> int:
        if n == 3:
            raise ValueError("item 3")
        await asyncio.sleep(0)
        return n

    with pytest.raises(ValueError, match="item 3"):
        asyncio.run(bounded_map(list(range(10)), job, limit=2))
