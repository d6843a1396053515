"""Revisions of a spec repository: open the repository (a local one, or a remote one cloned into
a cache), resolve a revision name to a commit, and load the specs of a commit straight from its
git blobs — no checkout, so walking a long history touches no working tree — or of the working
tree as it is on disk.

Effectful (GitPython, the disk). Loading validates like ``koppel validate`` does (structure, then
the spec set, then meaning) and never raises on bad specs: a revision that does not validate
becomes a snapshot of what did load plus its problem count, because history must read past a
broken commit.

The walk over a tree follows the loader's rules (``reconciler.spec.loader``): ``*.yaml`` and
``*.yml`` files, hidden files and directories and ``tests/`` fixture directories skipped, files
over the size limit refused. One difference: symlinks are skipped, because in git a symlink's blob
is the link's target path, not the file it points to.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
from git.exc import BadName, BadObject

from reconciler.audit.semantic import DocKey, Snapshot, snapshot
from reconciler.capabilities import Capabilities
from reconciler.errors import UsageError
from reconciler.spec.diagnostics import Code, Diagnostic, Severity
from reconciler.spec.loader import (
    FIXTURE_DIR,
    MAX_FILE_BYTES,
    SPEC_SUFFIXES,
    RawDocument,
    parse_documents,
)
from reconciler.spec.meaning import check_meaning
from reconciler.spec.models import KINDS
from reconciler.spec.specset import build
from reconciler.spec.structure import check_structure

WORKTREE = "working tree"
"""The label of the working tree as a side of a comparison."""

_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_SYMLINK_MODE = 0o120000


@dataclass(frozen=True)
class LoadedRevision:
    """The specs of one revision: a comparable snapshot and every diagnostic."""

    snapshot: Snapshot
    diagnostics: tuple[Diagnostic, ...] = ()


FileSource = tuple[str, int, str | None, Callable[[], bytes]]
"""A spec file as the walk yields it: its path in the repository, its size, its git object id
(``None`` on disk) and how to read it."""

Parsed = tuple[list[RawDocument], list[Diagnostic]]
ParseCache = dict[tuple[str, str], Parsed]
"""Parsed files by (object id, path): a file unchanged between revisions is parsed once, which
is most of the cost of walking a history (the round-trip YAML parser is slow)."""


def is_remote(location: str) -> bool:
    """Whether ``location`` is a URL (``https://…``, ``file://…``) or ``user@host:path``."""
    return "://" in location or bool(_SCP_LIKE.match(location))


def open_repository(
    location: str | None, *, start: Path, cache_dir: Path | None = None
) -> git.Repo:
    """The repository at ``location`` (a path or a remote URL), else the one containing ``start``.

    A remote is cloned (bare) into ``cache_dir`` on first use and fetched on later ones.
    """
    if location is not None and is_remote(location):
        return _clone(location, cache_dir or default_cache_dir())
    where = Path(location) if location is not None else start
    try:
        return git.Repo(where, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise UsageError(
            f"{where} is not in a git repository",
            hint="run in a spec repository, or name one with --repo PATH_OR_URL",
        ) from exc


def default_cache_dir() -> Path:
    """``$KOPPEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/koppel``, else ``~/.cache/koppel``."""
    configured = os.environ.get("KOPPEL_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "koppel"


def _clone(url: str, cache_dir: Path) -> git.Repo:
    # One directory per URL; the name is a hash so that credentials in a URL never reach a path.
    target = cache_dir / "repos" / hashlib.sha256(url.encode()).hexdigest()[:16]
    try:
        if (target / "HEAD").is_file():
            repo = git.Repo(target)
            repo.remotes.origin.fetch(
                ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], prune=True
            )
            return repo
        target.parent.mkdir(parents=True, exist_ok=True)
        return git.Repo.clone_from(url, target, bare=True)
    except (git.GitCommandError, OSError) as exc:
        raise UsageError(
            f"cannot clone or fetch {redact(url)}",
            hint="check the URL and that this machine may read it (SSH key, token)",
        ) from exc


def redact(url: str) -> str:
    """``url`` without a password or token in its user part."""
    return re.sub(r"(://)[^/@]+@", r"\1***@", url)


def resolve(repo: git.Repo, revision: str) -> git.Commit:
    """The commit ``revision`` names (sha, branch, tag, ``HEAD~2``…), or a usage error."""
    try:
        return repo.commit(revision)
    except (BadName, BadObject, ValueError, IndexError, git.GitCommandError) as exc:
        raise UsageError(
            f"unknown revision {revision!r} in {describe(repo)}",
            hint="name a commit, branch or tag that exists there (see `git log --oneline`)",
        ) from exc


def describe(repo: git.Repo) -> str:
    """How to name the repository in messages."""
    if repo.bare:
        urls = [redact(url) for remote in repo.remotes for url in remote.urls]
        return urls[0] if urls else str(repo.git_dir)
    return str(repo.working_tree_dir)


def load_commit(
    commit: git.Commit,
    path: str,
    *,
    capabilities: Mapping[str, Capabilities],
    cache: ParseCache | None = None,
) -> LoadedRevision:
    """The specs under ``path`` at ``commit``, read from git blobs."""
    return load_files(_commit_files(commit, path), capabilities=capabilities, cache=cache)


def load_worktree(
    repo: git.Repo, path: str, *, capabilities: Mapping[str, Capabilities]
) -> LoadedRevision:
    """The specs under ``path`` in the working tree, as they are on disk (uncommitted edits and
    untracked files included)."""
    if repo.working_tree_dir is None:
        raise UsageError(
            f"{describe(repo)} has no working tree", hint="name both revisions to compare"
        )
    return load_files(_disk_files(Path(repo.working_tree_dir), path), capabilities=capabilities)


def spec_tree_id(commit: git.Commit, path: str) -> str | None:
    """The git object id of the spec path at ``commit`` (equal ids: equal specs), if present."""
    obj = _object_at(commit, path)
    return obj.hexsha if obj is not None else None


def load_files(
    files: Iterator[FileSource],
    *,
    capabilities: Mapping[str, Capabilities],
    cache: ParseCache | None = None,
) -> LoadedRevision:
    """Validate spec files as ``koppel validate`` does and keep what loaded as a snapshot."""
    diagnostics: list[Diagnostic] = []
    unreadable: set[str] = set()
    raw_keys: set[DocKey] = set()
    good = []
    for display, size, object_id, read in files:
        if size > MAX_FILE_BYTES:
            unreadable.add(display)
            diagnostics.append(
                Diagnostic(
                    display,
                    1,
                    1,
                    Code.file_too_large,
                    f"the file has {size} bytes, more than the limit of {MAX_FILE_BYTES}; "
                    "split it into several files",
                )
            )
            continue
        documents, problems = _parse(display, object_id, read, cache)
        diagnostics.extend(problems)
        if problems:
            unreadable.add(display)  # documents after the error in this file are unknown
        for doc in documents:
            key = _raw_key(doc.data)
            if key is None:
                unreadable.add(display)
            else:
                raw_keys.add(key)
            structure = check_structure(doc)
            diagnostics.extend(structure)
            if not structure:
                good.append(doc)
    specs, naming = build(good)
    diagnostics.extend(naming)
    diagnostics.extend(check_meaning(specs, capabilities))
    unique = tuple(sorted(set(diagnostics)))  # counted as `koppel validate` counts them
    errors = sum(1 for d in unique if d.severity is Severity.error)
    result = snapshot(specs, problems=errors, unreadable_files=unreadable, unreadable_keys=raw_keys)
    return LoadedRevision(result, unique)


def _parse(
    display: str, object_id: str | None, read: Callable[[], bytes], cache: ParseCache | None
) -> Parsed:
    if cache is None or object_id is None:
        return parse_documents(read(), file=Path(display), display=display)
    key = (object_id, display)
    if key not in cache:
        cache[key] = parse_documents(read(), file=Path(display), display=display)
    return cache[key]


def _raw_key(data: object) -> DocKey | None:
    # The identity of a document that may not have passed the structure check.
    if not isinstance(data, dict):
        return None
    kind, metadata = data.get("kind"), data.get("metadata")
    if kind not in KINDS or not isinstance(metadata, dict):
        return None
    name = metadata.get("name")
    tenant = name if kind == "Tenant" else metadata.get("tenant")
    if not isinstance(name, str) or not isinstance(tenant, str):
        return None
    return DocKey.of(str(kind), tenant, name)


def _object_at(commit: git.Commit, path: str) -> git.Tree | git.Blob | None:
    clean = PurePosixPath(path).as_posix().strip("/")
    if clean in ("", "."):
        return commit.tree
    try:
        found = commit.tree / clean
    except KeyError:
        return None
    return found if isinstance(found, git.Tree | git.Blob) else None


def _commit_files(commit: git.Commit, path: str) -> Iterator[FileSource]:
    found = _object_at(commit, path)
    if isinstance(found, git.Blob):
        if found.mode != _SYMLINK_MODE:
            yield _blob_source(found)
        return
    if found is None:
        return
    stack = [found]
    while stack:
        tree = stack.pop()
        for blob in sorted(tree.blobs, key=lambda b: b.name):
            if _spec_file(blob.name) and blob.mode != _SYMLINK_MODE:
                yield _blob_source(blob)
        stack.extend(
            sorted((t for t in tree.trees if _spec_dir(t.name)), key=lambda t: t.name, reverse=True)
        )


def _blob_source(blob: git.Blob) -> FileSource:
    def read() -> bytes:
        data: bytes = blob.data_stream.read()
        return data

    return str(blob.path), int(blob.size), blob.hexsha, read


def _disk_files(workdir: Path, path: str) -> Iterator[FileSource]:
    root = workdir / path
    if root.is_file() and not root.is_symlink():
        yield _disk_source(workdir, root)
        return
    for current, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if _spec_dir(d))
        for name in sorted(files):
            file = Path(current) / name
            if _spec_file(name) and not file.is_symlink():
                yield _disk_source(workdir, file)


def _disk_source(workdir: Path, file: Path) -> FileSource:
    display = file.relative_to(workdir).as_posix()
    return display, file.stat().st_size, None, file.read_bytes


def _spec_dir(name: str) -> bool:
    return not name.startswith(".") and name != FIXTURE_DIR


def _spec_file(name: str) -> bool:
    return not name.startswith(".") and name.endswith(SPEC_SUFFIXES)
