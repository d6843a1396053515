"""The eAccounting connector against the sandbox: canonical records out, target records in."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from connectors.base import Connector, Page
from connectors.eaccounting.connector import EAccountingConnector
from connectors.eaccounting.mapping import map_record
from connectors.eaccounting.models import ORDERS
from connectors.eaccounting.sandbox_store import stamp
from reconciler.canonical import (
    Address,
    CanonicalRecord,
    Customer,
    Entity,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)
from reconciler.errors import NotFoundError, RejectedError
from tests.contract.doubles import RecordingTransport
from tests.contract.eaccounting.conftest import EAccounting

COMPANY = Customer(
    email="inkoop@hutten.test",
    company_name="Hutten & Tenten BV",
    first_name="Eva",
    last_name="Bakker",
    phone="020-1234567",
    vat_number="NL001234567B01",
    billing_address=Address(
        street="Kerkstraat", number="33", number_suffix="bis", postal_code="1017 GC",
        city="Amsterdam", country="NL",
    ),
)  # fmt: skip
PERSON = Customer(
    email="sanne@example.test",
    first_name="Sanne",
    name_prefix="de",
    last_name="Vries",
    billing_address=Address(street="Lindenlaan", number="8", postal_code="9711 HK",
                            city="Groningen", country="NL"),
)  # fmt: skip


async def _all(
    connector: EAccountingConnector, entity: Entity, **kwargs: Any
) -> list[Page[CanonicalRecord]]:
    return [page async for page in connector.read(entity, **kwargs)]


def test_is_a_connector(ea: EAccounting) -> None:
    """The class fills the engine's protocol, with its customer link and key fields."""

    async def go(c: EAccountingConnector) -> None:
        assert isinstance(c, Connector)
        assert c.customer_link.id_field == "customerId"
        assert c.key_fields["orders"] == "reference"

    ea.with_connector(go)


# -- source --------------------------------------------------------------------------------


def test_customers_read_as_company_with_contact_and_person(ea: EAccounting) -> None:
    """A company is its name with the contact person's first and last name; a private person
    is split into first and last name; the address line into street, number and suffix."""
    pages = ea.with_connector(lambda c: _all(c, Entity.customers))
    customers = {r.email: r for p in pages for r in p.records if isinstance(r, Customer)}
    acme = customers["info@acme.test"]
    assert acme.company_name == "Acme BV"
    assert (acme.first_name, acme.last_name) == ("Jan", "Jansen")
    assert acme.billing_address is not None
    assert (acme.billing_address.street, acme.billing_address.number) == ("Stationsstraat", "1")
    assert acme.billing_address.number_suffix == "A"
    assert acme.custom_fields["paymentTerms"] == "30 dagen"
    piet = customers["piet@example.test"]
    assert not piet.is_company
    assert (piet.first_name, piet.last_name) == ("Piet", "van Dam")


def test_products_with_features_free_fields_and_paging(ea: EAccounting) -> None:
    """Articles two per page: every article once; labels are features ("kleur: rood"), the
    web-shop flag and the coding are free fields, prices and VAT rate come along."""
    pages = ea.with_connector(lambda c: _all(c, Entity.products), page_size=2)
    assert len(pages) == 2
    products = {r.sku: r for p in pages for r in p.records if isinstance(r, Product)}
    assert set(products) == {"1000", "TSHIRT-M", "2101", "OLD-1"}
    shirt = products["TSHIRT-M"]
    assert shirt.features == {"kleur": "rood", "merk": "Koppel"}
    assert shirt.custom_fields["sellOnline"] is True
    assert products["2101"].custom_fields["sellOnline"] is False
    coffee = products["1000"]
    assert (coffee.price_excl_tax, coffee.price_incl_tax) == (Decimal("18.5"), Decimal("20.17"))
    assert coffee.tax_rate == Decimal(9)
    assert (coffee.ean, coffee.unit, coffee.currency) == ("8712345678906", "st", "EUR")
    assert products["OLD-1"].active is False


def test_incremental_product_read_from_the_cursor(ea: EAccounting) -> None:
    """After a full read, only articles changed since its cursor come back."""

    async def go(c: EAccountingConnector) -> list[str]:
        pages = await _all(c, Entity.products)
        cursor = pages[-1].cursor
        assert cursor is not None
        assert json.loads(cursor) == {"since": "2024-03-01T09:00:00Z"}
        await c.update(Entity.products, "1000", {"netPrice": "19.25"}, fields=["netPrice"])
        later = await _all(c, Entity.products, cursor=cursor)
        return [r.key for p in later for r in p.records if isinstance(r, Product)]

    # The boundary article (changed exactly at the cursor) is read again, nothing older.
    assert ea.with_connector(go) == ["OLD-1", "1000"]


def test_orders_carry_status_customer_and_lines(ea: EAccounting) -> None:
    """Ongoing is open; invoiced with nothing left to pay is paid; each order has its
    customer (by id, one call per page) and its lines with SKU, quantity and price."""
    pages = ea.with_connector(lambda c: _all(c, Entity.orders))
    orders = {r.number: r for p in pages for r in p.records if isinstance(r, Order)}
    assert (orders["1001"].status, orders["1001"].paid) == (OrderStatus.open, False)
    assert (orders["1002"].status, orders["1002"].paid) == (OrderStatus.paid, True)
    order = orders["1002"]
    assert order.customer is not None
    assert order.customer.email == "piet@example.test"
    assert order.reference == "WEB-1002"
    assert order.date == dt.date(2024, 3, 2)
    [line] = order.lines
    assert (line.sku, line.quantity, line.unit_price) == ("1000", Decimal(2), Decimal("18.5"))
    assert order.total_incl_tax == Decimal("40.33")


def test_a_payment_brings_an_order_back_as_paid(ea: EAccounting) -> None:
    """Paying an invoice changes the invoice, not the order: an incremental read follows the
    invoices changed since its cursor and re-reads their orders."""

    async def go(c: EAccountingConnector) -> list[tuple[str, OrderStatus]]:
        await c.client.post_action(ORDERS, "80000000-0000-4000-8000-000000000001", "convert")
        pages = await _all(c, Entity.orders)
        cursor = pages[-1].cursor
        assert cursor is not None
        unpaid = [
            r for p in pages for r in p.records if isinstance(r, Order) and r.number == "1001"
        ]
        assert unpaid[0].status is OrderStatus.unpaid
        # A person registers the payment in eAccounting (the sandbox's store stands in).
        for invoice in ea.store.objects["customerinvoices"].values():
            if invoice.get("CreatedFromOrderId") == "80000000-0000-4000-8000-000000000001":
                invoice["RemainingAmount"] = 0
                invoice["ModifiedUtc"] = stamp(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
        later = await _all(c, Entity.orders, cursor=cursor)
        return [(r.number, r.status) for p in later for r in p.records if isinstance(r, Order)]

    assert ("1001", OrderStatus.paid) in ea.with_connector(go)


def test_stock_is_not_read(ea: EAccounting) -> None:
    """eAccounting has no stock flow (its capability table says so): reading it is an error."""
    with pytest.raises(NotFoundError, match="stock"):
        ea.with_connector(lambda c: _all(c, Entity.stock))


# -- target --------------------------------------------------------------------------------


def test_company_customer_created_with_contact_and_found_by_email(ea: EAccounting) -> None:
    """A company becomes a non-private customer with its contact person; the default terms
    of payment are the first ones for sales; the look-up reads back what was mapped."""
    record = map_record(Entity.customers, COMPANY.to_data())

    async def go(c: EAccountingConnector) -> tuple[Any, Any]:
        result = await c.create(Entity.customers, record)
        return result, await c.lookup(Entity.customers, "INKOOP@hutten.test")

    result, found = ea.with_connector(go)
    assert result.target_id == found["customerId"]
    assert result.extra["customerNumber"] == "1004"
    assert found["isPrivatePerson"] is False
    assert found["name"] == "Hutten & Tenten BV"
    assert found["contactPersonName"] == "Eva Bakker"
    assert found["street"] == "Kerkstraat 33bis"
    assert found["paymentTerms"] == "30 dagen"
    for field, value in record.items():
        assert found[field] == value, field


def test_person_customer_and_named_terms(ea: EAccounting) -> None:
    """A person is a private customer named first, prefix, last; paymentTerms by name."""
    record = {**map_record(Entity.customers, PERSON.to_data()), "paymentTerms": "14 dagen"}

    async def go(c: EAccountingConnector) -> Any:
        await c.create(Entity.customers, record)
        return await c.lookup(Entity.customers, "sanne@example.test")

    found = ea.with_connector(go)
    assert (found["name"], found["isPrivatePerson"]) == ("Sanne de Vries", True)
    assert "contactPersonName" not in found
    assert found["paymentTerms"] == "14 dagen"


def test_unknown_terms_of_payment_are_refused_before_writing(ea: EAccounting) -> None:
    """A terms name the company does not have: RejectedError naming the known ones."""
    record = {**map_record(Entity.customers, PERSON.to_data()), "paymentTerms": "60 dagen"}
    with pytest.raises(RejectedError, match="60 dagen") as caught:
        ea.with_connector(lambda c: c.create(Entity.customers, record))
    assert "14 dagen" in str(caught.value)
    assert len(ea.store.rows("customers")) == 3


def test_customer_update_to_named_terms(ea: EAccounting) -> None:
    """An update naming other terms (here by days, as "14D") moves the customer to them."""

    async def go(c: EAccountingConnector) -> Any:
        await c.update(
            Entity.customers, "info@acme.test", {"paymentTerms": "14D"}, fields=["paymentTerms"]
        )
        return await c.lookup(Entity.customers, "info@acme.test")

    assert ea.with_connector(go)["paymentTerms"] == "14 dagen"


def test_customer_update_keeps_what_it_does_not_change(ea: EAccounting) -> None:
    """An update reads the customer and PUTs it whole with the changed fields: the VAT number
    and terms it had are kept although PUT replaces."""

    async def go(c: EAccountingConnector) -> Any:
        await c.update(
            Entity.customers, "info@acme.test", {"phone": "030-7654321"}, fields=["phone"]
        )
        return await c.lookup(Entity.customers, "info@acme.test")

    found = ea.with_connector(go)
    assert found["phone"] == "030-7654321"
    # A person on 14 days stays on them: the default terms are for new customers only.
    piet = ea.with_connector(
        lambda c: c.update(
            Entity.customers, "piet@example.test", {"phone": "06-1"}, fields=["phone"]
        )
    )
    assert piet.key == "piet@example.test"
    terms = ea.store.get("customers", "60000000-0000-4000-8000-000000000002")["TermsOfPayment"]
    assert terms["Name"] == "14 dagen"
    assert found["vatNumber"] == "NL123456789B01"
    assert found["paymentTerms"] == "30 dagen"


def test_product_created_by_sku_with_unit_vat_and_features(ea: EAccounting) -> None:
    """The article number is the SKU; the unit by code, the coding by VAT rate, features as
    labels; what the look-up reads back equals what was mapped."""
    product = Product(
        sku="NK-500", name="Trekkingstok", price_excl_tax=Decimal("24.95"),
        price_incl_tax=Decimal("30.19"), tax_rate=Decimal(21), unit="st",
        ean="8711111111111", features={"kleur": "rood", "Waterdicht": "true"},
        custom_fields={"sellOnline": True},
    )  # fmt: skip
    record = map_record(Entity.products, product.to_data())

    async def go(c: EAccountingConnector) -> Any:
        result = await c.create(Entity.products, record)
        assert result.key == "NK-500"
        return await c.lookup(Entity.products, "NK-500")

    found = ea.with_connector(go)
    assert found["coding"] == "Omzet hoog"
    assert found["features"] == {"kleur": "rood", "Waterdicht": "true"}
    for field, value in record.items():
        if field != "taxRate":
            assert found[field] == value, field


def test_product_update_changes_only_its_fields(ea: EAccounting) -> None:
    """A price update keeps the labels, barcode and coding of the article."""

    async def go(c: EAccountingConnector) -> Any:
        await c.update(
            Entity.products, "TSHIRT-M", {"netPrice": Decimal("21.00")}, fields=["netPrice"]
        )
        return await c.lookup(Entity.products, "TSHIRT-M")

    found = ea.with_connector(go)
    assert found["netPrice"] == Decimal(21)
    assert found["features"] == {"kleur": "rood", "merk": "Koppel"}
    assert found["coding"] == "Omzet hoog"


def test_a_label_added_since_loading_is_found(ea: EAccounting) -> None:
    """Master data is loaded once per connector; a label someone added in eAccounting after
    that is found by loading it once more before the record is refused."""

    async def go(c: EAccountingConnector) -> Any:
        await c.master()
        label = {"Id": "50000000-0000-4000-8000-000000000042", "Name": "kleur: paars"}
        ea.store.objects["articlelabels"][label["Id"]] = label
        record = {"sku": "X2", "name": "X", "unit": "st", "taxRate": "21",
                  "features": {"kleur": "paars"}}  # fmt: skip
        await c.create(Entity.products, record)
        return await c.lookup(Entity.products, "X2")

    assert ea.with_connector(go)["features"] == {"kleur": "paars"}


def test_a_foreign_currency_price_is_refused(ea: EAccounting) -> None:
    """Articles are priced in the company's currency: a DKK product is refused, not stored."""
    product = Product(sku="DK-1", name="Telt", price_excl_tax=Decimal(1500), currency="DKK")
    record = map_record(Entity.products, product.to_data())
    with pytest.raises(RejectedError, match="DKK"):
        ea.with_connector(lambda c: c.create(Entity.products, record))
    assert len(ea.store.rows("articles")) == 4


def test_unknown_label_and_missing_unit_are_refused(ea: EAccounting) -> None:
    """Koppel never creates master data: an unknown label is refused by name; an article
    without a unit is refused by eAccounting's own validation."""
    with pytest.raises(RejectedError, match="label 'kleur: paars'"):
        ea.with_connector(
            lambda c: c.create(
                Entity.products,
                {
                    "sku": "X1",
                    "name": "X",
                    "unit": "st",
                    "taxRate": "21",
                    "features": {"kleur": "paars"},
                },
            )
        )
    with pytest.raises(RejectedError, match="UnitId"):
        ea.with_connector(
            lambda c: c.create(Entity.products, {"sku": "X1", "name": "X", "taxRate": "21"})
        )


def _order(number: str, *, sku: str = "1000") -> Order:
    return Order(
        number=number,
        date=dt.date(2024, 5, 1),
        customer=Customer(email="piet@example.test"),
        shipping_address=Address(street="Dorpsstraat", number="5", postal_code="6711 AB",
                                 city="Ede", country="NL"),
        lines=[
            OrderLine(sku=sku, quantity=Decimal(3), unit_price=Decimal("18.50"),
                      discount_percentage=Decimal(10)),
            OrderLine(kind=LineKind.text, description="Bedankt!"),
        ],
    )  # fmt: skip


def test_order_created_for_the_customer_by_email_and_found_by_reference(ea: EAccounting) -> None:
    """An order without customerId finds its customer by e-mail; lines become article rows
    (discount as a fraction) and a text row; the look-up by YourReference reads it back."""
    record = map_record(Entity.orders, _order("WEB-3001").to_data())

    async def go(c: EAccountingConnector) -> tuple[Any, Any]:
        result = await c.create(Entity.orders, {**record, "orderType": "order"})
        return result, await c.lookup(Entity.orders, "WEB-3001")

    result, found = ea.with_connector(go)
    assert result.extra["orderNumber"] == "1003"
    assert found["customerId"] == "60000000-0000-4000-8000-000000000002"
    assert found["lines"] == [
        {"sku": "1000", "description": "Koffiebonen 1 kg", "quantity": Decimal(3),
         "unitPrice": Decimal("18.5"), "discountPercentage": Decimal(10)},
        {"description": "Bedankt!"},
    ]  # fmt: skip
    assert found["deliveryStreet"] == "Dorpsstraat 5"
    wire = next(o for o in ea.store.rows("orders") if o["YourReference"] == "WEB-3001")
    assert wire["Rows"][0]["DiscountPercentage"] == 0.1
    assert wire["Amount"] == 49.95


def test_invoice_type_writes_a_customer_invoice_draft(ea: EAccounting) -> None:
    """orderType invoice: POST /customerinvoicedrafts; the look-up finds the draft."""
    record = {**map_record(Entity.orders, _order("WEB-3002").to_data()), "orderType": "invoice"}

    async def go(c: EAccountingConnector) -> Any:
        await c.create(Entity.orders, record)
        return await c.lookup(Entity.orders, "WEB-3002")

    found = ea.with_connector(go)
    assert found["orderType"] == "invoice"
    assert found["orderDate"] == "2024-05-01"
    [draft] = ea.store.rows("customerinvoicedrafts")
    assert draft["IncludesVat"] is True  # a private customer


def test_order_with_an_unknown_sku_names_it(ea: EAccounting) -> None:
    """A line whose article eAccounting does not have: refused with the SKU, nothing sent."""
    record = map_record(Entity.orders, _order("WEB-3003", sku="NOPE-1").to_data())
    with pytest.raises(RejectedError, match="no article 'NOPE-1'"):
        ea.with_connector(lambda c: c.create(Entity.orders, record))
    assert len(ea.store.rows("orders")) == 2


def test_lookup_many_batches(ea: EAccounting) -> None:
    """Three e-mails are one OR-filtered call to /customers, not three."""
    transport = RecordingTransport()

    async def go(c: EAccountingConnector) -> Any:
        return await c.lookup_many(
            Entity.customers, ["info@acme.test", "piet@example.test", "nobody@example.test"]
        )

    found = ea.with_connector(go, transport=transport)
    assert set(found) == {"info@acme.test", "piet@example.test"}
    assert [r.url.path for r in transport.requests] == ["/v2/customers"]


def test_master_data_checks(ea: EAccounting) -> None:
    """VAT codes by code, terms of payment by name, debtors by customer number; kinds
    eAccounting does not expose are 'unknown', not 'missing'."""

    async def go(c: EAccountingConnector) -> dict[str, Any]:
        return {
            "vat": await c.check_master_data("vatCode", ["01", "99"]),
            "terms": await c.check_master_data("paymentCondition", ["30 dagen", "90 dagen"]),
            "debtor": await c.check_master_data("debtor", ["1001", "9999"]),
            "ledger": await c.check_master_data("ledgerAccount", ["8000"]),
        }

    checks = ea.with_connector(go)
    assert [c.exists for c in checks["vat"]] == [True, False]
    assert [c.exists for c in checks["terms"]] == [True, False]
    assert [c.exists for c in checks["debtor"]] == [True, False]
    assert [c.exists for c in checks["ledger"]] == [None]


def test_runs_as_coroutines_in_parallel(ea: EAccounting) -> None:
    """Concurrent look-ups share one token: the identity server is asked once."""

    async def go(c: EAccountingConnector) -> list[Any]:
        return await asyncio.gather(*(c.lookup(Entity.products, s) for s in ("1000", "2101")))

    found = ea.with_connector(go)
    assert [f["sku"] for f in found] == ["1000", "2101"]
    assert ea.app.sandbox.token_requests == 1
