"""What changed in the specs, when, and by whose commit: the commits of a branch that touch the
spec path, newest first, each with the semantic diff against its first parent (for a merge, what
the merge brought into the branch).

Effectful (GitPython). Specs are read from git blobs, and each revision's snapshot is cached by
the object id of its spec tree, so walking N commits loads about N revisions, not 2N.
"""

from __future__ import annotations

from collections.abc import Mapping

import git

from reconciler.audit.model import Comparison, HistoryEntry, Side
from reconciler.audit.revisions import (
    WORKTREE,
    LoadedRevision,
    ParseCache,
    load_commit,
    load_worktree,
    resolve,
    spec_tree_id,
)
from reconciler.audit.semantic import Snapshot, diff
from reconciler.capabilities import Capabilities


class _Revisions:
    """Loads commits' specs, once per distinct spec tree."""

    def __init__(self, path: str, capabilities: Mapping[str, Capabilities]) -> None:
        self.path = path
        self.capabilities = capabilities
        self._cache: dict[str | None, LoadedRevision] = {None: LoadedRevision(Snapshot())}
        self._parsed: ParseCache = {}

    def load(self, commit: git.Commit | None) -> LoadedRevision:
        # No commit (the parent of a root commit) and no spec tree both mean: no specs yet.
        if commit is None:
            return self._cache[None]
        tree = spec_tree_id(commit, self.path)
        if tree not in self._cache:
            self._cache[tree] = load_commit(
                commit, self.path, capabilities=self.capabilities, cache=self._parsed
            )
        return self._cache[tree]


def history(
    repo: git.Repo,
    *,
    branch: str,
    path: str,
    limit: int | None,
    capabilities: Mapping[str, Capabilities],
) -> list[HistoryEntry]:
    """The commits on ``branch`` that touch ``path``, newest first, at most ``limit``."""
    tip = resolve(repo, branch)
    clean = path.strip("/")
    paths = [] if clean in ("", ".") else [clean]
    commits = list(repo.iter_commits(tip, paths=paths, max_count=limit))
    revisions = _Revisions(clean, capabilities)
    entries = []
    for commit in commits:
        parent = commit.parents[0] if commit.parents else None
        new = revisions.load(commit).snapshot
        old = revisions.load(parent).snapshot
        message = commit.message if isinstance(commit.message, str) else commit.message.decode()
        entries.append(
            HistoryEntry(
                sha=commit.hexsha,
                author=str(commit.author.name or ""),
                email=str(commit.author.email or ""),
                time=commit.authored_datetime,
                message=message,
                problems=new.problems,
                diff=diff(old, new),
                parent=parent.hexsha if parent is not None else None,
            )
        )
    return entries


def compare(
    repo: git.Repo,
    old: str,
    new: str | None,
    *,
    path: str,
    capabilities: Mapping[str, Capabilities],
) -> Comparison:
    """The semantic diff of ``path`` from revision ``old`` to revision ``new``; without ``new``,
    to the working tree (to ``HEAD`` in a repository without one, such as a cloned remote)."""
    clean = path.strip("/")
    old_commit = resolve(repo, old)
    if new is None and repo.working_tree_dir is not None:
        new_loaded = load_worktree(repo, clean, capabilities=capabilities)
        new_side = Side(WORKTREE, None, new_loaded.snapshot.problems)
    else:
        label = new or "HEAD"
        new_commit = resolve(repo, label)  # both names resolve before any loading
        new_loaded = load_commit(new_commit, clean, capabilities=capabilities)
        new_side = Side(label, new_commit.hexsha, new_loaded.snapshot.problems)
    old_loaded = load_commit(old_commit, clean, capabilities=capabilities)
    return Comparison(
        old=Side(old, old_commit.hexsha, old_loaded.snapshot.problems),
        new=new_side,
        path=clean or ".",
        diff=diff(old_loaded.snapshot, new_loaded.snapshot),
    )
