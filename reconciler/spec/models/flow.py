"""``Flow``: one data flow between two connections of a tenant, with the settings of its kind.

A flow's ``kind`` (orders, customers, products, stock) chooses its settings block, so the shape is
a discriminated union: an ``orders`` flow has ``orders:`` settings and nothing else's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from reconciler.canonical import OrderStatus, OrderType, ProductType
from reconciler.spec.models.base import Code, Country, Duration, Name, SpecModel


class Schedule(SpecModel):
    interval: Duration = "5m"
    """How often an incremental pass runs."""
    drift_scan: Duration = "24h"
    """How often a full pass compares every record with the live target."""
    suspend: bool = False
    """Suspended flows are validated but never run."""


class Safety(SpecModel):
    """The circuit breaker: a pass planning more changes stops before writing and waits for
    ``koppel apply --confirm``. koppel never deletes target records."""

    max_changes: Annotated[int, Field(ge=0)] = 500
    """Most records one pass may create or update."""
    max_change_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Largest share of the records read that one pass may change (ignored below 20 records)."""


class FlowBase(SpecModel):
    source: Name
    """Name of the tenant connection records are read from."""
    target: Name
    """Name of the tenant connection records are written to."""
    description: str | None = None
    schedule: Schedule = Field(default_factory=Schedule)
    depends_on: list[Name] = Field(default_factory=list)
    """Flows of the same tenant that must have passed first (customers before orders)."""
    countries: list[Country] | None = None
    """Countries this flow handles; defaults to the tenant's. Tables must cover them."""
    mappings: list[Name] = Field(default_factory=list)
    """Mappings applied over the connector pair's default mapping, in order."""
    safety: Safety = Field(default_factory=Safety)


class CustomerHandling(SpecModel):
    match_by: Literal["email"] = "email"
    """How an existing customer is found in the target."""
    create: bool = True
    """Create customers that do not exist yet."""
    update: bool = True
    """Update customers that exist ("customer update")."""


class OrderValueMaps(SpecModel):
    """Value maps (by name) that translate source values to target codes."""

    payment_method: Name | None = None
    payment_terms: Name | None = None
    shipping_method: Name | None = None
    revenue_account: Name | None = None
    """Revenue (turnover) ledger account by country."""
    cost_center: Name | None = None
    cost_unit: Name | None = None
    order_status: Name | None = None


class ExtraLine(SpecModel):
    sku: Code
    """Item code of the line in the target (must exist there)."""
    description: str | None = None


class DiscountSettings(SpecModel):
    mode: Literal["line", "order", "none"] = "line"
    """``line``: discounts stay on their lines; ``order``: one discount line with ``sku``."""
    sku: Code | None = None
    description: str | None = None


class OrderSettings(SpecModel):
    type: OrderType = OrderType.order
    """How orders are written: quotation, order, invoice, directInvoice or financialMutation."""
    administration: Code | None = None
    """Administration id added to every order."""
    debtor_ledger_account: Code | None = None
    """Collective debtor ledger account for created debtors."""
    payment_terms: Code | None = None
    """Payment condition used when the order names none."""
    journal: Code | None = None
    """Journal code, for financial mutations."""
    warehouse: Code | None = None
    branch: Code | None = None
    """Branch id added to orders where the target needs one (Visma.net BranchId)."""
    cost_center: Code | None = None
    cost_unit: Code | None = None
    customers: CustomerHandling = Field(default_factory=CustomerHandling)
    default_debtor: Name | None = None
    """DefaultDebtor for orders without a customer or routed there by its rules."""
    tax_codes: Name | None = None
    """TaxCodeTable for line tax codes by country and rate."""
    value_maps: OrderValueMaps = Field(default_factory=OrderValueMaps)
    shipping_costs: ExtraLine | None = None
    """Write shipping costs as a line with this item code."""
    discounts: DiscountSettings = Field(default_factory=DiscountSettings)
    write_status: bool = False
    """Write the (mapped) order status to the target where it supports one."""


class OrderFilter(SpecModel):
    status: list[OrderStatus] | None = None
    """Only orders in these statuses, e.g. ``[paid]``."""
    channels: list[str] | None = None
    since: str | None = Field(default=None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    """Ignore orders dated before this day (YYYY-MM-DD)."""


class OrdersFlowSpec(FlowBase):
    kind: Literal["orders"]
    filter: OrderFilter = Field(default_factory=OrderFilter)
    orders: OrderSettings = Field(default_factory=OrderSettings)


class CustomerValueMaps(SpecModel):
    classification: Name | None = None
    """Customer classification (group, class) by source value."""
    revenue_account: Name | None = None
    cost_center: Name | None = None
    cost_unit: Name | None = None
    payment_terms: Name | None = None


class CustomerSettings(CustomerHandling):
    debtor_ledger_account: Code | None = None
    payment_terms: Code | None = None
    tax_codes: Name | None = None
    """TaxCodeTable whose default per country becomes the customer's default tax code."""
    cost_center: Code | None = None
    cost_unit: Code | None = None
    value_maps: CustomerValueMaps = Field(default_factory=CustomerValueMaps)


class CustomerFilter(SpecModel):
    only_with_email: bool = True
    """Customers without an e-mail cannot be matched, so they are skipped (and counted)."""
    classifications: list[str] | None = None


class CustomersFlowSpec(FlowBase):
    kind: Literal["customers"]
    filter: CustomerFilter = Field(default_factory=CustomerFilter)
    customers: CustomerSettings = Field(default_factory=CustomerSettings)


class ProductCondition(SpecModel):
    """One custom product filter: ``field`` (a path in the canonical product) ``op`` ``value``."""

    field: Annotated[str, Field(min_length=1, examples=["customFields.webshop", "group"])]
    op: Literal[
        "equals", "notEquals", "in", "notIn", "startsWith", "contains", "exists", "notExists"
    ] = "equals"
    value: Any = None


class ProductFilter(SpecModel):
    active_only: bool = True
    types: list[ProductType] | None = None
    groups: list[str] | None = None
    custom: list[ProductCondition] = Field(default_factory=list)
    """All conditions must hold ("custom filters")."""


class ProductSettings(SpecModel):
    create_only: list[str] = Field(default_factory=list)
    """Target fields written when a product is created and never overwritten (the seeds'
    "update checkbox"), e.g. ``[longDescription]``."""
    update: bool = True
    """Update existing products at all."""
    types: list[ProductType] = Field(default_factory=lambda: [ProductType.simple])
    categories: bool = False
    """Create or update categories."""
    attributes: list[str] = Field(default_factory=list)
    """Source attributes that make configurable products (size, colour)."""
    features: list[str] = Field(default_factory=list)
    """Source features copied as information fields (country of origin, delivery time)."""
    prices_include_tax: bool = True
    """Whether the target's sales price is entered including tax."""
    tax_codes: Name | None = None


class ProductsFlowSpec(FlowBase):
    kind: Literal["products"]
    filter: ProductFilter = Field(default_factory=ProductFilter)
    products: ProductSettings = Field(default_factory=ProductSettings)


class StockSettings(SpecModel):
    formula: Literal["availableMinusReserved", "available", "physical", "physicalMinusReserved"] = (
        "availableMinusReserved"
    )
    """What is sent as stock; by default available minus sales reservations."""
    managed: bool = True
    """Whether the target manages (tracks) stock for the articles."""
    warehouse: Code | None = None


class StockFlowSpec(FlowBase):
    kind: Literal["stock"]
    stock: StockSettings = Field(default_factory=StockSettings)


FlowSpec = Annotated[
    OrdersFlowSpec | CustomersFlowSpec | ProductsFlowSpec | StockFlowSpec,
    Field(discriminator="kind"),
]
