"""Diagnostics as people and tools read them: text lines, JSON, GitHub annotations."""

from __future__ import annotations

import json

from reconciler.spec.diagnostics import Code, Diagnostic, Severity, render

PLAIN = Diagnostic("specs/flows.yaml", 12, 5, Code.interval, "interval 10s is outside 30s..7d")
NASTY = Diagnostic(
    "specs/a,b:c%.yaml",
    3,
    7,
    Code.mapping_template,
    "template 'x' is 100% wrong:\nline two\r, and more",
)
WARNING = Diagnostic("a.yaml", 1, 1, Code.no_specs, "nothing", Severity.warning)


def test_text_format() -> None:
    """The text format is ``FILE:LINE:COL: severity[code]: message``, one per line, sorted."""
    assert render([WARNING, PLAIN], "text").splitlines() == [
        "a.yaml:1:1: warning[no-specs]: nothing",
        "specs/flows.yaml:12:5: error[interval]: interval 10s is outside 30s..7d",
    ]
    assert render([], "text") == ""


def test_json_format_has_the_documented_keys() -> None:
    """JSON output is an object with valid, errors, warnings and diagnostics (each with file,
    line, column, code, message, severity as plain JSON values)."""
    payload = json.loads(render([PLAIN, WARNING], "json"))
    assert payload["valid"] is False
    assert (payload["errors"], payload["warnings"]) == (1, 1)
    assert payload["diagnostics"][1] == {
        "file": "specs/flows.yaml",
        "line": 12,
        "column": 5,
        "code": "interval",
        "message": "interval 10s is outside 30s..7d",
        "severity": "error",
    }
    assert json.loads(render([WARNING], "json"))["valid"] is True


def test_github_format_escapes_properties_and_message() -> None:
    """GitHub annotations escape %, CR and LF in the message, and also , and : in the file
    property, so a file name or message cannot break or inject into the workflow command."""
    line = render([NASTY], "github")
    assert "\n" not in line
    assert "\r" not in line
    assert line == (
        "::error file=specs/a%2Cb%3Ac%25.yaml,line=3,col=7,title=koppel mapping-template::"
        "[mapping-template] template 'x' is 100%25 wrong:%0Aline two%0D, and more"
    )


def test_github_format_plain() -> None:
    """An ordinary diagnostic is one ``::error file=…,line=…,col=…`` annotation."""
    assert render([PLAIN], "github") == (
        "::error file=specs/flows.yaml,line=12,col=5,title=koppel interval::"
        "[interval] interval 10s is outside 30s..7d"
    )


def test_text_format_keeps_one_diagnostic_per_line() -> None:
    """A message quoting text with line breaks still renders as one line (breaks shown as
    \\n and \\r), so tools splitting the output on newlines see one diagnostic per line."""
    text = render([NASTY, PLAIN], "text")
    assert len(text.splitlines()) == 2
    assert "100% wrong:\\nline two\\r, and more" in text
