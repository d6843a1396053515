"""Where commands look when no path is given."""

from __future__ import annotations

from pathlib import Path


def default_spec_dir() -> Path:
    """``./specs`` when it exists (a checkout of this project or a spec repo), else ``.``."""
    specs = Path("specs")
    return specs if specs.is_dir() else Path(".")
