"""``koppel demo``: the main job on embedded defaults.

Validates the example spec repository, shows what the chosen tenant declares (connections, and
each flow with its direction, schedule and tables), then runs it against sandboxes of its systems
(``reconciler.demo.run``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from reconciler.cli.handling import handle_errors
from reconciler.cli.paths import default_spec_dir
from reconciler.errors import UsageError
from reconciler.spec.diagnostics import render
from reconciler.spec.models import Flow
from reconciler.spec.models.flow import OrdersFlowSpec
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree


@click.command()
@click.option(
    "--specs",
    "directory",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Spec directory (default: the example specs in ./specs).",
)
@click.option(
    "--tenant",
    default="bakkerij-jansen",
    show_default=True,
    help="The example tenant to run against its systems' sandboxes.",
)
@handle_errors
def demo(directory: Path | None, tenant: str) -> None:
    """The main job on embedded defaults: sandboxes, the example specs, real passes."""
    from connectors.registry import capabilities

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    root = directory or default_spec_dir()
    tables = capabilities()
    result = validate_tree(root, capabilities=tables)
    console.rule(f"koppel demo — validating {root}")
    if not result.valid:
        click.echo(render(result.diagnostics, "text"))
        console.print(f"[red]✘ {len(result.errors)} errors[/red]")
        sys.exit(1)
    console.print(
        f"[green]✔[/green] {result.documents} documents in {result.files} files are valid"
    )
    _show(console, result.specs, tenant, {name: t.title for name, t in tables.items()})
    import asyncio

    from reconciler.demo.run import CHANGES, missing_sandboxes, run_demo

    if tenant not in result.specs.tenants:
        known = ", ".join(sorted(result.specs.tenants))
        raise UsageError(f"no tenant {tenant!r} in {root}; known: {known}")
    missing = missing_sandboxes(result.specs, tenant)
    if missing:
        console.print(
            f"[yellow]{tenant} is validated; no pass runs: this build has no sandbox for "
            f"{', '.join(missing)}[/yellow]"
        )
        return
    outcome = asyncio.run(run_demo(root, console, tenant=tenant))
    console.rule("result")
    failed = sum(r.counts.failed for r in outcome.first if r.counts)
    stopped = [r.flow for r in outcome.first if r.counts is None]
    checks = [
        (f"every flow ran ({len(outcome.first)} flows)", not stopped),
        ("the second pass wrote nothing", outcome.second_pass_writes == 0),
    ]
    if tenant in CHANGES:
        updated = (
            outcome.changed.counts.updated if outcome.changed and outcome.changed.counts else 0
        )
        checks.append(
            (
                f"the changed mapping updated exactly the {outcome.expected_updates} synced "
                f"records of {CHANGES[tenant][0]} ({updated} updates)",
                updated == outcome.expected_updates,
            )
        )
    checks.append((f"done in {outcome.seconds:.1f}s", outcome.seconds < 60))
    for text, ok in checks:
        console.print(("[green]✔[/green] " if ok else "[red]✘[/red] ") + text)
    if failed:
        console.print(
            f"  ({failed} record{'s' if failed != 1 else ''} failed in the first pass; "
            "the reasons are above)"
        )
    if not all(ok for _, ok in checks):
        sys.exit(1)


def _show(console: Console, specs: SpecSet, only: str | None, titles: dict[str, str]) -> None:
    for name, loaded in sorted(specs.tenants.items()):
        if only and name != only:
            continue
        tenant = loaded.model.spec
        console.rule(f"tenant {name}")
        connections = Table("connection", "system", "environment", title="connections")
        for conn_name, connection in sorted(tenant.connections.items()):
            connections.add_row(
                conn_name, titles.get(connection.system, connection.system), connection.environment
            )
        console.print(connections)
        flows = Table(
            "flow", "kind", "source → target", "every", "drift scan", "uses", title="flows"
        )
        for flow in specs.flows(name):
            spec = flow.model.spec
            flows.add_row(
                flow.name,
                spec.kind + (f" ({spec.orders.type})" if isinstance(spec, OrdersFlowSpec) else ""),
                f"{spec.source} → {spec.target}",
                spec.schedule.interval + (" (suspended)" if spec.schedule.suspend else ""),
                spec.schedule.drift_scan,
                _uses(flow.model),
            )
        console.print(flows)
        counts = {
            kind: sum(1 for _ in specs.of_kind(kind, name))
            for kind in ("Mapping", "ValueMap", "TaxCodeTable", "DefaultDebtor")
        }
        console.print("  " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


def _uses(flow: Flow) -> str:
    spec = flow.spec
    refs = list(spec.mappings)
    settings = getattr(spec, spec.kind, None)
    for attr in ("default_debtor", "tax_codes"):
        value = getattr(settings, attr, None)
        if value:
            refs.append(str(value))
    value_maps = getattr(settings, "value_maps", None)
    if value_maps is not None:
        refs.extend(f"{vm}" for _, vm in value_maps if vm)
    return ", ".join(refs) or "-"
