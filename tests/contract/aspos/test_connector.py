"""The AsPos connector in both roles against the sandbox: canonical records out, target records
in, look-ups by natural key, and the registry's ``connect`` for a tenant connection."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from connectors import registry
from connectors.aspos.connector import AsposConnector
from connectors.aspos.sandbox import for_connection
from connectors.base import Page
from connectors.sandbox import SandboxServer
from reconciler.canonical import (
    CanonicalRecord,
    Customer,
    Entity,
    LineKind,
    Order,
    OrderStatus,
    StockLevel,
)
from reconciler.errors import NotFoundError, RejectedError
from reconciler.spec.models.tenant import AsposConnection

from .conftest import Harness


async def _all(
    connector: AsposConnector, entity: Entity, cursor: str | None = None, full: bool = False
) -> list[Page[CanonicalRecord]]:
    return [page async for page in connector.read(entity, cursor=cursor, full=full)]


def test_customers_are_read_page_by_page_as_canonical_records(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.customers, full=True), page_size=2)
    assert [len(p.records) for p in pages] == [2, 1]
    company = pages[0].records[0]
    assert isinstance(company, Customer)
    assert company.is_company
    assert company.company_name == "Beispiel GmbH"
    assert company.billing_address is not None
    assert company.billing_address.country == "DE"
    assert pages[-1].cursor == "2026-01-07T09:00:00Z"


def test_an_incremental_read_starts_at_the_cursor(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.customers, cursor="2026-01-07T09:00:00Z"))
    assert [r.key for p in pages for r in p.records] == [None]  # the same second, again
    aspos.run(lambda c: c.update_customer("1002", {"phone": "0170 1"}))
    pages = aspos.connect(lambda c: _all(c, Entity.customers, cursor=pages[-1].cursor))
    assert [r.key for p in pages for r in p.records][-1] == "max.mustermann@example.test"
    assert pages[-1].cursor is not None
    assert pages[-1].cursor > "2026-01-07T09:00:00Z"


def test_nothing_new_is_one_empty_page_keeping_the_cursor(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.orders, cursor="2099-01-01T00:00:00Z"))
    assert [(len(p.records), p.cursor) for p in pages] == [(0, "2099-01-01T00:00:00Z")]
    with pytest.raises(ValueError, match="not an AsPos cursor"):
        aspos.connect(lambda c: _all(c, Entity.orders, cursor="gestern"))


def test_orders_come_with_their_customers(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.orders, full=True))
    orders = [r for p in pages for r in p.records]
    assert all(isinstance(o, Order) for o in orders)
    first, anonymous = orders[0], orders[1]
    assert isinstance(first, Order)
    assert isinstance(anonymous, Order)
    assert first.customer is not None
    assert first.customer.email == "einkauf@beispiel-gmbh.test"
    assert first.customer.company_name == "Beispiel GmbH"
    assert (first.status, first.paid, first.branch, first.channel) == (
        OrderStatus.completed, True, "1", "cash-register"
    )  # fmt: skip
    assert first.custom_fields == {"cashier": "Anna"}
    assert first.lines[0].kind is LineKind.item
    assert first.lines[0].unit_price == Decimal(10)
    assert anonymous.customer is None


def test_orders_of_another_store_are_not_read(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.orders, full=True), store="2")
    assert [r for p in pages for r in p.records] == []


def test_stock_of_the_store(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.stock, full=True))
    levels = {r.key: r for p in pages for r in p.records if isinstance(r, StockLevel)}
    assert levels["100-01"].available == 12
    assert levels["100-01"].reserved == 2
    assert levels["200-01"].available == 0


def test_products_as_canonical_records(aspos: Harness) -> None:
    pages = aspos.connect(lambda c: _all(c, Entity.products, full=True))
    product = next(r for p in pages for r in p.records if r.key == "100-01")
    assert product.ean == "4006381333931"  # type: ignore[union-attr]
    assert product.price_excl_tax == Decimal("8.4")  # type: ignore[union-attr]
    assert product.long_description == "Der erste Artikel"  # type: ignore[union-attr]


def test_lookup_many_answers_each_entity_in_batches(aspos: Harness) -> None:
    async def go(c: AsposConnector) -> list[dict[str, dict[str, object]]]:
        return [
            await c.lookup_many(Entity.customers, ["MAX.mustermann@example.test", "x@y.test"]),
            await c.lookup_many(Entity.products, ["100-01", "nope"]),
            await c.lookup_many(Entity.stock, ["100-01"]),
            await c.lookup_many(Entity.orders, ["unknown"]),
        ]

    customers, products, stock, orders = aspos.connect(go)
    assert customers["MAX.mustermann@example.test"]["customerId"] == "1002"
    assert customers["MAX.mustermann@example.test"]["city"] == "München"
    assert list(products) == ["100-01"]
    assert products["100-01"]["articleId"] == "5001"
    assert stock["100-01"] == {"sku": "100-01", "quantity": 12, "reserved": 2, "managed": True}
    assert orders == {}


def test_customers_are_created_and_updated_field_by_field(aspos: Harness) -> None:
    record = {
        "email": "neu@firma.test",
        "companyName": "Firma Neu",
        "firstName": "Nina",
        "lastName": "Neu",
        "street": "Weg",
        "houseNumber": "2",
        "postalCode": "5020",
        "city": "Salzburg",
        "country": "at",
        "customFields": {"loyaltyCard": "L-1"},
    }

    async def go(c: AsposConnector) -> dict[str, object] | None:
        created = await c.create(Entity.customers, record)
        assert created.key == "neu@firma.test"
        assert created.target_id
        await c.update(
            Entity.customers, "neu@firma.test", {**record, "city": "Linz"}, fields=["city"]
        )
        return await c.lookup(Entity.customers, "neu@firma.test")

    found = aspos.connect(go)
    assert found is not None
    assert (found["city"], found["street"], found["country"]) == ("Linz", "Weg", "AT")
    assert found["customFields"] == {"loyaltyCard": "L-1"}
    wire = aspos.store.customers[int(str(found["customerId"]))]
    assert wire["type"] == "company"
    with pytest.raises(NotFoundError):
        aspos.connect(lambda c: c.update(Entity.customers, "no@x.test", {}, fields=[]))
    with pytest.raises(RejectedError, match="unknown customers field"):
        aspos.connect(lambda c: c.create(Entity.customers, {"email": "a@b.test", "Nm": "x"}))


def test_products_and_stock_are_written(aspos: Harness) -> None:
    async def go(c: AsposConnector) -> tuple[object, object]:
        await c.create(
            Entity.products,
            {"sku": "300-01", "name": "Klingel", "priceInclTax": Decimal("12.90")},
        )
        await c.update(
            Entity.products, "300-01", {"priceInclTax": Decimal("13.9")}, fields=["priceInclTax"]
        )
        await c.create(Entity.stock, {"sku": "300-01", "quantity": Decimal(5), "managed": True})
        await c.update(Entity.stock, "300-01", {"quantity": Decimal(4)}, fields=["quantity"])
        return await c.lookup(Entity.products, "300-01"), await c.lookup(Entity.stock, "300-01")

    product, stock = aspos.connect(go)
    assert product["priceInclTax"] == Decimal("13.9")  # type: ignore[index]
    assert stock["quantity"] == 4  # type: ignore[index]
    with pytest.raises(NotFoundError, match="no article with SKU 404"):
        aspos.connect(lambda c: c.update(Entity.stock, "404", {"quantity": 1}, fields=["quantity"]))


def test_an_order_is_created_once_with_its_customer_found_by_email(aspos: Harness) -> None:
    record = {"reference": "60000007", "email": "Max.Mustermann@example.test",
              "status": "paid", "paymentMethod": "PAYPAL",
              "lines": [{"type": "article", "sku": "100-02", "quantity": Decimal(1),
                         "unitPrice": Decimal(20)}],
              "shippingAddress": {"name": "Max", "street": "Gartenweg", "houseNumber": 7,
                                  "city": "München", "country": "de"}}  # fmt: skip

    async def go(c: AsposConnector) -> dict[str, object] | None:
        result = await c.create(Entity.orders, record)
        assert result.key == "60000007"
        assert result.extra["number"].startswith("1-")
        return await c.lookup(Entity.orders, "60000007")

    found = aspos.connect(go)
    assert found is not None
    assert (found["customerId"], found["status"], found["type"]) == ("1002", "paid", "order")
    address = {"name": "Max", "street": "Gartenweg", "houseNumber": "7", "city": "München"}
    assert found["shippingAddress"] == {**address, "country": "DE"}
    with pytest.raises(RejectedError, match="already has externalReference"):
        aspos.connect(lambda c: c.create(Entity.orders, record))
    with pytest.raises(RejectedError, match="never changed"):
        aspos.connect(lambda c: c.update(Entity.orders, "60000007", record, fields=["status"]))
    unknown = {**record, "reference": "60000008", "email": "new@x.test"}
    with pytest.raises(RejectedError, match=r"no customer with e-mail new@x\.test"):
        aspos.connect(lambda c: c.create(Entity.orders, unknown))


def test_master_data_checks(aspos: Harness) -> None:
    async def go(c: AsposConnector) -> list[object]:
        return [
            *(await c.check_master_data("vatCode", ["H", "X"])),
            *(await c.check_master_data("paymentMethod", ["BAR"])),
            *(await c.check_master_data("store", ["2"])),
            *(await c.check_master_data("ledgerAccount", ["8400"])),
        ]

    checks = aspos.connect(go)
    assert [c.exists for c in checks] == [True, False, True, True, None]  # type: ignore[attr-defined]


def test_registry_connect_and_for_connection_agree() -> None:
    connection = AsposConnection.model_validate(
        {
            "system": "aspos",
            "endpoint": "https://aspos.example/kasse/api",
            "apiKey": {"env": "K"},
            "store": "2",
        }
    )
    app, path = for_connection(connection, secret=lambda ref, what: "tenant-key-4711")
    assert path == "/kasse/api"
    with SandboxServer(app) as server:
        pointed = connection.model_copy(update={"endpoint": server.url + path})
        connector = registry.connect(pointed, secret=lambda ref, what: "tenant-key-4711")
        assert isinstance(connector, AsposConnector)
        assert connector.client.store == "2"

        async def go() -> list[Page[CanonicalRecord]]:
            try:
                return await _all(connector, Entity.stock, full=True)
            finally:
                await connector.aclose()

        pages = asyncio.run(go())
    # The sandbox answered on the tenant's own key and path, for the connection's store.
    assert {r.key for r in pages[0].records} >= {"100-01"}
