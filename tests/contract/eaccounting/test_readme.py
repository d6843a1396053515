"""The Python snippet in connectors/eaccounting/README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "eaccounting" / "README.md"


def test_readme_snippet_lists_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """The snippet starts a sandbox, refreshes a token, lists customers two at a time, writes
    an article and finds it again by its number (without case)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "3 ['Acme BV', 'Piet van Dam']",
        "NK-1 Omzet hoog Stuks",
        "['Tentharing']",
    ]
