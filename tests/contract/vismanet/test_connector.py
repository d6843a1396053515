"""The Visma.net connector against the sandbox: canonical records out (source), target records
in and out (look-up by natural key, create, update of the named fields only), the sandbox's own
validation, stock by adjustment, and the master-data checks."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from connectors.vismanet.connector import VismaNetConnector
from reconciler.canonical import Customer, Entity, Order, Product, StockLevel
from reconciler.errors import NotFoundError, RejectedError
from tests.contract.vismanet.conftest import VismaNet

T = TypeVar("T")


def run(vismanet: VismaNet, scenario: Callable[[VismaNetConnector], Awaitable[T]]) -> T:
    async def main() -> T:
        connector = vismanet.connector()
        try:
            return await scenario(connector)
        finally:
            await connector.aclose()

    return asyncio.run(main())


async def _read(connector: VismaNetConnector, entity: Entity, cursor: str | None = None) -> Any:
    pages = [page async for page in connector.read(entity, cursor=cursor)]
    return [r for p in pages for r in p.records], pages[-1].cursor, pages


def test_reads_canonical_records_of_every_entity(vismanet: VismaNet) -> None:
    """Customers, items, stock per warehouse and orders (with their customer's e-mail)."""

    async def scenario(c: VismaNetConnector) -> Any:
        await c.create(
            Entity.orders,
            {
                "orderType": "SO",
                "orderNumber": "WEB-1",
                "customer": "10001",
                "customerRefNo": "Webshop 1",
                "lines": [{"inventoryNumber": "ITEM-100", "quantity": "2", "unitPrice": "15"}],
            },
        )
        return [
            await _read(c, e)
            for e in (Entity.customers, Entity.products, Entity.stock, Entity.orders)
        ]

    (customers, _, _), (products, _, _), (stock, _, _), (orders, _, _) = run(vismanet, scenario)
    acme = next(c for c in customers if isinstance(c, Customer) and c.source_id == "10001")
    assert (acme.email, acme.company_name, acme.first_name) == ("info@acme.test", "Acme BV", "Jan")
    assert acme.billing_address is not None
    assert acme.billing_address.city == "Utrecht"
    shirt = next(p for p in products if isinstance(p, Product) and p.sku == "ITEM-100")
    assert (shirt.name, shirt.price_excl_tax, shirt.group) == ("T-shirt", Decimal(15), "GOODS")
    assert not next(p for p in products if isinstance(p, Product) and p.sku == "OLD-1").active
    levels = {s.sku: s for s in stock if isinstance(s, StockLevel)}
    assert (levels["ITEM-100"].available, levels["ITEM-100"].warehouse) == (Decimal(40), "MAIN")
    [order] = orders
    assert isinstance(order, Order)
    assert (order.number, order.reference, order.branch) == ("WEB-1", "Webshop 1", "1")
    assert order.customer is not None
    assert order.customer.email == "info@acme.test"
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("ITEM-100", Decimal(2))]


def test_incremental_reads_from_the_modification_cursor(vismanet: VismaNet) -> None:
    """After a read, only records modified since come back; only the last page has a cursor."""
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # after the seed's records
    clock = {"now": start}
    vismanet.store.clock = lambda: clock["now"]
    for i in range(5):
        vismanet.store.create_customer(
            {"number": f"4{i:04d}", "name": f"K{i}", "customerClassId": "01"}
        )

    async def scenario(c: VismaNetConnector) -> Any:
        c.page_size = 2
        first, cursor, pages = await _read(c, Entity.customers)
        clock["now"] = start + dt.timedelta(hours=1)
        await c.update(
            Entity.customers, "info@acme.test", {"phone": "030-9999999"}, fields=["phone"]
        )
        later, _, resumed = await _read(c, Entity.customers, cursor)
        return first, cursor, pages, later, resumed

    first, cursor, pages, later, resumed = run(vismanet, scenario)
    assert len(first) == 7
    # Before the last page, a page resumes where the read started: from the beginning here.
    assert [p.cursor for p in pages[:-1]] == [None] * (len(pages) - 1)
    assert cursor is not None
    assert [p.cursor for p in resumed[:-1]] == [cursor] * (len(resumed) - 1)
    assert resumed[-1].cursor is not None
    assert resumed[-1].cursor > cursor
    # The changed one, and those stamped at the cursor itself (>=: read again, never missed).
    assert {c.source_id for c in later} == {"10001", *(f"4{i:04d}" for i in range(5))}
    assert next(c for c in later if c.source_id == "10001").phone == "030-9999999"


def test_customer_lookup_create_and_update_of_named_fields(vismanet: VismaNet) -> None:
    """Found by e-mail in any case; created with its contact; an update of the phone leaves
    name, address and contact person as they were."""
    record = {
        "email": "Inkoop@Hotel.test",
        "name": "Hotel De Dam BV",
        "contactName": "Ria Smit",
        "addressLine1": "Dam 1",
        "postalCode": "1012 JS",
        "city": "Amsterdam",
        "country": "NL",
        "creditTermsId": "14D",
    }

    async def scenario(c: VismaNetConnector) -> Any:
        assert await c.lookup(Entity.customers, "inkoop@hotel.test") is None
        created = await c.create(Entity.customers, record)
        await c.update(Entity.customers, "inkoop@hotel.test", {"phone": "020-1"}, fields=["phone"])
        return created, await c.lookup(Entity.customers, "INKOOP@hotel.test")

    created, found = run(vismanet, scenario)
    assert created.target_id == found["number"]
    assert found == {
        **{k: v for k, v in record.items() if k != "email"},
        "email": "Inkoop@Hotel.test",
        "number": created.target_id,
        "phone": "020-1",
        "status": "Active",
        "currencyId": "EUR",
        "customerClassId": "01",
        "vatZoneId": "01",
    }


def test_customer_master_data_is_the_apis_own_validation(vismanet: VismaNet) -> None:
    """No class and no company default, a class without a default VAT zone, an unknown VAT
    zone: each a 400 naming what is missing."""
    vismanet.store.default_customer_class = None

    async def attempt(c: VismaNetConnector, record: dict[str, Any]) -> str:
        with pytest.raises(RejectedError) as caught:
            await c.create(Entity.customers, {"email": "x@y.test", "name": "X", **record})
        return caught.value.detail

    async def scenario(c: VismaNetConnector) -> list[str]:
        return [
            await attempt(c, {}),
            await attempt(c, {"customerClassId": "NOZONE"}),
            await attempt(c, {"customerClassId": "01", "vatZoneId": "99"}),
        ]

    no_class, no_zone, bad_zone = run(vismanet, scenario)
    assert "'Customer class' cannot be empty" in no_class
    assert "'VAT zone' cannot be empty" in no_zone
    assert "VAT zone '99' cannot be found" in bad_zone


def test_product_create_and_update_keep_what_is_not_named(vismanet: VismaNet) -> None:
    """An item is found by inventoryNumber; an update of the description keeps its long
    description, and custom fields update the attributes named, keeping the others."""
    record = {
        "inventoryNumber": "NK-1",
        "description": "Tent",
        "longDescription": "Lange tekst",
        "itemClass": "GOODS",
        "vatCode": "01",
        "defaultPrice": "99.50",
        "ean": "8712345678906",
        "currency": "EUR",
        "customFields": {"COLOUR": "Groen", "BRAND": "Noordkaap"},
    }

    async def scenario(c: VismaNetConnector) -> Any:
        await c.create(Entity.products, record)
        changed = {"description": "Tent 2p", "customFields": {"COLOUR": "Rood"}}
        await c.update(Entity.products, "NK-1", changed, fields=list(changed))
        return await c.lookup(Entity.products, "NK-1")

    found = run(vismanet, scenario)
    assert found["description"] == "Tent 2p"
    assert found["longDescription"] == "Lange tekst"
    assert found["customFields"] == {"COLOUR": "Rood", "BRAND": "Noordkaap"}
    assert (found["defaultPrice"], found["ean"]) == (Decimal("99.5"), "8712345678906")


def test_product_refusals(vismanet: VismaNet) -> None:
    """Another currency, an unknown item class, attribute or VAT category, an unknown field."""

    async def attempt(c: VismaNetConnector, extra: dict[str, Any]) -> str:
        with pytest.raises(RejectedError) as caught:
            await c.create(Entity.products, {"inventoryNumber": "Z", "description": "Z", **extra})
        return caught.value.detail

    async def scenario(c: VismaNetConnector) -> list[str]:
        return [
            await attempt(c, {"currency": "DKK"}),
            await attempt(c, {"itemClass": "NOPE"}),
            await attempt(c, {"customFields": {"WEIGHT": "2"}}),
            await attempt(c, {"vatCode": "77"}),
            await attempt(c, {"colour": "red"}),
        ]

    currency, item_class, attribute, vat, unknown = run(vismanet, scenario)
    assert "DKK" in currency
    assert "Item class 'NOPE'" in item_class
    assert "Attribute 'WEIGHT'" in attribute
    assert "VAT category '77'" in vat
    assert "unknown products field(s) colour" in unknown


def test_order_create_adds_the_branch_and_checks_items(vismanet: VismaNet) -> None:
    """An order finds its customer by e-mail when it names none, gets the connection's branch,
    is found again by its number; a line for an unknown or inactive item is refused naming it;
    an existing order is never changed."""
    order = {
        "orderType": "SO",
        "orderNumber": "EA-1001",
        "customerEmail": "piet@example.test",
        "lines": [{"inventoryNumber": "ITEM-200", "quantity": "1", "taxCategory": "02"}],
    }

    async def scenario(c: VismaNetConnector) -> Any:
        created = await c.create(Entity.orders, order)
        found = await c.lookup(Entity.orders, "EA-1001")
        errors = []
        for sku in ("NK-404", "OLD-1"):
            bad = {**order, "orderNumber": f"X-{sku}", "lines": [{"inventoryNumber": sku}]}
            with pytest.raises(RejectedError) as caught:
                await c.create(Entity.orders, bad)
            errors.append(caught.value.detail)
        with pytest.raises(RejectedError):
            await c.update(Entity.orders, "EA-1001", {"description": "x"}, fields=["description"])
        with pytest.raises(RejectedError) as nobody:
            await c.create(
                Entity.orders, {**order, "orderNumber": "Y", "customerEmail": "no@x.test"}
            )
        return created, found, errors, nobody.value.detail

    created, found, errors, nobody = run(vismanet, scenario)
    assert created.target_id == "EA-1001"
    assert (found["customer"], found["branchNumber"], found["orderType"]) == ("10002", "1", "SO")
    assert found["lines"][0]["unitPrice"] == Decimal(45)  # the item's default price
    assert "'NK-404' cannot be found" in errors[0]
    assert "'OLD-1' is Inactive" in errors[1]
    assert "no@x.test" in nobody


def test_stock_is_set_by_a_released_adjustment(vismanet: VismaNet) -> None:
    """Setting stock to 55 adjusts by +15 and releases the adjustment; no change, no document."""

    async def scenario(c: VismaNetConnector) -> Any:
        moved = await c.update(Entity.stock, "ITEM-100", {"quantity": "55"}, fields=["quantity"])
        same = await c.update(Entity.stock, "ITEM-100", {"quantity": "55"}, fields=["quantity"])
        with pytest.raises(NotFoundError):
            await c.update(Entity.stock, "NOPE", {"quantity": "1"}, fields=["quantity"])
        return moved, same, await c.lookup(Entity.stock, "ITEM-100")

    moved, same, found = run(vismanet, scenario)
    assert moved.extra["moved"] == "15"
    assert same.extra == {"moved": "0"}
    assert found == {"inventoryNumber": "ITEM-100", "quantity": Decimal(55)}
    assert [a["status"] for a in vismanet.store.adjustments.values()] == ["Released"]


def test_master_data_checks(vismanet: VismaNet) -> None:
    """VAT categories, VAT zones, customer classes, branches, credit terms and default
    debtors are checked against Visma.net; other kinds are reported as not checked."""

    async def scenario(c: VismaNetConnector) -> dict[str, dict[str, bool | None]]:
        asked = {
            "vatCode": ["01", "99"],
            "vatZone": ["02", "XX"],
            "customerClass": ["EU", "ZZ"],
            "branch": ["1", "7"],
            "paymentCondition": ["30D", "60D"],
            "debtor": ["10001", "99999"],
            "ledgerAccount": ["8000"],
        }
        out = {}
        for kind, codes in asked.items():
            out[kind] = {m.code: m.exists for m in await c.check_master_data(kind, codes)}
        return out

    checks = run(vismanet, scenario)
    assert checks["ledgerAccount"] == {"8000": None}
    for kind, result in checks.items():
        if kind != "ledgerAccount":
            assert sorted(result.values()) == [False, True], kind


def test_the_legacy_path_form_answers_too(vismanet: VismaNet) -> None:
    """``/API/controller/api/v1`` (the 2016 description's base path) serves the same API."""
    client = vismanet.client(endpoint=vismanet.origin + "/API/controller/api/v1")

    async def scenario() -> Any:
        try:
            return await client.get_one("inventory", "ITEM-100")
        finally:
            await client.aclose()

    found = asyncio.run(scenario())
    assert found is not None
    assert found["description"] == "T-shirt"
