"""``koppel history`` and ``koppel diff``: what changed in the specs, per commit or between two
revisions, as semantic changes (documents and field paths), never as text lines."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.cli.handling import handle_errors
from reconciler.cli.paths import default_spec_dir
from reconciler.errors import UsageError

FORMATS = ["text", "markdown", "json"]


@click.command()
@click.argument(
    "directory",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--repo",
    "location",
    metavar="PATH_OR_URL",
    help="The spec repository: a local path, or a URL cloned into the cache "
    "($KOPPEL_CACHE_DIR, else ~/.cache/koppel).",
)
@click.option(
    "--path",
    "spec_path",
    metavar="PATH",
    help="The spec directory inside the repository (default: DIRECTORY, or specs with --repo).",
)
@click.option(
    "--branch",
    default="HEAD",
    show_default=True,
    help="Branch (or any revision) whose history to show; HEAD is the checked-out branch, "
    "or the default branch of a remote.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many commits.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@handle_errors
def history(
    *,
    directory: Path | None,
    location: str | None,
    spec_path: str | None,
    branch: str,
    limit: int | None,
    fmt: str,
) -> None:
    """The commits that changed the specs, newest first: author, time, message, and what each
    changed (kind, tenant, name and field paths).

    Exit status: 0 ok, 2 usage error (no repository, unknown branch).
    """
    from connectors.registry import capabilities
    from reconciler.audit import history as audit
    from reconciler.audit import render
    from reconciler.audit.revisions import open_repository

    if directory is not None and location is not None:
        raise UsageError("give a spec DIRECTORY or --repo, not both")
    if location is not None:
        repo = open_repository(location, start=Path.cwd())
        path = spec_path or "specs"
    else:
        root = directory or default_spec_dir()
        repo = open_repository(None, start=root)
        path = spec_path or _inside(repo.working_tree_dir, root)
    entries = audit.history(
        repo, branch=branch, path=path, limit=limit, capabilities=capabilities()
    )
    shown = path.strip("/") or "."
    if fmt == "json":
        click.echo(render.history_json(entries, path=shown))
    elif fmt == "markdown":
        click.echo(render.history_markdown(entries, path=shown), nl=False)
    else:
        click.echo(render.history_text(entries, path=shown))


@click.command("diff")
@click.argument("old", metavar="REV_A")
@click.argument("new", metavar="[REV_B]", required=False)
@click.option(
    "--repo",
    "location",
    metavar="PATH_OR_URL",
    help="The spec repository (default: the one containing the current directory); "
    "a URL is cloned into the cache.",
)
@click.option(
    "--path",
    "spec_path",
    default="specs",
    show_default=True,
    metavar="PATH",
    help="The spec directory inside the repository.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when there are semantic changes, 0 when there are none (like git diff).",
)
@handle_errors
def diff(
    *,
    old: str,
    new: str | None,
    location: str | None,
    spec_path: str,
    fmt: str,
    exit_code: bool,
) -> None:
    """The semantic diff of the specs from revision REV_A to revision REV_B: documents added,
    removed and changed, with each changed field path and its old and new value.

    Without REV_B, compares with the working tree (uncommitted edits included), or with HEAD in a
    repository without one (a cloned remote). Reformatting, reordering keys, comments and moving
    documents between files are not changes.

    Exit status: 0 ok (with --exit-code: 0 no changes, 1 changes), 2 usage error (unknown
    revision, no repository).
    """
    from connectors.registry import capabilities
    from reconciler.audit import render
    from reconciler.audit.history import compare
    from reconciler.audit.revisions import open_repository

    repo = open_repository(location, start=Path.cwd())
    comparison = compare(repo, old, new, path=spec_path, capabilities=capabilities())
    if fmt == "json":
        click.echo(render.comparison_json(comparison))
    elif fmt == "markdown":
        click.echo(render.comparison_markdown(comparison), nl=False)
    else:
        click.echo(render.comparison_text(comparison))
    if exit_code and not comparison.diff.empty:
        sys.exit(1)


def _inside(workdir: str | os.PathLike[str] | None, directory: Path) -> str:
    """``directory`` as a path inside the repository's working tree."""
    if workdir is None:
        return "specs"
    try:
        relative = directory.resolve().relative_to(Path(workdir).resolve())
    except ValueError as exc:
        raise UsageError(f"{directory} is outside the repository {workdir}") from exc
    return relative.as_posix()
