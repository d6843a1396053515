"""The reconciler's server: health, readiness, metrics, the status page, the signed webhook and
the token-guarded actions."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import git
import httpx
import pytest

from reconciler.canonical import Entity, Product
from reconciler.loop.gitsource import GitSource
from reconciler.loop.reconciler import LoopSettings, Reconciler
from reconciler.passes.setup import Connections
from reconciler.server.app import create_app, sign
from reconciler.state.rows import Action, Outcome
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[3]
TENANT = "bakkerij-jansen"
SECRET = "hook-secret-value"
TOKEN = "action-token-value"


@pytest.fixture
def reconciler(tmp_path: Path) -> Iterator[Reconciler]:
    repo = git.Repo.init(tmp_path / "origin", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    shutil.copytree(ROOT / "specs" / TENANT, tmp_path / "origin" / "specs" / TENANT)
    repo.git.add(A=True)
    repo.index.commit("specs")
    afas, kassa = FakeConnector(), FakeConnector()
    afas.source[Entity.products] = [
        Product(sku="100", name="Brood", custom_fields={"webshop": True})
    ]
    return Reconciler(
        source=GitSource(str(tmp_path / "origin"), workdir=tmp_path / "work"),
        store=MemoryStore(),
        connections=Connections(given={(TENANT, "afas"): afas, (TENANT, "kassa"): kassa}),
        settings=LoopSettings(holder="test"),
    )


def _client(reconciler: Reconciler) -> httpx.AsyncClient:
    app = create_app(reconciler, webhook_secret=SECRET, action_token=TOKEN)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://koppel")


def test_health_and_readiness(reconciler: Reconciler) -> None:
    """healthz always answers; readyz is 503 until a good revision is loaded, then 200."""

    async def go() -> None:
        async with _client(reconciler) as client:
            assert (await client.get("/healthz")).text == "ok"
            not_ready = await client.get("/readyz")
            assert not_ready.status_code == 503
            assert "no good spec revision" in not_ready.text
            await reconciler.refresh()
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["ready"] is True

    asyncio.run(go())


def test_webhook_needs_a_valid_signature(reconciler: Reconciler) -> None:
    """A missing or wrong signature gets 401 and triggers nothing; a valid one refreshes."""
    body = b'{"ref": "refs/heads/main"}'

    async def go() -> None:
        async with _client(reconciler) as client:
            assert (await client.post("/hooks/git", content=body)).status_code == 401
            wrong = {"X-Hub-Signature-256": sign(body, "not-the-secret")}
            assert (await client.post("/hooks/git", content=body, headers=wrong)).status_code == 401
            assert reconciler.revision.good is None
            right = {"X-Hub-Signature-256": sign(body, SECRET)}
            answer = await client.post("/hooks/git", content=body, headers=right)
            assert answer.status_code == 200
            assert answer.json()["revision"] == reconciler.revision.good.short  # type: ignore[union-attr]

    asyncio.run(go())


def test_actions_need_the_bearer_token(reconciler: Reconciler) -> None:
    """Run-now and retry need the token; with it the flow is triggered or the record released."""

    async def go() -> None:
        await reconciler.refresh()
        reconciler.store.record_failed(TENANT, "products", "100", action=Action.fail, reason="boom")
        async with _client(reconciler) as client:
            run = f"/api/flows/{TENANT}/products/run"
            assert (await client.post(run)).status_code == 401
            bad = {"Authorization": "Bearer nope"}
            assert (await client.post(run, headers=bad)).status_code == 401
            good = {"Authorization": f"Bearer {TOKEN}"}
            assert (await client.post(run, headers=good)).status_code == 202
            assert (
                await client.post(f"/api/flows/{TENANT}/nope/run", headers=good)
            ).status_code == 404
            retry = f"/api/flows/{TENANT}/products/quarantine/100/retry"
            assert (await client.post(retry, headers=good)).status_code == 404  # not quarantined

    asyncio.run(go())


def test_metrics_and_status_page(reconciler: Reconciler) -> None:
    """After a pass, metrics show records, passes and the revision; the status page shows flows,
    their status and the activity with field diffs, escaped, and filters by outcome."""

    async def go() -> None:
        await reconciler.refresh()
        reconciler.scheduler.trigger((TENANT, "products"), now=reconciler.clock())
        await reconciler.tick()
        await asyncio.gather(*reconciler._running.values())
        reconciler.store.log_activity(
            TENANT,
            "products",
            "<script>x</script>",
            action=Action.fail,
            outcome=Outcome.failed,
            message="rejected <b>",
            diff=None,
        )
        async with _client(reconciler) as client:
            metrics = (await client.get("/metrics")).text
            assert (
                f'koppel_records_total{{action="create",flow="products",outcome="ok",'
                f'tenant="{TENANT}"}} 1.0' in metrics
            )
            assert "koppel_pass_duration_seconds_bucket" in metrics
            assert (
                f'koppel_spec_revision_info{{revision="{reconciler.revision.good.short}",'
                'state="applied"} 1.0' in metrics
            )  # type: ignore[union-attr]
            page = (await client.get("/")).text
            assert "products" in page
            assert "Ready" in page
            assert "&lt;script&gt;x&lt;/script&gt;" in page
            assert "<script>x" not in page
            failed = (await client.get("/api/status", params={"outcome": "failed"})).json()
            assert [e["key"] for e in failed["activity"]] == ["<script>x</script>"]

    asyncio.run(go())
