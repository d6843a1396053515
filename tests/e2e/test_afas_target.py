"""The reconcile core end to end into the AFAS sandbox, over real HTTP on loopback: point-of-sale
orders become AFAS invoices with their debtors; a second pass changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.afas.sandbox import SandboxApp, create_app
from connectors.sandbox import SandboxServer
from reconciler.canonical import Address, Customer, Entity, Order, OrderLine, OrderStatus
from reconciler.passes.runner import run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-token"


@pytest.fixture
def afas() -> Iterator[tuple[str, SandboxApp]]:
    app = create_app(token=TOKEN)
    with SandboxServer(app) as server:
        yield server.url + "/ProfitRestServices", app


def _specs() -> SpecSet:
    from connectors.registry import capabilities

    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid
    return result.specs


def _orders() -> list[Order]:
    line = OrderLine(
        sku="1006",
        description="Server case",
        quantity=Decimal(1),
        unit_price=Decimal("100.00"),
        tax_rate=Decimal(21),
    )
    nl = Address(street="Markt", number="1", postal_code="1011AB", city="Amsterdam", country="NL")
    return [
        Order(
            number="9001",
            status=OrderStatus.paid,
            payment_method="pin",
            shipping_address=nl,
            customer=Customer(
                email="inkoop@hotel.test",
                company_name="Hotel De Dam BV",
                first_name="Ria",
                last_name="Smit",
                billing_address=nl,
            ),
            lines=[line],
        ),
        Order(
            number="9002",
            status=OrderStatus.paid,
            payment_method="cash",
            shipping_address=nl,
            customer=Customer(email="piet@example.test", first_name="Piet", last_name="Dam"),
            lines=[line],
        ),
        Order(
            number="9003",
            status=OrderStatus.paid,
            payment_method="cash",
            shipping_address=Address(country="BE"),
            lines=[line],
        ),
        Order(number="9004", status=OrderStatus.unpaid, payment_method="pin", lines=[line]),
        Order(
            number="9005",
            status=OrderStatus.paid,
            payment_method="pin",
            shipping_address=nl,
            lines=[OrderLine(sku="NOPE-1", quantity=Decimal(1))],
        ),
    ]


def test_pos_orders_into_afas_twice(afas: tuple[str, SandboxApp]) -> None:
    """Company, person and anonymous sales become AFAS sales documents with the right debtors;
    the unpaid order is skipped and the order for a missing product fails naming it; a second
    pass over the same data writes nothing."""
    url, app = afas
    specs = _specs()
    flow = next(f for f in specs.flows("bakkerij-jansen") if f.name == "pos-orders")
    store = MemoryStore()
    source = FakeConnector(page_size=2)
    source.source[Entity.orders] = _orders()

    async def one_pass() -> object:
        secrets = SecretResolver(
            {"AFAS_JANSEN_TOKEN": TOKEN, "MPLUS_JANSEN_IDENT": "x"},
            files={"/run/secrets/mplus-jansen-secret": "y"},
        )
        connections = Connections(secrets=secrets, endpoints={"afas": url})
        try:
            ctx = build_context(specs, flow, connections=connections, store=store, source=source)
            return await run_pass(ctx)
        finally:
            await connections.aclose()

    first = asyncio.run(one_pass())
    counts = first.counts  # type: ignore[attr-defined]
    assert (counts.created, counts.skipped, counts.failed) == (3, 1, 1), counts.failures
    assert "NOPE-1" in counts.failures[0][1]
    orders = {o["RfCs"]: o for o in app.sandbox.store.orders.values()}  # type: ignore[attr-defined]
    assert set(orders) >= {"POS-9001", "POS-9002", "POS-9003"}
    assert orders["POS-9003"]["DbId"] == "10001"  # Belgian anonymous sale, by rule
    second = asyncio.run(one_pass())
    again = second.counts  # type: ignore[attr-defined]
    assert again.created == 0
    assert again.updated == 0
