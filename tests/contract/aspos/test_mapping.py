"""The default mapping end to end: canonical records mapped with ``DEFAULT_MAPPING`` are in the
connector's vocabulary, are accepted by the sandbox, and compare equal to what ``lookup`` reads
back (no false drift after a write)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.aspos.connector import AsposConnector
from connectors.aspos.mapping import DEFAULT_MAPPING
from connectors.aspos.tuning import COMPARISON
from connectors.aspos.vocabulary import VOCABULARY
from reconciler.canonical import (
    Address,
    CanonicalModel,
    Customer,
    Entity,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    StockLevel,
)
from reconciler.mapping.expressions import read
from reconciler.plan.actions import ActionKind
from reconciler.plan.diff import plan_record
from reconciler.plan.normalise import FieldRules

from .conftest import Harness

ADDRESS = Address(street="Hauptstrasse", number="5", number_suffix="b", postal_code="10115",
                  city="Berlin", country="DE")  # fmt: skip
CUSTOMER = Customer(
    email="Neu.Kunde@Example.test",
    company_name="Neu GmbH",
    first_name="Nina",
    name_prefix="von",
    last_name="Neu",
    phone="+49 30 1",
    vat_number="DE999999999",
    language="DE",
    classification="haendler",
    billing_address=ADDRESS,
    shipping_address=Address(
        street="Lagerweg", number="1", postal_code="12345", city="Berlin", country="de"
    ),
)
PRODUCT = Product(
    sku="300-01",
    name="Klingel",
    short_description="Ding",
    long_description="Eine laute Klingel",
    price_excl_tax=Decimal("10.84"),
    price_incl_tax=Decimal("12.90"),
    tax_rate=Decimal(19),
    ean="4006381333955",
    currency="EUR",
    unit="STK",
    stock_tracked=True,
)
ORDER = Order(
    number="60000042",
    date=None,
    status=OrderStatus.paid,
    customer=CUSTOMER,
    shipping_address=ADDRESS,
    lines=[
        OrderLine(
            sku="100-01",
            description="Artikel eins",
            quantity=Decimal(2),
            unit_price=Decimal("10.00"),
            tax_rate=Decimal(19),
        ),
        OrderLine(kind=LineKind.shipping, description="Versand", unit_price=Decimal("4.95")),
        OrderLine(kind=LineKind.text, description="Bitte klingeln"),
    ],
    payments=[Payment(method="PAYPAL", amount=Decimal("24.95"), reference="PP-1")],
    payment_method="PAYPAL",
    prices_include_tax=True,
)


def _mapped(entity: Entity, record: CanonicalModel, **extra: Any) -> dict[str, Any]:
    data = {**record.to_data(), **extra}
    out = {}
    for field, expression in DEFAULT_MAPPING[entity].items():
        value = read(data, expression)
        if value not in (None, "", [], {}):
            out[field] = value
    return out


@pytest.mark.parametrize("entity", list(Entity))
def test_the_default_mapping_writes_only_vocabulary_fields(entity: Entity) -> None:
    assert set(DEFAULT_MAPPING[entity]) <= set(VOCABULARY[entity])


def test_a_mapped_customer_is_written_and_read_back_without_drift(aspos: Harness) -> None:
    desired = _mapped(Entity.customers, CUSTOMER, email=CUSTOMER.key)
    assert desired["lastName"] == "von Neu"
    assert desired["houseNumberSuffix"] == "b"
    _round_trip(aspos, Entity.customers, str(CUSTOMER.key), desired)


def test_a_mapped_product_is_written_and_read_back_without_drift(aspos: Harness) -> None:
    desired = _mapped(Entity.products, PRODUCT)
    assert desired["description"] == "Eine laute Klingel"
    _round_trip(aspos, Entity.products, "300-01", desired)


def test_mapped_stock_is_written_and_read_back_without_drift(aspos: Harness) -> None:
    level = StockLevel(sku="100-02", available=Decimal(8), reserved=Decimal(1))
    desired = _mapped(Entity.stock, level, quantity="7", managed=True)
    _round_trip(aspos, Entity.stock, "100-02", desired)


def test_a_mapped_order_is_written_and_read_back_without_drift(aspos: Harness) -> None:
    desired = _mapped(Entity.orders, ORDER, debtorId="1002")
    assert [line["type"] for line in desired["lines"]] == ["article", "shipping", "text"]
    assert desired["shippingAddress"]["name"] == "Neu GmbH"
    found = _round_trip(aspos, Entity.orders, "60000042", desired)
    assert found["customerId"] == "1002"


def _round_trip(
    aspos: Harness, entity: Entity, key: str, desired: dict[str, Any]
) -> dict[str, Any]:
    async def go(c: AsposConnector) -> dict[str, Any] | None:
        await c.create(entity, desired)
        return await c.lookup(entity, key)

    found = aspos.connect(go)
    assert found is not None
    action = plan_record(key, desired, found, rules=COMPARISON.get(entity, FieldRules()))
    assert action.kind is ActionKind.noop, action.changes
    return found
