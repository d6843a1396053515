"""The long-lived reconciler against a real git repository made in the test: each good revision
is applied and carried by the writes it causes; an invalid revision is held back while the last
good one keeps running; only flows a commit changes run at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import git

from reconciler.canonical import Entity, Product
from reconciler.loop.gitsource import GitSource
from reconciler.loop.reconciler import LoopSettings, Reconciler
from reconciler.passes.setup import Connections
from reconciler.state.rows import Action
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
TENANT = "bakkerij-jansen"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _origin(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path / "origin", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    shutil.copytree(ROOT / "specs" / TENANT, tmp_path / "origin" / "specs" / TENANT)
    _commit(repo, "Bakkerij Jansen: first specs")
    return repo


def _commit(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    return repo.index.commit(message).hexsha[:12]


def _edit(repo: git.Repo, name: str, old: str, new: str) -> None:
    path = Path(repo.working_dir) / "specs" / TENANT / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def _settle(reconciler: Reconciler) -> None:
    await reconciler.tick()
    while reconciler._running:
        await asyncio.gather(*reconciler._running.values())


def test_revisions_are_applied_and_a_bad_one_is_held(tmp_path: Path) -> None:
    """A mapping change runs the products flow at once and its updates carry the new revision;
    a broken commit is rejected and nothing changes; its fix is applied."""
    origin = _origin(tmp_path)
    afas, kassa = FakeConnector(), FakeConnector()
    afas.source[Entity.products] = [
        Product(sku=str(100 + i), name=f"Brood {i}", custom_fields={"webshop": True})
        for i in range(3)
    ]
    store, clock = MemoryStore(), Clock()
    connections = Connections(given={(TENANT, "afas"): afas, (TENANT, "kassa"): kassa})
    reconciler = Reconciler(
        source=GitSource(str(origin.working_dir), workdir=tmp_path / "work"),
        store=store,
        connections=connections,
        clock=clock,
        settings=LoopSettings(holder="replica-1"),
    )

    async def scenario() -> None:
        status = await reconciler.refresh()
        first = status.good
        assert first is not None
        clock.advance(60)  # past every flow's first start (a little jitter spreads them)
        await _settle(reconciler)
        assert len(kassa.target[Entity.products]) == 3
        assert {e.revision for e in store.activity(flow="products")} == {first.short}

        _edit(
            origin,
            "mappings.yaml",
            "description: {from: name}",
            'description: {template: "{name} (vers)"}',
        )
        second = _commit(origin, "Product names say they are fresh")
        status = await reconciler.refresh()
        assert status.good is not None
        assert status.good.short == second
        clock.advance(1)  # far sooner than the products interval: the change runs it at once
        await _settle(reconciler)
        updates = store.activity(flow="products", action=Action.update)
        assert len(updates) == 3
        assert {e.revision for e in updates} == {second}
        assert kassa.target[Entity.products]["100"]["description"] == "Brood 0 (vers)"
        ran = {
            key
            for key, state in reconciler.scheduler.flows.items()
            if state.attempted_revision == second
        }
        assert ran == {(TENANT, "products")}

        _edit(origin, "flows.yaml", "kind: products", "kind: prodcts")
        bad = _commit(origin, "Oops")
        status = await reconciler.refresh()
        assert status.rejected is not None
        assert status.rejected.startswith(bad)
        assert status.good is not None
        assert status.good.short == second
        assert "prodcts" in status.problems[0].message
        clock.advance(2000)
        writes = kassa.writes()
        await _settle(reconciler)  # the last good revision keeps running
        assert kassa.writes() == writes

        _edit(origin, "flows.yaml", "kind: prodcts", "kind: products")
        fixed = _commit(origin, "Fix the flow kind")
        status = await reconciler.refresh()
        assert status.rejected is None
        assert status.good is not None
        assert status.good.short == fixed
        await reconciler.shutdown()

    asyncio.run(scenario())
