"""Revisions: specs loaded from git blobs, revision names resolved, remotes cloned."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from connectors.registry import capabilities
from reconciler.audit.history import compare, history
from reconciler.audit.revisions import (
    FileSource,
    load_commit,
    load_files,
    load_worktree,
    open_repository,
    redact,
    resolve,
)
from reconciler.audit.semantic import diff, snapshot
from reconciler.errors import UsageError
from reconciler.spec.validate import validate_tree
from tests.fixtures.audit_repo import EXAMPLES, SpecHistory, clone_history


def test_specs_from_git_blobs_equal_the_specs_on_disk(spec_history: SpecHistory) -> None:
    """Loading the first commit from its blobs gives the same documents and data as validating
    the example directory on disk, with repository-relative file names."""
    repo = git.Repo(spec_history.path)
    loaded = load_commit(
        repo.commit(spec_history.sha("initial")), "specs", capabilities=capabilities()
    )
    on_disk = snapshot(validate_tree(EXAMPLES, capabilities=capabilities()).specs)
    assert loaded.snapshot.valid
    assert diff(on_disk, loaded.snapshot).empty
    assert set(loaded.snapshot.documents) == set(on_disk.documents)
    files = {entry.file for entry in loaded.snapshot.documents.values()}
    assert "specs/bakkerij-jansen/flows.yaml" in files
    assert not any("/tests/" in file for file in files)  # spec-test fixtures are not specs


def test_a_broken_revision_loads_what_parses_and_counts_its_problems(
    spec_history: SpecHistory,
) -> None:
    """The broken commit is a snapshot, not an exception: one problem, the unreadable file
    named, and every other document loaded."""
    repo = git.Repo(spec_history.path)
    loaded = load_commit(
        repo.commit(spec_history.sha("broken")), "specs", capabilities=capabilities()
    )
    assert loaded.snapshot.problems == 1
    assert loaded.snapshot.unreadable_files == {"specs/bakkerij-jansen/flows.yaml"}
    (problem,) = loaded.diagnostics
    assert problem.file == "specs/bakkerij-jansen/flows.yaml"
    assert len(loaded.snapshot.documents) == 67 - 5  # 66 examples + a tenant, minus 5 flows


def test_a_missing_spec_path_is_an_empty_revision(spec_history: SpecHistory) -> None:
    """A revision without the spec path has no documents and no problems (no specs yet)."""
    repo = git.Repo(spec_history.path)
    loaded = load_commit(repo.commit("HEAD"), "nowhere", capabilities=capabilities())
    assert loaded.snapshot.documents == {}
    assert loaded.snapshot.valid


def test_unknown_revisions_are_usage_errors(spec_history: SpecHistory) -> None:
    """A name that is no commit is a UsageError (exit 2) that quotes the name."""
    repo = git.Repo(spec_history.path)
    with pytest.raises(UsageError) as caught:
        resolve(repo, "no-such-branch")
    assert caught.value.exit_code == 2
    assert "'no-such-branch'" in caught.value.reason


def test_history_skips_commits_outside_the_spec_path(spec_history: SpecHistory) -> None:
    """The README commit is not listed; the newest spec commit comes first."""
    repo = git.Repo(spec_history.path)
    entries = history(repo, branch="HEAD", path="specs", limit=None, capabilities=capabilities())
    shas = [entry.sha for entry in entries]
    assert spec_history.sha("readme") not in shas
    assert shas[0] == spec_history.sha("fix")
    assert shas[-1] == spec_history.sha("initial")
    assert entries[-1].parent is None


def test_compare_defaults_to_the_working_tree(spec_history: SpecHistory, tmp_path: Path) -> None:
    """Without a second revision, an uncommitted edit on disk is what is compared."""
    repo = clone_history(spec_history, tmp_path / "clone")
    tables = tmp_path / "clone" / "specs" / "bakkerij-jansen" / "tables.yaml"
    tables.write_text(tables.read_text().replace("'8010'", "'8020'"))
    result = compare(repo, "HEAD", None, path="specs", capabilities=capabilities())
    assert result.new.sha is None
    assert result.new.label == "working tree"
    (document,) = result.diff.documents
    assert [(f.path, f.old, f.new) for f in document.fields] == [
        ("spec.entries.BE", "8010", "8020")
    ]
    on_disk = load_worktree(repo, "specs", capabilities=capabilities())
    assert on_disk.snapshot.valid


def test_a_remote_is_cloned_into_the_cache_and_fetched_again(
    spec_history: SpecHistory, tmp_path: Path
) -> None:
    """A URL opens a bare clone in the cache directory; opening it again fetches new commits
    instead of cloning."""
    origin = clone_history(spec_history, tmp_path / "origin")
    url = (tmp_path / "origin").as_uri()
    cache = tmp_path / "cache"
    first = open_repository(url, start=tmp_path, cache_dir=cache)
    assert first.bare
    assert first.commit("HEAD").hexsha == spec_history.sha("readme")
    (tmp_path / "origin" / "NOTES").write_text("later\n")
    origin.index.add(["NOTES"])
    newer = origin.index.commit("A later commit").hexsha
    again = open_repository(url, start=tmp_path, cache_dir=cache)
    assert again.git_dir == first.git_dir
    assert again.commit("main").hexsha == newer


def test_an_unreachable_remote_is_a_usage_error_without_credentials(tmp_path: Path) -> None:
    """A failed clone says which URL failed, with the password replaced."""
    url = (tmp_path / "missing").as_uri().replace("file://", "file://user:s3cret@")
    with pytest.raises(UsageError) as caught:
        open_repository(url, start=tmp_path, cache_dir=tmp_path / "cache")
    assert "s3cret" not in str(caught.value)
    assert redact("https://user:tok@host/r.git") == "https://***@host/r.git"


def test_a_directory_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    """Opening a path that is in no repository says so, with exit code 2."""
    with pytest.raises(UsageError) as caught:
        open_repository(str(tmp_path), start=tmp_path)
    assert "not in a git repository" in caught.value.reason


def _file(path: str, text: str) -> FileSource:
    raw = text.encode()
    return path, len(raw), None, lambda: raw


TENANT_DOC = (
    (EXAMPLES / "bakkerij-jansen" / "tenant.yaml")
    .read_text()
    .replace("name: bakkerij-jansen", "name: acme")
)
VALUE_MAP_DOC = """\
apiVersion: koppel/v1
kind: ValueMap
metadata: {name: pay, tenant: acme}
spec:
  entries: {pin: "01"}
  otherwise: fail
"""


def test_a_document_with_structure_errors_is_not_compared_rather_than_removed() -> None:
    """A value map that gains an unknown field fails validation; the diff does not call it
    removed, it reports it as not compared at the new side."""
    caps = capabilities()
    before = load_files(
        iter([_file("specs/t.yaml", TENANT_DOC), _file("specs/v.yaml", VALUE_MAP_DOC)]),
        capabilities=caps,
    )
    broken_map = VALUE_MAP_DOC.replace("otherwise: fail", "otherwise: fail\n  typo: 1")
    after = load_files(
        iter([_file("specs/t.yaml", TENANT_DOC), _file("specs/v.yaml", broken_map)]),
        capabilities=caps,
    )
    assert before.snapshot.valid, before.diagnostics
    assert after.snapshot.problems >= 1
    result = diff(before.snapshot, after.snapshot)
    assert result.empty
    assert [(u.key.label, u.side) for u in result.uncompared] == [("ValueMap acme/pay", "new")]


def test_a_file_over_the_size_limit_is_a_problem_not_a_read(tmp_path: Path) -> None:
    """A spec file above the loader's limit is refused unread and counted as a problem."""

    def never() -> bytes:
        raise AssertionError("an oversized file must not be read")

    loaded = load_files(iter([("specs/big.yaml", 10**9, None, never)]), capabilities=capabilities())
    assert loaded.snapshot.problems == 1
    assert loaded.snapshot.unreadable_files == {"specs/big.yaml"}
