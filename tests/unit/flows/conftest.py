"""The example specs, loaded once, for the flow-rule tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.registry import capabilities
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def example_specs() -> SpecSet:
    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid, result.diagnostics
    return result.specs
