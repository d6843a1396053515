"""Building the eAccounting connector from a tenant connection, without any network."""

from __future__ import annotations

import asyncio

import pytest

from connectors.eaccounting import connect
from connectors.registry import connect as registry_connect
from reconciler.spec.models.base import SecretRef
from reconciler.spec.models.tenant import EAccountingConnection

SECRETS = {"EA_SECRET": "client-secret-value", "EA_REFRESH": "refresh-token-value"}


def _secret(ref: SecretRef, what: str) -> str:
    assert ref.env is not None
    return SECRETS[ref.env]


def _close(connector: object) -> None:
    asyncio.run(connector.aclose())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environment", "api", "identity"),
    [
        ("production", "https://eaccountingapi.vismaonline.com/v2",
         "https://identity.vismaonline.com"),
        ("test", "https://eaccountingapi-sandbox.test.vismaonline.com/v2",
         "https://identity-sandbox.test.vismaonline.com"),
    ],
)  # fmt: skip
def test_urls_follow_the_environment(environment: str, api: str, identity: str) -> None:
    """Without an endpoint the connection's environment chooses Visma's API and identity
    servers; the registry builds the same connector for system: eaccounting."""
    connection = EAccountingConnection.model_validate(
        {
            "system": "eaccounting",
            "environment": environment,
            "clientId": "koppel",
            "clientSecret": {"env": "EA_SECRET"},
            "refreshToken": {"env": "EA_REFRESH"},
        }
    )
    connector = registry_connect(connection, secret=_secret)
    try:
        client = connector.client  # type: ignore[attr-defined]
        assert client.endpoint == api
        assert str(client.tokens.http.base_url).rstrip("/") == identity
        assert client.tokens.refreshable
        assert "refresh-token-value" not in repr(connector)
    finally:
        _close(connector)


def test_endpoint_and_identity_endpoint_override() -> None:
    """A sandbox run sets endpoint and identityEndpoint; an access token alone is enough."""
    connection = EAccountingConnection.model_validate(
        {
            "system": "eaccounting",
            "endpoint": "http://127.0.0.1:9999/v2",
            "identityEndpoint": "http://127.0.0.1:9999",
            "accessToken": {"env": "EA_SECRET"},
        }
    )
    connector = connect(connection, secret=_secret)
    try:
        assert connector.client.endpoint == "http://127.0.0.1:9999/v2"
        assert not connector.client.tokens.refreshable
    finally:
        _close(connector)
