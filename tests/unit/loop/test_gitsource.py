"""The git source: clone, fetch new commits, materialise the spec path of a revision."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest

from reconciler.errors import SpecError
from reconciler.loop.gitsource import GitSource

ROOT = Path(__file__).resolve().parents[3]


def _repo(path: Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    return repo


def _commit(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    return repo.index.commit(message).hexsha


def test_fetches_new_commits_and_materialises_only_the_spec_path(tmp_path: Path) -> None:
    """A new commit is seen on fetch; its spec sub-path is written out, other files are not."""
    origin = _repo(tmp_path / "origin")
    shutil.copytree(ROOT / "specs", tmp_path / "origin" / "specs")
    (tmp_path / "origin" / "README.md").write_text("spec repo\n")
    first = _commit(origin, "Add the example specs")
    source = GitSource(str(tmp_path / "origin"), workdir=tmp_path / "work")
    assert source.fetch() == first
    revision = source.materialise(first)
    assert revision.author == "Ine Tegrator <ine@example.test>"
    assert revision.message == "Add the example specs"
    assert (revision.specs / "bakkerij-jansen" / "flows.yaml").is_file()
    assert not (revision.specs / "README.md").exists()
    flows = tmp_path / "origin" / "specs" / "bakkerij-jansen" / "flows.yaml"
    flows.write_text(flows.read_text().replace("interval: 15m", "interval: 20m"))
    second = _commit(origin, "Slower product sync")
    assert source.fetch() == second
    assert source.changed(first, second) == ["specs/bakkerij-jansen/flows.yaml"]
    assert (
        "interval: 20m"
        in (source.materialise(second).specs / "bakkerij-jansen" / "flows.yaml").read_text()
    )


def test_symlinks_stay_symlinks_so_validation_can_refuse_them(tmp_path: Path) -> None:
    """A committed symlink pointing out of the spec root is materialised as a symlink."""
    origin = _repo(tmp_path / "origin")
    (tmp_path / "origin" / "specs").mkdir()
    (tmp_path / "origin" / "specs" / "evil.yaml").symlink_to("/etc/passwd")
    sha = _commit(origin, "sneaky")
    source = GitSource(str(tmp_path / "origin"), workdir=tmp_path / "work")
    source.fetch()
    link = source.materialise(sha).specs / "evil.yaml"
    assert link.is_symlink()


def test_unreachable_repository_is_a_clear_error(tmp_path: Path) -> None:
    """A repository that cannot be cloned gives a SpecError that names it; a token in a URL is
    never shown."""
    absent = GitSource(str(tmp_path / "absent"), workdir=tmp_path / "w")
    with pytest.raises(SpecError, match="cannot clone the spec repository"):
        absent.fetch()
    remote = GitSource("https://token123@git.example.test/specs.git", workdir=tmp_path / "x")
    assert remote._shown() == "https://***@git.example.test/specs.git"
