"""``koppel activity`` and ``koppel quarantine``: what happened, and records that keep failing."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from reconciler.cli.handling import handle_errors
from reconciler.plan.actions import json_default

state_option = click.option(
    "--state",
    "state_url",
    envvar="KOPPEL_STATE",
    help="State store URL (default: sqlite:///.koppel/state.db).",
)


@click.command()
@state_option
@click.option("--tenant")
@click.option("--flow")
@click.option("--key", help="One record's natural key (e-mail, SKU, order number).")
@click.option("--outcome", type=click.Choice(["ok", "failed"]))
@click.option(
    "--action",
    "action_name",
    type=click.Choice(["create", "update", "skip", "noop", "fail", "retry", "drop"]),
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def activity(
    *,
    state_url: str | None,
    tenant: str | None,
    flow: str | None,
    key: str | None,
    outcome: str | None,
    action_name: str | None,
    limit: int,
    fmt: str,
) -> None:
    """The activity log, newest first: each action with its diff and revision."""
    from reconciler.state.factory import open_store
    from reconciler.state.rows import Action, Outcome

    with open_store(state_url) as store:
        entries = store.activity(
            tenant=tenant,
            flow=flow,
            key=key,
            outcome=Outcome(outcome) if outcome else None,
            action=Action(action_name) if action_name else None,
            limit=limit,
        )
    if fmt == "json":
        rows = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "tenant": e.tenant,
                "flow": e.flow,
                "key": e.key,
                "action": str(e.action),
                "outcome": str(e.outcome),
                "revision": e.revision,
                "planId": e.plan_id,
                "message": e.message,
                "diff": e.diff,
            }
            for e in entries
        ]
        click.echo(json.dumps(rows, indent=2, default=json_default))
        return
    table = Table("time", "tenant/flow", "key", "action", "outcome", "revision", "detail")
    for e in entries:
        detail = e.message or ""
        if e.diff and "changes" in e.diff:
            detail += "".join(
                f"\n{c['path']}: {c['before']!r} → {c['after']!r}" for c in e.diff["changes"]
            )
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{e.tenant}/{e.flow}",
            e.key,
            str(e.action),
            str(e.outcome),
            e.revision or "-",
            detail.strip(),
        )
    Console().print(table)


@click.group()
def quarantine() -> None:
    """Records that kept failing and are no longer retried until released."""


@quarantine.command("list")
@state_option
@click.option("--tenant")
@click.option("--flow")
@handle_errors
def quarantine_list(state_url: str | None, tenant: str | None, flow: str | None) -> None:
    """List quarantined records with their reasons."""
    from reconciler.state.factory import open_store

    with open_store(state_url) as store:
        records = store.quarantined(tenant=tenant, flow=flow, limit=1000)
    table = Table("tenant/flow", "key", "attempts", "last failure", "reason")
    for r in records:
        table.add_row(
            f"{r.tenant}/{r.flow}",
            r.key,
            str(r.attempts),
            r.updated_at.strftime("%Y-%m-%d %H:%M"),
            r.reason or "",
        )
    Console().print(table)
    click.echo(f"{len(records)} quarantined", err=True)


def _act(
    state_url: str | None, tenant: str, flow: str, keys: tuple[str, ...], *, drop: bool
) -> None:
    import getpass

    from reconciler.state.factory import open_store

    who = f"cli:{getpass.getuser()}"
    missing = []
    with open_store(state_url) as store:
        for key in keys:
            done = (store.drop if drop else store.retry)(tenant, flow, key, by=who)
            if not done:
                missing.append(key)
    verb = "dropped" if drop else "released for retry"
    click.echo(f"{len(keys) - len(missing)} {verb}")
    if missing:
        click.echo(f"not found{' ' if drop else ' in quarantine '}: {', '.join(missing)}", err=True)
        sys.exit(1)


@quarantine.command("retry")
@state_option
@click.option("--tenant", required=True)
@click.option("--flow", required=True)
@click.argument("keys", nargs=-1, required=True)
@handle_errors
def quarantine_retry(state_url: str | None, tenant: str, flow: str, keys: tuple[str, ...]) -> None:
    """Release quarantined records: they are tried again on the next pass."""
    _act(state_url, tenant, flow, keys, drop=False)


@quarantine.command("drop")
@state_option
@click.option("--tenant", required=True)
@click.option("--flow", required=True)
@click.argument("keys", nargs=-1, required=True)
@handle_errors
def quarantine_drop(state_url: str | None, tenant: str, flow: str, keys: tuple[str, ...]) -> None:
    """Forget records' state; the next full pass treats them as new."""
    _act(state_url, tenant, flow, keys, drop=True)
