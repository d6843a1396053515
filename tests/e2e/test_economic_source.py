"""The noordkaap-outdoor customers flow reading from the e-conomic sandbox over real HTTP.

The flow's target (Visma.net) is a ``FakeConnector`` here, with a small mapping of its own over
Visma.net's default mapping, so this proves the source side through the engine: every customer
of the demo seed is read and written once (the one without e-mail skipped), a second pass reads
only the customer of the cursor's own second, and after a change in e-conomic the incremental
pass updates only that one.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx

from connectors.economic.sandbox import for_connection
from connectors.registry import capabilities
from connectors.sandbox import SandboxServer
from reconciler.canonical import Entity
from reconciler.passes.runner import PassReport, run_pass
from reconciler.passes.setup import Connections, build_context
from reconciler.secrets import SecretResolver
from reconciler.spec.validate import validate_tree
from reconciler.testing.fake_connector import FakeConnector
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "reconciler" / "demo" / "seeds" / "noordkaap-outdoor" / "economic.json"
TENANT = "noordkaap-outdoor"
ENV = {
    "ECONOMIC_APP_SECRET_TOKEN": "e2e-app-secret-token",
    "ECONOMIC_NOORDKAAP_GRANT_TOKEN": "e2e-agreement-grant-token",
}
MAPPING = """---
apiVersion: koppel/v1
kind: Mapping
metadata: {name: customer-fields, tenant: noordkaap-outdoor}
spec:
  entity: customers
  fields:
    email: {from: email}
    name: {from: displayName}
    contact: {from: "companyName && join(' ', [firstName, namePrefix, lastName][?@ != null])"}
    city: {from: billingAddress.city}
    country: {from: billingAddress.country}
"""
FLOW_END = "      revenueAccount: revenue-by-country\n---"


def _specs(tmp: Path) -> Path:
    """The example specs with a mapping for the stand-in target added to the customers flow."""
    copy = tmp / "specs"
    shutil.copytree(ROOT / "specs", copy)
    flows = copy / TENANT / "flows.yaml"
    text = flows.read_text("utf-8")
    assert text.count(FLOW_END) == 1, "the customers flow of noordkaap-outdoor changed shape"
    flows.write_text(text.replace(FLOW_END, FLOW_END[:-4] + "\n  mappings: [customer-fields]\n---"))
    mappings = copy / TENANT / "mappings.yaml"
    mappings.write_text(mappings.read_text("utf-8") + MAPPING)
    return copy


def test_customers_flow_reads_economic_incrementally(tmp_path: Path) -> None:
    """First pass: five customers created, the one without e-mail skipped; second pass: only the
    boundary customer read, unchanged; after a city changes in e-conomic: that one updated."""
    validation = validate_tree(_specs(tmp_path), capabilities=capabilities())
    assert validation.valid, validation.diagnostics
    specs = validation.specs
    flow = next(f for f in specs.flows(TENANT) if f.name == "customers")
    resolver = SecretResolver(ENV)
    connection = specs.tenants[TENANT].model.spec.connections["economic"]
    app, path = for_connection(
        connection, secret=lambda ref, what: resolver.resolve(ref, what=what), seed=SEED
    )
    target = FakeConnector()
    store = MemoryStore()
    with SandboxServer(app) as server:

        async def one_pass() -> PassReport:
            connections = Connections(
                secrets=resolver,
                endpoints={"economic": server.url + path},
                given={(TENANT, "vismanet"): target},
            )
            try:
                ctx = build_context(specs, flow, connections=connections, store=store)
                return await run_pass(ctx)
            finally:
                await connections.aclose()

        first = asyncio.run(one_pass())
        second = asyncio.run(one_pass())
        customer = httpx.get(
            f"{server.url}{path}/customers/2002",
            headers={
                "X-AppSecretToken": ENV["ECONOMIC_APP_SECRET_TOKEN"],
                "X-AgreementGrantToken": ENV["ECONOMIC_NOORDKAAP_GRANT_TOKEN"],
            },
        ).json()
        customer["city"] = "Aarhus N"
        put = httpx.put(
            f"{server.url}{path}/customers/2002",
            json=customer,
            headers={
                "X-AppSecretToken": ENV["ECONOMIC_APP_SECRET_TOKEN"],
                "X-AgreementGrantToken": ENV["ECONOMIC_NOORDKAAP_GRANT_TOKEN"],
            },
        )
        assert put.status_code == 200, put.text
        third = asyncio.run(one_pass())
    assert first.counts is not None
    assert (first.counts.read, first.counts.created, first.counts.skipped, first.counts.failed) == (
        6, 5, 1, 0,
    )  # fmt: skip
    made = target.target[Entity.customers]
    assert sorted(made) == [  # all but Anders Kjær, who has no e-mail
        "faktura@nordlys.test",
        "inkoop@bergwijzer.test",
        "mette.sorensen@example.dk",
        "ordre@fjeldgear.test",
        "sanne.devries@example.nl",
    ]
    # The mapping's fields, over Visma.net's default mapping (which adds its own).
    fjeldgear = made["ordre@fjeldgear.test"]
    assert {k: fjeldgear[k] for k in ("email", "name", "contact", "city", "country")} == {
        "email": "ordre@fjeldgear.test",
        "name": "Fjeldgear ApS",
        "contact": "Jonas Madsen",
        "city": "København V",
        "country": "DK",
    }
    assert made["mette.sorensen@example.dk"].get("contact") is None
    assert made["sanne.devries@example.nl"]["name"] == "Sanne de Vries"
    assert second.counts is not None
    # Only the customer stamped in the cursor's own second is read again ($gte), and it is
    # found unchanged by its fingerprint, without asking the target.
    assert (second.counts.read, second.counts.unchanged, second.target_reads) == (1, 1, 0)
    assert third.counts is not None
    assert (third.counts.read, third.counts.updated, third.counts.unchanged) == (2, 1, 1)
    assert made["mette.sorensen@example.dk"]["city"] == "Aarhus N"
