"""Renderers: what a person, a pull request and a tool see of a diff."""

from __future__ import annotations

import json

from reconciler.audit.model import Comparison, Side
from reconciler.audit.render import comparison_json, comparison_markdown, comparison_text
from reconciler.audit.semantic import MISSING, DocKey, DocumentChange, FieldChange, SemanticDiff

KEY = DocKey.of("Mapping", "acme", "pos-to-afas")


def _comparison(*fields: FieldChange, problems: int = 0) -> Comparison:
    diff = SemanticDiff((DocumentChange(KEY, "changed", "specs/acme/mappings.yaml", fields),))
    return Comparison(
        Side("main", "a" * 40), Side("HEAD", "b" * 40, problems), path="specs", diff=diff
    )


def test_markdown_cells_escape_pipes_and_backticks() -> None:
    """A value with a pipe or a backtick cannot break the pull-request comment's table."""
    text = comparison_markdown(_comparison(FieldChange("spec.fields.ref.template", "A|B", "`x`")))
    row = next(line for line in text.splitlines() if line.startswith("| `spec"))
    assert row == '| `spec.fields.ref.template` | `"A\\|B"` | `` "`x`" `` |'


def test_markdown_says_what_and_how_much_changed() -> None:
    """Heading, revisions, counts, one section per document, and a warning for an invalid
    side."""
    text = comparison_markdown(
        _comparison(FieldChange("spec.ignore[0]", MISSING, "imageList"), problems=2)
    )
    lines = text.splitlines()
    assert lines[0] == "### koppel: semantic diff of `specs`"
    assert "**0 added, 0 removed, 1 changed (1 field)**" in lines[2]
    assert "> ⚠️ `bbbbbbbbbbbb` is invalid (2 problems); the diff covers what loaded." in lines
    assert "#### Changed: Mapping `acme/pos-to-afas`" in lines
    assert '| `spec.ignore[0]` | — | `"imageList"` |' in lines


def test_text_and_json_show_values_as_json() -> None:
    """ "01" (a code) and 1 (a number) stay apart in text; JSON leaves out the missing side."""
    comparison = _comparison(
        FieldChange("spec.entries.pin", 1, "01"), FieldChange("spec.entries.cash", "02", MISSING)
    )
    text = comparison_text(comparison).splitlines()
    assert '    spec.entries.pin: 1 → "01"' in text
    assert '    spec.entries.cash: "02" → (none)' in text
    data = json.loads(comparison_json(comparison))
    assert data["documents"][0]["fields"] == [
        {"path": "spec.entries.pin", "change": "changed", "old": 1, "new": "01"},
        {"path": "spec.entries.cash", "change": "removed", "old": "02"},
    ]
    assert data["from"] == {"revision": "main", "commit": "a" * 40, "problems": 0}
