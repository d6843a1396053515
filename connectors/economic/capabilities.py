"""What Visma e-conomic can do as a flow's source or target (used by validation)."""

from __future__ import annotations

from reconciler.canonical import Entity, OrderType
from reconciler.capabilities import Capabilities, EntitySupport, SystemKind

CAPABILITIES = Capabilities(
    system="e-conomic",
    title="Visma e-conomic",
    kind=SystemKind.erp,
    entities={
        Entity.customers: EntitySupport(read=True, write=True),
        Entity.products: EntitySupport(read=True, write=True),
        Entity.stock: EntitySupport(read=False, write=False),
        Entity.orders: EntitySupport(read=True, write=True),
    },
    order_types=frozenset({OrderType.order, OrderType.invoice}),
)
