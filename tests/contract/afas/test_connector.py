"""The AFAS connector (canonical adapter) against the sandbox: reads, look-ups and writes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.afas.connector import AfasConnector
from connectors.afas.mapping import apply_mapping
from connectors.afas.models import ConnectorOverride, GetConnectorSettings, WriteSettings
from connectors.base import Connector
from reconciler.canonical import Address, Customer, Entity, Order, OrderLine, Product, StockLevel
from reconciler.errors import RejectedError
from tests.contract.afas.conftest import Afas
from tests.contract.doubles import Recorder


def connector(afas: Afas, **kwargs: Any) -> AfasConnector:
    return AfasConnector(afas.client(**kwargs), page_size=2, today=lambda: dt.date(2024, 4, 1))


async def _collect(conn: AfasConnector, entity: Entity, cursor: str | None = None) -> Any:
    try:
        return [page async for page in conn.read(entity, cursor=cursor)]
    finally:
        await conn.aclose()


def test_is_a_connector(afas: Afas) -> None:
    """AfasConnector satisfies the engine's Connector protocol."""
    assert isinstance(connector(afas), Connector)


def test_reads_customers_in_pages_with_a_resumable_cursor(afas: Afas) -> None:
    """Debtors come as canonical customers with ISO countries; the cursor reads only changes."""
    pages = asyncio.run(_collect(connector(afas), Entity.customers))
    customers = [c for page in pages for c in page.records]
    assert len(pages) == 2
    assert [c.email for c in customers][:2] == ["info@acme.test", "inkoop@dekroon.test"]
    assert customers[0].billing_address.street == "Stationsstraat"
    assert customers[0].modified_at.tzinfo is not None
    cursor = pages[-1].cursor
    assert json.loads(cursor) == {"since": "2024-03-05T14:00:00", "after": "10004"}
    again = asyncio.run(_collect(connector(afas), Entity.customers, cursor))
    assert [c.email for page in again for c in page.records] == []


def test_a_cursor_resumes_inside_a_batch_sharing_one_date(afas: Afas) -> None:
    """Articles imported at once share a modification date: a cursor taken between two pages
    of them resumes after the last key read, so nothing is read twice and nothing skipped."""
    for code in ("5001", "5002", "5003", "5004", "5005"):
        afas.store.articles[code] = {"ItCd": code, "Ds": f"Batch {code}", "Unit": "STK",
                                     "ModifiedDate": "2024-05-01T09:00:00Z"}  # fmt: skip
    afas.store.writes += 1
    conn = connector(afas)
    pages = asyncio.run(_collect(conn, Entity.products))
    everything = [p.sku for page in pages for p in page.records]
    first_batch_page = next(
        i for i, page in enumerate(pages) if "5001" in [p.sku for p in page.records]
    )
    cursor = pages[first_batch_page].cursor
    assert json.loads(cursor)["since"] == "2024-05-01T09:00:00"
    rest = asyncio.run(_collect(connector(afas), Entity.products, cursor))
    tail = [p.sku for page in rest for p in page.records]
    assert tail == everything[everything.index(json.loads(cursor)["after"]) + 1 :]
    assert tail
    assert set(tail) <= {"5002", "5003", "5004", "5005"}


def test_a_recent_date_is_read_again_whole(afas: Afas) -> None:
    """Within ``SETTLED`` of now a record may still be written with the cursor's date and an
    earlier key, so the cursor keeps no key and the next read asks for that second again."""
    stamp = dt.datetime(2024, 3, 5, 13, 5, tzinfo=dt.UTC)  # 14:05 in Amsterdam
    conn = AfasConnector(afas.client(), page_size=2, now=lambda: stamp)
    pages = asyncio.run(_collect(conn, Entity.customers))
    assert json.loads(pages[-1].cursor) == {"since": "2024-03-05T14:00:00"}
    again = asyncio.run(_collect(connector(afas), Entity.customers, pages[-1].cursor))
    assert [c.email for page in again for c in page.records] == ["anna.schmidt@example.test"]


def test_reads_products_and_stock(afas: Afas) -> None:
    """Articles become products (non-numeric SKU kept); stock sums the warehouses."""
    products = [
        p for page in asyncio.run(_collect(connector(afas), Entity.products)) for p in page.records
    ]
    assert "TSHIRT-M" in [p.sku for p in products]
    coffee = next(p for p in products if p.sku == "1000")
    assert coffee.ean == "8712345678906"
    stock = [
        s for page in asyncio.run(_collect(connector(afas), Entity.stock)) for s in page.records
    ]
    assert {s.sku: s.available for s in stock}["1000"] == Decimal(42)


def test_reads_orders_with_lines(afas: Afas) -> None:
    """Orders join Profit_Salesorders with Profit_SalesorderLines."""
    orders = [
        o for page in asyncio.run(_collect(connector(afas), Entity.orders)) for o in page.records
    ]
    first = orders[0]
    assert (first.number, first.reference) == ("60000001", "WEB-1001")
    assert [line.sku for line in first.lines] == ["1006", "D012"]
    assert [line.kind.value for line in first.lines] == ["item", "shipping"]
    pages = asyncio.run(_collect(AfasConnector(afas.client(), page_size=1), Entity.orders))
    assert len(pages) == 2
    assert pages[0].cursor is None, "a full read by number cannot resume from a date halfway"
    assert json.loads(pages[-1].cursor)["since"] == "2024-03-02T12:00:00"
    assert first.lines[0].unit_price == Decimal("261.72")


def test_incremental_order_read_follows_written_lines(afas: Afas) -> None:
    """After a full read, the cursor returns the order written later and no older ones."""
    pages = asyncio.run(_collect(connector(afas), Entity.orders))
    cursor = pages[-1].cursor
    order = Order(
        number="WEB-3001",
        customer=Customer(email="piet@example.test"),
        lines=[OrderLine(sku="2101", quantity=Decimal(1), unit_price=Decimal(550))],
    )

    async def write() -> None:
        conn = connector(afas)
        await conn.create(Entity.orders, apply_mapping(Entity.orders, order))
        await conn.aclose()

    asyncio.run(write())
    changed = [
        o
        for page in asyncio.run(_collect(connector(afas), Entity.orders, cursor))
        for o in page.records
    ]
    # The cursor is inclusive (>=): the order last seen is read again, never one before it.
    assert [o.reference for o in changed] == ["WEB-1002", "WEB-3001"]


def test_customer_create_lookup_update_round_trip(afas: Afas) -> None:
    """A company customer becomes KnSalesRelationOrg; lookup finds it; update changes a field."""
    customer = Customer(
        email="sales@newco.test",
        company_name="NewCo BV",
        first_name="Eva",
        last_name="Smit",
        billing_address=Address(
            street="Kerkstraat", number="7", postal_code="1017GC", city="Amsterdam", country="BE"
        ),
    )
    record = apply_mapping(Entity.customers, customer)

    async def go() -> tuple[Any, Any, Any]:
        conn = connector(afas)
        created = await conn.create(Entity.customers, record)
        found = await conn.lookup(Entity.customers, "sales@newco.test")
        await conn.update(
            Entity.customers, "sales@newco.test", {**record, "phone": "020-555"}, fields=["phone"]
        )
        after = await conn.lookup(Entity.customers, "sales@newco.test")
        await conn.aclose()
        return created, found, after

    created, found, after = asyncio.run(go())
    assert created.target_id == found["debtorId"] == "10005"
    assert found["street"] == "Kerkstraat"
    assert found["postalCode"] == "1017 GC"
    assert afas.store.debtors["10005"]["address"]["CoId"] == "B"
    assert after["phone"] == "020-555"
    assert after["name"] == "NewCo BV"


def test_person_customer_is_a_person_debtor(afas: Afas) -> None:
    """Without a company name the customer becomes KnSalesRelationPer."""
    customer = Customer(email="kim@example.test", first_name="Kim", last_name="de Vries")

    async def go() -> Any:
        conn = connector(afas)
        result = await conn.create(Entity.customers, apply_mapping(Entity.customers, customer))
        await conn.aclose()
        return result

    result = asyncio.run(go())
    assert afas.store.debtors[result.target_id]["kind"] == "KnPerson"
    assert afas.store.debtors[result.target_id]["Nm"] == "Kim de Vries"


def test_order_types_create_the_right_documents(afas: Afas) -> None:
    """Quotation, invoice and direct invoice go to their UpdateConnectors; lookup finds them."""

    async def go() -> list[Any]:
        conn = connector(afas)
        out = []
        for n, kind in enumerate(["quotation", "invoice", "directInvoice"]):
            record = {
                "orderType": kind,
                "reference": f"R-{n}",
                "debtorId": "10001",
                "lines": [{"sku": "1000", "quantity": Decimal(1), "unitPrice": Decimal(5)}],
            }
            await conn.create(Entity.orders, record)
            out.append(await conn.lookup(Entity.orders, f"R-{n}"))
        await conn.aclose()
        return out

    quotation, invoice, direct = asyncio.run(go())
    assert quotation["orderType"] == "quotation"
    assert invoice["orderType"] == "order"
    assert afas.store.orders[invoice["orderNumber"]]["OrPr"] == "2"
    assert direct["orderType"] == "directInvoice"


def test_orders_carry_their_customer_and_status(afas: Afas) -> None:
    """An order read from AFAS carries its debtor as customer (e-mail, address with country)
    and its status from ``Status`` (open unless AFAS says it is delivered or invoiced)."""
    afas.store.orders["60000002"]["Status"] = "Gefactureerd"
    orders = {
        o.number: o
        for page in asyncio.run(_collect(connector(afas), Entity.orders))
        for o in page.records
    }
    first, second = orders["60000001"], orders["60000002"]
    assert first.customer is not None
    assert (first.customer.email, first.customer.source_id) == ("info@acme.test", "10001")
    assert first.country == "NL"
    assert (first.status.value, second.status.value) == ("open", "completed")
    assert second.customer is not None
    assert second.customer.email == "piet@example.test"


def test_financial_mutation_from_order_lines(afas: Afas) -> None:
    """A financial mutation given as order lines debits the debtor with their total and
    credits the revenue account per line with its VAT code; it is found again by its reference
    as the outstanding item it made (Profit_Debtor_Invoices)."""
    record = {
        "orderType": "financialMutation",
        "orderDate": "2024-04-01",
        "reference": "K-1",
        "debtorId": "10001",
        "revenueAccount": "8000",
        "lines": [
            {
                "description": "Planten",
                "quantity": Decimal(2),
                "unitPrice": Decimal("10.00"),
                "vatCode": "2",
            },
            {
                "description": "Pot",
                "quantity": Decimal(1),
                "unitPrice": Decimal("5.00"),
                "account": "8010",
                "vatCode": "1",
            },
        ],
    }

    async def go() -> Any:
        conn = connector(afas)
        try:
            return await conn.create(Entity.orders, record)
        finally:
            await conn.aclose()

    async def found() -> Any:
        conn = connector(afas)
        try:
            return await conn.lookup(Entity.orders, "K-1"), await conn.lookup_many(
                Entity.orders, ["K-1", "WEB-1001", "NONE"]
            )
        finally:
            await conn.aclose()

    asyncio.run(go())
    one, many = asyncio.run(found())
    assert one == {
        "reference": "K-1",
        "orderType": "financialMutation",
        "debtorId": "10001",
        "administration": 1,
        "orderDate": "2024-04-01",
    }
    assert set(many) == {"K-1", "WEB-1001"}
    lines = afas.store.entries[-1]["lines"]
    assert [(x["VaAs"], x["AcNr"], x["AmDe"], x["AmCr"], x.get("VaId")) for x in lines] == [
        ("2", "10001", 25, 0, None),
        ("1", "8000", 0, 20, "2"),
        ("1", "8010", 0, 5, "1"),
    ]


def test_financial_mutation_must_balance(afas: Afas) -> None:
    """A balanced journal entry is booked; an unbalanced one is AFAS's rejection."""
    entries = [
        {"accountType": "2", "account": "10001", "debit": Decimal("121.00")},
        {"accountType": "1", "account": "8010", "credit": Decimal("100.00"), "vatCode": "1"},
        {"accountType": "1", "account": "1510", "credit": Decimal("21.00")},
    ]
    record = {
        "orderType": "financialMutation",
        "orderDate": "2024-04-01",
        "reference": "F1",
        "entries": entries,
    }

    async def go(rec: dict[str, Any]) -> Any:
        conn = connector(afas)
        try:
            return await conn.create(Entity.orders, rec)
        finally:
            await conn.aclose()

    assert asyncio.run(go(record)).target_id == "48001"
    with pytest.raises(RejectedError, match="niet in balans"):
        asyncio.run(go({**record, "entries": entries[:2]}))


def test_product_create_update_and_stock_moves(afas: Afas) -> None:
    """A product is created and renamed; setting stock writes the mutation that reaches it."""
    product = Product(
        sku="SKU-9", name="Mok", long_description="Mok 300 ml", price_excl_tax=Decimal("7.50")
    )

    async def go() -> tuple[Any, Any, Any]:
        conn = connector(afas)
        await conn.create(Entity.products, apply_mapping(Entity.products, product))
        await conn.update(
            Entity.products, "SKU-9", {"description": "Mok groot"}, fields=["description"]
        )
        found = await conn.lookup(Entity.products, "SKU-9")
        stock = apply_mapping(Entity.stock, StockLevel(sku="1000", available=Decimal(50)))
        moved = await conn.update(Entity.stock, "1000", stock, fields=["quantity"])
        level = await conn.lookup(Entity.stock, "1000")
        await conn.aclose()
        return found, moved, level

    found, moved, level = asyncio.run(go())
    assert found["description"] == "Mok groot"
    assert found["extraDescription"] == "Mok 300 ml"
    assert moved.extra["moved"] == "8"
    assert level["quantity"] == Decimal(50)


def test_order_for_unknown_customer_is_rejected(afas: Afas) -> None:
    """An order whose customer has no debtor is refused with a hint, before any write."""
    order = Order(
        number="X1", customer=Customer(email="nobody@example.test"), lines=[OrderLine(sku="1000")]
    )

    async def go() -> None:
        conn = connector(afas)
        try:
            await conn.create(Entity.orders, apply_mapping(Entity.orders, order))
        finally:
            await conn.aclose()

    with pytest.raises(RejectedError, match="no AFAS debtor"):
        asyncio.run(go())


def test_order_without_debtor_uses_the_default_debtor(afas: Afas) -> None:
    """With WriteSettings.default_debtor, a walk-in sale is booked on that debtor."""
    order = Order(number="POS-7", lines=[OrderLine(sku="1000", quantity=Decimal(1))])

    async def go() -> Any:
        conn = AfasConnector(afas.client(), write=WriteSettings(default_debtor="10003"))
        try:
            await conn.create(Entity.orders, apply_mapping(Entity.orders, order))
            return await conn.lookup(Entity.orders, "POS-7")
        finally:
            await conn.aclose()

    assert asyncio.run(go())["debtorId"] == "10003"


def test_master_data_checks(afas: Afas) -> None:
    """VAT codes, administrations and connectors are checked against the environment."""

    async def go() -> list[Any]:
        conn = connector(afas)
        out = [
            await conn.check_master_data("vatCode", ["1", "99"]),
            await conn.check_master_data("administration", ["1"]),
            await conn.check_master_data("updateConnector", ["FbSales", "KnSubject"]),
            await conn.check_master_data("paymentMethod", ["X"]),
        ]
        await conn.aclose()
        return out

    vat, admin, update, unknown = asyncio.run(go())
    assert [c.exists for c in vat] == [True, False]
    assert admin[0].exists
    assert [c.exists for c in update] == [True, False]
    assert unknown[0].exists is None


def test_overridden_connector_and_columns(afas: Afas) -> None:
    """A tenant override renames the GetConnector columns the connector reads."""
    settings = GetConnectorSettings(
        debtors=ConnectorOverride(
            fields={"email": "Email", "companyName": "DebtorName", "country": "AdressLine4"}
        )
    )

    async def go() -> Any:
        conn = connector(afas, get_settings=settings)
        try:
            return await conn.lookup(Entity.customers, "inkoop@dekroon.test")
        finally:
            await conn.aclose()

    found = asyncio.run(go())
    assert found["companyName"] == "Brouwerij De Kroon"
    assert found["country"] == "BE"
    missing = GetConnectorSettings(debtors=ConnectorOverride(id="Custom_Debtors"))
    with pytest.raises(Exception, match="GetConnector niet ondersteund"):
        asyncio.run(_collect(connector(afas, get_settings=missing), Entity.customers))


def test_read_survives_injected_unavailability(afas: Afas) -> None:
    """A paged read retries through 503s and a dropped connection and still returns every row."""
    sleep = Recorder()
    afas.app.fail_next(2, status=503)
    afas.app.drop_next(1)
    pages = asyncio.run(_collect(connector(afas, sleep=sleep), Entity.products))
    assert sorted(p.sku for page in pages for p in page.records) == sorted(afas.store.articles)
    assert len(sleep.delays) == 3


def test_sandbox_admin_reset_forgets_writes(afas: Afas) -> None:
    """POST /_sandbox/reset clears injected faults and every write since the seed."""

    async def write() -> None:
        conn = connector(afas)
        try:
            await conn.create(Entity.products, {"sku": "TMP-1", "description": "Tijdelijk"})
        finally:
            await conn.aclose()

    asyncio.run(write())
    assert "TMP-1" in afas.store.articles
    base = afas.url.rsplit("/", 1)[0]
    assert httpx.post(f"{base}/_sandbox/reset").json() == {"ok": True}
    assert "TMP-1" not in afas.store.articles


def test_factory_builds_a_working_connector(afas: Afas) -> None:
    """create_connector wires client and connector from connection settings."""
    from connectors.afas import create_connector
    from tests.contract.afas.conftest import TOKEN

    async def go() -> Any:
        conn = create_connector(token=TOKEN, endpoint=afas.url)
        try:
            return await conn.lookup(Entity.products, "1006")
        finally:
            await conn.aclose()

    assert asyncio.run(go())["description"] == "Server behuizing 3 units"


def test_lookup_many_answers_what_lookup_answers(afas: Afas) -> None:
    """Batched look-ups of customers (e-mail in any case), products and orders give exactly
    what key-by-key look-ups give, and leave out keys that do not exist."""

    async def go() -> None:
        conn = connector(afas)
        try:
            cases = {
                Entity.customers: ["INFO@acme.test", "piet@example.test", "nobody@x.test"],
                Entity.products: ["1000", "2101", "NOPE"],
                Entity.orders: ["WEB-1001", "WEB-1002", "WEB-9999"],
            }
            for entity, keys in cases.items():
                batch = await conn.lookup_many(entity, keys)
                single = {k: await conn.lookup(entity, k) for k in keys}
                assert batch == {k: v for k, v in single.items() if v is not None}, entity
                assert len(batch) == 2, entity
        finally:
            await conn.aclose()

    asyncio.run(go())
