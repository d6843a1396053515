"""Three replicas of the reconciler sharing 60 flows through PostgreSQL leases, on virtual time:
every scheduled pass runs exactly once, the replicas share the work, and a killed replica's flows
are taken over once its leases expire."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import git
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reconciler.canonical import Entity, Product
from reconciler.loop.gitsource import GitSource
from reconciler.loop.reconciler import LoopSettings, Reconciler
from reconciler.loop.schedule import SchedulerSettings
from reconciler.passes.setup import Connections
from reconciler.state.factory import open_store
from reconciler.testing.fake_connector import FakeConnector

PG_URL = os.environ.get("KOPPEL_TEST_DATABASE_URL")
TENANTS = 12
FLOWS = 5
INTERVAL = 300
STEP = 10


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("KOPPEL_TEST_DATABASE_URL is not set; the replica test needs PostgreSQL")
    admin = sa.create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    schema = f"koppel_replicas_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _spec_repo(path: Path) -> str:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    for t in range(TENANTS):
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
        docs.extend(
            f"""apiVersion: koppel/v1
kind: Flow
metadata: {{name: products-{f}, tenant: {tenant}}}
spec:
  kind: products
  source: afas
  target: kassa
  schedule: {{interval: {INTERVAL}s, driftScan: 24h}}
"""
            for f in range(FLOWS)
        )
        folder = path / "specs" / tenant
        folder.mkdir(parents=True)
        (folder / "specs.yaml").write_text("---\n".join(docs))
    repo.git.add(A=True)
    return repo.index.commit("60 flows").hexsha


def test_three_replicas_share_sixty_flows(pg_url: str, tmp_path: Path) -> None:
    """Each flow's passes start at least an interval apart (never twice in one interval), every
    flow keeps passing, all replicas do part of the work, and after replica 1 dies without
    letting go, its flows pass again on the others once its leases have expired."""
    origin = tmp_path / "origin"
    _spec_repo(origin)
    clock = Clock()
    targets: dict[tuple[str, str], FakeConnector] = {}
    for t in range(TENANTS):
        tenant = f"shop-{t:02d}"
        source = FakeConnector()
        source.source[Entity.products] = [
            Product(sku=str(100 + i), name=f"Brood {i}") for i in range(3)
        ]
        targets[(tenant, "afas")] = source
        targets[(tenant, "kassa")] = FakeConnector()
    ran: Counter[str] = Counter()
    replicas = []
    stores = []
    for n in range(3):
        holder = f"replica-{n + 1}"
        store = open_store(pg_url, clock=clock)
        stores.append(store)

        def on_pass(
            key: tuple[str, str], report: object, error: str | None, holder: str = holder
        ) -> None:
            assert error is None, error
            ran[holder] += 1

        replicas.append(
            Reconciler(
                source=GitSource(str(origin), workdir=tmp_path / holder),
                store=store,
                connections=Connections(given=targets),
                settings=LoopSettings(holder=holder, max_parallel=8, lease_ttl=120),
                scheduler=SchedulerSettings(jitter=0.1),
                clock=clock,
                on_pass=on_pass,
            )
        )

    async def simulate(seconds: int, alive: list[Reconciler]) -> None:
        for _ in range(seconds // STEP):
            for replica in alive:
                await replica.tick()
                while replica._running:
                    await asyncio.gather(*replica._running.values())
            clock.now += dt.timedelta(seconds=STEP)

    async def scenario() -> dt.datetime:
        for replica in replicas:
            await replica.refresh()
        await simulate(1800, replicas)
        killed_at = clock.now
        await simulate(1800, replicas[1:])  # replica 1 is gone, holding its leases
        return killed_at

    try:
        killed_at = asyncio.run(scenario())
        before_kill = dict(ran)
        assert all(before_kill[f"replica-{n}"] > 0 for n in (1, 2, 3)), before_kill
        store = stores[1]
        for t in range(TENANTS):
            for f in range(FLOWS):
                runs = sorted(
                    r.started_at for r in store.runs(f"shop-{t:02d}", f"products-{f}", limit=500)
                )
                gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
                assert all(gap >= INTERVAL for gap in gaps), (t, f, gaps)
                assert len(runs) >= 3600 // (INTERVAL * 1.2) - 1, (t, f, len(runs))
                late = [r for r in runs if r > killed_at + dt.timedelta(seconds=INTERVAL * 1.5)]
                assert late, f"shop-{t:02d}/products-{f} never passed after replica 1 died"
        written = {
            key: len(c.target[Entity.products]) for key, c in targets.items() if key[1] == "kassa"
        }
        assert set(written.values()) == {3}  # no duplicates, nothing lost
    finally:
        for store in stores:
            store.close()
