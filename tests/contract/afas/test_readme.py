"""The Python snippet in connectors/afas/README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "afas" / "README.md"


def test_readme_snippet_lists_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """The snippet starts a sandbox, lists debtors, writes an order and reads it back."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert "Acme BV" in out[0]
    assert out[1] == "{'OrNu': '60000003'}"
    assert out[2] == "60000003 10001"
