"""Orders into the MplusKASSA sandbox over real HTTP: the order is found again by the key the till
keeps (its number as extOrderId), so a drift scan skips it instead of creating it twice."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from connectors.mpluskassa.sandbox import create_app
from connectors.sandbox import SandboxServer
from reconciler.canonical import Address, Customer, Entity, Order, OrderLine, OrderStatus
from reconciler.passes.runner import PassReport, run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.secrets import SecretResolver
from reconciler.spec.validate import validate_tree
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
IDENT, SECRET = "mplus-e2e-ident", "mplus-e2e-secret"


def test_webshop_orders_into_the_till_are_found_again() -> None:
    """A paid AFAS order is created in MplusKASSA once; an incremental pass and a drift scan
    afterwards write nothing and fail nothing."""
    from connectors.registry import capabilities

    specs = validate_tree(ROOT / "specs", capabilities=capabilities()).specs
    flow = next(f for f in specs.flows("bakkerij-jansen") if f.name == "webshop-orders")
    source = FakeConnector()
    source.source[Entity.orders] = [
        Order(
            number="WEB-7001",
            reference="Webshop 7001",
            status=OrderStatus.paid,
            shipping_address=Address(country="NL", city="Edam"),
            customer=Customer(
                email="anna.devries@example.test", first_name="Anna", last_name="de Vries"
            ),
            lines=[OrderLine(sku="1001", quantity=Decimal(2), unit_price=Decimal("3.10"))],
        ),
    ]
    store = MemoryStore()
    app = create_app(
        seed=ROOT / "reconciler" / "demo" / "seeds" / "bakkerij-jansen" / "kassa.json",
        ident=IDENT,
        secret=SECRET,
    )
    with SandboxServer(app) as kassa:

        async def one_pass(*, full: bool) -> PassReport:
            connections = Connections(
                secrets=SecretResolver(
                    {"MPLUS_JANSEN_IDENT": IDENT, "AFAS_JANSEN_TOKEN": "x"},
                    files={"/run/secrets/mplus-jansen-secret": SECRET},
                ),
                endpoints={"kassa": kassa.url},
            )
            try:
                ctx = build_context(
                    specs, flow, connections=connections, store=store, source=source
                )
                return await run_pass(ctx, full=full)
            finally:
                await connections.aclose()

        first = asyncio.run(one_pass(full=False)).counts
        again = asyncio.run(one_pass(full=False)).counts
        scan = asyncio.run(one_pass(full=True)).counts
    assert first is not None
    assert (first.created, first.failed) == (1, 0), first.failures
    for counts in (again, scan):
        assert counts is not None
        assert (counts.created, counts.failed) == (0, 0), counts.failures
