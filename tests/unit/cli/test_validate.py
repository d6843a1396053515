"""``koppel validate``: exit codes, output formats and what reaches the terminal."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from tests.fixtures.spec_repo import SpecRepo

SECRET = "hunter2-Sup3rS3cret"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_valid_specs_exit_0(spec_repo: SpecRepo) -> None:
    """A valid tree exits 0, prints no diagnostics, and says how much it checked."""
    code, out, err = _run(str(spec_repo.root))
    assert code == 0
    assert out == ""
    assert "12 documents in 4 files: valid" in err


def test_invalid_specs_exit_1_with_text_diagnostics(spec_repo: SpecRepo) -> None:
    """An invalid tree exits 1 and prints each problem as FILE:LINE:COL: error[CODE]: message."""
    spec_repo.replace("flows.yaml", "interval: 5m", "interval: 10s")
    line, column = spec_repo.position("flows.yaml", "10s")
    code, out, err = _run(str(spec_repo.root))
    assert code == 1
    assert out.startswith(f"flows.yaml:{line}:{column}: error[interval]: ")
    assert "1 error in 12 documents in 4 files" in err


def test_directory_defaults_to_specs_then_cwd(spec_repo: SpecRepo) -> None:
    """Without a directory, validate reads ./specs if it exists, else the current directory."""
    assert _run()[0] == 0  # cwd is the spec root
    (spec_repo.root / "specs").mkdir()
    (spec_repo.root / "specs" / "x.yaml").write_text("a: [\n", encoding="utf-8")
    code, out, _ = _run()
    assert code == 1
    assert "yaml-syntax" in out


@pytest.mark.parametrize(
    "args",
    [["does-not-exist"], [".", "--format", "xml"], [".", "--max-file-size", "0"], ["--bogus"]],
    ids=["missing-directory", "bad-format", "bad-size", "unknown-option"],
)
def test_usage_errors_exit_2(spec_repo: SpecRepo, args: list[str]) -> None:
    """A missing directory, an unknown format or option, or a bad size are usage errors:
    exit 2 with click's message on stderr, no traceback."""
    code, out, err = _run(*args)
    assert code == 2
    assert out == ""
    assert "Error:" in err
    assert "Traceback" not in err


def test_max_file_size_option(spec_repo: SpecRepo) -> None:
    """--max-file-size reaches the loader: a small limit makes the files too large."""
    code, out, _ = _run(str(spec_repo.root), "--max-file-size", "100")
    assert code == 1
    assert out.count("file-too-large") == 4


def test_json_format(spec_repo: SpecRepo) -> None:
    """--format json prints one JSON object with the documented keys (valid, errors, warnings,
    diagnostics with file/line/column/code/message/severity) and nothing else on stdout."""
    spec_repo.replace("flows.yaml", "interval: 5m", "interval: 10s")
    code, out, err = _run(str(spec_repo.root), "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert set(payload) == {"valid", "errors", "warnings", "diagnostics"}
    assert (payload["valid"], payload["errors"], payload["warnings"]) == (False, 1, 0)
    (diag,) = payload["diagnostics"]
    assert set(diag) == {"file", "line", "column", "code", "message", "severity"}
    assert (diag["file"], diag["code"], diag["severity"]) == ("flows.yaml", "interval", "error")
    assert err == ""


def test_json_format_when_valid(spec_repo: SpecRepo) -> None:
    """A valid tree in JSON is ``valid: true`` with no diagnostics, exit 0."""
    code, out, _ = _run(str(spec_repo.root), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "errors": 0, "warnings": 0, "diagnostics": []}


def test_github_format(spec_repo: SpecRepo) -> None:
    """--format github prints one ``::error file=…,line=…,col=…`` workflow annotation per
    problem."""
    spec_repo.replace("flows.yaml", "interval: 5m", "interval: 10s")
    spec_repo.replace("mappings.yaml", "{from: name}", '{from: "name[?"}')
    code, out, _ = _run(str(spec_repo.root), "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    line, column = spec_repo.position("flows.yaml", "10s")
    assert f"::error file=flows.yaml,line={line},col={column},title=koppel interval::" in out
    assert all(entry.startswith("::error file=") for entry in lines)


def test_secret_never_reaches_any_output(spec_repo: SpecRepo) -> None:
    """An inline secret is reported in every format without its value on stdout or stderr."""
    spec_repo.replace("tenant.yaml", "token: {env: AFAS_TOKEN}", f"token: {SECRET}")
    for fmt in ("text", "json", "github"):
        code, out, err = _run(str(spec_repo.root), "--format", fmt)
        assert code == 1
        assert "secret-inline" in out
        assert SECRET not in out + err


def test_github_format_escapes_file_names_and_messages(spec_repo: SpecRepo) -> None:
    """Through the CLI, a file name with , and : and a message with % are escaped so the
    annotation stays one well-formed workflow command."""
    spec_repo.write("odd,name:1.yaml", "a: !!python/name:os.system\n")
    spec_repo.replace("mappings.yaml", '{template: "POS-{number}"}', '{template: "100%-{}"}')
    code, out, _ = _run(str(spec_repo.root), "--format", "github")
    assert code == 1
    assert "::error file=odd%2Cname%3A1.yaml,line=1,col=4,title=koppel yaml-tag::" in out
    assert "100%25-{}" in out
    assert "100%-" not in out
