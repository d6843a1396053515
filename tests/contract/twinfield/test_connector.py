"""The Twinfield connector against its sandbox: canonical records out (customers, sales from
invoices and journals, incrementally), target records in and out (look-ups by e-mail and by
reference, creates, updates), and master data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.base import Connector
from connectors.twinfield.connector import TwinfieldConnector
from reconciler.canonical import Customer, Entity, Order, OrderStatus
from reconciler.errors import RejectedError

from .conftest import Harness


async def _all(connector: TwinfieldConnector, entity: Entity, cursor: str | None = None) -> Any:
    records, cursors = [], []
    async for page in connector.read(entity, cursor=cursor):
        records.extend(page.records)
        cursors.append(page.cursor)
    return records, cursors


def test_the_connector_fills_the_protocol(twinfield: Harness) -> None:
    """The connector is a ``connectors.base.Connector`` with Twinfield's customer link."""

    async def go(connector: TwinfieldConnector) -> TwinfieldConnector:
        return connector

    connector = twinfield.connect(go)
    assert isinstance(connector, Connector)
    assert (connector.customer_link.id_field, connector.customer_link.order_field) == (
        "code",
        "customer",
    )


def test_customers_read_as_companies_and_persons(twinfield: Harness) -> None:
    """Dimensions of type DEB read as canonical customers, page by page: one with a VAT number
    and contact line is a company with its contact, one without is a person; the Twinfield
    code travels as a custom field; only the last page carries the cursor."""
    records, cursors = twinfield.connect(lambda c: _all(c, Entity.customers), page_size=2)
    by_email = {r.email: r for r in records}
    acme = by_email["info@acme.test"]
    assert (acme.company_name, acme.first_name, acme.last_name) == ("Acme BV", "Jan", "Jansen")
    assert acme.billing_address is not None
    assert (acme.billing_address.street, acme.billing_address.number) == ("Stationsstraat", "1")
    assert acme.custom_fields == {"twinfieldCode": "1000"}
    piet = by_email["piet@example.test"]
    assert (piet.is_company, piet.first_name, piet.last_name) == (False, "Piet", "van Dam")
    assert cursors[:-1] == [None]
    assert cursors[-1] is not None


def test_an_incremental_read_returns_only_changed_customers(twinfield: Harness) -> None:
    """From the cursor of a read, the next read returns only customers changed since."""

    async def go(connector: TwinfieldConnector) -> tuple[list[Any], list[Any]]:
        _, cursors = await _all(connector, Entity.customers)
        await connector.update(
            Entity.customers, "piet@example.test", {"phone": "0611111111"}, fields=["phone"]
        )
        again, _ = await _all(connector, Entity.customers, cursor=cursors[-1])
        return again, cursors

    again, _ = twinfield.connect(go)
    assert [c.email for c in again] == ["piet@example.test"]
    assert again[0].phone == "0611111111"


def test_sales_read_from_invoices_and_journals(twinfield: Harness) -> None:
    """A final invoice reads as a sale on channel ``invoice`` with its articles, paid when its
    receivable is matched; a journal transaction reads as channel ``journal`` with one line per
    detail line; a concept invoice is not booked, so not read. Each carries its customer."""
    orders, _ = twinfield.connect(lambda c: _all(c, Entity.orders))
    by_number = {o.number: o for o in orders}
    assert set(by_number) == {"2024001", "K-2024-17"}
    invoice: Order = by_number["2024001"]
    assert (invoice.channel, invoice.status, invoice.paid) == ("invoice", OrderStatus.paid, True)
    assert [(x.sku, x.quantity, x.unit_price, x.tax_rate) for x in invoice.lines] == [
        ("TSHIRT", Decimal(2), Decimal("15.00"), Decimal(21))
    ]
    assert invoice.customer is not None
    assert invoice.customer.email == "info@acme.test"
    assert invoice.country == "NL"
    assert invoice.total_incl_tax == Decimal("36.30")
    journal = by_number["K-2024-17"]
    assert (journal.channel, journal.status) == ("journal", OrderStatus.completed)
    assert journal.total_incl_tax == Decimal("121.00")
    assert journal.country == "BE"


def test_products_read_from_articles_incrementally(twinfield: Harness) -> None:
    """Articles read as products with prices excl. and incl. VAT and the VAT rate, page by
    page; from a date only the articles changed since."""
    since = '{"since": "20240301000000"}'

    async def go(connector: TwinfieldConnector) -> tuple[Any, Any, Any]:
        products, cursors = await _all(connector, Entity.products)
        recent, _ = await _all(connector, Entity.products, cursor=since)
        return products, cursors, recent

    products, cursors, recent = twinfield.connect(go, page_size=2)
    by_sku = {p.sku: p for p in products}
    assert set(by_sku) == {"MUG", "TSHIRT", "ZAAD"}
    shirt = by_sku["TSHIRT"]
    assert (shirt.name, shirt.short_description, shirt.unit) == (
        "T-shirt katoen",
        "T-shirt",
        "stuk",
    )
    assert (shirt.price_excl_tax, shirt.price_incl_tax, shirt.tax_rate) == (
        Decimal("15.00"),
        Decimal("18.15"),
        Decimal(21),
    )
    assert cursors[0] is None
    assert cursors[-1] is not None
    assert sorted(p.sku for p in recent) == ["MUG", "ZAAD"]


def test_customers_are_looked_up_by_email_created_and_updated(twinfield: Harness) -> None:
    """A customer is found by e-mail whatever its case, created with Twinfield numbering it,
    and updated in the named fields only (the rest of the dimension is kept)."""

    async def go(connector: TwinfieldConnector) -> tuple[Any, ...]:
        found = await connector.lookup(Entity.customers, "INFO@acme.test")
        missing = await connector.lookup(Entity.customers, "nobody@example.test")
        created = await connector.create(
            Entity.customers,
            {
                "email": "tuin@example.test",
                "name": "Tuin & Co",
                "street": "Laan",
                "houseNumber": "7",
                "houseNumberSuffix": "a",
                "postalCode": "1234 AB",
                "city": "Zeist",
                "country": "NL",
                "vatCode": "VH",
            },
        )
        await connector.update(
            Entity.customers, "tuin@example.test", {"city": "Utrecht"}, fields=["city"]
        )
        after = await connector.lookup(Entity.customers, "tuin@example.test")
        return found, missing, created, after

    found, missing, created, after = twinfield.connect(go)
    assert found["code"] == "1000"
    assert found["vatNumber"] == "NL001234567B01"
    assert missing is None
    assert created.target_id == "1003"
    assert after["city"] == "Utrecht"
    assert (after["street"], after["houseNumber"], after["houseNumberSuffix"]) == (
        "Laan",
        "7",
        "a",
    )
    assert after["vatCode"] == "VH"


def test_orders_are_booked_as_sales_transactions_and_found_by_reference(
    twinfield: Harness,
) -> None:
    """An order becomes a balanced sales transaction (total incl. VAT on the customer, detail
    lines excl. VAT with their code) whose invoice number is the reference; looking the
    reference up finds it, in a batch too."""

    async def go(connector: TwinfieldConnector) -> tuple[Any, ...]:
        result = await connector.create(
            Entity.orders,
            {
                "reference": "AFAS-1",
                "orderType": "financialMutation",
                "customer": "1001",
                "orderDate": "2024-03-01",
                "revenueAccount": "8010",
                "lines": [
                    {
                        "description": "Plant",
                        "quantity": "3",
                        "unitPrice": "10.00",
                        "vatCode": "VL",
                    },
                    {"description": "Pot", "quantity": "1", "unitPrice": "20.00", "vatCode": "VH"},
                ],
            },
        )
        one = await connector.lookup(Entity.orders, "AFAS-1")
        many = await connector.lookup_many(Entity.orders, ["AFAS-1", "K-2024-17", "NONE"])
        return result, one, many

    result, one, many = twinfield.connect(go)
    stored = twinfield.store.transactions[("001", "VRK", str(result.target_id))]
    total = stored["lines"][0]
    assert (total["dim2"], total["value"]) == ("1001", "56.90")  # 30 + 2.70 + 20 + 4.20
    assert [(x["dim1"], x["vatcode"], x["value"]) for x in stored["lines"][1:]] == [
        ("8010", "VL", "30.00"),
        ("8010", "VH", "20.00"),
    ]
    assert one["reference"] == "AFAS-1"
    assert one["customer"] == "1001"
    assert set(many) == {"AFAS-1", "K-2024-17"}


def test_orders_of_another_type_or_without_customer_are_refused(twinfield: Harness) -> None:
    """Only financial mutations are written, and only for a named customer."""

    async def go(connector: TwinfieldConnector, record: dict[str, Any]) -> object:
        return await connector.create(Entity.orders, record)

    with pytest.raises(RejectedError, match="financialMutation"):
        twinfield.connect(lambda c: go(c, {"reference": "X", "orderType": "invoice"}))
    with pytest.raises(RejectedError, match="names no Twinfield customer"):
        twinfield.connect(lambda c: go(c, {"reference": "X", "orderType": "financialMutation"}))
    with pytest.raises(RejectedError, match="VAT code"):
        twinfield.connect(
            lambda c: go(
                c,
                {
                    "reference": "X",
                    "customer": "1000",
                    "lines": [{"quantity": "1", "unitPrice": "1", "vatCode": "ZZ"}],
                },
            )
        )


def test_master_data_checks_vat_codes_and_offices(twinfield: Harness) -> None:
    """VAT codes and offices a spec names are checked against Twinfield's own."""

    async def go(connector: TwinfieldConnector) -> list[Any]:
        return [
            *(await connector.check_master_data("vatCode", ["VH", "XX"])),
            *(await connector.check_master_data("office", ["001", "002"])),
            *(await connector.check_master_data("ledgerAccount", ["1300"])),
        ]

    checks = twinfield.connect(go)
    assert [(c.code, c.exists) for c in checks] == [
        ("VH", True),
        ("XX", False),
        ("001", True),
        ("002", False),
        ("1300", None),
    ]


def test_canonical_customers_round_trip_through_the_default_mapping(twinfield: Harness) -> None:
    """A canonical customer mapped with the default mapping, created, and read back, is the
    same customer."""
    from connectors.twinfield.mapping import DEFAULT_MAPPING
    from reconciler.canonical import Address
    from reconciler.mapping.expressions import read

    customer = Customer(
        email="ria@hotel.test",
        company_name="Hotel De Dam BV",
        first_name="Ria",
        last_name="Smit",
        vat_number="NL123456789B01",
        billing_address=Address(
            street="Markt", number="1", postal_code="1011 AB", city="Amsterdam", country="NL"
        ),
    )
    data = customer.to_data()
    record = {
        field: value
        for field, expression in DEFAULT_MAPPING[Entity.customers].items()
        if (value := read(data, expression)) not in (None, "")
    }

    async def go(connector: TwinfieldConnector) -> list[Any]:
        await connector.create(Entity.customers, record)
        found, _ = await _all(connector, Entity.customers)
        return found

    found = {c.email: c for c in twinfield.connect(go)}["ria@hotel.test"]
    assert (found.company_name, found.first_name, found.last_name) == (
        "Hotel De Dam BV",
        "Ria",
        "Smit",
    )
    assert found.billing_address is not None
    assert found.billing_address.city == "Amsterdam"


def test_products_are_looked_up_by_article_code(twinfield: Harness) -> None:
    """An order's SKUs are checked against Twinfield's articles: a known code answers its
    product, an unknown one None."""

    async def go(connector: TwinfieldConnector) -> dict[str, Any]:
        return await connector.lookup_many(Entity.products, ["MUG", "NOPE"])

    found = twinfield.connect(go)
    assert set(found) == {"MUG"}
    assert found["MUG"]["priceExclTax"] == "8.00"
