"""The noordkaap-outdoor demo seed, served by ``for_connection`` for the tenant's own
``eaccounting`` connection and read back through the connector the way a pass connects it:
the seed's cases (articles a custom filter excludes, orders in several statuses, Dutch company
and person customers) come out as the tenant's flows expect them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from connectors.eaccounting.sandbox import for_connection
from connectors.registry import capabilities
from connectors.sandbox import SandboxServer
from reconciler.canonical import CanonicalRecord, Customer, Entity, Order, OrderStatus, Product
from reconciler.errors import AuthenticationError
from reconciler.flows.filters import order_skip_reason, product_skip_reason
from reconciler.passes.setup import Connections
from reconciler.secrets import SecretResolver
from reconciler.spec.models.flow import OrdersFlowSpec, ProductsFlowSpec
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "reconciler" / "demo" / "seeds" / "noordkaap-outdoor" / "eaccounting.json"
TENANT = "noordkaap-outdoor"
ENV = {
    "EACCOUNTING_NOORDKAAP_CLIENT_SECRET": "noordkaap-client-secret-9d2e",
    "EACCOUNTING_NOORDKAAP_REFRESH_TOKEN": "noordkaap-refresh-token-41aa",
}


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.specs is not None
    return result.specs


@pytest.fixture(scope="module")
def server(specs: SpecSet) -> Iterator[tuple[SandboxServer, str]]:
    connection = specs.tenants[TENANT].model.spec.connections["eaccounting"]
    resolver = SecretResolver(ENV)
    app, path = for_connection(
        connection, secret=lambda ref, what: resolver.resolve(ref, what=what), seed=SEED
    )
    with SandboxServer(app) as running:
        yield running, path


def _read(specs: SpecSet, url: str, entity: Entity, env: dict[str, str] = ENV) -> list[Any]:
    async def go() -> list[CanonicalRecord]:
        connections = Connections(secrets=SecretResolver(env), endpoints={"eaccounting": url})
        try:
            connector: Connector = connections.get(specs, TENANT, "eaccounting")
            return [r async for page in connector.read(entity) for r in page.records]
        finally:
            await connections.aclose()

    return asyncio.run(go())


def _flow(specs: SpecSet, name: str) -> Any:
    return next(f.model.spec for f in specs.flows(TENANT) if f.name == name)


def test_products_flow_takes_only_what_its_filters_allow(
    specs: SpecSet, server: tuple[SandboxServer, str]
) -> None:
    """Seven articles: three pass activeOnly, sellOnline and the NK- prefix; the others are
    skipped with the filter that excluded them."""
    running, path = server
    products = _read(specs, running.url + path, Entity.products)
    assert all(isinstance(p, Product) for p in products)
    flow = _flow(specs, "products")
    assert isinstance(flow, ProductsFlowSpec)
    reasons = {p.sku: product_skip_reason(p, flow.filter) for p in products}
    assert {sku for sku, reason in reasons.items() if reason is None} == {
        "NK-100",
        "NK-200",
        "NK-300",
    }
    assert reasons["NK-310"] is not None
    assert "customFields.sellOnline" in reasons["NK-310"]
    assert reasons["NK-900"] == "it is not active"
    assert reasons["VERZ-01"] is not None  # shipping costs: not sold online
    assert "startsWith" in str(reasons["GIFT-25"])
    tent = next(p for p in products if p.sku == "NK-100")
    # Label names follow the tenant's mapping (features.colour): "colour: green" and so on.
    assert tent.features == {"colour": "green", "brand": "Noordkaap", "Waterdicht": "true"}
    assert (tent.price_excl_tax, tent.ean) == (249, "8719876543210")


def test_sales_orders_flow_takes_only_paid_orders(
    specs: SpecSet, server: tuple[SandboxServer, str]
) -> None:
    """Six orders in every status; the flow's status filter [paid] takes the two invoices
    paid in full and skips the partly paid, shipped, ongoing and draft ones."""
    running, path = server
    orders = {o.number: o for o in _read(specs, running.url + path, Entity.orders)}
    assert {n: o.status for n, o in orders.items()} == {
        "5001": OrderStatus.paid,
        "5002": OrderStatus.paid,
        "5003": OrderStatus.partially_paid,
        "5004": OrderStatus.shipped,
        "5005": OrderStatus.open,
        "5006": OrderStatus.open,
    }
    flow = _flow(specs, "sales-orders")
    assert isinstance(flow, OrdersFlowSpec)
    taken = {n for n, o in orders.items() if order_skip_reason(o, flow.filter) is None}
    assert taken == {"5001", "5002"}
    first: Order = orders["5001"]
    assert first.customer is not None
    assert first.customer.company_name == "Bergsport Utrecht BV"
    assert first.shipping_method == "postnl"
    assert first.shipping_address is not None
    assert first.shipping_address.city == "Utrecht"


def test_customers_are_dutch_companies_and_persons(
    specs: SpecSet, server: tuple[SandboxServer, str]
) -> None:
    """Two companies with a contact person and two private persons, all in the Netherlands."""
    running, path = server
    customers = _read(specs, running.url + path, Entity.customers)
    assert all(isinstance(c, Customer) for c in customers)
    assert {c.email for c in customers if c.is_company} == {
        "inkoop@bergsport-utrecht.test",
        "info@outdoorzwolle.test",
    }
    assert {c.display_name for c in customers if not c.is_company} == {
        "Sanne de Vries",
        "Daan Visser",
    }
    assert {c.billing_address.country for c in customers if c.billing_address} == {"NL"}


def test_the_sandbox_accepts_exactly_the_tenants_credentials(
    specs: SpecSet, server: tuple[SandboxServer, str]
) -> None:
    """Another refresh token than the tenant's is refused by the sandbox's token endpoint."""
    running, path = server
    wrong = {**ENV, "EACCOUNTING_NOORDKAAP_REFRESH_TOKEN": "someone-elses-token"}
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        _read(specs, running.url + path, Entity.customers, env=wrong)
