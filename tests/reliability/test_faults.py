"""Passes against sandboxes that fail at random — 5xx, 429 with Retry-After, dropped
connections, answers lost after the write, latency — converge on exactly what a clean run
writes: every record once, nothing missing, every pass's counts adding up."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from connectors.afas.client import AfasClient
from connectors.afas.connector import AfasConnector
from connectors.afas.models import Environment, WriteSettings
from connectors.base import Connector
from connectors.http import ClientSettings, RetryPolicy
from connectors.mpluskassa.connector import open_connector
from connectors.registry import capabilities
from reconciler.errors import ConnectorError, Transient
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.state.factory import open_store
from reconciler.state.rows import BackoffPolicy
from tests.reliability.world import IDENT, ROOT, SECRET, TENANT, TOKEN, Sandboxes

FAULTS = {
    "error_rate": {502: 0.03, 503: 0.03, 429: 0.04},
    "drop_rate": 0.03,
    "latency": 0.002,
    "retry_after": 0.05,
    "seed": 7,
}
"""About one request in eight fails before the sandbox does anything."""
KASSA_500 = {500: 0.02}
"""MplusKASSA also answers plain 500s (a SOAP Server fault). AFAS's 500 carries a functional
message and means "refused" (Permanent), so it is left out there."""
LOST_ANSWERS = 0.06
"""The share of writes that happen but whose answer is lost (the connection dropped)."""
SIZES = {"products": 40, "orders": 30, "customers": 12}
MAX_ROUNDS = 15
RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.1)


def _specs() -> SpecSet:
    validation = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert validation.valid
    validation.specs.revision = "faults"
    return validation.specs


def _connectors(sandboxes: Sandboxes) -> dict[tuple[str, str], Connector]:
    """The tenant's two connections with short retry delays, so the test stays fast."""
    settings = ClientSettings(timeout=10, concurrency=5, retry=RETRY)
    afas = AfasConnector(
        AfasClient(
            token=TOKEN,
            participant="12345",
            environment=Environment.production,
            endpoint=sandboxes.endpoints["afas"],
            settings=settings,
        ),
        write=WriteSettings(administration=1),
    )
    kassa = open_connector(
        endpoint=sandboxes.endpoints["kassa"], ident=IDENT, secret=SECRET, settings=settings
    )
    return {(TENANT, "afas"): afas, (TENANT, "kassa"): kassa}  # type: ignore[dict-item]


async def _round(specs: SpecSet, connections: Connections, store: object) -> list[PassReport]:
    """One pass of every flow in dependency order; a pass that ended early on a transient
    failure (a read that failed on every retry) counts as a pass with nothing applied."""
    reports = []
    for flow in select_flows(specs, tenant=TENANT):
        ctx = build_context(specs, flow, connections=connections, store=store)  # type: ignore[arg-type]
        try:
            reports.append(await run_pass(ctx, confirm=True))
        except ConnectorError as exc:
            if not isinstance(exc, Transient):
                raise
    return reports


async def _converge(sandboxes: Sandboxes, state: Path) -> tuple[int, list[PassReport]]:
    """Rounds of passes until one writes nothing and fails nothing: (rounds, last round)."""
    specs = _specs()
    connections = Connections(given=_connectors(sandboxes))
    store = open_store(
        f"sqlite:///{state}", backoff=BackoffPolicy(base=dt.timedelta(0), quarantine_after=10)
    )
    try:
        for rounds in range(1, MAX_ROUNDS + 1):
            reports = await _round(specs, connections, store)
            for report in reports:
                c = report.counts
                assert c is not None, report.stopped
                assert c.read == c.created + c.updated + c.unchanged + c.skipped + c.failed, (
                    report.flow,
                    c,
                )
                assert c.interrupted == 0, report.flow
                assert c.quarantined == 0, (report.flow, c.failures)
            quiet = all(r.counts and r.counts.created + r.counts.updated == 0 for r in reports)
            failed = sum(r.counts.failed for r in reports if r.counts)
            if len(reports) == 5 and quiet and failed == 0:
                return rounds, reports
        raise AssertionError(f"still writing or failing after {MAX_ROUNDS} rounds")
    finally:
        store.close()
        for connector in connections.given.values():
            await connector.aclose()


async def _plan_changes(sandboxes: Sandboxes, state: Path) -> int:
    specs = _specs()
    connections = Connections(given=_connectors(sandboxes))
    store = open_store(f"sqlite:///{state}")
    try:
        total = 0
        for flow in select_flows(specs, tenant=TENANT):
            ctx = build_context(specs, flow, connections=connections, store=store)
            report = await plan_pass(ctx, full=True)
            total += report.changes + report.tally.fail
        return total
    finally:
        store.close()
        for connector in connections.given.values():
            await connector.aclose()


@pytest.mark.slow
def test_random_faults_converge_on_every_record_applied_exactly_once(tmp_path: Path) -> None:
    """With about one request in seven failing (500, 502, 503, 429 with Retry-After, dropped
    connections) and 6% of writes done but their answer lost, passes of the example tenant's
    five flows — each one's counts adding up — converge within a bounded number of rounds on
    exactly the records a clean run writes into fresh sandboxes: no duplicate in either
    target, none missing; then, with the faults off, a full drift-scan plan changes nothing."""
    with Sandboxes.start(**SIZES) as clean:
        asyncio.run(_converge(clean, tmp_path / "clean.db"))
        expected = clean.snapshot()
    with Sandboxes.start(lost_answers=LOST_ANSWERS, **SIZES) as sandboxes:
        sandboxes.faults(**FAULTS)
        sandboxes.kassa_app.configure(error_rate={**FAULTS["error_rate"], **KASSA_500})
        rounds, _ = asyncio.run(_converge(sandboxes, tmp_path / "state.db"))
        injected = {
            "afas": dict(sandboxes.afas_app.stats.injected),
            "kassa": dict(sandboxes.kassa_app.stats.injected),
            "lost": sandboxes.lost,
        }
        sandboxes.faults(error_rate={}, drop_rate=0.0, latency=0.0)
        for late in sandboxes.late:
            late.app.rate = 0.0
        left = asyncio.run(_plan_changes(sandboxes, tmp_path / "state.db"))
        contents = sandboxes.contents()
        actual = sandboxes.snapshot()
    print(f"converged after {rounds} rounds; faults injected: {injected}")
    assert sum(injected["afas"].values()) > 10
    assert sum(injected["kassa"].values()) > 10
    assert injected["lost"] >= 5
    assert contents.duplicates() == {}
    for what, records in expected.items():
        missing = sorted(set(records) - set(actual[what]), key=str)
        extra = sorted(set(actual[what]) - set(records), key=str)
        assert (missing, extra) == ([], []), f"{what}: missing {missing}, extra {extra}"
        different = [key for key in records if records[key] != actual[what][key]]
        assert different == [], (
            f"{what} differ from a clean run: {different[:5]}; the first, clean → now: "
            f"{records[different[0]]} → {actual[what][different[0]]}"
        )
    assert left == 0
