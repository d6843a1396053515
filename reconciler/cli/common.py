"""Shared pieces of the commands that work on passes: options, spec loading, state, revision."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.paths import default_spec_dir
from reconciler.errors import UsageError
from reconciler.spec.diagnostics import render
from reconciler.spec.specset import SpecSet

F = TypeVar("F", bound=Callable[..., Any])


def pass_options(command: F) -> F:
    """--tenant, --flow, --state, --endpoint, --full, and the spec directory argument."""
    options = [
        click.argument(
            "directory",
            required=False,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
        ),
        click.option("--tenant", help="Only this tenant."),
        click.option("--flow", help="Only this flow (of --tenant, or of every tenant)."),
        click.option(
            "--state",
            "state_url",
            envvar="KOPPEL_STATE",
            help="State store URL (default: sqlite:///.koppel/state.db).",
        ),
        click.option(
            "--endpoint",
            "endpoints",
            multiple=True,
            metavar="CONNECTION=URL",
            help="Use another base URL for a connection (a sandbox), e.g. "
            "kassa=http://127.0.0.1:8081; CONNECTION may be TENANT/CONNECTION.",
        ),
        click.option(
            "--full",
            is_flag=True,
            help="A drift scan: read everything and compare with the live target.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def parse_endpoints(values: tuple[str, ...]) -> dict[str, str]:
    endpoints = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise UsageError(f"--endpoint {value!r}: write CONNECTION=http(s)://host:port")
        endpoints[name] = url
    return endpoints


def load_valid_specs(directory: Path | None) -> tuple[SpecSet, Path]:
    """The validated specs, or the diagnostics and exit 1."""
    from connectors.registry import capabilities
    from reconciler.spec.validate import validate_tree

    root = directory or default_spec_dir()
    validation = validate_tree(root, capabilities=capabilities())
    if not validation.valid:
        click.echo(render(validation.diagnostics, "text"), err=True)
        click.echo("✘ the specs are invalid; `koppel validate` shows why", err=True)
        sys.exit(1)
    validation.specs.revision = spec_revision(root)
    return validation.specs, root


def spec_revision(root: Path) -> str | None:
    """The git commit of the spec directory (with ``-dirty`` when it has local changes)."""
    try:
        import git

        repo = git.Repo(root, search_parent_directories=True)
        sha = repo.head.commit.hexsha
    except Exception:
        return None
    relative = str(Path(root).resolve().relative_to(Path(repo.working_dir).resolve()))
    dirty = repo.is_dirty(untracked_files=True, path=None if relative == "." else relative)
    return f"{sha[:12]}-dirty" if dirty else sha[:12]
