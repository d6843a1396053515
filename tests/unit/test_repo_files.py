"""The files that wire koppel into CI, spec repositories and editors say what the README says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
        if "tests" in path.relative_to(ROOT / "specs").parts:
            continue  # spec-test fixtures are records, not spec documents
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, path
        assert (path.parent / match.group(1)).resolve().is_file(), path


def _spec_repo_steps() -> list[dict[str, Any]]:
    workflow = _yaml(ROOT / ".github" / "workflows" / "spec-repo.yml")
    assert isinstance(workflow, dict)
    steps: list[dict[str, Any]] = workflow["jobs"]["validate"]["steps"]
    return steps


def test_spec_repo_workflow_diffs_base_and_head_of_a_pull_request() -> None:
    """After validation, the workflow runs `koppel diff` between the pull request's base (its
    merge base) and head in markdown, on pull requests only, with the history it needs."""
    workflow = _yaml(ROOT / ".github" / "workflows" / "spec-repo.yml")
    assert isinstance(workflow, dict)
    steps = _spec_repo_steps()
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0
    runs = [step.get("run", "") for step in steps]
    validate = next(i for i, run in enumerate(runs) if "koppel validate" in run)
    diff = next(i for i, run in enumerate(runs) if "koppel diff" in run)
    assert validate < diff
    step = steps[diff]
    assert "pull_request" in step["if"]
    assert "always()" in step["if"]  # an invalid head still gets its diff
    assert '"$HEAD_SHA" --path specs --format markdown' in step["run"]
    assert "git merge-base" in step["run"]
    assert step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert step["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"


def test_spec_repo_workflow_plans_only_where_sandboxes_are_configured() -> None:
    """The plan step calls `koppel plan specs --endpoint … --format text`, runs only when the
    KOPPEL_PLAN_ENDPOINTS variable is set, and cannot fail the job."""
    (step,) = [s for s in _spec_repo_steps() if "koppel plan specs" in s.get("run", "")]
    assert "vars.KOPPEL_PLAN_ENDPOINTS != ''" in step["if"]
    assert step["continue-on-error"] is True
    assert "--endpoint" in step["run"]
    assert "--format text" in step["run"]
    assert "KOPPEL_PLAN_ENDPOINTS" in step["env"]


def test_spec_repo_workflow_keeps_one_pull_request_comment() -> None:
    """One comment, found by its marker and updated on each push, holds the validation result,
    the diff and the plan; the workflow may write pull-request comments."""
    workflow = _yaml(ROOT / ".github" / "workflows" / "spec-repo.yml")
    assert isinstance(workflow, dict)
    assert workflow["permissions"]["pull-requests"] == "write"
    (step,) = [
        s for s in _spec_repo_steps() if s.get("uses", "").startswith("actions/github-script@")
    ]
    assert "pull_request" in step["if"]
    script = step["with"]["script"]
    for needed in ("<!-- koppel:spec-review -->", "updateComment", "createComment"):
        assert needed in script
    for section in ("validate.txt", "diff.md", "plan.txt"):
        assert section in script
    runs = "\n".join(s.get("run", "") for s in _spec_repo_steps())
    for produced in ("validate.txt", "diff.md", "plan.txt"):
        assert produced in runs


def test_workflows_are_valid_github_workflows() -> None:
    """Both workflows validate against the GitHub workflow schema that check-jsonschema vendors
    (offline), so a step added in YAML cannot silently be dropped by GitHub."""
    import json
    from importlib.resources import files

    import jsonschema

    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    schema = json.loads(schema_file.read_text())
    for name in ("ci.yml", "spec-repo.yml"):
        workflow = _yaml(ROOT / ".github" / "workflows" / name)
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(workflow))
        assert errors == [], (name, [e.message for e in errors])
