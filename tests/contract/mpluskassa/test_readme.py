"""The Python snippet in connectors/mpluskassa/README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "connectors" / "mpluskassa" / "README.md"


def test_readme_python_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's quick start starts a sandbox, lists products, writes a relation and stock,
    and reads customers: its output shows the seeded article and the written records."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "100045 T-shirt red S 1995" in out
    assert "created relation 3" in out
    assert "kees@example.nl Kees Smit False" in out
    assert "'amount': Decimal('12.5')" in out
