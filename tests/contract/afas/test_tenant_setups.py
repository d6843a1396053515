"""What tenants such as radhaus-weber need of AFAS, against the sandbox: a tenant's own
GetConnector served from the seed, orders read with their debtors, financial mutations found
again, free fields and cost center/unit axes written."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connectors.afas.bodies import debtor_body, sales_body
from connectors.afas.connector import AfasConnector
from connectors.afas.models import (
    Condition,
    ConnectorOverride,
    GetConnectorSettings,
    Operator,
    WriteSettings,
)
from connectors.afas.sandbox import create_app
from connectors.afas.sandbox_store import DEFAULT_SEED
from connectors.sandbox import SandboxServer
from reconciler.canonical import Entity, Order, OrderStatus
from reconciler.errors import RejectedError
from tests.contract.afas.conftest import TOKEN, Afas


def connector(afas: Afas, **kwargs: Any) -> AfasConnector:
    return AfasConnector(afas.client(**kwargs), page_size=10, today=lambda: dt.date(2024, 4, 1))


@pytest.fixture(scope="module")
def custom() -> Iterator[Afas]:
    seed = json.loads(DEFAULT_SEED.read_text("utf-8"))
    seed["getConnectors"] = {
        "Custom_Debtors": {"from": "Profit_Debtor", "rename": {"Email": "MailWork"}}
    }
    app = create_app(token=TOKEN, seed=seed)
    with SandboxServer(app) as server:
        yield Afas(url=f"{server.url}/ProfitRestServices", app=app)


def test_a_tenant_getconnector_from_the_seed_is_served_with_its_columns(custom: Afas) -> None:
    async def go() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        async with custom.client() as client:
            rows = await client.get_all("Custom_Debtors", order_by=["DebtorId"])
            meta = await client.metainfo_get("Custom_Debtors")
            return rows, meta, await client.metainfo()

    rows, meta, info = asyncio.run(go())
    assert rows[0]["MailWork"] == "info@acme.test"
    assert "Email" not in rows[0]
    assert "MailWork" in {f["id"] for f in meta["fields"]}
    assert "Custom_Debtors" in {c["id"] for c in info["getConnectors"]}


def test_the_connector_reads_a_tenant_getconnector(custom: Afas) -> None:
    settings = GetConnectorSettings(
        debtors=ConnectorOverride(id="Custom_Debtors", fields={"email": "MailWork"})
    )

    async def go() -> dict[str, Any] | None:
        conn = connector(custom, get_settings=settings)
        try:
            return await conn.lookup(Entity.customers, "piet@example.test")
        finally:
            await conn.aclose()

    found = asyncio.run(go())
    assert found is not None
    assert found["debtorId"] == "10003"


def test_a_filter_on_a_renamed_column_by_its_old_name_is_refused(custom: Afas) -> None:
    async def go() -> object:
        async with custom.client() as client:
            condition = Condition("Email", Operator.equal, "info@acme.test")
            return await client.get_all(
                "Custom_Debtors", order_by=["DebtorId"], filters=[[condition]]
            )

    with pytest.raises(RejectedError, match="Connector-veld 'Email' niet gevonden"):
        asyncio.run(go())


def test_orders_are_read_with_their_debtors_and_direct_invoices_are_completed(
    afas: Afas,
) -> None:
    direct = {"orderType": "directInvoice", "reference": "POS-1", "debtorId": "10003",
              "orderDate": "2024-04-01",
              "lines": [{"itemType": "2", "sku": "1000", "quantity": Decimal(1)}]}  # fmt: skip

    async def go() -> list[Any]:
        conn = connector(afas)
        try:
            await conn.create(Entity.orders, direct)
            return [r for page in [p async for p in conn.read(Entity.orders)] for r in page.records]
        finally:
            await conn.aclose()

    orders = {o.number: o for o in asyncio.run(go()) if isinstance(o, Order)}
    web = orders["60000001"]
    assert web.customer is not None
    assert (web.customer.email, web.customer.company_name) == ("info@acme.test", "Acme BV")
    assert web.status is OrderStatus.open
    invoice = next(o for o in orders.values() if o.reference == "POS-1")
    assert invoice.status is OrderStatus.completed
    assert invoice.customer is not None
    assert invoice.customer.email == "piet@example.test"


def test_a_financial_mutation_is_found_again_by_its_reference(afas: Afas) -> None:
    record = {
        "orderType": "financialMutation",
        "orderDate": "2024-04-01",
        "reference": "KASSE-7",
        "journal": "70",
        "entries": [
            {"accountType": "2", "account": "10001", "debit": Decimal("12.10")},
            {"accountType": "1", "account": "8000", "credit": Decimal("12.10"), "vatCode": "1"},
        ],
    }

    async def go() -> tuple[Any, Any, Any]:
        conn = connector(afas)
        try:
            before = await conn.lookup(Entity.orders, "KASSE-7")
            await conn.create(Entity.orders, record)
            one = await conn.lookup(Entity.orders, "KASSE-7")
            many = await conn.lookup_many(Entity.orders, ["KASSE-7", "WEB-1001", "nope"])
            return before, one, many
        finally:
            await conn.aclose()

    before, one, many = asyncio.run(go())
    assert before is None
    assert one == {"orderType": "financialMutation", "reference": "KASSE-7", "debtorId": "10001",
                   "administration": 1, "orderDate": "2024-04-01"}  # fmt: skip
    assert set(many) == {"KASSE-7", "WEB-1001"}
    assert afas.store.entries[0]["lines"][0]["InId"] == "KASSE-7"


def test_free_fields_and_cost_axes_are_written() -> None:
    settings = WriteSettings()
    _, debtor = debtor_body(
        {"email": "a@b.test", "lastName": "B", "customFields": {"U0001": "x", "U0002": None}},
        settings,
        today=dt.date(2024, 4, 1),
    )
    fields = debtor["KnSalesRelationPer"]["Element"]["Fields"]
    assert fields["U0001"] == "x"
    assert "U0002" not in fields
    _, order = sales_body(
        {"orderType": "directInvoice", "reference": "R", "debtorId": "1", "costCenter": "200",
         "costUnit": "FIL", "customFields": {"U0003": "Anna"},
         "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1, "costUnit": "X"}]},
        settings,
    )  # fmt: skip
    element = order["FbDirectInvoice"]["Element"]
    assert element["Fields"]["U0003"] == "Anna"
    lines = element["Objects"][0]["FbDirectInvoiceLines"]["Element"]
    assert [(x["Fields"]["V1Cd"], x["Fields"]["V2Cd"]) for x in lines] == [
        ("200", "FIL"),
        ("200", "X"),
    ]
