"""``koppel demo``: the main job on embedded defaults, in under a minute.

Both sandboxes start on free loopback ports with a bakery's data (company, person and anonymous
till sales, an unpaid sale, a sale of a product AFAS does not have, an article with a
non-numeric code the till cannot take). The example tenant ``bakkerij-jansen`` is planned and
applied against them; a second pass changes nothing; then a changed mapping is applied and
yields exactly the expected updates. Everything runs in a temporary directory.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from connectors.afas.sandbox import create_app as afas_app
from connectors.mpluskassa.sandbox import create_app as mplus_app
from connectors.registry import capabilities
from connectors.sandbox import SandboxServer
from reconciler.errors import SpecInvalid
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.state.factory import open_store
from reconciler.state.rows import Action, Outcome
from reconciler.state.store import StateStore

HERE = Path(__file__).parent
TENANT = "bakkerij-jansen"
TOKEN, IDENT, SECRET = "demo-afas-token", "demo-ident", "demo-secret"
CHANGE = ("description: {from: name}", 'description: {template: "{name} · Bakkerij Jansen"}')


@dataclass
class DemoResult:
    """What the demo did, for its own checks and for tests."""

    first: list[PassReport] = field(default_factory=list)
    second: list[PassReport] = field(default_factory=list)
    changed: PassReport | None = None
    expected_updates: int = 0
    seconds: float = 0.0

    @property
    def second_pass_writes(self) -> int:
        return sum(r.counts.created + r.counts.updated for r in self.second if r.counts)


async def run_demo(specs_dir: Path, console: Console) -> DemoResult:
    """Run the demo; see the module docstring."""
    started = time.monotonic()
    result = DemoResult()
    with tempfile.TemporaryDirectory(prefix="koppel-demo-") as tmp:
        work = Path(tmp)
        copy = work / "specs"
        shutil.copytree(specs_dir, copy)
        afas = SandboxServer(afas_app(seed=HERE / "afas_seed.json", token=TOKEN)).start()
        kassa = SandboxServer(
            mplus_app(seed=HERE / "mplus_seed.json", ident=IDENT, secret=SECRET)
        ).start()
        store = open_store(f"sqlite:///{work / 'state.db'}")
        try:
            console.print(f"AFAS Profit sandbox  {afas.url}/ProfitRestServices")
            console.print(f"MplusKASSA sandbox   {kassa.url}")
            connections = Connections(
                secrets=SecretResolver(
                    {"AFAS_JANSEN_TOKEN": TOKEN, "MPLUS_JANSEN_IDENT": IDENT},
                    files={"/run/secrets/mplus-jansen-secret": SECRET},
                ),
                endpoints={"afas": f"{afas.url}/ProfitRestServices", "kassa": kassa.url},
            )
            try:
                specs = _load(copy)
                console.rule("1. plan and apply every flow of bakkerij-jansen")
                result.first = await _pass(specs, store, connections, console, plan=True)
                _explain(store, console)
                console.rule("2. the same again: a second pass changes nothing")
                result.second = await _pass(specs, store, connections, console)
                console.print(f"writes in the second pass: {result.second_pass_writes}")
                console.rule("3. a changed mapping: product names get the shop's name")
                mappings = copy / TENANT / "mappings.yaml"
                mappings.write_text(mappings.read_text().replace(*CHANGE))
                console.print(
                    f"articles-to-kassa: [red]{CHANGE[0]}[/red] → [green]{CHANGE[1]}[/green]"
                )
                specs = _load(copy)
                products = next(r for r in result.first if r.flow == "products")
                assert products.counts is not None
                result.expected_updates = (
                    products.counts.created + products.counts.updated + products.counts.unchanged
                )
                flow = next(f for f in specs.flows(TENANT) if f.name == "products")
                ctx = build_context(
                    specs,
                    flow,
                    connections=connections,
                    store=store,
                    revision="demo-changed-mapping",
                )
                result.changed = await run_pass(ctx, reread=True)
                _table(console, [result.changed])
                sample = store.activity(
                    tenant=TENANT, flow="products", action=Action.update, limit=1
                )
                if sample and sample[0].diff:
                    for change in sample[0].diff.get("changes", [])[:2]:
                        console.print(
                            f"  {sample[0].key}: {change['path']}: "
                            f"{change['before']!r} → {change['after']!r}"
                        )
            finally:
                await connections.aclose()
        finally:
            store.close()
            afas.stop()
            kassa.stop()
    result.seconds = time.monotonic() - started
    return result


def _load(root: Path) -> SpecSet:
    validation = validate_tree(root, capabilities=capabilities())
    if not validation.valid:
        raise SpecInvalid(list(validation.diagnostics))
    validation.specs.revision = "demo"
    return validation.specs


async def _pass(
    specs: SpecSet,
    store: StateStore,
    connections: Connections,
    console: Console,
    *,
    plan: bool = False,
) -> list[PassReport]:
    reports = []
    for flow in select_flows(specs, tenant=TENANT):
        ctx = build_context(
            specs, flow, connections=connections, store=store, revision=specs.revision
        )
        if plan:
            planned = await plan_pass(ctx)
            tally = planned.tally
            console.print(
                f"plan {flow.name:15} {tally.create} to create, {tally.update} to "
                f"update, {tally.fail} failing, {tally.skip} skipped, "
                f"{tally.noop} unchanged"
            )
        reports.append(await run_pass(ctx))
    _table(console, reports)
    return reports


def _table(console: Console, reports: list[PassReport]) -> None:
    table = Table("flow", "read", "created", "updated", "unchanged", "skipped", "failed")
    for report in reports:
        c = report.counts
        if c is None:
            table.add_row(
                report.flow, str(report.tally.read), "", "", "", "", f"stopped: {report.stopped}"
            )
            continue
        table.add_row(
            report.flow,
            str(c.read),
            str(c.created),
            str(c.updated),
            str(c.unchanged),
            str(c.skipped),
            str(c.failed),
        )
    console.print(table)


def _explain(store: StateStore, console: Console) -> None:
    """The decisions a person wants to see: debtors chosen, records failed, and why."""
    for entry in reversed(store.activity(tenant=TENANT, flow="pos-orders", limit=50)):
        mark = "[red]✘[/red]" if entry.outcome is Outcome.failed else "[green]✔[/green]"
        console.print(
            f"{mark} pos-orders {entry.key}: {entry.action} — {entry.message or ''}",
            highlight=False,
        )
    for entry in store.activity(tenant=TENANT, flow="products", outcome=Outcome.failed, limit=5):
        console.print(f"[red]✘[/red] products {entry.key}: {entry.message}", highlight=False)
