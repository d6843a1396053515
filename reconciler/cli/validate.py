"""``koppel validate``: check a spec tree, print every problem at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.handling import handle_errors
from reconciler.cli.paths import default_spec_dir
from reconciler.spec.diagnostics import render
from reconciler.spec.loader import MAX_FILE_BYTES
from reconciler.spec.validate import validate_tree


@click.command()
@click.argument(
    "directory",
    required=False,
    type=click.Path(exists=True, file_okay=True, dir_okay=True, path_type=Path),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=MAX_FILE_BYTES,
    show_default=True,
    help="Largest spec file accepted, in bytes.",
)
@handle_errors
def validate(directory: Path | None, fmt: str, max_file_size: int) -> None:
    """Validate the specs in DIRECTORY (default: ./specs, else .).

    Exit status: 0 valid, 1 invalid, 2 usage error.
    """
    from connectors.registry import capabilities

    root = directory or default_spec_dir()
    result = validate_tree(root, capabilities=capabilities(), max_file_bytes=max_file_size)
    output = render(result.diagnostics, fmt)
    if output:
        click.echo(output)
    if fmt != "json":
        errors = len(result.errors)
        noun = "document" if result.documents == 1 else "documents"
        where = f"{result.documents} {noun} in {result.files} file{'s' * (result.files != 1)}"
        if errors:
            click.echo(f"✘ {errors} error{'s' * (errors != 1)} in {where}", err=True)
        else:
            click.echo(f"✔ {where}: valid", err=True)
    sys.exit(0 if result.valid else 1)
