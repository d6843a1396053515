"""The configurable parts of koppel's AsPos contract, over real HTTP: a client and a sandbox
sharing a ``Contract`` with renamed header, paths, query parameters, envelope and fields."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from connectors import registry
from connectors.aspos.client import AsposClient
from connectors.aspos.connector import AsposConnector
from connectors.aspos.contract import (
    DEFAULT_CONTRACT,
    DEFAULT_PATHS,
    Contract,
    ContractError,
    contract_from_mapping,
)
from connectors.aspos.sandbox import SandboxApp, create_app, for_connection
from connectors.sandbox import SandboxServer
from reconciler.canonical import Entity
from reconciler.errors import AuthenticationError, SpecError
from reconciler.spec.models.tenant import AsposConnection

KEY = "vendor-token-8812"
VENDOR = {
    "apiKeyHeader": "Authorization",
    "apiKeyPrefix": "Bearer ",
    "paths": {"customers": "/rest/klanten", "customer": "/rest/klanten/{id}"},
    "pageParam": "seite",
    "pageSizeParam": "anzahl",
    "modifiedSinceParam": "geaendertSeit",
    "itemsKey": "daten",
    "totalPagesKey": "seiten",
    "fields": {
        "customers": {"email": "mail", "companyName": "firma", "billingAddress": "rechnung"},
        "addresses": {"postalCode": "plz", "city": "ort"},
    },
}


@pytest.fixture(scope="module")
def vendor() -> Iterator[tuple[str, SandboxApp, Contract]]:
    contract = contract_from_mapping(VENDOR)
    app = create_app(api_key=KEY, contract=contract)
    with SandboxServer(app) as server:
        yield server.url + "/api", app, contract


def test_settings_are_read_in_camel_case_and_keep_the_other_defaults() -> None:
    contract = contract_from_mapping(VENDOR)
    assert contract.api_key_header == "Authorization"
    assert contract.auth_header("k") == {"Authorization": "Bearer k"}
    assert contract.path("customer", id="7") == "/rest/klanten/7"
    assert contract.path("stock_item", store="1", sku="A/1") == "/v1/stores/1/stock/A%2F1"
    assert contract_from_mapping(None) is DEFAULT_CONTRACT
    assert set(contract.paths) == set(DEFAULT_PATHS)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"apiKeyHeadr": "X"}, "unknown AsPos contract setting 'apiKeyHeadr'"),
        ({"paths": {"kunden": "/k"}}, "unknown AsPos path"),
        ({"fields": {"kunden": {"a": "b"}}}, "unknown AsPos record kind"),
        ({"fields": {"customers": {"email": "x", "phone": "x"}}}, "renamed to the same name"),
        ({"apiKeyHeader": " "}, "header name is empty"),
    ],
)
def test_wrong_settings_are_refused_by_name(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ContractError, match=message):
        contract_from_mapping(settings)


def test_renames_round_trip_nested_records() -> None:
    contract = contract_from_mapping(VENDOR)
    ours = {"email": "a@b.test", "billingAddress": {"postalCode": "1", "city": "X"}, "id": 1}
    vendor = contract.to_vendor("customers", ours)
    assert vendor == {"mail": "a@b.test", "rechnung": {"plz": "1", "ort": "X"}, "id": 1}
    assert contract.from_vendor("customers", vendor) == ours


def test_a_client_and_sandbox_sharing_a_contract_speak_the_vendor_words(
    vendor: tuple[str, SandboxApp, Contract],
) -> None:
    url, app, contract = vendor
    app.reset()

    async def go() -> tuple[list[dict[str, object]], dict[str, object]]:
        async with AsposClient(endpoint=url, api_key=KEY, contract=contract) as client:
            found = await client.customers_by_email(["max.mustermann@example.test"])
            created = await client.create_customer(
                {"type": "company", "email": "x@firma.test", "companyName": "Firma X",
                 "billingAddress": {"postalCode": "10115", "city": "Berlin", "country": "DE"}}
            )  # fmt: skip
            return found, created

    found, created = asyncio.run(go())
    assert found[0]["billingAddress"]["postalCode"] == "80331"  # type: ignore[index]
    assert created["companyName"] == "Firma X"
    raw = httpx.get(
        f"{url}/rest/klanten",
        params={"mail": "x@firma.test", "seite": "1", "anzahl": "10"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()
    assert raw["seiten"] == 1
    assert raw["daten"][0]["firma"] == "Firma X"
    assert raw["daten"][0]["rechnung"]["plz"] == "10115"
    assert "email" not in raw["daten"][0]


def test_a_client_on_the_default_contract_is_refused_by_the_vendor(
    vendor: tuple[str, SandboxApp, Contract],
) -> None:
    url, _app, _contract = vendor

    async def go() -> object:
        async with AsposClient(endpoint=url, api_key=KEY) as client:
            return await client.stores()

    with pytest.raises(AuthenticationError):
        asyncio.run(go())


def test_a_tenant_connection_carries_its_contract_to_client_and_sandbox() -> None:
    """``contract`` in a tenant's aspos connection reaches both the connector (through the
    registry) and ``for_connection``'s sandbox, which then refuses koppel's defaults."""
    connection = AsposConnection.model_validate(
        {
            "system": "aspos",
            "endpoint": "https://kasse.example/rest",
            "apiKey": {"env": "K"},
            "store": "1",
            "contract": {
                "apiKeyHeader": "X-Token",
                "paths": {"customers": "/kunden"},
                "fields": {"customers": {"email": "mail"}},
            },
        }
    )
    app, path = for_connection(connection, secret=lambda ref, what: KEY)
    with SandboxServer(app) as server:
        pointed = connection.model_copy(update={"endpoint": server.url + path})
        connector = registry.connect(pointed, secret=lambda ref, what: KEY)
        assert isinstance(connector, AsposConnector)
        assert connector.client.contract.api_key_header == "X-Token"

        async def go() -> dict[str, object]:
            try:
                return await connector.lookup_many(
                    Entity.customers, ["max.mustermann@example.test"]
                )
            finally:
                await connector.aclose()

        found = asyncio.run(go())
        url = f"{server.url}/rest/kunden"
        raw = httpx.get(
            url, params={"mail": "max.mustermann@example.test"}, headers={"X-Token": KEY}
        )
        default_header = httpx.get(url, headers={"X-Api-Key": KEY})
        default_path = httpx.get(f"{server.url}/rest/v1/customers", headers={"X-Token": KEY})
    assert list(found) == ["max.mustermann@example.test"]
    assert raw.json()["items"][0]["mail"] == "max.mustermann@example.test"
    assert default_header.status_code == 401
    assert default_path.status_code == 404


def test_a_wrong_contract_in_a_tenant_connection_is_a_spec_error() -> None:
    connection = AsposConnection.model_validate(
        {
            "system": "aspos",
            "endpoint": "https://kasse.example/rest",
            "apiKey": {"env": "K"},
            "contract": {"paths": {"kunden": "/kunden"}},
        }
    )
    with pytest.raises(SpecError, match="unknown AsPos path"):
        registry.connect(connection, secret=lambda ref, what: KEY)
