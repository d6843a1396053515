"""Throughput of the AFAS client against the sandbox, next to a bare httpx loop.

Both sides send the same requests to the same sandbox over loopback: paged GetConnector reads
(records/s) and FbItemArticle inserts (records/s), at concurrency 1, 8 and 32. The bare loop
is an ``httpx.AsyncClient`` with the same connection limits and no retries, classification or
metrics; the client's target is at least 90% of it. Each round runs the bare loop and then the
client back to back; the table shows the medians over the rounds, and the median of the
per-round ratios. The sandbox runs in its own process so the client's CPU does not slow it.

Run: ``python -m bench.afas_client`` (writes ``bench/results/afas_client.json``).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from bench.reconcile_procs import ROOT, sandbox_process
from connectors.afas.client import AfasClient, token_header
from connectors.afas.sandbox import create_app
from connectors.http import ClientSettings
from connectors.sandbox import base_url, listen
from connectors.sandbox import serve as sandbox_serve

TOKEN = "BENCH" + "0" * 59
ARTICLES = 2000
PAGE = 100
READS = 3 * ARTICLES // PAGE
"""Page requests per round: every page three times, so a round lasts long enough to measure."""
WRITES = 300
ROUNDS = 7
CONCURRENCY = (1, 8, 32)
RESULTS = Path(__file__).with_name("results") / "afas_client.json"
_codes = count()


def seed() -> dict[str, Any]:
    articles = [
        {"ItCd": f"B{n:05d}", "Ds": f"Artikel {n}", "Grp": "100", "BiUn": "STK",
         "ModifiedDate": "2024-01-01T00:00:00Z"}
        for n in range(ARTICLES)
    ]  # fmt: skip
    return {"articles": articles, "administrations": [{"AdminId": 1, "AdminNm": "Bench"}]}


def article(n: int) -> dict[str, Any]:
    return {"FbItemArticle": {"Element": {"Fields": {"ItCd": f"W{n:07d}", "Ds": "Bench",
                                                     "Grp": "100", "BiUn": "STK"}}}}  # fmt: skip


async def fan_out(jobs: int, concurrency: int, job: Callable[[int], Awaitable[int]]) -> int:
    """Run ``jobs`` numbered jobs on ``concurrency`` workers; the records they handled."""
    queue = iter(range(jobs))
    done = 0

    async def worker() -> None:
        nonlocal done
        for n in queue:
            # Await first: `done += await ...` would read `done` before the await and lose
            # the other workers' updates.
            handled = await job(n)
            done += handled

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def skip(n: int) -> int:
    return (n * PAGE) % ARTICLES


async def reads_client(url: str, concurrency: int) -> float:
    settings = ClientSettings(concurrency=concurrency)
    async with AfasClient(token=TOKEN, endpoint=url, settings=settings) as client:

        async def job(n: int) -> int:
            page = await client.get_page(
                "Profit_Article", skip=skip(n), take=PAGE, order_by=["ItemCode"]
            )
            return len(page["rows"])

        return await timed(READS, concurrency, job)


async def reads_bare(url: str, concurrency: int) -> float:
    async with bare_client(url, concurrency) as client:

        async def job(n: int) -> int:
            params = {"skip": str(skip(n)), "take": str(PAGE), "orderbyfieldids": "ItemCode"}
            response = await client.get("/connectors/Profit_Article", params=params)
            response.raise_for_status()
            return len(response.json()["rows"])

        return await timed(READS, concurrency, job)


async def writes_client(url: str, concurrency: int) -> float:
    settings = ClientSettings(concurrency=concurrency)
    async with AfasClient(token=TOKEN, endpoint=url, settings=settings) as client:

        async def job(_: int) -> int:
            await client.insert("FbItemArticle", article(next(_codes)))
            return 1

        return await timed(WRITES, concurrency, job)


async def writes_bare(url: str, concurrency: int) -> float:
    async with bare_client(url, concurrency) as client:

        async def job(_: int) -> int:
            response = await client.post("/connectors/FbItemArticle", json=article(next(_codes)))
            response.raise_for_status()
            response.json()
            return 1

        return await timed(WRITES, concurrency, job)


def bare_client(url: str, concurrency: int) -> httpx.AsyncClient:
    # The same pool as the client under test (connectors.http.HttpClient).
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": token_header(TOKEN), "Accept": "application/json"}
    return httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60)


async def timed(jobs: int, concurrency: int, job: Callable[[int], Awaitable[int]]) -> float:
    started = time.perf_counter()
    records = await fan_out(jobs, concurrency, job)
    return records / (time.perf_counter() - started)


def serve() -> None:
    """The benchmark's sandbox, on a free port it announces (``sandbox_process`` reads it)."""
    app = create_app(seed=seed(), token=TOKEN)
    sock = listen()
    print(f"AFAS sandbox on {base_url(sock)}", flush=True)
    sandbox_serve(app, sock)


def main() -> None:
    results: list[dict[str, Any]] = []
    command = [sys.executable, "-m", "bench.afas_client", "--serve"]
    with sandbox_process(command, cwd=ROOT) as base:
        url = f"{base}/ProfitRestServices"
        for kind, client_side, bare_side in (
            ("paged reads", reads_client, reads_bare),
            ("writes", writes_client, writes_bare),
        ):
            for concurrency in CONCURRENCY:
                pairs = []
                for _ in range(ROUNDS):
                    bare = asyncio.run(bare_side(url, concurrency))
                    client = asyncio.run(client_side(url, concurrency))
                    pairs.append((client, bare))
                results.append(
                    {
                        "operation": kind,
                        "concurrency": concurrency,
                        "client_records_per_s": round(statistics.median(c for c, _ in pairs), 1),
                        "bare_records_per_s": round(statistics.median(b for _, b in pairs), 1),
                        # Back-to-back pairs cancel the load drifting on a shared machine.
                        "ratio": round(statistics.median(c / b for c, b in pairs), 3),
                    }
                )
    print(f"{'operation':<12} {'conc':>4} {'client rec/s':>13} {'bare rec/s':>11} {'ratio':>6}")
    for row in results:
        print(
            f"{row['operation']:<12} {row['concurrency']:>4} {row['client_records_per_s']:>13}"
            f" {row['bare_records_per_s']:>11} {row['ratio']:>6.0%}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"benchmark": "afas_client", "results": results}, indent=2) + "\n"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve()
    else:
        main()
