"""The noordkaap-outdoor demo seed of e-conomic, served by ``for_connection`` for the tenant's
own ``economic`` connection and read back through the connector the registry builds.

The seed holds the cases of seed integration 003's customers flow (e-conomic -> Visma.net):
Danish and Dutch customers, companies with their contact person and persons, a company whose
e-mail field holds two addresses, and a person without e-mail.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from connectors import registry
from connectors.economic.sandbox import create_app, for_connection
from connectors.sandbox import SandboxServer
from reconciler.canonical import Customer, Entity
from reconciler.spec.models.base import SecretRef
from reconciler.spec.validate import validate_tree

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "reconciler" / "demo" / "seeds" / "noordkaap-outdoor" / "economic.json"
SECRETS = {
    "ECONOMIC_APP_SECRET_TOKEN": "noordkaap-app-secret-token",
    "ECONOMIC_NOORDKAAP_GRANT_TOKEN": "noordkaap-agreement-grant-token",
}


def secret(ref: SecretRef, what: str) -> str:
    return SECRETS[str(ref.env)]


def _connection() -> Any:
    validation = validate_tree(ROOT / "specs", capabilities=registry.capabilities())
    assert validation.valid
    return validation.specs.tenants["noordkaap-outdoor"].model.spec.connections["economic"]


def _read(url: str, connection: Any) -> list[Customer]:
    pointed = connection.model_copy(update={"endpoint": url})
    connector = registry.connect(pointed, secret=secret)

    async def go() -> list[Customer]:
        try:
            records = [
                r
                async for page in connector.read(Entity.customers, full=True)
                for r in page.records
            ]
        finally:
            await connector.aclose()
        assert all(isinstance(r, Customer) for r in records)
        return [r for r in records if isinstance(r, Customer)]

    return asyncio.run(go())


def test_the_seed_reads_back_through_the_tenants_connection() -> None:
    """``for_connection`` accepts exactly the tenant's tokens; through them the connector reads
    every case of the seed as the customers flow will see it."""
    connection = _connection()
    app, path = for_connection(connection, secret=secret, seed=SEED)
    with SandboxServer(app) as server:
        customers = {c.source_id: c for c in _read(server.url + path, connection)}
        refused = httpx.get(f"{server.url}{path}/customers", headers={
            "X-AppSecretToken": "sandbox-app-secret-token",
            "X-AgreementGrantToken": "sandbox-agreement-grant-token",
        })  # fmt: skip
    assert refused.status_code == 401
    assert len(customers) == 6
    company = customers["2001"]
    assert (company.company_name, company.first_name, company.last_name, company.email) == (
        "Fjeldgear ApS", "Jonas", "Madsen", "ordre@fjeldgear.test",
    )  # fmt: skip
    assert company.billing_address is not None
    assert company.billing_address.country == "DK"
    person = customers["2002"]
    assert not person.is_company
    assert (person.first_name, person.last_name) == ("Mette", "Sørensen")
    assert person.billing_address is not None
    assert person.billing_address.country == "DK"
    two_addresses = customers["2003"]
    assert two_addresses.email == "faktura@nordlys.test"
    assert (two_addresses.company_name, two_addresses.last_name) == ("Nordlys Friluft A/S", "Lund")
    no_email = customers["2004"]
    assert no_email.email is None
    assert no_email.key is None
    assert no_email.display_name == "Anders Kjær"
    dutch_company = customers["2005"]
    assert (dutch_company.first_name, dutch_company.name_prefix, dutch_company.last_name) == (
        "Pieter", "van den", "Berg",
    )  # fmt: skip
    assert dutch_company.billing_address is not None
    assert dutch_company.billing_address.country == "NL"
    assert dutch_company.vat_number == "NL001234567B01"
    dutch_person = customers["2006"]
    assert (dutch_person.first_name, dutch_person.name_prefix, dutch_person.last_name) == (
        "Sanne", "de", "Vries",
    )  # fmt: skip
    assert dutch_person.billing_address is not None
    assert dutch_person.billing_address.country == "NL"
    assert dutch_person.currency == "EUR"


def test_the_seed_loads_through_create_app() -> None:
    """``create_app(seed=...)`` takes the seed file as a path or as text of a path."""
    for given in (SEED, str(SEED)):
        store = create_app(seed=given).sandbox.store
        assert sorted(store.tables["customers"]) == [2001, 2002, 2003, 2004, 2005, 2006]
        assert store.tables["orders/drafts"][501]["grossAmount"] == 1124.38
