"""The validation benchmark: its generated repository is valid and complete, and its report
has the documented shape."""

from __future__ import annotations

import json
from pathlib import Path

from bench.spec_validate import generate, parse_only, run_benchmark, table
from connectors.registry import capabilities
from reconciler.spec.validate import validate_tree


def test_generated_repository_is_valid_and_complete(tmp_path: Path) -> None:
    """Each generated tenant has 4 files with 1 tenant, 5 flows (customers, products, stock,
    orders, shop-stock), 2 mappings, 4 value maps, a tax table and a default debtor — all valid,
    with both ERP shapes (AFAS and Visma.net) represented."""
    assert generate(tmp_path, 2) == 8
    result = validate_tree(tmp_path, capabilities=capabilities())
    assert result.diagnostics == []
    assert result.specs.count() == {
        "Tenant": 2,
        "Flow": 10,
        "Mapping": 4,
        "ValueMap": 8,
        "TaxCodeTable": 2,
        "DefaultDebtor": 2,
    }
    flows = sorted(f.name for f in result.specs.flows("tenant-00000"))
    assert flows == ["customers", "orders", "products", "shop-stock", "stock"]
    systems = {t.model.spec.connections["erp"].system for t in result.specs.tenants.values()}
    assert systems == {"afas-profit", "visma-net"}
    assert parse_only(tmp_path) == result.documents == 28


def test_report_shape(tmp_path: Path) -> None:
    """A small run writes the JSON report (baseline and validation time and peak memory, their
    ratios, the 3x target) and renders the table."""
    out = tmp_path / "results.json"
    report = run_benchmark(1, results=out)
    assert json.loads(out.read_text()) == report
    for side in ("baseline", "validation"):
        assert report[side]["seconds"] > 0
        assert report[side]["peak_bytes"] > 0
    assert report["ratio"]["time"] > 0
    assert report["target"] == 3.0
    assert report["within_target"] == (report["ratio"]["time"] <= 3.0)
    assert "validate_tree" in table(report)
    assert "baseline (ruamel rt parse)" in table(report)
