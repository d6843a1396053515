"""Benchmarks of the long-lived reconciler (issue 5).

1. Flow passes per minute with 1 vs 3 replicas on 90 latency-bound flows: each pass waits on a
   slow source (``--latency`` seconds per page, as a remote system would), replicas share the
   flows through PostgreSQL leases. Each replica is its own process, as in production, and
   runs 4 passes at once: with 90 flows due every 30 s and a slow source, one replica cannot
   keep up, so replicas add capacity. Target: >= 2.5x.
2. Time from a webhook for a pushed commit to the first write it causes, against in-process
   targets: commit a mapping change, POST the signed webhook to the server, and time until the
   target sees the update. Target: < 2 s.

Run: ``python -m bench.loop [--seconds 40] [--latency 4]`` (needs KOPPEL_TEST_DATABASE_URL or
--pg URL for part 1). Results go to ``bench/results/loop.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import git
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from connectors.base import Page
from reconciler.canonical import CanonicalRecord, Entity, Product
from reconciler.loop.gitsource import GitSource
from reconciler.loop.reconciler import LoopSettings, Reconciler
from reconciler.passes.setup import Connections
from reconciler.server.app import create_app, sign
from reconciler.state.factory import open_store
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "loop.json"
TENANTS, FLOWS = 18, 5


class SlowSource(FakeConnector):
    """A source whose every page takes ``latency`` seconds, like a remote system."""

    latency: float = 0.2

    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        await asyncio.sleep(self.latency)
        async for page in super().read(entity, cursor=None, full=True):
            yield page


def _repo(path: Path, *, tenants: int, flows: int, interval: int) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Bench")
        config.set_value("user", "email", "bench@example.test")
    for t in range(tenants):
        tenant = f"shop-{t:02d}"
        docs = [
            f"""apiVersion: koppel/v1
kind: Tenant
metadata: {{name: {tenant}}}
spec:
  connections:
    afas: {{system: afas-profit, participant: "12345", token: {{env: T}}}}
    kassa: {{system: mpluskassa, endpoint: "https://kassa.test:1", ident: {{env: I}},
            secret: {{env: S}}}}
"""
        ]
        docs += [
            f"""apiVersion: koppel/v1
kind: Flow
metadata: {{name: products-{f}, tenant: {tenant}}}
spec: {{kind: products, source: afas, target: kassa,
        schedule: {{interval: {interval}s, driftScan: 24h}}}}
"""
            for f in range(flows)
        ]
        folder = path / "specs" / tenant
        folder.mkdir(parents=True)
        (folder / "specs.yaml").write_text("---\n".join(docs))
    repo.git.add(A=True)
    repo.index.commit("flows")
    return repo


def _given(tenants: int, latency: float) -> dict[tuple[str, str], Any]:
    given: dict[tuple[str, str], Any] = {}
    for t in range(tenants):
        source = SlowSource()
        source.latency = latency
        source.source[Entity.products] = [Product(sku="100", name="Brood")]
        given[(f"shop-{t:02d}", "afas")] = source
        given[(f"shop-{t:02d}", "kassa")] = FakeConnector()
    return given


def _replica(
    pg: str, origin: str, work: str, holder: str, *, seconds: float, latency: float, counts: Any
) -> None:
    """One replica in its own process (as in production): run for a while, report passes."""

    async def run() -> int:
        count = 0

        def on_pass(key: tuple[str, str], report: object, error: str | None) -> None:
            nonlocal count
            count += 1

        store = open_store(pg)
        loop = Reconciler(
            source=GitSource(origin, workdir=Path(work) / holder),
            store=store,
            connections=Connections(given=_given(TENANTS, latency)),
            settings=LoopSettings(holder=holder, max_parallel=4, tick=0.05, poll_interval=3600),
            on_pass=on_pass,
        )
        task = asyncio.create_task(loop.run())
        await asyncio.sleep(2.0)  # clone, validate, schedule: not part of the measurement
        before = count
        await asyncio.sleep(seconds)
        done = count - before
        loop.stopping.set()
        await task
        store.close()
        return done

    counts.put(asyncio.run(run()))


def _passes_per_minute(
    pg: str, replicas: int, *, seconds: float, latency: float, work: Path
) -> float:
    origin = work / f"origin-{replicas}"
    _repo(origin, tenants=TENANTS, flows=FLOWS, interval=30)
    context = multiprocessing.get_context("spawn")
    counts = context.Queue()
    processes = [
        context.Process(
            target=_replica,
            args=(pg, str(origin), str(work), f"r{replicas}-{n}"),
            kwargs={"seconds": seconds, "latency": latency, "counts": counts},
        )
        for n in range(replicas)
    ]
    for process in processes:
        process.start()
    total = sum(counts.get(timeout=seconds + 120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    return total / seconds * 60


async def _webhook_latency(work: Path) -> float:
    origin = work / "origin-hook"
    repo = _repo(origin, tenants=1, flows=1, interval=3600)
    given = _given(1, 0.0)
    target: FakeConnector = given[("shop-00", "kassa")]
    reconciler = Reconciler(
        source=GitSource(str(origin), workdir=work / "hook"),
        store=MemoryStore(),
        connections=Connections(given=given),
        settings=LoopSettings(holder="hook", tick=1.0, poll_interval=3600),
    )
    app = create_app(reconciler, webhook_secret="bench-secret", action_token=None)
    task = asyncio.create_task(reconciler.run())
    while target.writes() == 0:
        await asyncio.sleep(0.05)  # the first pass creates the product
    writes = target.writes()
    spec = origin / "specs" / "shop-00" / "specs.yaml"
    spec.write_text(
        spec.read_text()
        + """---
apiVersion: koppel/v1
kind: Mapping
metadata: {name: names, tenant: shop-00}
spec:
  entity: products
  fields: {description: {template: "{name} (bench)"}}
""".replace("\n---", "\n---", 1)
    )
    text = spec.read_text().replace(
        "schedule: {interval: 3600s", "mappings: [names],\n        schedule: {interval: 3600s"
    )
    spec.write_text(text)
    repo.git.add(A=True)
    repo.index.commit("rename products")
    body = b'{"ref": "refs/heads/main"}'
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://koppel") as client:
        pushed = time.monotonic()
        answer = await client.post(
            "/hooks/git", content=body, headers={"X-Hub-Signature-256": sign(body, "bench-secret")}
        )
        answer.raise_for_status()
        while target.writes() == writes:
            await asyncio.sleep(0.01)
        latency = time.monotonic() - pushed
    reconciler.stopping.set()
    await task
    return latency


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "load_average": os.getloadavg(),
        "latency": args.latency,
        "seconds": args.seconds,
        "flows": TENANTS * FLOWS,
        "measured": "replicas as separate processes sharing PostgreSQL leases; each pass waits "
        "--latency seconds on its source",
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pg = args.pg or os.environ.get("KOPPEL_TEST_DATABASE_URL")
        if pg:
            admin = sa.create_engine(make_url(pg).set(drivername="postgresql+psycopg"))
            for replicas in (1, 3):
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                with admin.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
                try:
                    rate = _passes_per_minute(
                        url.render_as_string(hide_password=False),
                        replicas,
                        seconds=args.seconds,
                        latency=args.latency,
                        work=work,
                    )
                finally:
                    with admin.begin() as conn:
                        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                results[f"passes_per_minute_{replicas}"] = round(rate, 1)
            admin.dispose()
            results["speed_up"] = round(
                results["passes_per_minute_3"] / results["passes_per_minute_1"], 2
            )
        results["webhook_to_first_write_s"] = round(await _webhook_latency(work), 3)
    shutil.rmtree(work, ignore_errors=True)
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--latency", type=float, default=4.0)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    results = asyncio.run(main(args))
    results["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key:28} {value}")


if __name__ == "__main__":
    cli()
