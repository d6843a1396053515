"""Stock, pure: the quantity a formula gives, the managed flag, and which levels changed.

By default the seeds send available stock minus sales reservations; other formulas are a
setting. Only levels that differ from the target are written (the planner compares them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reconciler.canonical import StockLevel
from reconciler.spec.models.flow import StockSettings


def quantity(level: StockLevel, formula: str) -> Decimal:
    """The stock quantity to send, by the flow's formula."""
    physical = level.physical if level.physical is not None else level.available
    if formula == "available":
        return level.available
    if formula == "physical":
        return physical
    if formula == "physicalMinusReserved":
        return physical - level.reserved
    return level.available - level.reserved


def stock_data(level: StockLevel, settings: StockSettings) -> dict[str, Any]:
    """The stock level's data for its mapping."""
    data = level.to_data()
    data["quantity"] = format(quantity(level, settings.formula), "f")
    data["managed"] = settings.managed
    if settings.warehouse is not None:
        data["warehouse"] = settings.warehouse
    return data
