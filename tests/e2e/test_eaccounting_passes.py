"""eAccounting in both roles of real passes over HTTP: the noordkaap-outdoor demo seed's
articles, customers and paid orders from one eAccounting company into another (the package's
default seed), through the engine's mapping, filters, look-ups and writes. A second pass and a
drift scan write nothing: what the connector reads back compares equal to what it wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.eaccounting.sandbox import SandboxApp, for_connection
from connectors.registry import capabilities
from connectors.sandbox import SandboxServer
from reconciler.passes.apply import Counts
from reconciler.passes.runner import run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "reconciler" / "demo" / "seeds" / "noordkaap-outdoor" / "eaccounting.json"
ENV = {
    "SHOP_SECRET": "shop-client-secret-1a2b",
    "SHOP_REFRESH": "shop-refresh-token-3c4d",
    "BOOKS_SECRET": "books-client-secret-5e6f",
    "BOOKS_REFRESH": "books-refresh-token-7a8b",
}
SPECS = """\
apiVersion: koppel/v1
kind: Tenant
metadata: {name: ea-e2e}
spec:
  connections:
    shop:
      system: eaccounting
      clientId: shop-client
      clientSecret: {env: SHOP_SECRET}
      refreshToken: {env: SHOP_REFRESH}
    books:
      system: eaccounting
      clientId: books-client
      clientSecret: {env: BOOKS_SECRET}
      refreshToken: {env: BOOKS_REFRESH}
---
apiVersion: koppel/v1
kind: Flow
metadata: {name: customers, tenant: ea-e2e}
spec:
  kind: customers
  source: shop
  target: books
  customers: {matchBy: email, create: true, update: true}
---
apiVersion: koppel/v1
kind: Flow
metadata: {name: products, tenant: ea-e2e}
spec:
  kind: products
  source: shop
  target: books
  filter:
    activeOnly: true
    custom:
      - {field: customFields.sellOnline, op: equals, value: true}
      - {field: sku, op: startsWith, value: "NK-"}
  products:
    types: [simple]
    features: [Waterdicht]
---
apiVersion: koppel/v1
kind: Flow
metadata: {name: orders, tenant: ea-e2e}
spec:
  kind: orders
  source: shop
  target: books
  dependsOn: [customers, products]
  filter: {status: [paid]}
  orders:
    type: invoice
    customers: {matchBy: email, create: true, update: true}
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SpecSet, dict[str, str], SandboxApp]]:
    (tmp_path / "ea-e2e").mkdir()
    (tmp_path / "ea-e2e" / "specs.yaml").write_text(SPECS)
    result = validate_tree(tmp_path, capabilities=capabilities())
    assert result.specs is not None, result.diagnostics
    specs = result.specs
    resolver = SecretResolver(ENV)

    def secret(ref: Any, what: str) -> str:
        return resolver.resolve(ref, what=what)

    connections = specs.tenants["ea-e2e"].model.spec.connections
    shop, path = for_connection(connections["shop"], secret=secret, seed=SEED)
    books, _ = for_connection(connections["books"], secret=secret)
    with SandboxServer(shop) as shop_server, SandboxServer(books) as books_server:
        yield specs, {"shop": shop_server.url + path, "books": books_server.url + path}, books


def _pass(
    specs: SpecSet, endpoints: dict[str, str], store: MemoryStore, *, full: bool
) -> dict[str, Counts]:
    async def go() -> dict[str, Counts]:
        connections = Connections(secrets=SecretResolver(ENV), endpoints=endpoints)
        counts: dict[str, Counts] = {}
        try:
            for name in ("customers", "products", "orders"):
                flow = next(f for f in specs.flows("ea-e2e") if f.name == name)
                ctx = build_context(specs, flow, connections=connections, store=store)
                report = await run_pass(ctx, full=full)
                assert report.counts is not None
                counts[name] = report.counts
        finally:
            await connections.aclose()
        return counts

    return asyncio.run(go())


def test_eaccounting_to_eaccounting_and_no_drift(
    world: tuple[SpecSet, dict[str, str], SandboxApp],
) -> None:
    """First pass: four customers and the three articles the filters allow are created, and
    the two paid orders become invoice drafts for their customers. Then nothing more is
    written."""
    specs, endpoints, books = world
    store = MemoryStore()
    first = _pass(specs, endpoints, store, full=False)
    assert (first["customers"].created, first["customers"].failed) == (4, 0), first[
        "customers"
    ].failures
    assert (first["products"].created, first["products"].skipped) == (3, 4)
    orders = first["orders"]
    assert (orders.created, orders.failed, orders.skipped) == (2, 0, 4), orders.failures
    draft, second = sorted(
        books.sandbox.store.rows("customerinvoicedrafts"), key=lambda d: d["YourReference"]
    )
    assert (draft["YourReference"], draft["InvoiceCustomerName"]) == (
        "5001",
        "Bergsport Utrecht BV",
    )
    assert [r["ArticleNumber"] for r in draft["Rows"]] == ["NK-100", "NK-200"]
    assert second["InvoiceCustomerName"] == "Sanne de Vries"
    assert [(r["IsTextRow"], r["Text"]) for r in second["Rows"]] == [
        (False, "Wandelrugzak 45 l"),
        (True, "Graag voor vrijdag"),
    ]
    tent = next(a for a in books.sandbox.store.rows("articles") if a["Number"] == "NK-100")
    assert [label["Name"] for label in tent["ArticleLabels"]] == ["Waterdicht"]
    assert tent["CodingName"] == "Omzet hoog"

    for full in (False, True):
        again = _pass(specs, endpoints, store, full=full)
        for name in ("customers", "products"):
            counts = again[name]
            assert (counts.created, counts.updated, counts.failed) == (0, 0, 0), (name, full)
        assert again["orders"].created == 0
    assert len(books.sandbox.store.rows("customerinvoicedrafts")) == 2
