"""The whole validation: every problem at once, in a stable order, and every diagnostic code
both tested and documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from reconciler.spec.diagnostics import Code, render
from tests.fixtures.spec_repo import BASELINE, SpecRepo, codes

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent


def _break_everything(repo: SpecRepo) -> None:
    repo.replace("tables.yaml", "otherwise: fail", "otherwize: fail")  # structure, a ValueMap
    repo.replace("flows.yaml", "interval: 5m", "interval: 10s")  # meaning, flow
    repo.replace("mappings.yaml", "{from: name}", '{from: "name[?"}')  # meaning, mapping
    repo.write("broken/syntax.yaml", "a: [1\n")  # YAML
    repo.write("broken/latin1.yaml", b"kind: Caf\xe9\n")  # file
    repo.write("broken/tag.yaml", "a: !!python/object:os.system {}\n")  # YAML, another file


def test_all_problems_are_reported_at_once(spec_repo: SpecRepo) -> None:
    """Problems in several files and layers (file, YAML, structure, meaning) are all reported
    in one run: one broken file hides nothing in the others. (A document with structural
    problems is itself left out of the meaning checks — here the ValueMap the flow uses.)"""
    _break_everything(spec_repo)
    result = spec_repo.validate()
    assert sorted(codes(result)) == sorted(
        [
            Code.schema_unknown_field,
            Code.interval,
            Code.mapping_expression,
            Code.yaml_syntax,
            Code.file_encoding,
            Code.yaml_tag,
        ]
    )
    assert {d.file for d in result.diagnostics} == {
        "tables.yaml",
        "flows.yaml",
        "mappings.yaml",
        "broken/syntax.yaml",
        "broken/latin1.yaml",
        "broken/tag.yaml",
    }
    assert not result.valid


def test_diagnostics_are_sorted_and_unique(spec_repo: SpecRepo) -> None:
    """Diagnostics come sorted by file, line, column and code, with no duplicates."""
    _break_everything(spec_repo)
    diagnostics = spec_repo.validate().diagnostics
    assert diagnostics == sorted(set(diagnostics))
    keys = [(d.file, d.line, d.column) for d in diagnostics]
    assert keys == sorted(keys)


def test_diagnostics_do_not_depend_on_creation_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same broken repository gives byte-identical output however its files were created
    (directory listing order), and on every run."""
    outputs = []
    for name, order in (("a", list(BASELINE)), ("b", list(reversed(BASELINE)))):
        root = tmp_path / name
        root.mkdir()
        monkeypatch.chdir(root)
        repo = SpecRepo.__new__(SpecRepo)
        repo.root, repo.texts = root, {}
        for file in order:
            repo.write(file, BASELINE[file])
        _break_everything(repo)
        for fmt in ("text", "json", "github"):
            outputs.append((name, fmt, render(repo.validate().diagnostics, fmt)))
            again = render(repo.validate().diagnostics, fmt)
            assert again == outputs[-1][2]
    by_format: dict[str, set[str]] = {}
    for _, fmt, text in outputs:
        by_format.setdefault(fmt, set()).add(text)
    assert all(len(texts) == 1 for texts in by_format.values())


def _codes_asserted_by_tests() -> set[str]:
    found: set[str] = set()
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Code"
            ):
                found.add(node.attr)
    return found


def test_every_code_has_a_test() -> None:
    """Every member of ``Code`` is named by at least one test in this package (so a new rule
    cannot land without a failing spec that proves it)."""
    missing = sorted(set(Code.__members__) - _codes_asserted_by_tests())
    assert missing == []


def test_every_code_is_documented() -> None:
    """``docs/diagnostics.md`` exists and documents every ``Code`` (as a `code` table row)."""
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, flags=re.MULTILINE))
    assert sorted(code.value for code in Code if code.value not in documented) == []
    assert sorted(documented - {code.value for code in Code}) == []
