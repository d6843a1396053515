"""The runtime part of ``requirements.lock``: what the container image installs.

The project has one lock file, pinned with hashes, for development and CI (it includes pytest,
mypy, ruff…). The image should carry only what ``koppel`` needs at run time, yet stay exactly as
pinned and hashed as the lock. This script selects it without a resolver and without the network:
it starts from ``[project].dependencies`` in ``pyproject.toml`` and follows the lock's own
``# via`` annotations (written by ``uv pip compile``), keeping every entry whose requirer is
already kept. Entries are copied verbatim, hashes included, so ``pip install --require-hashes``
checks them as strictly as ``make`` does; a dependency the walk missed fails that install loudly
("hashes are required for all requirements") rather than slipping in unpinned.

    python runtime_requirements.py requirements.lock pyproject.toml > runtime.lock
    python runtime_requirements.py --only setuptools requirements.lock pyproject.toml > build.lock

Standard library only: it runs in the image's build stage before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = "koppel (pyproject.toml)"


@dataclass(frozen=True)
class Entry:
    """One pinned package of the lock: its normalised name, its text, and who requires it."""

    name: str
    text: str
    via: frozenset[str]


def normalise(name: str) -> str:
    """PEP 503 name normalisation (``ruamel.yaml`` and ``ruamel-yaml`` are one package)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The project name of a PEP 508 requirement string (``psycopg[binary]>=3.2`` -> psycopg)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"cannot read a project name from {requirement!r}")
    return normalise(match.group(1))


def parse_lock(text: str) -> list[Entry]:
    """The lock's entries, each with the lines that belong to it (hashes and comments)."""
    entries: list[Entry] = []
    name: str | None = None
    lines: list[str] = []

    def close() -> None:
        if name is not None:
            entries.append(Entry(name, "\n".join(lines).rstrip() + "\n", _via(lines)))

    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            close()
            name, lines = requirement_name(line.split("==", 1)[0]), [line]
        elif name is not None:
            lines.append(line)
    close()
    return entries


def _via(lines: Iterable[str]) -> frozenset[str]:
    parents: set[str] = set()
    collecting = False
    for line in lines:
        comment = line.strip()
        if not comment.startswith("#"):
            collecting = False
            continue
        body = comment.lstrip("#").strip()
        if body.startswith("via"):
            rest = body[3:].strip()
            collecting = not rest  # "# via" alone: the requirers follow, one per line
            if rest:
                parents.add(rest if rest == ROOT else normalise(rest))
        elif collecting and body:
            parents.add(body if body == ROOT else normalise(body))
    return frozenset(parents)


def runtime_names(pyproject: str) -> set[str]:
    """The names ``[project].dependencies`` asks for (the optional ``dev`` extra is not)."""
    project = tomllib.loads(pyproject)["project"]
    return {requirement_name(requirement) for requirement in project["dependencies"]}


def select(entries: list[Entry], roots: set[str]) -> list[Entry]:
    """``roots`` and, transitively, every entry the lock says one of them requires."""
    by_name = {entry.name: entry for entry in entries}
    missing = roots - by_name.keys()
    if missing:
        raise SystemExit(f"not in the lock file: {', '.join(sorted(missing))}; run `make lock`")
    kept = set(roots)
    changed = True
    while changed:
        changed = False
        for entry in entries:
            if entry.name not in kept and entry.via & kept:
                kept.add(entry.name)
                changed = True
    return [entry for entry in entries if entry.name in kept]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("pyproject", type=Path)
    parser.add_argument(
        "--only", action="append", help="select these packages (and what they need) instead"
    )
    args = parser.parse_args(argv)
    entries = parse_lock(args.lock.read_text(encoding="utf-8"))
    if args.only:
        roots = {normalise(name) for name in args.only}
    else:
        roots = runtime_names(args.pyproject.read_text(encoding="utf-8"))
    header = f"# Selected from {args.lock.name} by deploy/runtime_requirements.py; do not edit.\n"
    sys.stdout.write(header + "".join(entry.text for entry in select(entries, roots)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
