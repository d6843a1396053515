"""Seed 002 end to end: the example tenant ``tuincentrum-de-linde`` reconciled between the Twinfield
sandbox and the AFAS Profit sandbox over real HTTP on loopback, with real connectors for both,
from the demo seed data in ``reconciler/demo/seeds/tuincentrum-de-linde/``.

Twinfield -> AFAS: customers (company debtor with contact, person debtor, an existing debtor
updated, classification, revenue account by country, free field), final sales invoices as AFAS
sales invoices (customer matched by e-mail, tax code by country and rate, payment method mapped; a
concept invoice is not read, one with an article AFAS lacks fails naming it), journal sales as
financial mutations (walk-in sales on the default debtor, a Belgian one by rule). AFAS ->
Twinfield: invoiced AFAS orders booked in the sales journal (a customer Twinfield lacks created
with the country's default VAT code, an existing one matched by e-mail; an open order skipped).
A second pass writes nothing, and neither does a drift scan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.afas.sandbox import SandboxApp as AfasApp
from connectors.afas.sandbox import create_app as afas_app
from connectors.sandbox import SandboxServer
from connectors.twinfield.sandbox import SandboxApp as TwinfieldApp
from connectors.twinfield.sandbox import for_connection
from reconciler.passes.runner import PassReport, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
TENANT = "tuincentrum-de-linde"
SEEDS = ROOT / "reconciler" / "demo" / "seeds" / TENANT
AFAS_TOKEN = "de-linde-afas-token"
CLIENT_SECRET = "de-linde-client-secret"
REFRESH_TOKEN = "de-linde-refresh-token"
ENV = {"TWINFIELD_LINDE_CLIENT_SECRET": CLIENT_SECRET, "AFAS_LINDE_TOKEN": AFAS_TOKEN}
FILES = {"/run/secrets/twinfield-linde-refresh-token": REFRESH_TOKEN}
CUSTOM_FIELD = "U7C6B5A4F3E2D1C0B9A8F7E6D5C4B3A21"


@dataclass
class Systems:
    specs: SpecSet
    twinfield: TwinfieldApp
    afas: AfasApp
    endpoints: dict[str, str]


def _specs() -> SpecSet:
    from connectors.registry import capabilities

    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid, [d.message for d in result.diagnostics]
    return result.specs


@pytest.fixture
def systems() -> Iterator[Systems]:
    specs = _specs()
    connection = specs.tenants[TENANT].model.spec.connections["twinfield"]
    resolver = SecretResolver(ENV, files=FILES)
    twinfield, path = for_connection(
        connection,
        secret=lambda ref, what: resolver.resolve(ref, what=what),
        seed=SEEDS / "twinfield.json",
    )
    afas = afas_app(seed=SEEDS / "afas.json", token=AFAS_TOKEN, participant="67890")
    with SandboxServer(twinfield) as tw, SandboxServer(afas) as af:
        endpoints = {"twinfield": tw.url + path, "afas": af.url + "/ProfitRestServices"}
        yield Systems(specs, twinfield, afas, endpoints)


async def _reconcile(
    systems: Systems, store: MemoryStore, connections: Connections, *, full: bool = False
) -> dict[str, Any]:
    """One pass of every flow of the tenant, in dependency order; the counts by flow."""
    reports: dict[str, PassReport] = {}
    for flow in select_flows(systems.specs, tenant=TENANT):
        ctx = build_context(systems.specs, flow, connections=connections, store=store)
        reports[flow.name] = await run_pass(ctx, full=full)
    return {name: report.counts for name, report in reports.items()}


async def _passes(systems: Systems) -> list[dict[str, Any]]:
    """A pass, a second pass, and a drift scan over every flow with one set of connections, as
    a long-lived run keeps them (the Twinfield session, with its rotated refresh token, lives
    as long as its connector)."""
    store = MemoryStore()
    connections = Connections(secrets=SecretResolver(ENV, files=FILES), endpoints=systems.endpoints)
    try:
        return [
            await _reconcile(systems, store, connections),
            await _reconcile(systems, store, connections),
            await _reconcile(systems, store, connections, full=True),
        ]
    finally:
        await connections.aclose()


def _debtors_by_email(afas: AfasApp) -> dict[str, dict[str, Any]]:
    return {
        str(d.get("EmAd", "")).lower(): d
        for d in afas.sandbox.store.debtors.values()  # type: ignore[attr-defined]
        if d.get("EmAd")
    }


def test_every_flow_reconciles_and_a_second_pass_writes_nothing(systems: Systems) -> None:
    """Each flow of the tenant writes what the seed implies into the other system, with every
    record accounted for (created, updated, skipped or failed with its reason); a second pass,
    and a drift scan comparing every record with the live targets, create and update nothing
    in either system."""
    first, second, scan = asyncio.run(_passes(systems))
    counted = {name: (c.created, c.updated, c.skipped, c.failed) for name, c in first.items() if c}
    assert counted == {
        "customers": (2, 1, 2, 0),  # two new debtors, one updated, two without e-mail skipped
        "sales-invoices": (2, 0, 3, 1),  # journal sales skipped; PL-OLIJF missing in AFAS
        "sales-mutations": (3, 0, 3, 0),  # the invoices' own bookings skipped
        "afas-invoices": (2, 0, 3, 0),  # the open order and koppel's own (open) orders skipped
    }, first
    assert "PL-OLIJF" in first["sales-invoices"].failures[0][1]

    afas = systems.afas.sandbox.store  # type: ignore[attr-defined]
    debtors = _debtors_by_email(systems.afas)
    groen = debtors["info@groen-hoveniers.test"]
    assert groen["kind"] == "KnOrganisation"  # a company debtor with its contact
    assert groen["Nm"] == "Hoveniersbedrijf Groen BV"
    assert (groen["contact"]["FiNm"], groen["contact"]["LaNm"]) == ("Karin", "de Boer")
    assert (groen["VaId"], groen["CcNr"]) == ("NL812345678B01", "30123456")
    assert groen["VaTp"] == "ZAK"  # customer classification through its value map
    assert groen["ToAc"] == "8000"  # revenue account by country (NL)
    assert groen[CUSTOM_FIELD] == "1100"  # the Twinfield code in the tenant's free field
    assert (groen["ColA"], groen["PaCd"]) == ("1300", "30")  # the flow's ledger and terms
    peeters = debtors["studio@peeters-tuinen.test"]
    assert peeters["address"]["CoId"] == "B"
    assert peeters["ToAc"] == "8100"  # revenue account for BE
    sanne = debtors["sanne.visser@example.test"]
    assert sanne["DbId"] == "10050"  # the existing person debtor, updated, not duplicated
    assert (sanne["address"]["Ad"], sanne["address"]["HmAd"]) == ("Lindelaan", "B")
    assert "Kassaverkoop" not in {d.get("Nm") for d in debtors.values()}

    orders = {o["RfCs"]: o for o in afas.orders.values()}
    invoice = orders["TWF-2024101"]
    assert invoice["DbId"] == groen["DbId"]  # matched by e-mail
    assert invoice["OrPr"] == "2"  # an invoice: packing slip and invoice
    assert invoice["PaTp"] == "03"  # payment method bank through its value map
    assert [(line["ItCd"], line["VaRc"]) for line in invoice["lines"]] == [
        ("PL-BUXUS", "2"),  # NL at 9%
        ("TM-BANK", "1"),  # NL at 21%
    ]
    assert orders["TWF-2024102"]["DbId"] == "10050"
    assert "TWF-2024103" not in orders  # failed: an article AFAS lacks
    assert "TWF-2024104" not in orders  # a concept invoice is not booked, so not read

    entries = {e["lines"][0]["BpNr"]: e for e in afas.entries}
    assert set(entries) == {"K-2024-031", "K-2024-032", "K-2024-033"}
    walk_in = entries["K-2024-031"]["lines"]
    assert (walk_in[0]["VaAs"], walk_in[0]["AcNr"]) == ("2", "9000")  # the default debtor
    assert [(x["AcNr"], x["VaId"], x["AmCr"]) for x in walk_in[1:]] == [
        ("8000", "2", 45.87),
        ("8000", "1", 20.66),
    ]
    belgian = entries["K-2024-032"]["lines"]
    assert (belgian[0]["AcNr"], belgian[1]["AcNr"], belgian[1]["VaId"]) == ("9001", "8100", "5")
    assert entries["K-2024-033"]["lines"][0]["AcNr"] == groen["DbId"]
    assert {e["JoCo"] for e in afas.entries} == {"20"}

    twinfield = systems.twinfield.sandbox.store
    booked = {t["invoicenumber"]: t for t in twinfield.transactions.values() if t["code"] == "AFAS"}
    assert set(booked) == {"70000001", "70000002"}  # the open order 70000003 is not booked
    created = next(
        d for d in twinfield.dimensions.values() if d.get("email") == "info@bakkertuinen.test"
    )
    assert created["name"] == "Bakker Tuinen VOF"
    assert created["vatCode"] == "VH"  # the country's default VAT code
    total, detail = booked["70000001"]["lines"]
    assert (total["dim2"], total["dim1"], total["value"]) == (created["code"], "1300", "844.58")
    assert (detail["dim1"], detail["vatcode"], detail["value"]) == ("8000", "VH", "698.00")
    assert booked["70000002"]["lines"][0]["dim2"] == "1101"  # Sanne, matched by e-mail

    sizes = (len(afas.debtors), len(afas.orders), len(afas.entries))
    assert sizes == (6, 5, 3)
    assert (len(twinfield.dimensions), len(twinfield.transactions)) == (6, 8)
    for name, counts in [*second.items(), *scan.items()]:
        assert (counts.created, counts.updated, counts.failed) == (0, 0, 0), (name, counts)
    assert (len(afas.debtors), len(afas.orders), len(afas.entries)) == sizes
    assert (len(twinfield.dimensions), len(twinfield.transactions)) == (6, 8)
