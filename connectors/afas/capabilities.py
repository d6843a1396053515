"""What AFAS Profit can do as a flow's source or target (used by validation)."""

from __future__ import annotations

from reconciler.canonical import Entity, OrderType
from reconciler.capabilities import Capabilities, EntitySupport, KeyRule, SystemKind

CAPABILITIES = Capabilities(
    system="afas-profit",
    title="AFAS Profit",
    kind=SystemKind.erp,
    entities={
        Entity.customers: EntitySupport(read=True, write=True),
        Entity.products: EntitySupport(read=True, write=True),
        Entity.stock: EntitySupport(read=True, write=True),
        Entity.orders: EntitySupport(read=True, write=True),
    },
    order_types=frozenset(
        {
            OrderType.quotation,
            OrderType.order,
            OrderType.invoice,
            OrderType.direct_invoice,
            OrderType.financial_mutation,
        }
    ),
    sku_rule=KeyRule(
        pattern=r"\S.{0,39}",
        description="AFAS item codes (ItCd) are 1 to 40 characters; letters are allowed",
    ),
    notes={
        Entity.stock: (
            "stock is written as stock movements (FbStockMutation), never set as a number"
        ),
        Entity.orders: (
            "order types: order (FbSales), quotation (FbSalesQuotation), invoice (FbSales with "
            "order processing 2, invoiced by AFAS), directInvoice (FbDirectInvoice), "
            "financialMutation (FiEntries); existing orders get header updates only"
        ),
    },
)
