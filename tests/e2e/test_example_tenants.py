"""Every example tenant, one per seed integration, reconciled end to end against sandboxes of
its systems as ``make demo TENANT=…`` runs it: every flow passes, the counts add up, and a
second pass writes nothing. The tenant-specific outcomes are asserted in each tenant's own
end-to-end test; this one proves no example tenant is left without a working demo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.demo.run import missing_sandboxes, run_demo
from reconciler.spec.validate import validate_tree

ROOT = Path(__file__).resolve().parents[2]


def _tenants() -> list[str]:
    from connectors.registry import capabilities

    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid
    return sorted(result.specs.tenants)


def test_every_example_tenant_has_sandboxes_for_all_its_systems() -> None:
    from connectors.registry import capabilities

    specs = validate_tree(ROOT / "specs", capabilities=capabilities()).specs
    assert {t: missing_sandboxes(specs, t) for t in specs.tenants} == {t: [] for t in specs.tenants}


@pytest.mark.parametrize("tenant", _tenants())
def test_example_tenant_reconciles_twice(tenant: str) -> None:
    result = asyncio.run(run_demo(ROOT / "specs", Console(quiet=True), tenant=tenant))
    assert result.first, "no flow ran"
    for report in [*result.first, *result.second]:
        counts = report.counts
        assert counts is not None, f"{report.flow} stopped: {report.stopped}"
        assert (
            counts.read
            == counts.created + counts.updated + counts.unchanged + counts.skipped + counts.failed
        )
    written = {r.flow: r.counts.created + r.counts.updated for r in result.first if r.counts}
    assert sum(written.values()) > 0, f"the first pass wrote nothing: {written}"
    second = {r.flow: r.counts.created + r.counts.updated for r in result.second if r.counts}
    assert second == dict.fromkeys(second, 0)
    assert result.seconds < 60
