"""What MplusKASSA can do as a flow's source or target (used by validation)."""

from __future__ import annotations

from reconciler.canonical import Entity, OrderType
from reconciler.capabilities import Capabilities, EntitySupport, KeyRule, SystemKind

CAPABILITIES = Capabilities(
    system="mpluskassa",
    title="MplusKASSA",
    kind=SystemKind.pos,
    entities={
        Entity.customers: EntitySupport(read=True, write=True),
        Entity.products: EntitySupport(read=True, write=True),
        Entity.stock: EntitySupport(read=True, write=True),
        Entity.orders: EntitySupport(read=True, write=True),
    },
    order_types=frozenset({OrderType.order, OrderType.invoice}),
    sku_rule=KeyRule(
        pattern=r"[0-9]{1,18}", description="MplusKASSA article numbers are numbers (xsd:long)"
    ),
    notes={
        Entity.products: "the SKU becomes the article number, so it must be numeric; keep an "
        "ERP item code in extArticleId",
        Entity.orders: "orders are written once (extOrderId is the idempotency key) and never "
        "updated; the customer must exist first",
        Entity.stock: "stock is set absolutely per article in the connection's branch; only "
        "articles with stockArticle=true keep stock",
    },
)
