"""The state package README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.state import open_store

README = Path(__file__).resolve().parents[3] / "reconciler" / "state" / "README.md"


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python block runs against the default SQLite store and leaves what it says:
    the cursor moved, two records applied, two activity rows, a finished run."""
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(README), "exec"), {})

    with open_store(None) as store:
        assert store.get_cursor("shop-1", "orders") == "2026-03-01T09:00:00Z"
        assert store.fingerprints("shop-1", "orders", ["SO-1001", "SO-1002"]) == {
            "SO-1001": "fp-1",
            "SO-1002": "fp-2",
        }
        assert len(store.activity(tenant="shop-1")) == 2
        (run,) = store.runs("shop-1")
        assert run.counts.adds_up
