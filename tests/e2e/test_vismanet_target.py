"""The reconcile core end to end into the Visma.net sandbox, over real HTTP on loopback: the
noordkaap-outdoor flows (seed 003) with a fake source feeding canonical products, customers and
orders into the real Visma.net connector, each flow twice; the second pass writes nothing.

The sandbox is built by ``for_connection`` from the tenant's own ``vismanet`` connection (a
service app: client id and secret, no refresh token) and seeded with the demo's company data
(``reconciler/demo/seeds/noordkaap-outdoor/vismanet.json``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import SandboxServer
from connectors.vismanet.sandbox import SandboxApp, for_connection
from reconciler.canonical import (
    Address,
    Customer,
    Entity,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)
from reconciler.flows.masterdata import named_codes
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "reconciler" / "demo" / "seeds" / "noordkaap-outdoor" / "vismanet.json"
TENANT = "noordkaap-outdoor"
SECRET_FILE = "/run/secrets/vismanet-noordkaap-client-secret"
CLIENT_SECRET = "noordkaap-e2e-client-secret"


def _secrets() -> SecretResolver:
    return SecretResolver(
        {
            "EACCOUNTING_NOORDKAAP_CLIENT_SECRET": "x",
            "EACCOUNTING_NOORDKAAP_REFRESH_TOKEN": "x",
            "ECONOMIC_APP_SECRET_TOKEN": "x",
            "ECONOMIC_NOORDKAAP_GRANT_TOKEN": "x",
        },
        files={SECRET_FILE: CLIENT_SECRET},
    )


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    from connectors.registry import capabilities

    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid
    return result.specs


@pytest.fixture
def vismanet(specs: SpecSet) -> Iterator[tuple[str, SandboxApp]]:
    connection = specs.tenants[TENANT].model.spec.connections["vismanet"]
    resolver = _secrets()
    app, path = for_connection(
        connection, secret=lambda ref, what: resolver.resolve(ref, what=what), seed=SEED
    )
    with SandboxServer(app) as server:
        yield server.url + path, app


def _pass(
    specs: SpecSet,
    flow_name: str,
    url: str,
    source: FakeConnector,
    store: MemoryStore,
    *,
    full: bool = False,
) -> PassReport:
    flow = next(f for f in specs.flows(TENANT) if f.name == flow_name)

    async def one() -> PassReport:
        connections = Connections(secrets=_secrets(), endpoints={"vismanet": url})
        try:
            ctx = build_context(specs, flow, connections=connections, store=store, source=source)
            return await run_pass(ctx, full=full)
        finally:
            await connections.aclose()

    return asyncio.run(one())


def _plan(specs: SpecSet, flow_name: str, url: str, source: FakeConnector) -> PassReport:
    """``koppel plan``: what a pass would do, and the codes the flow names checked in Visma.net."""
    flow = next(f for f in specs.flows(TENANT) if f.name == flow_name)

    async def one() -> PassReport:
        connections = Connections(secrets=_secrets(), endpoints={"vismanet": url})
        try:
            ctx = build_context(
                specs, flow, connections=connections, store=MemoryStore(), source=source
            )
            return await plan_pass(ctx, codes=named_codes(specs, flow))
        finally:
            await connections.aclose()

    return asyncio.run(one())


def _counts(report: PassReport) -> Any:
    assert report.counts is not None, report.stopped
    return report.counts


def _products() -> list[Product]:
    return [
        Product(
            sku="NK-TENT-2",
            name="Trekkingtent 2 persoons",
            long_description="Tent voor twee personen.",
            price_excl_tax=Decimal("229.00"),
            currency="EUR",
            custom_fields={"sellOnline": True},
        ),
        Product(
            sku="NK-JACKET-1",
            name="Regenjas Fjell",
            long_description="Waterdichte jas, 20.000 mm waterkolom.",
            price_excl_tax=Decimal("149.95"),
            ean="8712345678906",
            currency="EUR",
            features={"colour": "Rood", "season": "winter"},
            custom_fields={"sellOnline": True, "brand": "Fjellrev"},
        ),
        Product(sku="NK-OLD", name="Oud model", active=False, custom_fields={"sellOnline": True}),
        Product(sku="XX-1", name="Geen Noordkaap", custom_fields={"sellOnline": True}),
        Product(sku="NK-NOWEB", name="Alleen winkel", custom_fields={"sellOnline": False}),
    ]


def test_products_by_sku_keep_create_only_fields(
    specs: SpecSet, vismanet: tuple[str, SandboxApp]
) -> None:
    """An existing item is updated (its description and price only: the long description it was
    enriched with in Visma.net is create-only and survives), a new one is created with its item
    class, free fields and EAN; custom filters skip the rest; a second pass writes nothing."""
    url, app = vismanet
    store, source = MemoryStore(), FakeConnector(page_size=2)
    source.source[Entity.products] = _products()

    first = _counts(_pass(specs, "products", url, source, store))
    assert (first.created, first.updated, first.skipped, first.failed) == (1, 1, 3, 0), (
        first.failures
    )
    items = app.store.inventory
    tent = items["NK-TENT-2"]
    assert tent["description"] == "Trekkingtent 2 persoons"
    assert tent["defaultPrice"] == 229
    assert tent["body"].startswith("Verrijkt in Visma.net")  # create-only: kept on update
    assert {a["id"]: a["value"] for a in tent["attributes"]} == {"BRAND": "Noordkaap"}
    jacket = items["NK-JACKET-1"]
    assert jacket["itemClass"]["id"] == "OUTDOOR"
    assert jacket["body"] == "Waterdichte jas, 20.000 mm waterkolom."
    assert jacket["status"] == "Active"
    # Free fields: the brand, and the one product feature the flow copies (not the season).
    assert {a["id"]: a["value"] for a in jacket["attributes"]} == {
        "BRAND": "Fjellrev",
        "COLOUR": "Rood",
    }
    assert jacket["crossReferences"][0]["alternateID"] == "8712345678906"
    assert not {"NK-OLD", "XX-1", "NK-NOWEB"} & set(items)

    writes = len([r for r in app.sandbox.requests if r[0] in ("POST", "PUT")])
    again = _counts(_pass(specs, "products", url, source, store))
    assert (again.created, again.updated, again.failed) == (0, 0, 0), again.failures
    scan = _counts(_pass(specs, "products", url, source, store, full=True))
    assert (scan.created, scan.updated, scan.failed) == (0, 0, 0), scan.failures
    assert len([r for r in app.sandbox.requests if r[0] in ("POST", "PUT")]) == writes


def _customers() -> list[Customer]:
    return [
        Customer(
            email="indkob@fjeldgrej.test",
            company_name="Fjeldgrej ApS",
            first_name="Mette",
            last_name="Holm",
            phone="+45 3312 3456",
            vat_number="DK12345678",
            classification="1",  # the e-conomic customer group, mapped to class DK
            billing_address=Address(
                street="Nørregade", number="7", postal_code="1165", city="København", country="DK"
            ),
        ),
        Customer(
            email="lars@example.test",
            first_name="Lars",
            last_name="Jensen",
            classification="1",
            billing_address=Address(
                street="Vestergade", number="3", postal_code="8000", city="Aarhus", country="DK"
            ),
        ),
    ]


def test_customers_by_email_and_only_changed_fields(
    specs: SpecSet, vismanet: tuple[str, SandboxApp]
) -> None:
    """A company (with its contact) and a person become customers found again by e-mail; a
    second pass writes nothing; a changed phone number updates that field alone."""
    url, app = vismanet
    store, source = MemoryStore(), FakeConnector()
    source.source[Entity.customers] = _customers()

    first = _counts(_pass(specs, "customers", url, source, store))
    assert (first.created, first.failed) == (2, 0), first.failures
    by_email = {
        c["mainContact"]["email"]: c
        for c in app.store.customers.values()
        if c.get("mainContact", {}).get("email")
    }
    company = by_email["indkob@fjeldgrej.test"]
    assert company["name"] == "Fjeldgrej ApS"
    assert company["mainContact"]["name"] == "Mette Holm"
    assert company["customerClass"]["id"] == "DK"
    assert company["vatZone"]["id"] == "DK"  # the class's default VAT zone
    assert company["mainAddress"]["addressLine1"] == "Nørregade 7"
    person = by_email["lars@example.test"]
    assert person["name"] == "Lars Jensen"

    again = _counts(_pass(specs, "customers", url, source, store))
    assert (again.created, again.updated, again.failed) == (0, 0, 0), again.failures

    changed = _customers()
    changed[0] = changed[0].model_copy(update={"phone": "+45 3312 9999"})
    source.source[Entity.customers] = changed
    # A drift scan re-reads both and compares each with Visma.net: only the phone differs.
    third = _counts(_pass(specs, "customers", url, source, store, full=True))
    assert (third.created, third.updated, third.unchanged, third.failed) == (0, 1, 1, 0), (
        third.failures
    )
    updated = app.store.customers[company["number"]]
    assert updated["mainContact"]["phone1"] == "+45 3312 9999"
    assert updated["mainContact"]["name"] == "Mette Holm"
    assert updated["mainAddress"]["city"] == "København"


def _orders() -> list[Order]:
    nl = Address(
        street="Oudegracht", number="12", postal_code="3511AB", city="Utrecht", country="NL"
    )
    tent = OrderLine(
        sku="NK-TENT-2", quantity=Decimal(1), unit_price=Decimal("229.00"), tax_rate=Decimal(21)
    )
    return [
        Order(
            number="1001",
            status=OrderStatus.paid,
            payment_method="ideal",
            shipping_method="postnl",
            shipping_costs=Decimal("6.95"),
            shipping_address=nl,
            customer=Customer(
                email="inkoop@bergsport.test",
                company_name="Bergsport Utrecht BV",
                first_name="Sanne",
                last_name="de Boer",
                billing_address=nl,
            ),
            lines=[tent],
        ),
        Order(
            number="1002",
            status=OrderStatus.paid,
            payment_method="creditcard",
            remark="Graag voor vrijdag",
            shipping_address=nl,
            customer=Customer(email="joost@example.test", first_name="Joost", last_name="Vos"),
            lines=[tent.model_copy(update={"quantity": Decimal(2)})],
        ),
        Order(
            number="1003",
            status=OrderStatus.paid,
            payment_method="invoice",
            shipping_address=Address(country="DK", city="Odense"),
            lines=[
                OrderLine(
                    sku="NK-TENT-2",
                    quantity=Decimal(1),
                    unit_price=Decimal("249.00"),
                    tax_rate=Decimal(25),
                ),
            ],
        ),
        Order(number="1004", status=OrderStatus.unpaid, payment_method="ideal", lines=[tent]),
        Order(
            number="1005",
            status=OrderStatus.paid,
            payment_method="ideal",
            shipping_address=nl,
            customer=Customer(email="joost@example.test", first_name="Joost", last_name="Vos"),
            lines=[OrderLine(kind=LineKind.item, sku="NK-MISSING", quantity=Decimal(1))],
        ),
    ]


def test_paid_orders_become_sales_orders_with_the_branch(
    specs: SpecSet, vismanet: tuple[str, SandboxApp]
) -> None:
    """Paid orders become SO sales orders with the branch added, their customers created by
    e-mail (company with contact, person) or the default debtor by country, VAT categories by
    country and rate, and the shipping costs as a line; the unpaid order is skipped, the order
    for a missing item fails naming its SKU; a second pass writes nothing."""
    url, app = vismanet
    store, source = MemoryStore(), FakeConnector(page_size=2)
    source.source[Entity.orders] = _orders()

    plan = _plan(specs, "sales-orders", url, source)
    checked = {(m.kind, m.code): m.exists for m in plan.master_data}
    assert plan.missing_master_data == []
    assert checked[("branch", "1")] is True
    assert checked[("vatCode", "11")] is True
    assert checked[("paymentCondition", "30D")] is True
    assert checked[("debtor", "30001")] is True
    assert checked[("ledgerAccount", "3010")] is None  # not exposed: reported, not failed
    assert app.store.orders == {}  # planning wrote nothing

    first = _counts(_pass(specs, "sales-orders", url, source, store))
    assert (first.created, first.skipped, first.failed) == (3, 1, 1), first.failures
    [(key, reason)] = first.failures
    assert key == "1005"
    assert "NK-MISSING" in reason

    orders = app.store.orders
    assert set(orders) == {"1001", "1002", "1003"}
    assert {o["branchNumber"]["number"] for o in orders.values()} == {"1"}  # BranchId added
    assert {o["orderType"] for o in orders.values()} == {"SO"}
    web = orders["1001"]
    assert web["customerRefNo"] == "EA-1001"
    assert web["description"] == "Webshop order"
    assert web["terms"]["id"] == "30D"
    assert web["shipVia"]["id"] == "POSTNL"
    assert [(ln["inventory"]["number"], ln["taxCategory"]) for ln in web["lines"]] == [
        ("NK-TENT-2", "01"),
        ("SHIPPING", "01"),
    ]
    company = app.store.customers[web["customer"]["number"]]
    assert company["name"] == "Bergsport Utrecht BV"
    assert company["mainContact"] == {
        **company["mainContact"],
        "name": "Sanne de Boer",
        "email": "inkoop@bergsport.test",
    }
    person = app.store.customers[orders["1002"]["customer"]["number"]]
    assert (person["name"], person["mainContact"]["email"]) == ("Joost Vos", "joost@example.test")
    assert orders["1002"]["description"] == "Graag voor vrijdag"
    assert orders["1003"]["customer"]["number"] == "30001"  # DefaultDebtor rule: country DK
    assert web["lines"][1]["unitPrice"] == 6.95  # the shipping costs line
    assert orders["1003"]["lines"][0]["taxCategory"] == "11"

    customers = len(app.store.customers)
    second = _counts(_pass(specs, "sales-orders", url, source, store))
    assert (second.created, second.updated) == (0, 0), second.failures
    assert set(app.store.orders) == {"1001", "1002", "1003"}
    assert len(app.store.customers) == customers
