"""``koppel schemas``: write or check the generated JSON Schemas."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.handling import handle_errors
from reconciler.spec import schema


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
)
@click.option("--check", is_flag=True, help="Fail when the files differ from the models.")
@click.option("--write", is_flag=True, help="Write the files from the models.")
@handle_errors
def schemas(directory: Path, check: bool, write: bool) -> None:
    """Generate the JSON Schemas of every spec kind (schemas/<kind>.json)."""
    if check == write:
        raise click.UsageError("give exactly one of --check or --write")
    if write:
        for name in schema.write(directory):
            click.echo(f"wrote {directory / name}")
        return
    stale = schema.out_of_sync(directory)
    if stale:
        click.echo(
            f"✘ out of sync with the models: {', '.join(stale)}; run `koppel schemas --write` "
            "and commit the result",
            err=True,
        )
        sys.exit(1)
    click.echo(f"✔ {directory}: in sync with the models", err=True)
