"""The loader: every way a file or its YAML can be bad is a diagnostic at the right place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.spec.diagnostics import Code
from reconciler.spec.loader import MAX_DEPTH, MAX_NODES, load_tree, parse_documents
from tests.fixtures.spec_repo import TENANT, SpecRepo, codes, only


def _parse(text: str | bytes) -> list[tuple[Code, int, int]]:
    raw = text.encode() if isinstance(text, str) else text
    _, diagnostics = parse_documents(raw, file=Path("x.yaml"), display="x.yaml")
    return [(d.code, d.line, d.column) for d in diagnostics]


# -- files --------------------------------------------------------------------------------------
def test_file_over_the_size_limit_is_reported_and_not_parsed(spec_repo: SpecRepo) -> None:
    """A file larger than ``max_file_bytes`` is one file-too-large diagnostic at line 1 naming
    the size and the limit; its content is not parsed (the broken YAML in it is not reported)."""
    spec_repo.write("big.yaml", "a: [\n" + "# padding\n" * 200)
    size = (spec_repo.root / "big.yaml").stat().st_size
    result = spec_repo.validate(max_file_bytes=size - 1)
    diag = only(result, Code.file_too_large)
    assert (diag.file, diag.line, diag.column) == ("big.yaml", 1, 1)
    assert str(size) in diag.message
    assert str(size - 1) in diag.message
    assert Code.yaml_syntax not in codes(result)
    assert spec_repo.validate(max_file_bytes=size).diagnostics[0].code is Code.yaml_syntax


def test_non_utf8_bytes_are_reported_at_the_byte(spec_repo: SpecRepo) -> None:
    """A byte that is not UTF-8 is a file-encoding diagnostic at its line and column, naming
    the byte."""
    spec_repo.write("latin1.yaml", b"apiVersion: koppel/v1\nkind: Caf\xe9\n")
    diag = only(spec_repo.validate(), Code.file_encoding)
    assert (diag.file, diag.line, diag.column) == ("latin1.yaml", 2, 10)
    assert "0xe9" in diag.message


def test_utf8_bom_is_accepted(spec_repo: SpecRepo) -> None:
    """A UTF-8 byte-order mark (as some Windows editors write) is not an encoding problem."""
    spec_repo.write("tenant.yaml", "\ufeff".encode() + TENANT.encode())
    assert spec_repo.validate().diagnostics == []


def test_symlinked_file_leaving_the_root_is_refused(spec_repo: SpecRepo, tmp_path: Path) -> None:
    """A spec file that is a symlink to a file outside the spec root is reported and its content
    is never loaded (a valid Tenant outside does not appear)."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(TENANT.replace("name: shop", "name: evil"), encoding="utf-8")
    (spec_repo.root / "escape.yaml").symlink_to(outside)
    result = spec_repo.validate()
    diag = only(result, Code.file_symlink_escape)
    assert (diag.file, diag.line, diag.column) == ("escape.yaml", 1, 1)
    assert "evil" not in result.specs.tenants
    assert "shop" in result.specs.tenants


def test_symlinked_directory_leaving_the_root_is_refused(
    spec_repo: SpecRepo, tmp_path: Path
) -> None:
    """A directory that is a symlink to a place outside the root is reported, and nothing
    below it is loaded."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "tenant.yaml").write_text(TENANT.replace("name: shop", "name: evil"), "utf-8")
    (spec_repo.root / "linked").symlink_to(outside, target_is_directory=True)
    result = spec_repo.validate()
    diag = only(result, Code.file_symlink_escape)
    assert (diag.file, diag.line) == ("linked", 1)
    assert "evil" not in result.specs.tenants


def test_symlink_inside_the_root_is_followed(spec_repo: SpecRepo) -> None:
    """A symlink that stays inside the root is an ordinary spec file."""
    spec_repo.remove("tenant.yaml")
    (spec_repo.root / "shared").mkdir()
    (spec_repo.root / "shared" / "tenant.txt").write_text(TENANT, encoding="utf-8")
    (spec_repo.root / "tenant.yaml").symlink_to(spec_repo.root / "shared" / "tenant.txt")
    result = spec_repo.validate()
    assert result.diagnostics == []
    assert "shop" in result.specs.tenants


def test_unreadable_file_is_reported(spec_repo: SpecRepo) -> None:
    """A spec file that cannot be read (here: a dangling symlink inside the root) is a
    file-unreadable diagnostic with the operating system's reason, not a traceback."""
    (spec_repo.root / "dangling.yaml").symlink_to(spec_repo.root / "missing.yaml")
    diag = only(spec_repo.validate(), Code.file_unreadable)
    assert (diag.file, diag.line, diag.column) == ("dangling.yaml", 1, 1)
    assert os.strerror(2) in diag.message  # "No such file or directory"


def test_empty_directory_has_no_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree with no spec files at all is reported (a typo in the path must not pass CI)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("not a spec", encoding="utf-8")
    from connectors.registry import capabilities
    from reconciler.spec.validate import validate_tree

    result = validate_tree(tmp_path, capabilities=capabilities())
    assert [d.code for d in result.diagnostics] == [Code.no_specs]
    assert not result.valid


def test_fixture_directories_and_hidden_files_are_not_specs(spec_repo: SpecRepo) -> None:
    """Files under ``tests/`` (spec-test fixtures) and hidden files are skipped, whatever they
    contain; ``.yml`` files are specs like ``.yaml`` files."""
    spec_repo.write("tests/pos-to-afas/input.yaml", "a: [broken\n")
    spec_repo.write(".hidden.yaml", "a: [broken\n")
    spec_repo.write(".git/config.yaml", "a: [broken\n")
    assert spec_repo.validate().diagnostics == []
    spec_repo.write("extra.yml", "a: [broken\n")
    assert codes(spec_repo.validate()) == [Code.yaml_syntax]


def test_single_file_can_be_loaded(spec_repo: SpecRepo) -> None:
    """``load_tree`` accepts one file as well as a directory."""
    result = load_tree(spec_repo.root / "tables.yaml")
    assert result.files == 1
    assert len(result.documents) == 5
    assert result.diagnostics == []


# -- YAML ---------------------------------------------------------------------------------------
def test_syntax_error_points_at_the_problem(spec_repo: SpecRepo) -> None:
    """A YAML syntax error is reported at the line and column the parser stopped at, with the
    parser's explanation."""
    spec_repo.replace("tenant.yaml", "countries: [NL, BE]", "countries: [NL, BE")
    diag = only(spec_repo.validate(), Code.yaml_syntax)
    assert diag.file == "tenant.yaml"
    assert diag.line == spec_repo.line("tenant.yaml", "countries") + 1  # the stream end
    assert "flow sequence" in diag.message


def test_syntax_error_in_a_later_document_counts_file_lines(spec_repo: SpecRepo) -> None:
    """Lines are lines of the file, not of the document: a bad fourth document is reported at
    its line in the file, and the documents before it are still validated."""
    spec_repo.replace("flows.yaml", "  source: pos\n", "  source: [pos\n")
    result = spec_repo.validate()
    diag = only(result, Code.yaml_syntax)
    assert diag.file == "flows.yaml"
    assert diag.line > spec_repo.line("flows.yaml", "name: orders")
    assert "customers" in {f.name for f in result.specs.flows()}


def test_duplicate_key_is_reported_at_the_second_occurrence(spec_repo: SpecRepo) -> None:
    """A key that appears twice in one mapping is a yaml-duplicate-key at the second one,
    naming the key."""
    spec_repo.replace("tenant.yaml", "  name: shop\n", "  name: shop\n  name: shop2\n")
    diag = only(spec_repo.validate(), Code.yaml_duplicate_key)
    assert (diag.file, diag.line, diag.column) == ("tenant.yaml", 5, 3)
    assert '"name"' in diag.message


def test_duplicate_key_never_echoes_the_values(spec_repo: SpecRepo) -> None:
    """The duplicate-key message names the key only: values may be secrets (regression: the
    parser's message quoted both values)."""
    spec_repo.replace(
        "tenant.yaml",
        "      token: {env: AFAS_TOKEN}\n",
        "      token: {env: AFAS_TOKEN}\n      token: hunter2-secret\n",
    )
    diag = only(spec_repo.validate(), Code.yaml_duplicate_key)
    assert '"token"' in diag.message
    assert "hunter2" not in diag.message
    assert "AFAS_TOKEN" not in diag.message


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_stopped(spec_repo: SpecRepo) -> None:
    """Anchors and aliases that expand exponentially (billion laughs) are stopped at the node
    bound and reported as yaml-alias-bomb, quickly and without expanding them."""
    spec_repo.write("bomb.yaml", BILLION_LAUGHS)
    diag = only(spec_repo.validate(), Code.yaml_alias_bomb)
    assert diag.file == "bomb.yaml"
    assert str(MAX_NODES) in diag.message


def test_a_few_aliases_are_fine() -> None:
    """Anchors and aliases used normally (well below the bound) are plain YAML."""
    docs, diagnostics = parse_documents(
        b"base: &b {interval: 5m}\nother: *b\n", file=Path("x.yaml"), display="x.yaml"
    )
    assert diagnostics == []
    assert docs[0].data == {"base": {"interval": "5m"}, "other": {"interval": "5m"}}


def test_reused_anchor_is_plain_yaml_without_warnings() -> None:
    """A reused anchor name is valid YAML (the later one wins) and loads without a warning:
    ruamel's ReusedAnchorWarning would print the file's text on stderr, or raise under
    ``-W error`` (pytest here turns warnings into errors, so a warning fails this test)."""
    docs, diagnostics = parse_documents(
        b"a: &x 1\nb: &x 2\nc: *x\n", file=Path("x.yaml"), display="x.yaml"
    )
    assert diagnostics == []
    assert docs[0].data == {"a": 1, "b": 2, "c": 2}


def test_yaml_11_float_without_dot_loads_without_warnings() -> None:
    """A YAML 1.1 document with ``1e3`` loads without ruamel's MantissaNoDotYAML1_1Warning
    (which would print the file's text, or fail under warnings-as-errors)."""
    docs, diagnostics = parse_documents(
        b"%YAML 1.1\n---\na: 1e3\n", file=Path("x.yaml"), display="x.yaml"
    )
    assert diagnostics == []
    assert docs[0].data == {"a": 1000.0}


def test_unknown_yaml_version_is_a_diagnostic() -> None:
    """A ``%YAML 1.3`` directive is a yaml-syntax diagnostic naming the version (regression:
    ruamel's AssertionError escaped the loader)."""
    assert _parse("%YAML 1.3\n---\na: 1\n") == [(Code.yaml_syntax, 1, 1)]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 5000, 200_000])
def test_too_deep_flow_nesting_is_reported_at_the_first_bracket_too_many(depth: int) -> None:
    """Flow nesting beyond ``MAX_DEPTH`` is yaml-too-deep at the bracket that goes one level
    too deep — also far beyond the parser's own stack (regression: a few thousand ``[`` were a
    vague yaml-syntax "RecursionError" after seconds of quadratic scanning; now the scanner
    stops at the bound, so this parametrisation finishes in milliseconds)."""
    found = _parse("a: " + "[" * depth + "]" * depth + "\n")
    assert found == [(Code.yaml_too_deep, 1, 4 + MAX_DEPTH)]


@pytest.mark.parametrize("item", ["k:", "-"])
def test_too_deep_block_nesting_is_reported(item: str) -> None:
    """Block nesting (indentation) beyond ``MAX_DEPTH`` is yaml-too-deep at the line that goes
    one level too deep, for mappings and sequences alike."""
    text = "".join("  " * level + item + "\n" for level in range(3000))
    found = _parse(text)
    assert [(code, line) for code, line, _ in found] == [(Code.yaml_too_deep, MAX_DEPTH + 1)]


def test_nesting_at_the_bound_is_fine() -> None:
    """Nesting up to the bound is accepted (the bound is not off by more than one)."""
    assert _parse("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n") == []


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: !foo bar\n", 1, 4),
        ("a: 1\nb: !!python/object:os.system {}\n", 2, 4),
        ("a: !!python/object/apply:os.system [echo hi]\n", 1, 4),
        ("a: !!python/name:os.system\n", 1, 4),
        ("%TAG ! tag:evil.example,2000:\n---\na: !x 1\n", 3, 4),
        ("a: !!binary aGVsbG8=\n", 1, 4),
        ("a: !!set {x}\n", 1, 4),
        ("{!foo x: 1}\n", 1, 2),
    ],
    ids=[
        "local",
        "python-object",
        "python-apply",
        "python-name",
        "tag-directive",
        "binary",
        "set",
        "tagged-key",
    ],
)
def test_custom_tags_are_refused(text: str, line: int, column: int) -> None:
    """Tags other than the standard plain-data ones are yaml-tag at the tagged node (regression:
    %TAG-namespaced tags, tagged keys and !!set used to pass silently)."""
    assert _parse(text) == [(Code.yaml_tag, line, column)]


def test_standard_tags_are_plain_data() -> None:
    """Explicit standard tags (``!!str``, ``!!int``, ``!!map``) are plain data."""
    docs, diagnostics = parse_documents(
        b"a: !!str 5\nb: !!int 7\nc: !!map {d: e}\n", file=Path("x.yaml"), display="x.yaml"
    )
    assert diagnostics == []
    assert docs[0].data == {"a": "5", "b": 7, "c": {"d": "e"}}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("? [a, b]\n: 1\n", 1, 3), ("x: 1\n{a: 1}: 2\n", 2, 1), ("{[a]: 1}\n", 1, 2)],
    ids=["sequence-key", "mapping-key", "flow-sequence-key"],
)
def test_complex_keys_are_refused(text: str, line: int, column: int) -> None:
    """A list or mapping used as a key is yaml-key at the key (regression: they became the
    key's Python repr, such as "('a', 'b')")."""
    found = _parse(text)
    assert [code for code, *_ in found] == [Code.yaml_key]
    assert found[0][1:] == (line, column)


def test_control_characters_are_reported_where_they_are() -> None:
    """A control character YAML forbids is a yaml-syntax diagnostic at its position, naming
    the character (not "cannot parse: ReaderError" at 1:1)."""
    _, diagnostics = parse_documents(b"a: 1\nb: x\x07\n", file=Path("x.yaml"), display="x.yaml")
    assert [(d.code, d.line, d.column) for d in diagnostics] == [(Code.yaml_syntax, 2, 5)]
    assert "U+0007" in diagnostics[0].message


def test_scalars_become_plain_json_data() -> None:
    """Dates stay the ISO text the author wrote, keys become text, numbers stay numbers."""
    docs, diagnostics = parse_documents(
        b"since: 2024-01-31\n1300: x\ntrue: y\n~: z\nrate: 9.5\n",
        file=Path("x.yaml"),
        display="x.yaml",
    )
    assert diagnostics == []
    assert docs[0].data == {
        "since": "2024-01-31",
        "1300": "x",
        "true": "y",
        "null": "z",
        "rate": 9.5,
    }


def test_positions_of_keys_and_values_are_kept() -> None:
    """Every key and value remembers its 1-based line and column; an unknown path falls back
    to its nearest ancestor."""
    docs, _ = parse_documents(
        b"spec:\n  rows:\n    - {code: A1}\n", file=Path("x.yaml"), display="x.yaml"
    )
    doc = docs[0]
    assert doc.where(("spec", "rows"), key=True) == ("x.yaml", 2, 3)
    assert doc.where(("spec", "rows", 0, "code")) == ("x.yaml", 3, 14)
    assert doc.where(("spec", "rows", 0, "code", "missing")) == ("x.yaml", 3, 14)
    assert doc.where(("nothing",)) == ("x.yaml", 1, 1)
