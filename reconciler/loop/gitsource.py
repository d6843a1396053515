"""The spec repository as the reconciler sees it: fetched with GitPython, one revision at a time.

The repository (a URL or a local path) is mirrored into a work directory; each new revision of
the branch is materialised — the spec sub-path only, straight from git's objects, symlinks kept
as symlinks so validation can refuse the ones that leave the spec root — into a directory of its
own, which is then validated before anything uses it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from reconciler.errors import SpecError

_SYMLINK_MODE = 0o120000
KEEP_REVISIONS = 3


@dataclass(frozen=True)
class Revision:
    """A materialised revision: the commit and the directory holding its specs."""

    sha: str
    specs: Path
    author: str
    message: str

    @property
    def short(self) -> str:
        return self.sha[:12]


class GitSource:
    """Fetches a branch of a spec repository and materialises its revisions."""

    def __init__(
        self, repo: str, *, workdir: Path, branch: str = "main", path: str = "specs"
    ) -> None:
        self.url = repo
        self.branch = branch
        self.path = path.strip("/") or "."
        self.workdir = Path(workdir)
        self._mirror: git.Repo | None = None

    def fetch(self) -> str:
        """Fetch the branch (cloning the first time); the commit it points to now."""
        repo = self._repo()
        try:
            repo.remotes.origin.fetch(f"+refs/heads/{self.branch}:refs/heads/{self.branch}")
            return repo.commit(self.branch).hexsha
        except (GitCommandError, ValueError, git.BadName) as exc:
            raise SpecError(
                f"cannot fetch branch {self.branch!r} of the spec repository {self._shown()}",
                hint="check the repository URL, the branch name and the reconciler's access",
            ) from exc

    def materialise(self, sha: str) -> Revision:
        """Write the spec sub-path of ``sha`` into its own directory (reused when present)."""
        repo = self._repo()
        commit = repo.commit(sha)
        target = self.workdir / "revisions" / sha
        if not target.exists():
            staging = target.with_name(sha + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            tree = commit.tree if self.path == "." else _subtree(commit.tree, self.path)
            if tree is not None:
                _write_tree(tree, staging)
            staging.rename(target)
            self._prune(keep=sha)
        author = f"{commit.author.name} <{commit.author.email}>"
        message = str(commit.message).strip().splitlines()[0] if commit.message else ""
        return Revision(sha, target, author, message)

    def changed(self, old: str, new: str) -> list[str]:
        """Paths under the spec path that differ between two commits."""
        repo = self._repo()
        diff = repo.commit(old).diff(
            repo.commit(new), paths=None if self.path == "." else [self.path]
        )
        return sorted({d.b_path or d.a_path or "" for d in diff} - {""})

    def _repo(self) -> git.Repo:
        if self._mirror is not None:
            return self._mirror
        mirror = self.workdir / "mirror.git"
        try:
            self._mirror = git.Repo(mirror)
        except (InvalidGitRepositoryError, NoSuchPathError):
            shutil.rmtree(mirror, ignore_errors=True)
            mirror.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._mirror = git.Repo.clone_from(
                    self.url, mirror, bare=True, branch=self.branch, single_branch=True
                )
            except GitCommandError as exc:
                raise SpecError(
                    f"cannot clone the spec repository {self._shown()}",
                    hint="check the URL (or path), the branch and the credentials of the "
                    "reconciler's git access",
                ) from exc
        return self._mirror

    def _shown(self) -> str:
        # A URL may carry a token (https://token@host/...): never show it.
        if "@" in self.url and "://" in self.url:
            scheme, rest = self.url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return self.url

    def _prune(self, *, keep: str) -> None:
        revisions = self.workdir / "revisions"
        old = sorted(
            (p for p in revisions.iterdir() if p.name != keep), key=lambda p: p.stat().st_mtime
        )
        for path in old[: max(0, len(old) - (KEEP_REVISIONS - 1))]:
            shutil.rmtree(path, ignore_errors=True)


def _subtree(tree: git.Tree, path: str) -> git.Tree | None:
    try:
        found = tree / path
    except KeyError:
        return None
    return found if isinstance(found, git.Tree) else None


def _write_tree(tree: git.Tree, into: Path) -> None:
    for item in tree.traverse():
        if not isinstance(item, git.Blob | git.Tree):
            continue  # submodules are not specs
        relative = Path(item.path).relative_to(tree.path) if tree.path else Path(item.path)
        destination = into / relative
        if isinstance(item, git.Tree):
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = item.data_stream.read()
        if item.mode == _SYMLINK_MODE:
            os.symlink(data.decode("utf-8", "replace"), destination)
        else:
            destination.write_bytes(data)
