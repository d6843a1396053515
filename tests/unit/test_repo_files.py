"""The files that wire koppel into CI, spec repositories and editors say what the README says."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


def _yaml(path: Path) -> object:
    return YAML(typ="safe").load(path.read_text())


def test_ci_runs_the_readme_test_command_and_the_static_checks() -> None:
    """.ci/run runs `make test` (the README's test command), ruff, mypy, schemas --check."""
    script = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert "make demo" in readme
    for step in (
        "make --no-print-directory test",
        "ruff check",
        "ruff format --check",
        "mypy reconciler connectors",
        "koppel schemas --check",
        "lint-imports",
    ):
        assert step in script, step


def test_project_workflow_runs_ci_script() -> None:
    """The GitHub workflow of the project runs the same script as CI."""
    workflow = _yaml(ROOT / ".github" / "workflows" / "ci.yml")
    assert isinstance(workflow, dict)
    steps = workflow["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)


def test_spec_repo_workflow_annotates_pull_requests() -> None:
    """The example spec-repo workflow validates on pull requests with GitHub annotations."""
    workflow = _yaml(ROOT / ".github" / "workflows" / "spec-repo.yml")
    assert isinstance(workflow, dict)
    assert "pull_request" in workflow["on"]
    runs = [step.get("run", "") for step in workflow["jobs"]["validate"]["steps"]]
    assert any("koppel validate" in run and "--format github" in run for run in runs)


def test_pre_commit_hook_runs_validate() -> None:
    """A spec repo can use `koppel validate` as a pre-commit hook."""
    hooks = _yaml(ROOT / ".pre-commit-hooks.yaml")
    assert isinstance(hooks, list)
    (hook,) = hooks
    assert hook["id"] == "koppel-validate"
    assert hook["entry"] == "koppel validate"
    assert re.search(hook["files"], "specs/flows.yaml")


def test_example_specs_name_their_schema_for_editors() -> None:
    """Every example spec file names a schema that exists, for yaml-language-server."""
    for path in sorted((ROOT / "specs").rglob("*.yaml")):
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, path
        assert (path.parent / match.group(1)).resolve().is_file(), path
