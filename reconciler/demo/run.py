"""``koppel demo``: the main job on embedded defaults, in under a minute.

For an example tenant, every system it connects starts as a sandbox on a free loopback port,
seeded from ``seeds/<tenant>/<connection>.json`` (the system's own demo data where there is no
such file) and accepting the credentials the tenant's specs reference (each resolves to a demo
value). Every flow of the tenant is planned and applied against them; a second pass changes
nothing. For ``bakkerij-jansen`` (a bakery: company, person and anonymous till sales, an unpaid
sale, a sale of a product AFAS does not have, an article with a non-numeric code the till cannot
take) a changed mapping is then applied and yields exactly the expected updates. Everything
runs in a temporary directory.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from connectors.registry import BUILTIN, capabilities
from connectors.sandbox import SandboxServer
from reconciler.errors import SpecInvalid, UsageError
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.secrets import SecretResolver
from reconciler.spec.models.base import SecretRef
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.state.factory import open_store
from reconciler.state.rows import Action, Outcome
from reconciler.state.store import StateStore

HERE = Path(__file__).parent
SEEDS = HERE / "seeds"
TENANT = "bakkerij-jansen"
CHANGES = {
    TENANT: (
        "products",
        "mappings.yaml",
        "description: {from: name}",
        'description: {template: "{name} · Bakkerij Jansen"}',
        "product names get the shop's name",
    ),
}
"""Per tenant, a mapping change the demo applies after the second pass: the flow it changes,
the file, the text before and after, and what it means."""


@dataclass
class DemoResult:
    """What the demo did, for its own checks and for tests."""

    tenant: str = TENANT
    first: list[PassReport] = field(default_factory=list)
    second: list[PassReport] = field(default_factory=list)
    changed: PassReport | None = None
    expected_updates: int = 0
    seconds: float = 0.0
    sandboxes: dict[str, Any] = field(default_factory=dict)
    """Connection name -> the sandbox app it ran against (its store, for tests)."""

    @property
    def second_pass_writes(self) -> int:
        return sum(r.counts.created + r.counts.updated for r in self.second if r.counts)


class DemoSecrets(SecretResolver):
    """Every secret reference resolves to a demo value named after it: the sandboxes are
    started accepting exactly these, so the specs stay as they are in production."""

    def resolve(self, ref: SecretRef, *, what: str) -> str:
        name = ref.env if ref.env is not None else Path(str(ref.file)).name
        return f"demo-{name.lower().replace('_', '-')}"


def missing_sandboxes(specs: SpecSet, tenant: str) -> list[str]:
    """The systems of a tenant's connections that have no sandbox in this build."""
    missing = []
    for connection in specs.tenants[tenant].model.spec.connections.values():
        try:
            _sandbox_module(connection.system)
        except UsageError:
            missing.append(connection.system)
    return sorted(set(missing))


def _sandbox_module(system: str) -> Any:
    package = BUILTIN.get(system)
    if package is None:
        raise UsageError(f"{system} is not a built-in system: the demo has no sandbox for it")
    try:
        module = importlib.import_module(f"{package}.sandbox")
    except ModuleNotFoundError as exc:
        raise UsageError(f"{system} has no sandbox in this build") from exc
    if not hasattr(module, "for_connection"):
        raise UsageError(f"{system}'s sandbox cannot be started for a tenant connection")
    return module


@contextmanager
def sandboxes(
    specs: SpecSet, tenant: str, secrets: SecretResolver
) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """Start one sandbox per connection of the tenant; yields (connection -> endpoint,
    connection -> app), and stops them all on the way out."""
    endpoints: dict[str, str] = {}
    apps: dict[str, Any] = {}
    with ExitStack() as stack:
        for name, connection in sorted(specs.tenants[tenant].model.spec.connections.items()):
            module = _sandbox_module(connection.system)
            seed = SEEDS / tenant / f"{name}.json"

            def lookup(ref: SecretRef, what: str) -> str:
                return secrets.resolve(ref, what=what)

            app, path = module.for_connection(
                connection, secret=lookup, seed=seed if seed.is_file() else None
            )
            server = stack.enter_context(SandboxServer(app))
            endpoints[name] = server.url + path
            apps[name] = app
        yield endpoints, apps


async def run_demo(specs_dir: Path, console: Console, *, tenant: str = TENANT) -> DemoResult:
    """Run the demo for one example tenant; see the module docstring."""
    started = time.monotonic()
    result = DemoResult(tenant=tenant)
    secrets = DemoSecrets()
    with tempfile.TemporaryDirectory(prefix="koppel-demo-") as tmp:
        work = Path(tmp)
        copy = work / "specs"
        shutil.copytree(specs_dir, copy)
        specs = _load(copy)
        if tenant not in specs.tenants:
            known = ", ".join(sorted(specs.tenants))
            raise UsageError(f"no tenant {tenant!r} in {specs_dir}; known: {known}")
        store = open_store(f"sqlite:///{work / 'state.db'}")
        try:
            with sandboxes(specs, tenant, secrets) as (endpoints, apps):
                result.sandboxes = apps
                connection_specs = specs.tenants[tenant].model.spec.connections
                for name, url in endpoints.items():
                    title = capabilities()[connection_specs[name].system].title
                    console.print(f"{title + ' sandbox':28} {url}  ({name})")
                connections = Connections(secrets=secrets, endpoints=endpoints)
                try:
                    console.rule(f"1. plan and apply every flow of {tenant}")
                    result.first = await _pass(
                        specs, tenant, store, connections, console, plan=True
                    )
                    _explain(store, specs, tenant, console)
                    console.rule("2. the same again: a second pass changes nothing")
                    result.second = await _pass(specs, tenant, store, connections, console)
                    console.print(f"writes in the second pass: {result.second_pass_writes}")
                    if tenant in CHANGES:
                        await _change(
                            copy,
                            tenant,
                            result=result,
                            store=store,
                            connections=connections,
                            console=console,
                        )
                finally:
                    await connections.aclose()
        finally:
            store.close()
    result.seconds = time.monotonic() - started
    return result


async def _change(
    copy: Path,
    tenant: str,
    *,
    result: DemoResult,
    store: StateStore,
    connections: Connections,
    console: Console,
) -> None:
    """Step 3: apply the tenant's mapping change; every synced record of its flow updates."""
    flow_name, file, before, after, meaning = CHANGES[tenant]
    console.rule(f"3. a changed mapping: {meaning}")
    path = copy / tenant / file
    path.write_text(path.read_text().replace(before, after))
    console.print(f"{flow_name}: [red]{before}[/red] → [green]{after}[/green]")
    specs = _load(copy)
    report = next(r for r in result.first if r.flow == flow_name)
    assert report.counts is not None
    result.expected_updates = (
        report.counts.created + report.counts.updated + report.counts.unchanged
    )
    flow = next(f for f in specs.flows(tenant) if f.name == flow_name)
    ctx = build_context(
        specs, flow, connections=connections, store=store, revision="demo-changed-mapping"
    )
    result.changed = await run_pass(ctx, reread=True)
    _table(console, [result.changed])
    sample = store.activity(tenant=tenant, flow=flow_name, action=Action.update, limit=1)
    if sample and sample[0].diff:
        for change in sample[0].diff.get("changes", [])[:2]:
            console.print(
                f"  {sample[0].key}: {change['path']}: {change['before']!r} → {change['after']!r}"
            )


def _load(root: Path) -> SpecSet:
    validation = validate_tree(root, capabilities=capabilities())
    if not validation.valid:
        raise SpecInvalid(list(validation.diagnostics))
    validation.specs.revision = "demo"
    return validation.specs


async def _pass(
    specs: SpecSet,
    tenant: str,
    store: StateStore,
    connections: Connections,
    console: Console,
    *,
    plan: bool = False,
) -> list[PassReport]:
    reports = []
    for flow in select_flows(specs, tenant=tenant):
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


def _explain(store: StateStore, specs: SpecSet, tenant: str, console: Console) -> None:
    """The decisions a person wants to see: each order's outcome and debtor, and every record
    that failed, with the reason."""
    for flow in specs.flows(tenant):
        orders = flow.model.spec.kind == "orders"
        entries = store.activity(
            tenant=tenant, flow=flow.name, outcome=None if orders else Outcome.failed, limit=50
        )
        for entry in reversed(entries):
            mark = "[red]✘[/red]" if entry.outcome is Outcome.failed else "[green]✔[/green]"
            console.print(
                f"{mark} {flow.name} {entry.key}: {entry.action} — {entry.message or ''}",
                highlight=False,
            )
