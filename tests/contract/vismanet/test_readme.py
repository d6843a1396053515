"""The Python snippet in connectors/vismanet/README.md runs as written and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "vismanet" / "README.md"


def test_readme_snippet_lists_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """The snippet starts a sandbox, lists customers, writes a sales order and reads it back;
    its output is the block the README shows after it."""
    text = README.read_text("utf-8")
    [snippet] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    shown = re.search(r"```python\n.*?```\n\nprints\n\n```\n(.*?)```", text, re.DOTALL)
    assert shown is not None
    exec(compile(snippet, str(README), "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == shown[1]
