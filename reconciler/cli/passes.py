"""``koppel plan`` and ``koppel apply``: one pass over the selected flows."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from reconciler.cli.common import load_valid_specs, parse_endpoints, pass_options
from reconciler.cli.handling import handle_errors
from reconciler.flows.masterdata import named_codes
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.plan.actions import ActionKind, json_default
from reconciler.process import settle_startup

EXIT_CHANGES = 2
EXIT_STOPPED = 3


@click.command()
@pass_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on error.",
)
@handle_errors
def plan(
    *,
    directory: Path | None,
    tenant: str | None,
    flow: str | None,
    state_url: str | None,
    endpoints: tuple[str, ...],
    full: bool,
    fmt: str,
    detailed_exitcode: bool,
) -> None:
    """Show what a pass would change, writing nothing."""
    reports = asyncio.run(
        _passes(directory, tenant, flow, state_url, endpoints, full=full, apply=False)
    )
    if fmt == "json":
        click.echo(json.dumps([_report_json(r) for r in reports], indent=2, default=json_default))
    else:
        console = Console(width=None if Console().is_terminal else 160)
        for report in reports:
            _print_plan(console, report)
    if any(r.missing_master_data for r in reports):
        sys.exit(1)
    changes = sum(r.changes + r.tally.fail for r in reports)
    if detailed_exitcode and changes:
        sys.exit(EXIT_CHANGES)


@click.command()
@pass_options
@click.option(
    "--confirm",
    is_flag=True,
    help="Apply even when the circuit breaker or the empty-source guard would stop.",
)
@handle_errors
def apply(
    *,
    directory: Path | None,
    tenant: str | None,
    flow: str | None,
    state_url: str | None,
    endpoints: tuple[str, ...],
    full: bool,
    confirm: bool,
) -> None:
    """Run one pass of the selected flows: plan, then apply.

    Exit status: 0 every record applied, 1 some records failed (or an error), 3 a pass stopped
    before writing (circuit breaker or empty source; rerun with --confirm after checking).
    """
    reports = asyncio.run(
        _passes(
            directory, tenant, flow, state_url, endpoints, full=full, apply=True, confirm=confirm
        )
    )
    console = Console()
    table = Table(
        "tenant",
        "flow",
        "read",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "failed",
        title="koppel apply",
    )
    for report in reports:
        counts = report.counts
        if counts is None:
            table.add_row(
                report.tenant, report.flow, str(report.tally.read), "-", "-", "-", "-", "-"
            )
            continue
        table.add_row(
            report.tenant,
            report.flow,
            str(counts.read),
            str(counts.created),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.skipped),
            f"[red]{counts.failed}[/red]" if counts.failed else "0",
        )
    console.print(table)
    for report in reports:
        if report.stopped:
            console.print(
                f"[yellow]⏸ {report.tenant}/{report.flow} stopped before writing:"
                f"[/yellow] {report.stopped}"
            )
        if report.counts is not None:
            for key, reason in report.counts.failures[:10]:
                console.print(f"[red]✘[/red] {report.tenant}/{report.flow} {key}: {reason}")
            more = len(report.counts.failures) - 10
            if more > 0:
                console.print(f"  … and {more} more (`koppel activity --outcome failed`)")
    if any(r.stopped for r in reports):
        sys.exit(EXIT_STOPPED)
    if any(r.counts is not None and r.counts.failed for r in reports):
        sys.exit(1)


async def _passes(
    directory: Path | None,
    tenant: str | None,
    flow: str | None,
    state_url: str | None,
    endpoints: tuple[str, ...],
    *,
    full: bool,
    apply: bool,
    confirm: bool = False,
) -> list[PassReport]:
    from reconciler.state.factory import open_store

    specs, _ = load_valid_specs(directory)
    flows = select_flows(specs, tenant=tenant, flow=flow)
    connections = Connections(endpoints=parse_endpoints(endpoints))
    settle_startup()
    reports = []
    with open_store(state_url) as store:
        try:
            for loaded in flows:
                ctx = build_context(
                    specs, loaded, connections=connections, store=store, revision=specs.revision
                )
                if apply:
                    reports.append(await _apply_one(ctx, full=full, confirm=confirm))
                else:
                    codes = named_codes(specs, loaded)
                    reports.append(await plan_pass(ctx, full=full, codes=codes))
        finally:
            await connections.aclose()
    return reports


async def _apply_one(ctx: Any, *, full: bool, confirm: bool) -> PassReport:
    console = Console(stderr=True)
    if not console.is_terminal:
        return await run_pass(ctx, full=full, confirm=confirm)
    with Progress(
        TextColumn(f"{ctx.tenant}/{ctx.flow}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("apply", total=None)
        return await run_pass(
            ctx,
            full=full,
            confirm=confirm,
            planned_total=lambda n: bar.update(task, total=n),
            progress=lambda n: bar.advance(task, n),
        )


def _print_plan(console: Console, report: PassReport) -> None:
    tally = report.tally
    console.rule(f"{report.tenant} / {report.flow}")
    console.print(
        f"{tally.create} to create, {tally.update} to update, {tally.fail} failing, "
        f"{tally.noop} unchanged, {tally.skip} skipped "
        f"({tally.read} read, {report.target_reads} target look-ups)"
    )
    marks = {
        ActionKind.create: "[green]+ create[/green]",
        ActionKind.update: "[yellow]~ update[/yellow]",
        ActionKind.fail: "[red]! fail  [/red]",
        ActionKind.skip: "[dim]- skip  [/dim]",
    }
    for planned in report.planned:
        action = planned.action
        if action.kind is ActionKind.skip and not action.changes:
            continue
        console.print(f"  {marks[action.kind]} {action.key}  {action.reason}", highlight=False)
        for change in action.changes:
            console.print(
                f"      {change.path}: {change.before!r} → {change.after!r}", highlight=False
            )
        if planned.explanation:
            console.print(f"      debtor: {planned.explanation}", highlight=False)
    if report.stopped:
        console.print(f"[yellow]⏸ apply would stop before writing:[/yellow] {report.stopped}")
    for check in report.master_data:
        if check.exists is False:
            console.print(
                f"[red]✘ {check.kind} {check.code!r} is named in the specs but does "
                f"not exist in the target[/red] {check.detail}",
                highlight=False,
            )


def _report_json(report: PassReport) -> dict[str, Any]:
    return {
        "tenant": report.tenant,
        "flow": report.flow,
        "planId": report.plan_id,
        "full": report.full,
        "counts": {
            "read": report.tally.read,
            "create": report.tally.create,
            "update": report.tally.update,
            "noop": report.tally.noop,
            "skip": report.tally.skip,
            "fail": report.tally.fail,
        },
        "stopped": report.stopped,
        "masterData": [
            {"kind": c.kind, "code": c.code, "exists": c.exists, "detail": c.detail}
            for c in report.master_data
        ],
        "actions": [p.to_json() for p in report.planned],
    }
