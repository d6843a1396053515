"""The canonical model: the small set of records every connector translates to and from.

N systems need N connectors, not N² pairs: a flow reads canonical records from its source
connector, the mapping turns each into the desired target record, and the target connector writes
it. Natural keys: ``Customer.email``, ``Product.sku``, ``StockLevel.sku``, ``Order.number``.

Field names are snake_case in Python and camelCase in specs (``billingAddress.country``),
because mapping rules address records by the paths people write in YAML. Money, prices, rates
and quantities are ``Decimal``: floats would make equal amounts differ and cause false drift.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Entity(StrEnum):
    """The kinds of record a flow moves; a flow's ``kind`` is the plural."""

    customers = "customers"
    products = "products"
    stock = "stock"
    orders = "orders"


class OrderType(StrEnum):
    """How an order is written in the target: the seeds' order types."""

    quotation = "quotation"
    order = "order"
    invoice = "invoice"
    direct_invoice = "directInvoice"
    financial_mutation = "financialMutation"


class OrderStatus(StrEnum):
    """Canonical order status; connectors translate their own statuses to these."""

    open = "open"
    paid = "paid"
    partially_paid = "partiallyPaid"
    unpaid = "unpaid"
    shipped = "shipped"
    completed = "completed"
    cancelled = "cancelled"


class ProductType(StrEnum):
    """Simple products, variants (one article of a configurable product) and configurables."""

    simple = "simple"
    variant = "variant"
    configurable = "configurable"


class LineKind(StrEnum):
    """What an order line stands for: an item sold, shipping costs, a discount, or text."""

    item = "item"
    shipping = "shipping"
    discount = "discount"
    text = "text"


class CanonicalModel(BaseModel):
    """Base of canonical records: immutable, camelCase aliases, unknown fields rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_data(self) -> dict[str, Any]:
        """The record as JSON-compatible data with camelCase keys (what mapping paths address)."""
        return self.model_dump(mode="json", exclude_none=True)


class Address(CanonicalModel):
    """A postal address; ``country`` is ISO 3166-1 alpha-2 (connectors translate AFAS codes)."""

    street: str | None = None
    number: str | None = None
    number_suffix: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    name: str | None = None


class Customer(CanonicalModel):
    """A customer. Natural key: ``email``. A company name makes it a company with a contact."""

    email: str | None = None
    source_id: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    name_prefix: str | None = None
    last_name: str | None = None
    phone: str | None = None
    mobile: str | None = None
    vat_number: str | None = None
    coc_number: str | None = None
    language: str | None = None
    currency: str | None = None
    classification: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    modified_at: dt.datetime | None = None

    @property
    def key(self) -> str | None:
        """The natural key, compared case-insensitively as mail systems do."""
        return self.email.strip().lower() if self.email else None

    @property
    def is_company(self) -> bool:
        """A company debtor (with its contact) when a company name is present, else a person."""
        return bool(self.company_name and self.company_name.strip())

    @property
    def display_name(self) -> str:
        """The name a person would recognise: company, else first and last name, else e-mail."""
        if self.is_company:
            return str(self.company_name)
        parts = [p for p in (self.first_name, self.name_prefix, self.last_name) if p]
        return " ".join(parts) or (self.email or "")


class Product(CanonicalModel):
    """A product or one variant of it. Natural key: ``sku``."""

    sku: str
    source_id: str | None = None
    name: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    type: ProductType = ProductType.simple
    parent_sku: str | None = None
    price_excl_tax: Decimal | None = None
    price_incl_tax: Decimal | None = None
    tax_rate: Decimal | None = None
    cost_price: Decimal | None = None
    currency: str | None = None
    ean: str | None = None
    unit: str | None = None
    active: bool = True
    stock_tracked: bool | None = None
    quantity: Decimal | None = None
    group: str | None = None
    categories: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)
    features: dict[str, str] = Field(default_factory=dict)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    modified_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        return self.sku


class StockLevel(CanonicalModel):
    """Stock of one SKU (in one warehouse when the system has several). Natural key: ``sku``."""

    sku: str
    warehouse: str | None = None
    available: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    physical: Decimal | None = None
    incoming: Decimal | None = None
    managed: bool | None = None
    modified_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        return self.sku if self.warehouse is None else f"{self.sku}@{self.warehouse}"


class OrderLine(CanonicalModel):
    """One order line. ``unit_price`` is excl. tax unless the order says prices include tax."""

    kind: LineKind = LineKind.item
    sku: str | None = None
    description: str | None = None
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    discount_amount: Decimal | None = None
    discount_percentage: Decimal | None = None
    unit: str | None = None


class Payment(CanonicalModel):
    """A payment received for an order."""

    method: str
    amount: Decimal
    reference: str | None = None


class Order(CanonicalModel):
    """A sales order (or POS sale). Natural key: ``number``, the source system's order number."""

    number: str
    source_id: str | None = None
    reference: str | None = None
    date: dt.date | None = None
    status: OrderStatus = OrderStatus.open
    paid: bool = False
    channel: str | None = None
    branch: str | None = None
    currency: str | None = None
    prices_include_tax: bool = False
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    shipping_method: str | None = None
    shipping_costs: Decimal | None = None
    payment_method: str | None = None
    payment_terms: str | None = None
    payments: list[Payment] = Field(default_factory=list)
    discount_amount: Decimal | None = None
    total_incl_tax: Decimal | None = None
    total_excl_tax: Decimal | None = None
    remark: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    modified_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        return self.number

    @property
    def country(self) -> str | None:
        """The country that decides tax and revenue account: shipping, else billing address."""
        for address in (self.shipping_address, self.billing_address):
            if address is not None and address.country:
                return address.country
        return None

    @property
    def skus(self) -> list[str]:
        """The SKUs of the item lines, in order, without repeats."""
        seen: dict[str, None] = {}
        for line in self.lines:
            if line.kind is LineKind.item and line.sku:
                seen.setdefault(line.sku, None)
        return list(seen)


CanonicalRecord = Customer | Product | StockLevel | Order
"""Any record a connector reads or writes."""

RECORD_TYPES: dict[Entity, type[CanonicalModel]] = {
    Entity.customers: Customer,
    Entity.products: Product,
    Entity.stock: StockLevel,
    Entity.orders: Order,
}


def parse_record(entity: Entity, data: object) -> CanonicalRecord:
    """A canonical record of the entity's type from JSON-like data (camelCase or snake_case)."""
    record = RECORD_TYPES[entity].model_validate(data)
    assert isinstance(record, Customer | Product | StockLevel | Order)
    return record
