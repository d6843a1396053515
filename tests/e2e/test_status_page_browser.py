"""The status page as a person sees it: rendered by headless Chromium from a running reconciler,
checked for its content, with a screenshot kept as a CI artifact (artifacts/status-page.png)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import git
import pytest

from connectors.sandbox import SandboxServer
from reconciler.canonical import Entity, Product
from reconciler.errors import RejectedError
from reconciler.loop.gitsource import GitSource
from reconciler.loop.reconciler import LoopSettings, Reconciler
from reconciler.passes.setup import Connections
from reconciler.server.app import create_app
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
TENANT = "bakkerij-jansen"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("KOPPEL_ARTIFACTS", ROOT / "artifacts"))

if CHROMIUM is None and os.environ.get("KOPPEL_REQUIRE_BROWSER"):
    raise RuntimeError("KOPPEL_REQUIRE_BROWSER is set but Chromium is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)"
)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    return subprocess.run(
        [CHROMIUM, *flags, *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )


def test_status_page_in_a_browser(tmp_path: Path) -> None:
    """Chromium shows the revision, the flows with their status, a failure with its reason and
    the activity log with a field diff; the screenshot is written for people to look at."""
    repo = git.Repo.init(tmp_path / "origin", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    shutil.copytree(ROOT / "specs" / TENANT, tmp_path / "origin" / "specs" / TENANT)
    repo.git.add(A=True)
    sha = repo.index.commit("Bakkerij Jansen specs").hexsha[:12]
    afas, kassa = FakeConnector(), FakeConnector()
    afas.source[Entity.products] = [
        Product(sku="100", name="Volkorenbrood"),
        Product(sku="101", name="Witbrood"),
    ]
    kassa.target[Entity.products]["100"] = {"sku": "100", "description": "Volkoren"}
    kassa.fail_next(
        RejectedError(
            "turnover group 10 does not exist", system="mpluskassa", operation="createProduct"
        )
    )
    reconciler = Reconciler(
        source=GitSource(str(tmp_path / "origin"), workdir=tmp_path / "work"),
        store=MemoryStore(),
        connections=Connections(given={(TENANT, "afas"): afas, (TENANT, "kassa"): kassa}),
        settings=LoopSettings(holder="browser-test"),
    )

    async def one_pass() -> None:
        await reconciler.refresh()
        reconciler.scheduler.trigger((TENANT, "products"), now=reconciler.clock())
        await reconciler.tick()
        await asyncio.gather(*reconciler._running.values())

    asyncio.run(one_pass())
    app = create_app(reconciler, webhook_secret=None, action_token=None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "status-page.png"
    with SandboxServer(app) as server:
        dom = _chromium("--dump-dom", f"{server.url}/").stdout
        _chromium(f"--screenshot={screenshot}", "--window-size=1400,900", f"{server.url}/")
    assert f"Spec revision <code>{sha}</code>" in dom
    assert "Bakkerij Jansen specs" in dom
    assert "products" in dom
    assert "pos-orders" in dom
    assert "turnover group 10 does not exist" in dom
    assert "description: 'Volkoren' → 'Volkorenbrood'" in dom.replace("&#x27;", "'")
    assert screenshot.stat().st_size > 10_000
