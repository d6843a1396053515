"""Seed 001 end to end: the example tenant ``radhaus-weber`` (AsPos tills, AFAS Profit books)
reconciled by the reconcile core against the AsPos and AFAS sandboxes over real HTTP, both
started from the tenant's demo seeds (reconciler/demo/seeds/radhaus-weber/), with the real
connectors of both systems. Every flow runs twice: the first pass writes what the seed implies,
the second writes nothing, and neither does a drift scan after it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.afas.sandbox import SandboxApp as AfasApp
from connectors.afas.sandbox import create_app as afas_app
from connectors.aspos.sandbox import SandboxApp as AsposApp
from connectors.aspos.sandbox import for_connection
from connectors.registry import capabilities
from connectors.sandbox import SandboxServer
from reconciler.passes.apply import Counts
from reconciler.passes.runner import run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.secrets import SecretResolver
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree
from reconciler.testing.memory_store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "reconciler" / "demo" / "seeds" / "radhaus-weber"
TENANT = "radhaus-weber"
ENV = {"AFAS_WEBER_TOKEN": "weber-afas-token-5f2c", "ASPOS_WEBER_KEY": "weber-aspos-key-81d0"}
FLOWS = ["customers", "pos-invoices", "daily-revenue", "afas-orders", "stock"]
LOYALTY, SOURCE = "U1F2E3D4C5B6A79881726354453627181", "U9A8B7C6D5E4F30211223344556677889"
REVENUE, COST_CENTER, COST_UNIT, TAX_CODE, CLASS = (
    f"U2A3B4C5D6E7F80911223344556677{n:03d}" for n in range(1, 6)
)
CASHIER, STATUS, SHIPPING, ORDER_REVENUE = (
    "U0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E",
    "U0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D01",
    "U0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D02",
    "U0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D03",
)


@dataclass
class World:
    specs: SpecSet
    afas: AfasApp
    aspos: AsposApp
    endpoints: dict[str, str]
    store: MemoryStore

    def run(self, *, full: bool = False) -> dict[str, Counts]:
        """One pass of every flow of the tenant, in dependency order (``full``: drift scans)."""

        async def go() -> dict[str, Counts]:
            connections = Connections(secrets=SecretResolver(ENV), endpoints=self.endpoints)
            out: dict[str, Counts] = {}
            try:
                for flow in select_flows(self.specs, tenant=TENANT):
                    ctx = build_context(self.specs, flow, connections=connections, store=self.store)
                    report = await run_pass(ctx, full=full)
                    assert report.stopped is None, report.stopped
                    assert report.counts is not None
                    out[flow.name] = report.counts
            finally:
                await connections.aclose()
            return out

        return asyncio.run(go())

    def debtor(self, email: str) -> dict[str, Any]:
        found = [d for d in self.afas.sandbox.store.debtors.values() if d.get("EmAd") == email]
        assert len(found) == 1, (email, found)
        return found[0]

    def invoice(self, reference: str) -> dict[str, Any]:
        found = [o for o in self.afas.sandbox.store.orders.values() if o.get("RfCs") == reference]
        assert len(found) == 1, (reference, found)
        return found[0]


@pytest.fixture
def world() -> Iterator[World]:
    specs = validate_tree(ROOT / "specs", capabilities=capabilities()).specs
    connection = specs.tenants[TENANT].model.spec.connections["aspos"]
    secrets = SecretResolver(ENV)
    aspos, path = for_connection(
        connection,
        secret=lambda ref, what: secrets.resolve(ref, what=what),
        seed=SEEDS / "aspos.json",
    )
    afas = afas_app(seed=SEEDS / "afas.json", token=ENV["AFAS_WEBER_TOKEN"], participant="54321")
    with SandboxServer(afas) as afas_server, SandboxServer(aspos) as aspos_server:
        endpoints = {
            "afas": afas_server.url + "/ProfitRestServices",
            "aspos": aspos_server.url + path,
        }
        yield World(specs, afas, aspos, endpoints, MemoryStore())


def _counts(counts: Counts) -> tuple[int, int, int, int]:
    return counts.created, counts.updated, counts.skipped, counts.failed


def test_radhaus_weber_reconciles_every_flow_and_then_writes_nothing(world: World) -> None:
    first = world.run()
    assert list(first) == FLOWS
    # customers: three new debtors, the existing one (same e-mail) updated, none without e-mail
    assert _counts(first["customers"]) == (3, 1, 1, 0), first["customers"].failures
    # pos-invoices: four direct invoices; cash-register sales and the open sale are not
    # this flow's; the voucher sale fails, naming the article AFAS does not have
    assert _counts(first["pos-invoices"]) == (4, 0, 4, 1)
    assert "GUTSCHEIN-50" in first["pos-invoices"].failures[0][1]
    # daily-revenue: the two completed cash-register receipts; the cancelled one is skipped
    assert _counts(first["daily-revenue"]) == (2, 0, 7, 0), first["daily-revenue"].failures
    # afas-orders: the two AFAS sales orders; the shop's own direct invoices are completed
    assert _counts(first["afas-orders"]) == (2, 0, 4, 0), first["afas-orders"].failures
    # stock: three levels differ, one is already right
    assert _counts(first["stock"]) == (0, 3, 0, 0)
    assert first["stock"].unchanged == 1

    _assert_customers(world)
    _assert_invoices(world)
    _assert_revenue(world)
    _assert_orders_and_stock(world)

    afas_writes = _afas_snapshot(world)
    aspos_writes = list(world.aspos.sandbox.store.writes)
    second = world.run()
    for name, counts in second.items():
        assert (counts.created, counts.updated) == (0, 0), (name, counts)
        assert counts.failed == 0, (name, counts.failures)
    assert _afas_snapshot(world) == afas_writes
    assert world.aspos.sandbox.store.writes == aspos_writes
    # A drift scan compares every record with the live systems: all found again, nothing
    # written (the cash-register bookings are found by their invoice numbers).
    scan = world.run(full=True)
    for name, counts in scan.items():
        assert (counts.created, counts.updated, counts.failed) == (0, 0, 0), (name, counts)
    assert _afas_snapshot(world) == afas_writes
    assert world.aspos.sandbox.store.writes == aspos_writes


def _afas_snapshot(world: World) -> tuple[object, ...]:
    store = world.afas.sandbox.store
    return (
        {k: d.get("ModifiedDate") for k, d in store.debtors.items()},
        {k: o.get("ModifiedDate") for k, o in store.orders.items()},
        len(store.entries),
        dict(store.stock),
    )


def _assert_customers(world: World) -> None:
    # A company with its contact, German: revenue account, cost unit and tax code of DE.
    existing = world.debtor("einkauf@velokurier.test")
    assert existing["DbId"] == "20100"
    assert (existing["TeNr"], existing["VaId"]) == ("+49 30 5550101", "DE811234567")
    assert existing["PaCd"] == "30"  # kept: payment terms are only filled when empty
    company = world.debtor("office@alpenrad.test")
    assert company["kind"] == "KnOrganisation"
    assert company["Nm"] == "Alpenrad OG"
    assert (company["contact"]["FiNm"], company["contact"]["LaNm"]) == ("Maria", "Gruber")
    assert (company["ColA"], company["PaCd"], company["VaId"]) == ("1400", "30", "ATU12345678")
    assert company["address"]["CoId"] == "A"
    assert (company[REVENUE], company[COST_CENTER], company[COST_UNIT]) == ("8420", "200", "KT-AT")
    assert (company[TAX_CODE], company[CLASS], company[SOURCE]) == ("9", "B", "aspos")
    # A Dutch person with a loyalty card and the regular-customer class.
    person = world.debtor("sanne.devries@example.test")
    assert person["kind"] == "KnPerson"
    assert person["person"] == {"FiNm": "Sanne", "LaNm": "de Vries"}
    assert (person["LgId"], person[LOYALTY], person[CLASS]) == ("NL", "LK-1002", "A")
    assert (person[REVENUE], person[COST_UNIT], person[TAX_CODE]) == ("8410", "KT-NL", "1")
    # An Austrian person whose class is unknown: the value map's default.
    austrian = world.debtor("lukas.huber@example.test")
    assert (austrian[REVENUE], austrian[TAX_CODE], austrian[CLASS]) == ("8420", "9", "C")
    assert austrian["address"]["HmAd"] == "a"
    names = {d.get("Nm") for d in world.afas.sandbox.store.debtors.values()}
    assert "Otto Ohnemail" not in names  # no e-mail: skipped


def _assert_invoices(world: World) -> None:
    # A company's counter sale on its own debtor, invoice terms and payment method mapped.
    company = world.invoice("ASPOS-1-70001")
    assert company["kind"] == "FbDirectInvoice"
    assert (company["DbId"], company["Unit"], company["War"]) == ("20100", 2, "HQ")
    assert (company["PaTp"], company["PaCd"]) == ("06", "30")
    assert (company[CASHIER], company[STATUS], company[ORDER_REVENUE]) == ("Anna", "3", "8400")
    line = company["lines"][0]
    assert (line["ItCd"], line["VaRc"], line["V1Cd"], line["V2Cd"]) == (
        "RAD-1001",
        "7",
        "200",
        "FIL-BERLIN",
    )
    # An online order to the Netherlands: the person's debtor, NL tax code, shipping costs and
    # the order's discount as costs lines, DHL, PayPal.
    online = world.invoice("ASPOS-1-70002")
    assert online["DbId"] == world.debtor("sanne.devries@example.test")["DbId"]
    assert online[ORDER_REVENUE] == "8410"  # shipped to the Netherlands
    assert (online["PaTp"], online["PaCd"], online[SHIPPING], online[STATUS]) == (
        "05",
        "0",
        "DHL",
        "2",
    )
    lines = [(x["VaIt"], x["ItCd"], Decimal(str(x["Upri"])), x["VaRc"]) for x in online["lines"]]
    assert lines == [
        ("2", "HELM-200", Decimal("79.9"), "1"),
        ("6", "VERSAND", Decimal("6.9"), "1"),
        ("6", "RABATT", Decimal(-5), "1"),
    ]
    # Anonymous sales on the default debtors: the German walk-in debtor, the Austrian by rule.
    anonymous = world.invoice("ASPOS-1-70003")
    assert (anonymous["DbId"], anonymous["lines"][0]["VaRc"]) == ("20000", "8")
    assert anonymous["PaTp"] == "01"
    austrian = world.invoice("ASPOS-1-70004")
    assert (austrian["DbId"], austrian["lines"][0]["VaRc"], austrian[SHIPPING]) == (
        "20002",
        "9",
        "SPED",
    )
    assert austrian[ORDER_REVENUE] == "8420"
    references = {o.get("RfCs") for o in world.afas.sandbox.store.orders.values()}
    assert "ASPOS-1-70005" not in references  # the open (unpaid) sale
    assert "ASPOS-1-70006" not in references  # the voucher AFAS does not know
    assert not any(str(r).endswith("70010") for r in references)  # another store's receipt


def _assert_revenue(world: World) -> None:
    entries = {e["lines"][0]["BpNr"]: e for e in world.afas.sandbox.store.entries}
    assert set(entries) == {"KASSE-1-70007", "KASSE-1-70008"}
    helmet = entries["KASSE-1-70007"]
    assert (helmet["JoCo"], helmet["UnId"], helmet["Year"], helmet["Peri"]) == ("70", 2, 2026, 11)
    debit, credit = helmet["lines"]
    assert (debit["VaAs"], debit["AcNr"], Decimal(str(debit["AmDe"]))) == (
        "2",
        "20000",
        Decimal("104.8"),
    )
    assert debit["InId"] == "KASSE-1-70007"
    assert (credit["VaAs"], credit["AcNr"], credit["VaId"]) == ("1", "8400", "7")
    assert Decimal(str(credit["AmCr"])) == Decimal("104.8")
    assert entries["KASSE-1-70008"]["lines"][1]["VaId"] == "8"  # a book: 7 %


def _assert_orders_and_stock(world: World) -> None:
    store = world.aspos.sandbox.store
    orders = {o.get("externalReference"): o for o in store.orders.values()}
    pickup = orders["60000001"]
    assert (pickup["store"], pickup["type"], pickup["status"]) == ("1", "order", "open")
    assert pickup["customerId"] == "1001"  # the shop's customer, found by e-mail
    assert [(x["sku"], x["quantity"]) for x in pickup["lines"]] == [("RAD-1001", 2)]
    second = orders["60000002"]
    created = store.customers[int(second["customerId"])]
    assert (created["email"], created["companyName"], created["type"]) == (
        "bestellung@fahrrad-schulz.test",
        "Fahrrad Schulz KG",
        "company",
    )
    assert [x["sku"] for x in second["lines"]] == ["HELM-200", "SCHLOSS-30"]
    assert not any(str(r).startswith("ASPOS-") for r in orders)  # no invoice came back
    levels = {sku: row for (shop, sku), row in store.stock.items() if shop == "1"}
    assert {sku: Decimal(str(row["available"])) for sku, row in levels.items()} == {
        "RAD-1001": Decimal(5),
        "HELM-200": Decimal(12),
        "SCHLOSS-30": Decimal(4),
        "KETTE-9": Decimal(25),
    }
    assert levels["KETTE-9"]["managed"] is True  # the flow manages stock
    assert store.stock[("2", "RAD-1001")]["available"] == 1  # another store is left alone
