"""What Twinfield can do as a flow's source or target (used by validation)."""

from __future__ import annotations

from reconciler.canonical import Entity, OrderType
from reconciler.capabilities import Capabilities, EntitySupport, SystemKind

CAPABILITIES = Capabilities(
    system="twinfield",
    title="Twinfield",
    kind=SystemKind.erp,
    entities={
        Entity.customers: EntitySupport(read=True, write=True),
        Entity.products: EntitySupport(read=True, write=False),
        Entity.stock: EntitySupport(read=False, write=False),
        Entity.orders: EntitySupport(read=True, write=True),
    },
    order_types=frozenset({OrderType.financial_mutation}),
    notes={
        Entity.orders: "read from sales invoices and sales transactions; written as sales "
        "transactions (financial mutations) in a sales journal",
    },
)
