"""The Python snippet in connectors/twinfield/README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "twinfield" / "README.md"


def test_readme_python_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's quick start starts a sandbox, lists customers, creates a customer and books
    a sales transaction for it, then finds the booking by its reference."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "1000 info@acme.test True" in out
    assert "1001 piet@example.test False" in out
    assert "created customer 1003" in out
    assert "booked VRK 3" in out
    assert "'reference': 'AFAS-42'" in out
    assert "'customer': '1003'" in out
