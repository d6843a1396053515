"""Benchmark: MplusKASSA client throughput against its sandbox, next to a bare httpx loop.

Both sides send the same SOAP requests to the same sandbox, which runs in its own process (so
the client's work and the server's never share a GIL): paged reads (``getProducts``, 100
products a page) and writes (``createRelation``), at concurrency 1, 8 and 32. The bare loop
posts pre-built envelopes and reads the bytes; the client builds each envelope, retries, masks,
classifies and decodes the answer into dicts. Target: the client reaches >= 90% of the bare
loop's records per second.

Run: ``python -m bench.mpluskassa_client``; writes ``bench/results/mpluskassa_client.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from bench.reconcile_procs import ROOT, sandbox_process
from connectors.http import ClientSettings
from connectors.mpluskassa import soap
from connectors.mpluskassa.client import MplusClient
from connectors.mpluskassa.operations import OPERATIONS

IDENT, SECRET = "bench-ident", "bench-secret"
PRODUCTS = 2000
PAGE = 100
READ_REQUESTS = 200
WRITE_REQUESTS = 1000
"""Writes per run: at 300 a run lasted about 0.4 s and the medians moved by 10% between runs."""
CONCURRENCY = (1, 8, 32)
REPEATS = 5
RESULTS = Path(__file__).parent / "results" / "mpluskassa_client.json"


def _seed() -> dict[str, Any]:
    products = [
        {
            "productNumber": n,
            "description": f"Product {n}",
            "articleList": {
                "article": [
                    {
                        "articleNumber": 100000 + n,
                        "extArticleId": f"SKU-{n}",
                        "description": f"Product {n}",
                        "barcode": f"87{n:011d}",
                        "priceIncl": 100 + n,
                        "priceExcl": 83 + n,
                        "vatCode": 1,
                        "turnoverGroup": 10,
                        "stockArticle": True,
                        "active": True,
                    }
                ]
            },
        }
        for n in range(1, PRODUCTS + 1)
    ]
    return {"vatGroups": [{"vatCode": 1, "vatPercentage": 21}], "products": products}


async def _pool(count: int, concurrency: int, job: Callable[[int], Awaitable[int]]) -> float:
    """Run ``job(i)`` for i < count on ``concurrency`` workers; records per second."""
    queue = iter(range(count))
    records = 0

    async def worker() -> None:
        nonlocal records
        for index in queue:
            # Await first: `records += await …` would read `records` before the await and lose
            # the other workers' updates.
            done = await job(index)
            records += done

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return records / (time.perf_counter() - started)


def _read_marker(index: int) -> int:
    # Page starts over the seeded products; product syncMarkers are 1..PRODUCTS.
    return (index * PAGE) % (PRODUCTS - PAGE)


async def _client_run(url: str, kind: str, concurrency: int, run: int) -> float:
    settings = ClientSettings(timeout=60, concurrency=concurrency)
    async with MplusClient(endpoint=url, ident=IDENT, secret=SECRET, settings=settings) as client:
        if kind == "read":

            async def job(i: int) -> int:
                page = await client.get_products(sync_marker=_read_marker(i), limit=PAGE)
                return len(page.items)

            return await _pool(READ_REQUESTS, concurrency, job)

        async def write(i: int) -> int:
            await client.create_relation({"name": f"Client {run}-{concurrency}-{i}"})
            return 1

        return await _pool(WRITE_REQUESTS, concurrency, write)


def _body(operation: str, data: dict[str, Any]) -> bytes:
    return soap.envelope(operation, OPERATIONS[operation].request, data)


async def _bare_run(url: str, kind: str, concurrency: int, run: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    params = {"ident": IDENT, "secret": SECRET}
    async with httpx.AsyncClient(
        base_url=url + "/", params=params, limits=limits, timeout=60
    ) as http:
        if kind == "read":
            bodies = [
                _body(
                    "getProducts",
                    {
                        "request": {
                            "pluNumbers": {},
                            "syncMarker": _read_marker(i),
                            "syncMarkerLimit": PAGE,
                        }
                    },
                )
                for i in range(READ_REQUESTS)
            ]
            action = "getProducts"
        else:
            bodies = [
                _body("createRelation", {"relation": {"name": f"Bare {run}-{concurrency}-{i}"}})
                for i in range(WRITE_REQUESTS)
            ]
            action = "createRelation"
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}

        async def job(i: int) -> int:
            response = await http.post("", content=bodies[i], headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"bare request failed: {response.status_code}")
            if kind == "read":
                # The least any reader must do to have records: parse the XML and find them
                # (no typing, no translation). Counting bytes alone would measure no reading.
                root = etree.fromstring(response.content)
                return len(root.findall(f".//{{{soap.NS}}}product"))
            return 1

        return await _pool(len(bodies), concurrency, job)


def main() -> None:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        seed.write_text(json.dumps(_seed()), encoding="utf-8")
        command = [sys.executable, "-m", "connectors.mpluskassa.sandbox", "--port", "0"]
        command += ["--seed", str(seed), "--ident", IDENT, "--secret", SECRET]
        with sandbox_process(command, cwd=ROOT) as url:
            for kind in ("read", "write"):
                for concurrency in CONCURRENCY:
                    asyncio.run(_bare_run(url, kind, concurrency, -1))  # warm-up
                    asyncio.run(_client_run(url, kind, concurrency, -1))
                    bare, client = [], []
                    # Alternate, so both sides meet the same server state (store size, caches).
                    for run in range(REPEATS):
                        bare.append(asyncio.run(_bare_run(url, kind, concurrency, run)))
                        client.append(asyncio.run(_client_run(url, kind, concurrency, run)))
                    b, c = statistics.median(bare), statistics.median(client)
                    rows.append(
                        {
                            "operation": "getProducts (100/page)"
                            if kind == "read"
                            else "createRelation",
                            "concurrency": concurrency,
                            "bare_records_per_s": round(b, 1),
                            "client_records_per_s": round(c, 1),
                            "client_share": round(c / b, 3),
                        }
                    )
    print(f"{'operation':<24}{'conc':>6}{'bare rec/s':>14}{'client rec/s':>14}{'client/bare':>13}")
    for row in rows:
        print(
            f"{row['operation']:<24}{row['concurrency']:>6}{row['bare_records_per_s']:>14.1f}"
            f"{row['client_records_per_s']:>14.1f}{row['client_share']:>12.0%}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "products": PRODUCTS,
        "page": PAGE,
        "repeats": REPEATS,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        # Other work on the machine moves these numbers; the load says how much there was.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
