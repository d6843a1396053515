"""`koppel history` and `koppel diff` on a real spec repository with a known history: a mapping
rule changed, a reformat that changes nothing, a tenant added, a value-map entry removed, a broken
commit and its fix (see tests/fixtures/audit_repo.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.main import cli
from tests.fixtures.audit_repo import NEW_TENANT, STEPS, SpecHistory, clone_history

MAPPING = "Mapping bakkerij-jansen/pos-to-afas"
PAYMENT_METHODS = "ValueMap bakkerij-jansen/payment-methods"


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def history_json(spec_history: SpecHistory) -> dict[str, Any]:
    """`koppel history --format json` of the whole test repository, run once for the module."""
    result = _run("history", "--repo", str(spec_history.path), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _commit(data: dict[str, Any], sha: str) -> dict[str, Any]:
    (commit,) = [c for c in data["commits"] if c["commit"] == sha]
    return commit


def _paths(commit: dict[str, Any]) -> dict[str, list[str]]:
    return {
        f"{d['change']} {d['kind']} {d['tenant']}/{d['name']}": [f["path"] for f in d["fields"]]
        for d in commit["documents"]
    }


def test_history_lists_each_spec_commit_newest_first_with_author_and_message(
    spec_history: SpecHistory, history_json: dict[str, Any]
) -> None:
    """Every spec commit, newest first, with its author, e-mail and message; the commit that
    only touched the README is not listed."""
    commits = history_json["commits"]
    expected = [name for name, *_ in reversed(STEPS)] + ["initial"]
    assert [c["commit"] for c in commits] == [spec_history.sha(name) for name in expected]
    by_step = {name: (author, message) for name, author, message, _ in STEPS}
    for name, (author, message) in by_step.items():
        commit = _commit(history_json, spec_history.sha(name))
        assert (commit["author"], commit["email"], commit["message"]) == (
            author.name,
            author.email,
            message,
        )
    assert commits[-1]["time"] == "2026-03-01T10:00:00+01:00"


def test_history_names_the_changed_field_paths(
    spec_history: SpecHistory, history_json: dict[str, Any]
) -> None:
    """Each commit's summary names exactly the documents and field paths it changed, and the
    reformat/reorder/move commit changes nothing."""
    commit = _commit(history_json, spec_history.sha("mapping"))
    assert _paths(commit) == {
        "changed Mapping bakkerij-jansen/pos-to-afas": ["spec.fields.paymentMethod.from"]
    }
    assert _commit(history_json, spec_history.sha("reformat"))["documents"] == []
    assert _paths(_commit(history_json, spec_history.sha("tenant"))) == {
        f"added Tenant {NEW_TENANT}/{NEW_TENANT}": []
    }
    removed = _commit(history_json, spec_history.sha("value-map"))
    assert removed["documents"][0]["fields"] == [
        {"path": "spec.entries.creditcard", "change": "removed", "old": "04"}
    ]
    assert _commit(history_json, spec_history.sha("initial"))["counts"]["added"] == 66


def test_history_reports_the_broken_commit_and_its_fix(
    spec_history: SpecHistory, history_json: dict[str, Any]
) -> None:
    """The broken commit is invalid with one problem and still shows what it changed; the
    flows it could not read are not compared (not removed), and the fix changes nothing."""
    broken = _commit(history_json, spec_history.sha("broken"))
    assert (broken["valid"], broken["problems"]) == (False, 1)
    assert _paths(broken) == {
        "changed ValueMap bakkerij-jansen/revenue-by-country": ["spec.entries.NL"]
    }
    assert {u["name"] for u in broken["uncompared"]} == {
        "customers",
        "pos-orders",
        "products",
        "stock",
        "webshop-orders",
    }
    fixed = _commit(history_json, spec_history.sha("fix"))
    assert (fixed["valid"], fixed["documents"]) == (True, [])
    assert {u["unreadableAt"] for u in fixed["uncompared"]} == {"old"}


def test_history_text_is_one_block_per_commit(spec_history: SpecHistory) -> None:
    """The text form shows id, time, author, message, validity and the paths, per commit."""
    result = _run("history", str(spec_history.path / "specs"), "--limit", "6")
    assert result.exit_code == 0, result.output
    blocks = result.output.strip().split("\n\n")
    assert len(blocks) == 6
    broken = blocks[1].splitlines()
    assert broken[0].startswith(spec_history.sha("broken")[:12])
    assert broken[0].endswith("Bob Builder <bob@example.com>")
    assert broken[1] == "    WIP: revenue account NL 8001"
    assert broken[2] == "    invalid (1 problem) · 0 added, 0 removed, 1 changed (1 field)"
    assert "    ~ ValueMap bakkerij-jansen/revenue-by-country: spec.entries.NL" in broken
    assert broken[4].startswith(
        "    ? specs/bakkerij-jansen/flows.yaml unreadable in this commit: 5 documents not "
        "compared (Flow bakkerij-jansen/customers, "
    )
    reformat = blocks[4].splitlines()
    assert reformat[1:] == [
        "    Reformat tables, reorder keys, move the debtor",
        "    valid · no semantic change",
    ]
    assert f"    ~ {MAPPING}: spec.fields.paymentMethod.from" in blocks[5]


def test_history_markdown_and_a_remote_url(spec_history: SpecHistory, tmp_path: Path) -> None:
    """With --repo URL the repository is cloned into the cache; markdown lists the commits."""
    url = spec_history.path.as_uri()
    result = CliRunner(env={"KOPPEL_CACHE_DIR": str(tmp_path)}).invoke(
        cli, ["history", "--repo", url, "--format", "markdown", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "repos").is_dir()
    lines = result.output.splitlines()
    assert lines[0] == "### koppel: history of `specs`"
    assert lines[2].startswith(f"- `{spec_history.sha('fix')[:12]}`")
    assert lines[3].startswith("  - specs/bakkerij-jansen/flows.yaml unreadable in the parent")
    (broken,) = [line for line in lines if spec_history.sha("broken")[:12] in line]
    assert "**Bob Builder** — WIP: revenue account NL 8001 · invalid (1 problem)" in broken


def test_diff_text_between_two_revisions(spec_history: SpecHistory) -> None:
    """Across the whole history: the mapping rule, the removed entry, the changed revenue
    account and the added tenant — and nothing from the reformat commit."""
    result = _run(
        "diff",
        spec_history.sha("initial"),
        spec_history.sha("fix"),
        "--repo",
        str(spec_history.path),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"semantic diff of specs: {spec_history.sha('initial')[:12]} → "
        f"{spec_history.sha('fix')[:12]}",
        f"~ {MAPPING}  (specs/bakkerij-jansen/mappings.yaml)",
        '    spec.fields.paymentMethod.from: "paymentMethod" → "payment.method"',
        f"~ {PAYMENT_METHODS}  (specs/bakkerij-jansen/tables.yaml)",
        '    spec.entries.creditcard: "04" → (none)',
        "~ ValueMap bakkerij-jansen/revenue-by-country  (specs/bakkerij-jansen/tables.yaml)",
        '    spec.entries.NL: "8000" → "8001"',
        f"+ Tenant {NEW_TENANT}  (specs/{NEW_TENANT}/tenant.yaml)",
        "1 added, 0 removed, 3 changed (3 fields)",
    ]


def test_diff_json_and_markdown_agree(spec_history: SpecHistory) -> None:
    """JSON gives exactly the changed paths with old and new values; markdown puts the same in a
    table under a heading, with the counts, ready for a pull-request comment."""
    revs = (spec_history.sha("reformat"), spec_history.sha("value-map"))
    repo = ("--repo", str(spec_history.path))
    data = json.loads(_run("diff", *revs, *repo, "--format", "json").output)
    assert data["counts"] == {"added": 1, "removed": 0, "changed": 1, "fields": 1}
    assert [(d["change"], d["kind"], d["name"], d["fields"]) for d in data["documents"]] == [
        (
            "changed",
            "ValueMap",
            "payment-methods",
            [{"path": "spec.entries.creditcard", "change": "removed", "old": "04"}],
        ),
        ("added", "Tenant", NEW_TENANT, []),
    ]
    markdown = _run("diff", *revs, *repo, "--format", "markdown").output.splitlines()
    assert markdown[0] == "### koppel: semantic diff of `specs`"
    assert "**1 added, 0 removed, 1 changed (1 field)**" in markdown[2]
    assert "#### Changed: ValueMap `bakkerij-jansen/payment-methods`" in markdown
    assert '| `spec.entries.creditcard` | `"04"` | — |' in markdown
    assert f"#### Added: Tenant `{NEW_TENANT}`" in markdown


def test_diff_exit_code_like_git(spec_history: SpecHistory) -> None:
    """With --exit-code: 0 for the reformat commit (no semantic change), 1 for a real change."""
    repo = ("--repo", str(spec_history.path))
    same = _run("diff", "HEAD~6", "HEAD~5", *repo, "--exit-code")  # the reformat commit
    assert (same.exit_code, same.output.splitlines()[-1]) == (0, "no semantic change")
    changed = _run("diff", "HEAD~7", "HEAD~6", *repo, "--exit-code")  # the mapping rule
    assert changed.exit_code == 1, changed.output  # without the flag: 0, see the text test


def test_diff_into_a_broken_revision_warns_and_does_not_crash(spec_history: SpecHistory) -> None:
    """A diff to the broken commit shows what parsed, warns that the revision is invalid, and
    lists the unreadable documents as not compared."""
    result = _run("diff", "HEAD~3", "HEAD~2", "--repo", str(spec_history.path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert '    spec.entries.NL: "8000" → "8001"' in lines
    assert (
        "? Flow bakkerij-jansen/stock  (specs/bakkerij-jansen/flows.yaml): not compared, "
        f"unreadable at {spec_history.sha('broken')[:12]}"
    ) in lines
    assert (
        f"warning: {spec_history.sha('broken')[:12]} is invalid (1 problem); "
        "the diff covers what loaded"
    ) in lines


def test_diff_defaults_to_the_working_tree(
    spec_history: SpecHistory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`koppel diff HEAD` in a checkout compares with the files on disk, edits included."""
    clone_history(spec_history, tmp_path / "clone")
    mappings = tmp_path / "clone" / "specs" / "bakkerij-jansen" / "mappings.yaml"
    mappings.write_text(mappings.read_text().replace("Kassa {branch}", "Filiaal {branch}"))
    monkeypatch.chdir(tmp_path / "clone")
    result = _run("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        f"~ {MAPPING}  (specs/bakkerij-jansen/mappings.yaml)",
        '    spec.fields.remark.template: "Kassa {branch}, bon {number}" → '
        '"Filiaal {branch}, bon {number}"',
        "0 added, 0 removed, 1 changed (1 field)",
    ]
    assert result.output.startswith(
        f"semantic diff of specs: {spec_history.sha('readme')[:12]} → working tree"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("diff", "no-such-rev", "HEAD"),
        ("diff", "HEAD", "deadbeef"),
        ("history", "--branch", "no-such-branch"),
    ],
)
def test_unknown_revisions_exit_2_with_a_clear_message(
    spec_history: SpecHistory, args: tuple[str, ...]
) -> None:
    """An unknown revision or branch is a usage error (exit 2) that names it and what to do."""
    result = _run(*args, "--repo", str(spec_history.path))
    assert result.exit_code == 2, result.output
    name = args[1] if args[0] == "diff" and args[1] != "HEAD" else args[-1]
    assert f"error: unknown revision {name!r} in {spec_history.path}" in result.output
    assert "hint: name a commit, branch or tag" in result.output


def test_directory_and_repo_together_are_a_usage_error(spec_history: SpecHistory) -> None:
    """history takes a spec directory or --repo, not both."""
    result = _run("history", str(spec_history.path / "specs"), "--repo", str(spec_history.path))
    assert result.exit_code == 2
    assert "not both" in result.output


def _doc_examples() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    return re.findall(r"```text\n(.*?)```", text, flags=re.DOTALL)


def _normalised(output: str) -> str:
    return re.sub(r"\b[0-9a-f]{12}\b", "<sha>", output)


def test_the_examples_in_docs_audit_are_real_output(spec_history: SpecHistory) -> None:
    """The history and diff examples in docs/audit.md are what the commands print for the
    test repository (commit ids aside)."""
    history_example, diff_example = _doc_examples()
    repo = ("--repo", str(spec_history.path))
    history = _normalised(_run("history", *repo, "--limit", "4").output).strip().split("\n\n")
    for block in history_example.strip().split("\n\n"):
        assert block in history
    revs = (spec_history.sha("initial"), spec_history.sha("value-map"))
    assert _normalised(_run("diff", *revs, *repo).output) == diff_example
