"""The default MplusKASSA mapping: JMESPath data applied to canonical records, purely."""

from __future__ import annotations

from decimal import Decimal

from connectors.mpluskassa.mapping import DEFAULT_MAPPING, map_record
from connectors.mpluskassa.vocabulary import VOCABULARY
from reconciler.canonical import (
    Address,
    Customer,
    Entity,
    LineKind,
    Order,
    OrderLine,
    Payment,
    Product,
)

BILLING = Address(
    street="Laan", number="3", number_suffix="b", postal_code="1234 AB", city="Ede", country="NL"
)
SHIPPING = Address(street="Kade", number="9", postal_code="9000", city="Gent", country="BE")


def test_every_default_target_field_is_in_the_vocabulary() -> None:
    """The default mapping only produces fields the connector documents and accepts."""
    for entity, rules in DEFAULT_MAPPING.items():
        assert set(rules) <= set(VOCABULARY[entity]), entity


def test_company_customer_with_both_addresses() -> None:
    """A company: name is the company, contact the person; addresses join street, number, suffix."""
    customer = Customer(
        email="a@b.nl",
        company_name="ACME",
        first_name="Jan",
        last_name="Jansen",
        billing_address=BILLING,
        shipping_address=SHIPPING,
    )
    assert map_record(Entity.customers, customer.to_data()) == {
        "email": "a@b.nl",
        "name": "ACME",
        "companyName": "ACME",
        "contact": "Jan Jansen",
        "address": "Laan 3 b",
        "zipcode": "1234 AB",
        "city": "Ede",
        "country": "NL",
        "deliveryAddress": "Kade 9",
        "deliveryZipcode": "9000",
        "deliveryCity": "Gent",
        "deliveryCountry": "BE",
    }


def test_person_customer_without_address() -> None:
    """A person gets the full name and no contact; absent values are left out, not ''."""
    customer = Customer(email="p@q.nl", first_name="Anna", name_prefix="de", last_name="Vries")
    assert map_record(Entity.customers, customer.to_data()) == {
        "email": "p@q.nl",
        "name": "Anna de Vries",
    }


def test_product_fields_and_decimals() -> None:
    """Name, SKU, descriptions, both prices, quantity, EAN and currency map; money is Decimal."""
    product = Product(
        sku="123",
        source_id="A-1",
        name="Tea",
        short_description="T",
        long_description="Long",
        price_excl_tax=Decimal("3.62"),
        price_incl_tax=Decimal("3.95"),
        ean="871",
        quantity=Decimal("2.5"),
        currency="EUR",
    )
    record = map_record(Entity.products, product.to_data())
    assert record == {
        "sku": "123",
        "extArticleId": "A-1",
        "description": "Tea",
        "displayText": "T",
        "extraText": "Long",
        "priceExcl": Decimal("3.62"),
        "priceIncl": Decimal("3.95"),
        "barcode": "871",
        "active": True,
        "quantity": Decimal("2.5"),
        "currency": "EUR",
    }


def test_order_lines_payments_and_addresses() -> None:
    """Item lines map with SKU, quantity and price (shipping lines are left to a spec); the
    invoice address carries the customer's name."""
    order = Order(
        number="O-1",
        customer=Customer(email="a@b.nl", first_name="Jan", last_name="Jansen"),
        billing_address=BILLING,
        lines=[
            OrderLine(sku="100300", quantity=Decimal(2), unit_price=Decimal("1.95")),
            OrderLine(kind=LineKind.shipping, unit_price=Decimal("4.95")),
        ],
        payments=[Payment(method="ideal", amount=Decimal("8.85"))],
        prices_include_tax=True,
    )
    record = map_record(Entity.orders, order.to_data())
    assert record["lines"] == [{"sku": "100300", "quantity": Decimal(2), "price": Decimal("1.95")}]
    assert record["payments"] == [{"method": "ideal", "amount": Decimal("8.85")}]
    assert record["invoiceAddress"] == {
        "name": "Jan Jansen",
        "address": "Laan 3 b",
        "zipcode": "1234 AB",
        "city": "Ede",
        "country": "NL",
    }
    assert "deliveryAddress" not in record
    assert record["email"] == "a@b.nl"


def test_a_custom_mapping_replaces_the_default() -> None:
    """A spec's mapping is data too: its expressions are applied instead of the defaults."""
    record = map_record(
        Entity.products,
        Product(sku="5", name="X").to_data(),
        {"sku": "sku", "description": "join('-', [name, sku])"},
    )
    assert record == {"sku": "5", "description": "X-5"}
