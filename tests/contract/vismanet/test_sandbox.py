"""The Visma.net sandbox as the demo and ``koppel sandbox`` use it: built for a tenant
connection, reached through ``registry.connect``, faults set over HTTP, and its own refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from connectors import registry
from connectors.sandbox import SandboxServer
from connectors.vismanet.sandbox import DEFAULT_CREDENTIALS, create_app, error_body, for_connection
from reconciler.canonical import Entity
from reconciler.errors import RejectedError
from reconciler.secrets import SecretResolver
from reconciler.spec.models.tenant import VismaNetConnection
from tests.contract.vismanet.conftest import VismaNet


def test_for_connection_accepts_exactly_the_connections_credentials() -> None:
    """A sandbox for an interactive-app connection takes its refresh token; the connector
    ``registry.connect`` builds for the connection (pointed at the sandbox) reads through it."""
    resolver = SecretResolver({"VN_SECRET": "tenant-client-secret", "VN_REFRESH": "tenant-rt"})
    connection = VismaNetConnection.model_validate(
        {
            "system": "visma-net",
            "companyId": "7777777",
            "branch": "1",
            "clientId": "tenant-app",
            "clientSecret": {"env": "VN_SECRET"},
            "refreshToken": {"env": "VN_REFRESH"},
        }
    )

    def secret(ref: Any, what: str) -> str:
        return resolver.resolve(ref, what=what)

    app, path = for_connection(connection, secret=secret)
    assert path == "/v1"
    with SandboxServer(app) as server:
        pointed = connection.model_copy(
            update={"endpoint": server.url + path, "identity_endpoint": server.url}
        )
        connector = registry.connect(pointed, secret=secret)

        async def scenario() -> Any:
            try:
                return await connector.lookup(Entity.products, "ITEM-100")
            finally:
                await connector.aclose()

        found = asyncio.run(scenario())
        assert found is not None
        assert found["description"] == "T-shirt"
        assert app.sandbox.refresh_token != "tenant-rt"  # used once, rotated
        app.reset()
        assert app.store.company_id == "7777777"  # a reset keeps the connection's company
        other = httpx.post(
            server.url + "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": DEFAULT_CREDENTIALS["client_id"],
                "client_secret": DEFAULT_CREDENTIALS["client_secret"],
            },
        )
        assert other.status_code == 401
        assert other.json()["error"] == "invalid_client"


def test_faults_over_http_use_the_exception_shape(vismanet: VismaNet) -> None:
    """``POST /_sandbox/faults`` makes the next call fail with Visma.net's exception body."""
    answer = httpx.post(
        vismanet.origin + "/_sandbox/faults", json={"fail_next": 1, "fail_status": 500}
    )
    assert answer.status_code == 200
    failed = httpx.get(vismanet.url + "/customer")
    assert failed.status_code == 500
    assert set(failed.json()) >= {"ExceptionType", "ExceptionMessage", "ExceptionMessageID"}
    body, kind = error_body(429)
    assert kind == "application/json"
    assert b"rate limit" in body


def test_unauthenticated_and_unknown_calls(vismanet: VismaNet) -> None:
    """No token: 401 with WWW-Authenticate and rate-limit headers; an unknown resource: 404."""
    refused = httpx.get(vismanet.url + "/customer", headers={"ipp-company-id": "1234567"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert "x-ratelimit-remaining" in refused.headers
    assert refused.json()["ExceptionMessage"] == "Authorization has been denied for this request."
    app = create_app(access_token="fixed-token")
    with SandboxServer(app) as server:
        headers = {"Authorization": "Bearer fixed-token", "ipp-company-id": "1234567"}
        missing = httpx.get(server.url + "/v1/nothing", headers=headers)
        assert missing.status_code == 404
        ok = httpx.get(server.url + "/v1/vatCategory", headers=headers)
        assert [v["vatCategoryId"] for v in ok.json()] == ["01", "02", "00"]
        no_company = httpx.get(
            server.url + "/v1/vatCategory", headers={"Authorization": "Bearer fixed-token"}
        )
        assert no_company.status_code == 403


def test_a_write_without_value_wrappers_is_refused(vismanet: VismaNet) -> None:
    """Plain values where an UpdateDto wants ``{"value": ...}`` are a 400 naming the field,
    also inside order lines; the line ``operation`` is plain."""
    client = vismanet.client()
    line = {"operation": "Insert", "inventoryNumber": "ITEM-100"}
    bodies = [
        ("customer", {"name": "Acme", "customerClassId": {"value": "01"}}),
        (
            "salesorder",
            {"orderType": {"value": "SO"}, "customer": {"value": "10001"}, "lines": [line]},
        ),
    ]

    async def scenario() -> list[str]:
        refusals = []
        try:
            for resource, body in bodies:
                with pytest.raises(RejectedError) as caught:
                    await client.create(resource, body)
                refusals.append(caught.value.detail)
        finally:
            await client.aclose()
        return refusals

    plain, in_line = asyncio.run(scenario())
    assert "'name' must be a value wrapper" in plain
    assert "'lines[0].inventoryNumber' must be a value wrapper" in in_line
