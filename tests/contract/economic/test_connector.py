"""The e-conomic connector (canonical in and out) against the sandbox over loopback HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from connectors import registry
from connectors.economic.connector import EconomicConnector
from connectors.economic.mapping import DEFAULT_MAPPING
from connectors.economic.tuning import COMPARISON
from reconciler.canonical import Address, Customer, Entity, Order, OrderStatus, Product
from reconciler.errors import NotFoundError, RejectedError
from reconciler.mapping.expressions import read
from reconciler.plan.actions import ActionKind
from reconciler.plan.diff import plan_record
from reconciler.spec.models.base import SecretRef
from reconciler.spec.models.tenant import EconomicConnection

from .conftest import APP, GRANT, Economic


async def _all(connector: EconomicConnector, entity: Entity, cursor: str | None = None) -> Any:
    pages = [page async for page in connector.read(entity, cursor=cursor)]
    return pages, [r for p in pages for r in p.records]


def _mapped(entity: Entity, record: Any) -> dict[str, Any]:
    data = record.to_data()
    values = {
        field: read(data, expression) for field, expression in DEFAULT_MAPPING[entity].items()
    }
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def test_customers_read_as_companies_with_contacts_and_persons(economic: Economic) -> None:
    """A customer with a contact, a CVR or a VAT number is a company whose contact person is
    the customer contact; any other is a person with first and last name; addresses are split
    and countries given as ISO codes."""
    pages, records = economic.with_connector(lambda c: _all(c, Entity.customers))
    assert len(pages) == 2
    company, person, dutch = records
    assert isinstance(company, Customer)
    assert (company.company_name, company.first_name, company.last_name) == (
        "Fjeldudstyr ApS", "Mette", "Holm",
    )  # fmt: skip
    assert company.email == "indkob@fjeldudstyr.test"
    assert company.coc_number == "12345678"
    assert company.billing_address == Address(
        street="Vesterbrogade", number="12", postal_code="1620", city="København V", country="DK"
    )
    assert isinstance(person, Customer)
    assert not person.is_company
    assert (person.first_name, person.last_name) == ("Lars", "Nielsen")
    assert person.billing_address is not None
    assert person.billing_address.number_suffix == "2. th"
    assert isinstance(dutch, Customer)
    assert dutch.is_company
    assert dutch.first_name is None
    assert dutch.billing_address is not None
    assert dutch.billing_address.country == "NL"


def test_incremental_read_returns_only_what_changed(economic: Economic) -> None:
    """The cursor of a full read is the newest lastUpdated; the page before the last carries
    the cursor the read started from (resuming repeats the increment, never skips it); the next
    read from the cursor brings only customers changed since."""
    pages, _ = economic.with_connector(lambda c: _all(c, Entity.customers))
    assert pages[0].cursor is None
    cursor = pages[-1].cursor
    assert cursor is not None
    assert json.loads(cursor) == {"since": "2024-03-01T08:15:00Z"}
    economic.clock.advance(3600)

    async def change(c: EconomicConnector) -> Any:
        await c.update(Entity.customers, "lars.nielsen@example.test", {"city": "Aarhus N"},
                       fields=["city"])  # fmt: skip
        return await _all(c, Entity.customers, cursor)

    later_pages, later = economic.with_connector(change)
    assert [r.email for r in later] == ["lars.nielsen@example.test", "inkoop@bergsport.test"]
    assert json.loads(later_pages[-1].cursor) == {"since": "2024-04-01T13:00:00Z"}
    # The boundary customer (same second as the cursor) is read again: $gte, never a gap.
    _, again = economic.with_connector(lambda c: _all(c, Entity.customers, later_pages[-1].cursor))
    assert [r.email for r in again] == ["lars.nielsen@example.test"]


def test_incremental_read_with_nothing_changed_yields_no_page(economic: Economic) -> None:
    """No customer changed since the cursor: no page, so the stored cursor stays."""
    cursor = json.dumps({"since": "2025-01-01T00:00:00Z"})
    pages, records = economic.with_connector(lambda c: _all(c, Entity.customers, cursor))
    assert pages == []
    assert records == []


def test_products_read(economic: Economic) -> None:
    """Products come with price excl. tax, cost price, EAN, unit name and group."""
    _, records = economic.with_connector(lambda c: _all(c, Entity.products))
    boot = next(r for r in records if r.sku == "NK-100")
    assert isinstance(boot, Product)
    assert boot.price_excl_tax == Decimal("1199.0")
    assert (boot.ean, boot.unit, boot.group, boot.active) == ("5701234567892", "stk.", "1", True)


def test_orders_read_with_lines_and_customer(economic: Economic) -> None:
    """Draft and archived orders are read with their lines (from the document) and their
    customer (with e-mail, for matching); an archived order is completed."""
    pages, records = economic.with_connector(lambda c: _all(c, Entity.orders))
    by_number = {r.number: r for r in records}
    draft, archived = by_number["1"], by_number["2"]
    assert isinstance(draft, Order)
    assert isinstance(archived, Order)
    assert draft.reference == "WEB-1002"
    assert draft.customer is not None
    assert draft.customer.email == "lars.nielsen@example.test"
    assert [(line.sku, line.quantity, line.unit_price) for line in draft.lines] == [
        ("NK-200", Decimal("1.0"), Decimal("899.5")),
        ("FRAGT", Decimal("1.0"), Decimal("49.0")),
    ]
    assert draft.total_incl_tax == Decimal("1185.63")
    assert archived.status is OrderStatus.completed
    assert archived.customer is not None
    assert archived.customer.company_name == "Fjeldudstyr ApS"
    assert json.loads(pages[-1].cursor) == {"date": "2024-03-02"}


def test_lookup_customers_by_email_in_batches(economic: Economic) -> None:
    """Customers are found by e-mail in any case; absent ones are left out."""

    async def go(c: EconomicConnector) -> Any:
        return await c.lookup_many(
            Entity.customers, ["INDKOB@fjeldudstyr.test", "inkoop@bergsport.test", "no@one.test"]
        )

    found = economic.with_connector(go)
    assert sorted(found) == ["INDKOB@fjeldudstyr.test", "inkoop@bergsport.test"]
    assert found["INDKOB@fjeldudstyr.test"]["customerNumber"] == 101
    assert found["INDKOB@fjeldudstyr.test"]["contact"] == "Mette Holm"
    assert found["inkoop@bergsport.test"]["vatZone"] == 2


def test_a_company_is_created_with_its_contact_and_reads_back_without_drift(
    economic: Economic,
) -> None:
    """A canonical company through the default mapping becomes a customer with a customer
    contact; the look-up equals the desired record (no drift), and a read gives the company
    and its contact person back."""
    customer = Customer(
        email="sanne@buitenhuis.test",
        company_name="Buitenhuis BV",
        first_name="Sanne",
        name_prefix="de",
        last_name="Vries",
        currency="EUR",
        billing_address=Address(street="Kerkstraat", number="5", postal_code="1017 GA",
                                city="Amsterdam", country="NL"),
    )  # fmt: skip
    desired = _mapped(Entity.customers, customer)

    async def go(c: EconomicConnector) -> Any:
        result = await c.create(Entity.customers, desired)
        actual = await c.lookup(Entity.customers, "sanne@buitenhuis.test")
        _, records = await _all(c, Entity.customers)
        return result, actual, records

    result, actual, records = economic.with_connector(go)
    assert result.target_id == "104"
    assert actual["vatZone"] == 2  # NL on a Danish agreement: EU
    assert actual["contact"] == "Sanne de Vries"
    action = plan_record(
        "sanne@buitenhuis.test", desired, actual, rules=COMPARISON[Entity.customers]
    )
    assert action.kind is ActionKind.noop
    read_back = next(r for r in records if r.email == "sanne@buitenhuis.test")
    assert (read_back.company_name, read_back.first_name, read_back.name_prefix,
            read_back.last_name) == ("Buitenhuis BV", "Sanne", "de", "Vries")  # fmt: skip


def test_a_person_is_created_without_contact(economic: Economic) -> None:
    """A person gets no contact; the defaults fill e-conomic's required references."""
    person = Customer(email="ole@example.test", first_name="Ole", last_name="Hansen",
                      billing_address=Address(city="Roskilde", country="DK"))  # fmt: skip

    async def go(c: EconomicConnector) -> Any:
        await c.create(Entity.customers, _mapped(Entity.customers, person))
        return await c.client.customer_by_email("ole@example.test")

    stored = economic.with_connector(go)
    assert stored["name"] == "Ole Hansen"
    assert "attention" not in stored
    assert (stored["vatZone"]["vatZoneNumber"], stored["currency"]) == (1, "DKK")
    assert stored["customerGroup"]["customerGroupNumber"] == 1


def test_update_changes_named_fields_and_the_contact(economic: Economic) -> None:
    """An update puts the whole customer back with only the named fields changed, keeps the
    customer's other e-mail addresses, and renames the contact person."""
    economic.store.tables["customers"][101]["email"] = (
        "indkob@fjeldudstyr.test kopi@fjeldudstyr.test"
    )

    async def go(c: EconomicConnector) -> Any:
        await c.update(
            Entity.customers,
            "indkob@fjeldudstyr.test",
            {
                "city": "Frederiksberg",
                "contact": "Mette Holm Berg",
                "email": "indkob@fjeldudstyr.test",
            },
            fields=["city", "contact", "email"],
        )
        return await c.lookup(Entity.customers, "indkob@fjeldudstyr.test")

    actual = economic.with_connector(go)
    assert actual["city"] == "Frederiksberg"
    assert actual["contact"] == "Mette Holm Berg"
    assert actual["corporateIdentificationNumber"] == "12345678"
    stored = economic.store.one("customers", 101)
    assert stored["email"] == "indkob@fjeldudstyr.test kopi@fjeldudstyr.test"
    with pytest.raises(NotFoundError):
        economic.with_connector(
            lambda c: c.update(Entity.customers, "nobody@x.test", {"city": "X"}, fields=["city"])
        )


def test_a_mapped_payment_term_that_is_no_number_is_rejected(economic: Economic) -> None:
    """A code e-conomic cannot have (``30D``) is refused before sending, with the field named."""
    with pytest.raises(RejectedError, match="paymentTerms '30D' is not an e-conomic number"):
        economic.with_connector(
            lambda c: c.create(
                Entity.customers, {"email": "a@b.test", "name": "A", "paymentTerms": "30D"}
            )
        )


def test_products_are_created_and_updated(economic: Economic) -> None:
    """A product through the default mapping is created in the default group; an update of the
    price leaves the rest alone; a product in another currency is refused."""
    product = Product(
        sku="NK-300",
        name="Pandelampe",
        long_description="LED, 300 lumen",
        price_excl_tax=Decimal("199.00"),
        ean="5701234567908",
        currency="DKK",
    )
    desired = _mapped(Entity.products, product)

    async def go(c: EconomicConnector) -> Any:
        await c.create(Entity.products, desired)
        first = await c.lookup(Entity.products, "NK-300")
        await c.update(
            Entity.products, "NK-300", {"salesPrice": Decimal("179.5")}, fields=["salesPrice"]
        )
        return first, await c.lookup(Entity.products, "NK-300")

    first, second = economic.with_connector(go)
    assert (
        plan_record("NK-300", desired, first, rules=COMPARISON[Entity.products]).kind
        is ActionKind.noop
    )
    assert second["salesPrice"] == Decimal("179.5")
    assert second["barCode"] == "5701234567908"
    assert second["productGroup"] == 1
    with pytest.raises(RejectedError, match="agreement's currency DKK"):
        economic.with_connector(
            lambda c: c.create(Entity.products, {**desired, "sku": "NK-301", "currency": "EUR"})
        )


def _order(reference: str, **extra: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "lines": [{"sku": "NK-100", "description": "Vandrestøvle", "quantity": Decimal(2),
                   "unitNetPrice": Decimal("1000")}],
        **extra,
    }  # fmt: skip


def test_orders_are_created_as_draft_orders_or_invoices_and_found_by_reference(
    economic: Economic,
) -> None:
    """An order becomes a draft order, an invoice a draft invoice; the customer comes from the
    number (given as text, as the engine does) or the e-mail; both are found by reference."""

    async def go(c: EconomicConnector) -> Any:
        one = await c.create(Entity.orders, _order("EA-1", customerNumber="102", orderType="order"))
        two = await c.create(Entity.orders, _order("EA-2", customerEmail="inkoop@bergsport.test",
                                                   orderType="invoice"))  # fmt: skip
        found = await c.lookup_many(Entity.orders, ["EA-1", "EA-2", "WEB-1001", "EA-9"])
        return one, two, found

    one, two, found = economic.with_connector(go)
    assert one.extra["collection"] == "orders/drafts"
    assert one.target_id == "3"
    assert two.extra["collection"] == "invoices/drafts"
    assert two.target_id == "1"
    assert sorted(found) == ["EA-1", "EA-2", "WEB-1001"]
    assert found["EA-1"]["orderType"] == "order"
    assert found["EA-2"]["orderType"] == "invoice"
    assert found["EA-2"]["customerNumber"] == 103
    assert found["EA-2"]["vatZone"] == 2
    assert found["EA-2"]["currency"] == "EUR"
    assert found["EA-1"]["lines"] == [
        {"sku": "NK-100", "description": "Vandrestøvle", "quantity": Decimal(2),
         "unitNetPrice": Decimal("1000")}
    ]  # fmt: skip
    draft = economic.store.one("invoices/drafts", 1)
    assert draft["grossAmount"] == 2000.0  # EU zone: no Danish VAT


def test_an_order_without_a_known_customer_is_rejected_or_goes_to_the_default(
    economic: Economic,
) -> None:
    """No number and no customer with the e-mail: rejected with what to do, unless the
    connection has a default customer."""
    with pytest.raises(RejectedError, match="sync the customer first"):
        economic.with_connector(
            lambda c: c.create(Entity.orders, _order("EA-3", customerEmail="x@y.test"))
        )
    with pytest.raises(RejectedError, match="customer 4242 does not exist"):
        economic.with_connector(
            lambda c: c.create(Entity.orders, _order("EA-3", customerNumber="4242"))
        )
    result = economic.with_connector(
        lambda c: c.create(Entity.orders, _order("EA-3", customerEmail="x@y.test")),
        default_customer=101,
    )
    assert result.extra["customerNumber"] == "101"


def test_orders_are_never_updated(economic: Economic) -> None:
    """An order once written is not changed."""
    with pytest.raises(RejectedError, match="never changed"):
        economic.with_connector(
            lambda c: c.update(Entity.orders, "WEB-1002", {"remark": "x"}, fields=["remark"])
        )


def test_unknown_fields_are_refused(economic: Economic) -> None:
    """A mapping that produces a field e-conomic's vocabulary lacks fails, naming it."""
    with pytest.raises(RejectedError, match="unknown customers field"):
        economic.with_connector(
            lambda c: c.create(Entity.customers, {"email": "a@b.test", "nam": "A"})
        )


def test_master_data_is_checked(economic: Economic) -> None:
    """Payment terms, VAT zones, customer numbers (default debtors) and ledger accounts are
    checked against the agreement; VAT codes are not exposed."""

    async def go(c: EconomicConnector) -> Any:
        return {
            kind: await c.check_master_data(kind, codes)
            for kind, codes in {
                "paymentCondition": ["1", "9"],
                "vatZone": ["2"],
                "debtor": ["101", "30001", "x"],
                "ledgerAccount": ["1010", "9999"],
                "vatCode": ["U25"],
            }.items()
        }

    checks = economic.with_connector(go)
    assert [c.exists for c in checks["paymentCondition"]] == [True, False]
    assert checks["paymentCondition"][0].detail == "Netto 8 dage"
    assert [c.exists for c in checks["vatZone"]] == [True]
    assert [c.exists for c in checks["debtor"]] == [True, False, False]
    assert [c.exists for c in checks["ledgerAccount"]] == [True, False]
    assert [c.exists for c in checks["vatCode"]] == [None]


def test_registry_connects_an_economic_connection(economic: Economic) -> None:
    """``registry.connect`` builds the connector from a tenant connection and its secrets."""
    connection = EconomicConnection.model_validate(
        {"system": "e-conomic", "endpoint": economic.url,
         "appSecretToken": {"env": "APP"}, "agreementGrantToken": {"env": "GRANT"}}
    )  # fmt: skip
    values = {"APP": APP, "GRANT": GRANT}

    def secret(ref: SecretRef, what: str) -> str:
        assert "e-conomic" in what
        return values[str(ref.env)]

    connector = registry.connect(connection, secret=secret)
    assert isinstance(connector, EconomicConnector)

    async def go() -> Any:
        try:
            return await connector.lookup(Entity.products, "NK-100")
        finally:
            await connector.aclose()

    import asyncio

    assert asyncio.run(go())["name"] == "Vandrestøvle Fjeld"
