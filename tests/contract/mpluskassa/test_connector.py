"""The MplusKASSA connector (canonical adapter) against the sandbox: reads, look-ups, writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from connectors.base import Connector
from connectors.mpluskassa.connector import MplusConnector, open_connector
from connectors.mpluskassa.mapping import map_record
from reconciler.canonical import (
    Address,
    Customer,
    Entity,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    ProductType,
    StockLevel,
)
from reconciler.errors import NotFoundError, RejectedError

from .conftest import IDENT, SECRET, Harness

T = TypeVar("T")


def connect(mplus: Harness, action: Callable[[MplusConnector], Awaitable[T]], **kw: Any) -> T:
    return mplus.run(lambda client: action(MplusConnector(client, page_size=2, **kw)))


async def _all(
    connector: MplusConnector, entity: Entity, cursor: str | None = None
) -> tuple[list, str | None, int]:
    records, last, pages = [], cursor, 0
    async for page in connector.read(entity, cursor=cursor):
        records += page.records
        last, pages = page.cursor, pages + 1
    return records, last, pages


def test_connector_satisfies_the_protocol(mplus: Harness) -> None:
    """MplusConnector is a connectors.base.Connector."""
    assert mplus.run(lambda c: _is_connector(MplusConnector(c)))


async def _is_connector(connector: MplusConnector) -> bool:
    return isinstance(connector, Connector)


def test_read_products_pages_and_translates(mplus: Harness) -> None:
    """A full read pages (page size 2) through every article as a canonical Product: cents
    become Decimal, a multi-article product's articles are variants of it."""
    products, cursor, pages = connect(mplus, lambda c: _all(c, Entity.products))
    by_sku = {p.sku: p for p in products}
    assert pages == 2
    assert set(by_sku) == {"100045", "100046", "100047", "100100", "100200", "100300"}
    shirt = by_sku["100046"]
    assert (shirt.type, shirt.parent_sku, shirt.source_id) == (ProductType.variant, "1", "TS-RED-M")
    assert shirt.price_incl_tax == Decimal("19.95")
    assert shirt.attributes == {"colour": "red", "size": "M"}
    coffee = by_sku["100100"]
    assert (coffee.type, coffee.long_description, coffee.tax_rate) == (
        ProductType.simple,
        "Single-origin arabica, medium roast.",
        Decimal(9),
    )
    assert by_sku["100047"].active is False
    assert cursor == str(mplus.store.markers["article"])


def test_incremental_read_from_a_cursor(mplus: Harness) -> None:
    """Reading from the cursor of a full read returns only what was written since."""

    async def go(c: MplusConnector) -> list:
        _, cursor, _ = await _all(c, Entity.products)
        await c.update(
            Entity.products, "100300", {"priceIncl": Decimal("2.10")}, fields=["priceIncl"]
        )
        changed, _, _ = await _all(c, Entity.products, cursor)
        return changed

    changed = connect(mplus, go)
    assert [(p.sku, p.price_incl_tax) for p in changed] == [("100300", Decimal("2.10"))]


def test_read_customers_company_and_person(mplus: Harness) -> None:
    """A relation with a company name is a company with its contact; else a person; the one
    address line is split into street, number and suffix."""
    customers, _, _ = connect(mplus, lambda c: _all(c, Entity.customers))
    company, person = customers
    assert company.is_company
    assert (company.first_name, company.last_name) == ("Piet", "Jansen")
    assert company.billing_address == Address(
        street="Dorpsstraat", number="12", postal_code="1234 AB", city="Utrecht", country="NL"
    )
    assert not person.is_company
    assert person.display_name == "Anna de Vries"
    assert person.billing_address is not None
    assert person.billing_address.number_suffix == "a"
    assert person.shipping_address is not None
    assert person.shipping_address.city == "Gent"


def test_read_orders_paid_with_decimal_quantities(mplus: Harness) -> None:
    """The seeded web order reads as paid, keyed by extOrderId, with scaled quantities."""
    orders, _, _ = connect(mplus, lambda c: _all(c, Entity.orders))
    order = orders[0]
    assert (order.number, order.status, order.paid) == ("WEB-1001", OrderStatus.paid, True)
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("100046", Decimal(2), Decimal("19.95")),
        ("100300", Decimal(3), Decimal("1.95")),
    ]
    assert order.total_incl_tax == Decimal("45.75")
    assert order.payments[0].amount == Decimal("45.75")


def test_an_order_read_fetches_each_relation_once(mplus: Harness) -> None:
    """A regular's orders on later pages carry the customer fetched for the first one: one
    getRelations call per new relation, every order still with its customer."""
    customer = Customer(email="vaste@klant.nl", first_name="Vaste", last_name="Klant")
    lines = [OrderLine(sku="100300", quantity=Decimal(1), unit_price=Decimal("1.95"))]

    async def go(c: MplusConnector) -> tuple[list[Any], list[list[int]]]:
        await c.create(Entity.customers, map_record(Entity.customers, customer.to_data()))
        for n in range(4):
            order = Order(
                number=f"VK-{n}",
                customer=customer,
                prices_include_tax=True,
                lines=lines,
                payments=[Payment(method="PIN", amount=Decimal("1.95"))],
            )
            await c.create(Entity.orders, map_record(Entity.orders, order.to_data()))
        asked: list[list[int]] = []
        original = c.client.get_relations

        async def counting(**kwargs: Any) -> Any:
            asked.append(list(kwargs.get("relation_numbers") or []))
            return await original(**kwargs)

        c.client.get_relations = counting  # type: ignore[method-assign]
        records, _, _ = await _all(c, Entity.orders)
        return records, asked

    orders, asked = connect(mplus, go)
    regular = [o for o in orders if o.number.startswith("VK-")]
    assert len(regular) == 4
    assert {o.customer.email for o in regular if o.customer} == {"vaste@klant.nl"}
    numbers = [n for call in asked for n in call]
    assert len(numbers) == len(set(numbers))  # no relation fetched twice in one read


def test_read_stock_full_and_incremental(mplus: Harness) -> None:
    """A full stock read yields every stock article's levels; from its cursor, only changes."""

    async def go(c: MplusConnector) -> tuple[list, list]:
        full, cursor, _ = await _all(c, Entity.stock)
        await c.update(Entity.stock, "100100", {"amount": Decimal("3.5")}, fields=["amount"])
        changed, _, _ = await _all(c, Entity.stock, cursor)
        return full, changed

    full, changed = connect(mplus, go)
    levels = {s.sku: s for s in full}
    assert levels["100100"].available == Decimal("23.5")
    assert levels["100046"].reserved == Decimal(2)  # reserved by the seeded order
    assert levels["100046"].managed is True
    assert "100200" not in levels  # a gift card keeps no stock
    assert [(s.sku, s.available) for s in changed] == [("100100", Decimal("3.5"))]
    assert all(isinstance(s, StockLevel) for s in changed)


def test_lookups_by_natural_key(mplus: Harness) -> None:
    """lookup finds products and stock by numeric SKU, customers by e-mail, orders by number;
    a non-numeric or unknown key is None."""

    async def go(c: MplusConnector) -> dict[str, Any]:
        return {
            "product": await c.lookup(Entity.products, "100100"),
            "letters": await c.lookup(Entity.products, "COF-1KG"),
            "unknown": await c.lookup(Entity.products, "999"),
            "stock": await c.lookup(Entity.stock, "100045"),
            "giftcard": await c.lookup(Entity.stock, "100200"),
            "customer": await c.lookup(Entity.customers, "inkoop@bakkerij-jansen.nl"),
            "order": await c.lookup(Entity.orders, "WEB-1001"),
            "no order": await c.lookup(Entity.orders, "nope"),
        }

    found = connect(mplus, go)
    assert found["product"]["priceIncl"] == Decimal("14.50")
    assert found["product"]["quantity"] == Decimal("23.5")
    assert found["letters"] is None
    assert found["unknown"] is None
    assert found["no order"] is None
    assert found["stock"] == {
        "sku": "100045",
        "amount": Decimal(12),
        "reserved": Decimal(0),
        "managed": True,
    }
    assert found["giftcard"] == {"sku": "100200", "amount": Decimal(0), "managed": False}
    assert found["customer"]["contact"] == "Piet Jansen"
    assert found["order"]["paid"] is True
    assert found["order"]["lines"][0] == {
        "sku": "100046",
        "text": "T-shirt red M",
        "quantity": Decimal(2),
        "price": Decimal("19.95"),
    }


PRODUCT = Product(
    sku="200010",
    source_id="A-200",
    name="Oat milk",
    short_description="Oat 1L",
    long_description="Barista oat drink",
    price_excl_tax=Decimal("2.29"),
    price_incl_tax=Decimal("2.50"),
    ean="8712345000202",
    quantity=Decimal("12.5"),
    currency="EUR",
)


def test_create_product_round_trips_through_the_default_mapping(mplus: Harness) -> None:
    """map_record -> create -> lookup gives back every mapped field (Decimal, cents on the wire),
    and the quantity lands as stock."""
    desired = map_record(Entity.products, PRODUCT.to_data())

    async def go(c: MplusConnector) -> tuple[Any, Any]:
        result = await c.create(Entity.products, desired)
        return result, await c.lookup(Entity.products, "200010")

    result, actual = connect(mplus, go)
    assert result.target_id == "200010"
    assert mplus.store._article(200010)["priceIncl"] == 250
    for field, value in desired.items():
        if field != "currency":
            assert actual[field] == value, field


def test_non_numeric_sku_is_rejected_before_any_call(mplus: Harness) -> None:
    """A SKU like A-100 cannot be an article number: RejectedError naming it, nothing sent."""
    record = map_record(Entity.products, PRODUCT.model_copy(update={"sku": "A-100"}).to_data())
    with pytest.raises(RejectedError, match="SKU 'A-100' is not numeric"):
        connect(mplus, lambda c: c.create(Entity.products, record))
    assert mplus.transport.exchanges == []


def test_other_currency_is_rejected(mplus: Harness) -> None:
    """Articles carry no currency: a USD product is refused rather than priced wrongly."""
    record = map_record(Entity.products, PRODUCT.model_copy(update={"currency": "USD"}).to_data())
    with pytest.raises(RejectedError, match="USD"):
        connect(mplus, lambda c: c.create(Entity.products, record))


def test_update_product_touches_only_the_named_fields(mplus: Harness) -> None:
    """update with fields=[extraText] leaves the price alone although the record has one."""
    record = {"sku": "100100", "extraText": "New text", "priceIncl": Decimal("99")}
    connect(mplus, lambda c: c.update(Entity.products, "100100", record, fields=["extraText"]))
    article = mplus.store._article(100100)
    assert (article["extraText"], article["priceIncl"]) == ("New text", 1450)


def test_update_unknown_product_or_field(mplus: Harness) -> None:
    """An unknown SKU is NotFoundError; a field outside the vocabulary is rejected by name."""
    with pytest.raises(NotFoundError):
        connect(
            mplus,
            lambda c: c.update(Entity.products, "424242", {"active": False}, fields=["active"]),
        )
    with pytest.raises(RejectedError, match="colour2"):
        connect(mplus, lambda c: c.update(Entity.products, "100100", {}, fields=["colour2"]))


def test_customer_create_update_and_order_for_it(mplus: Harness) -> None:
    """A mapped customer is created, updated by e-mail, and an order written for it resolves
    the relation by e-mail and arrives as a paid order."""
    customer = Customer(
        email="lotte@example.nl",
        first_name="Lotte",
        last_name="Bakker",
        billing_address=Address(
            street="Bosweg", number="8", postal_code="6711 AA", city="Ede", country="nl"
        ),
    )
    order = Order(
        number="ERP-77",
        customer=customer,
        billing_address=customer.billing_address,
        prices_include_tax=True,
        lines=[OrderLine(sku="100300", quantity=Decimal("4"), unit_price=Decimal("1.95"))],
        payments=[Payment(method="PIN", amount=Decimal("7.80"))],
    )

    async def go(c: MplusConnector) -> tuple[Any, Any, Any]:
        created = await c.create(Entity.customers, map_record(Entity.customers, customer.to_data()))
        await c.update(
            Entity.customers, "lotte@example.nl", {"city": "Wageningen"}, fields=["city"]
        )
        written = await c.create(Entity.orders, map_record(Entity.orders, order.to_data()))
        return (
            created,
            await c.lookup(Entity.customers, "lotte@example.nl"),
            (written, await c.lookup(Entity.orders, "ERP-77")),
        )

    created, actual, (written, stored) = connect(mplus, go)
    assert actual["name"] == "Lotte Bakker"
    assert actual["city"] == "Wageningen"
    assert actual["country"] == "NL"
    assert stored["relationNumber"] == int(created.target_id)
    assert stored["paid"] is True
    assert written.target_id == stored["orderId"]


def test_order_rules_at_the_connector(mplus: Harness) -> None:
    """An order for an unknown e-mail, a second write of the same number, and any order update
    are refused with reasons."""
    record = {"number": "WEB-1001", "lines": [{"sku": "100300", "quantity": Decimal(1)}]}
    with pytest.raises(RejectedError, match=r"no relation with e-mail x@y\.nl"):
        connect(mplus, lambda c: c.create(Entity.orders, {**record, "email": "x@y.nl"}))
    with pytest.raises(RejectedError, match="EXT-ORDER-ID-ALREADY-EXISTS"):
        connect(mplus, lambda c: c.create(Entity.orders, record))
    with pytest.raises(RejectedError, match="never changed"):
        connect(mplus, lambda c: c.update(Entity.orders, "WEB-1001", record, fields=["reference"]))


def test_queued_orders(mplus: Harness) -> None:
    """With queue_orders the order goes through queueBranchOrder."""
    record = {"number": "Q-9", "lines": [{"sku": "100300", "quantity": Decimal(1)}]}
    connect(mplus, lambda c: c.create(Entity.orders, record), queue_orders=True)
    assert [a for a, *_ in mplus.transport.exchanges] == ["queueBranchOrder"]


def test_stock_writes_amount_and_managed(mplus: Harness) -> None:
    """Stock sets the absolute amount; managed=false turns stock keeping off, after which a
    stock amount is refused by MplusKASSA (NO-STOCK-ARTICLE)."""

    async def go(c: MplusConnector) -> Any:
        await c.create(Entity.stock, {"sku": "100045", "amount": Decimal("5.25")})
        await c.update(Entity.stock, "100045", {"managed": False}, fields=["managed"])
        return await c.lookup(Entity.stock, "100045")

    assert connect(mplus, go)["managed"] is False
    assert mplus.store.stock[100045].free == Decimal("5.25")
    with pytest.raises(RejectedError, match="NO-STOCK-ARTICLE"):
        connect(
            mplus,
            lambda c: c.update(Entity.stock, "100045", {"amount": Decimal(1)}, fields=["amount"]),
        )


def test_master_data_vat_codes(mplus: Harness) -> None:
    """VAT codes are checked against getVatGroupList; other kinds are unknown (None)."""

    async def go(c: MplusConnector) -> tuple[list, list]:
        return await c.check_master_data("vatCode", ["1", "7"]), await c.check_master_data(
            "ledger", ["8000"]
        )

    vat, ledger = connect(mplus, go)
    assert [(c.code, c.exists, c.detail) for c in vat] == [
        ("1", True, "21%"),
        ("7", False, "unknown VAT code"),
    ]
    assert ledger[0].exists is None


def test_open_connector_from_connection_values(mplus: Harness) -> None:
    """open_connector builds client and connector from a connection's endpoint, credentials and
    branch, and the result can read the sandbox."""

    async def go() -> list:
        connector = open_connector(endpoint=mplus.url, ident=IDENT, secret=SECRET, branch_number=2)
        try:
            assert connector.client.branch_number == 2
            return [p async for p in connector.read(Entity.customers)]
        finally:
            await connector.aclose()

    pages = asyncio.run(go())
    assert len(pages[0].records) == 2


def test_no_drift_after_writing_a_mapped_customer(mplus: Harness) -> None:
    """After a company customer is created from the default mapping, lookup returns every mapped
    field unchanged: a second pass finds nothing to do."""
    customer = Customer(
        email="inkoop@visser.nl",
        source_id="D-20002",
        company_name="Visser Vis BV",
        first_name="Mark",
        name_prefix="de",
        last_name="Visser",
        phone="010-7654321",
        vat_number="NL009876543B01",
        billing_address=Address(
            street="Haven",
            number="4",
            number_suffix="B",
            postal_code="3011 AA",
            city="Rotterdam",
            country="NL",
        ),
        shipping_address=Address(
            street="Kade", number="9", postal_code="9000", city="Gent", country="BE"
        ),
    )
    desired = map_record(Entity.customers, customer.to_data())

    async def go(c: MplusConnector) -> Any:
        await c.create(Entity.customers, desired)
        return await c.lookup(Entity.customers, "inkoop@visser.nl")

    actual = connect(mplus, go)
    assert {field: actual.get(field) for field in desired} == desired
    assert desired["contact"] == "Mark de Visser"
    assert desired["address"] == "Haven 4 B"


def test_lookup_many_answers_what_lookup_answers_in_one_call(mplus: Harness) -> None:
    """lookup_many batches products and stock into one getProducts call (and one getStock),
    each record equal to lookup's; unknown and non-numeric keys are left out; customers are
    looked up one by one with the same answers."""
    keys = ["100100", "100045", "100200", "999", "COF-1KG", "100046"]

    async def go(c: MplusConnector) -> dict[str, Any]:
        single = {
            (entity, key): await c.lookup(entity, key)
            for entity in (Entity.products, Entity.stock)
            for key in keys
        }
        calls: list[str] = []
        original = c.client.call

        async def counting(operation: str, data: Any = None) -> Any:
            calls.append(operation)
            return await original(operation, data)

        c.client.call = counting  # type: ignore[method-assign]
        products = await c.lookup_many(Entity.products, keys)
        stock = await c.lookup_many(Entity.stock, keys)
        customers = await c.lookup_many(Entity.customers, ["inkoop@bakkerij-jansen.nl", "x@y.z"])
        return {"single": single, "products": products, "stock": stock, "calls": calls,
                "customers": customers}  # fmt: skip

    found = connect(mplus, go)
    for entity, batch in ((Entity.products, found["products"]), (Entity.stock, found["stock"])):
        expected = {k: found["single"][(entity, k)] for k in keys if found["single"][(entity, k)]}
        assert batch == expected
    assert set(found["products"]) == {"100100", "100045", "100200", "100046"}
    assert found["calls"][:4] == ["getProducts", "getStock", "getProducts", "getStock"]
    assert list(found["customers"]) == ["inkoop@bakkerij-jansen.nl"]
    assert found["customers"]["inkoop@bakkerij-jansen.nl"]["contact"] == "Piet Jansen"
