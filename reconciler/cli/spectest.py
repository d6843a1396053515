"""``koppel test``: run the spec tests (fixtures beside the specs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.handling import handle_errors
from reconciler.cli.paths import default_spec_dir
from reconciler.spec.diagnostics import render
from reconciler.spec.validate import validate_tree
from reconciler.spectest import run_spec_tests


@click.command("test")
@click.argument(
    "directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@handle_errors
def spec_test(directory: Path | None) -> None:
    """Run the spec tests of DIRECTORY (default: ./specs, else .).

    Each Mapping's `tests` fixtures (input record -> expected target payload) run through their
    flow; a mismatch is printed with what was expected and what came out. Exit status: 0 all
    passed, 1 a test failed or the specs are invalid, 2 usage error.
    """
    from connectors.registry import capabilities, default_mapping

    root = directory or default_spec_dir()
    validation = validate_tree(root, capabilities=capabilities())
    if not validation.valid:
        click.echo(render(validation.diagnostics, "text"))
        click.echo("✘ the specs are invalid; fix them before running their tests", err=True)
        sys.exit(1)
    results = run_spec_tests(
        validation.specs, root, capabilities=capabilities(), defaults=default_mapping
    )
    for result in results:
        mark = "✔" if result.passed else "✘"
        click.echo(f"{mark} {result.file} (mapping {result.mapping}, flow {result.flow})")
        for problem in result.problems:
            click.echo(f"    {problem}")
    failed = sum(not r.passed for r in results)
    passed = len(results) - failed
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
