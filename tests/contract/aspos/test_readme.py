"""The Python snippet in connectors/aspos/README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "aspos" / "README.md"


def test_readme_snippet_lists_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """The snippet starts a sandbox, lists customers, creates one and sets stock."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "['Beispiel GmbH', 'Mustermann', 'Mail']"
    assert out[1] == "K1004"
    assert out[2] == "[('100-01', 9)]"
