"""``for_connection`` and ``registry.connect``: a sandbox that accepts exactly one tenant
connection's credentials, and the connector the registry builds for that connection."""

from __future__ import annotations

import asyncio

import pytest

from connectors import registry
from connectors.sandbox import SandboxServer
from connectors.twinfield.connector import TwinfieldConnector
from connectors.twinfield.sandbox import for_connection
from reconciler.errors import AuthenticationError
from reconciler.spec.models.tenant import TwinfieldConnection

SECRETS = {"TF_TOKEN": "tenant-access-token-1", "TF_SECRET": "tenant-secret-2"}


def _secret(ref: object, what: str) -> str:
    return SECRETS[str(getattr(ref, "env", ""))]


@pytest.mark.parametrize(
    "fields",
    [
        {"accessToken": {"env": "TF_TOKEN"}},
        {
            "clientId": "tenant-app",
            "clientSecret": {"env": "TF_SECRET"},
            "refreshToken": {"env": "TF_TOKEN"},
        },
    ],
    ids=["access-token", "refresh-token"],
)
def test_the_sandbox_accepts_the_connections_credentials(fields: dict[str, object]) -> None:
    """The registry's connector for the connection, pointed at ``for_connection``'s sandbox
    (cluster and identity server on one origin), reads master data; other credentials fail."""
    connection = TwinfieldConnection.model_validate(
        {"system": "twinfield", "office": "001", **fields}
    )
    app, path = for_connection(connection, secret=_secret)

    async def check(url: str, model: TwinfieldConnection) -> object:
        pointed = model.model_copy(update={"endpoint": url + path, "identity_endpoint": url})
        connector = registry.connect(pointed, secret=_secret)
        assert isinstance(connector, TwinfieldConnector)
        try:
            return await connector.check_master_data("vatCode", ["VH"])
        finally:
            await connector.aclose()

    with SandboxServer(app) as server:
        checks = asyncio.run(check(server.url, connection))
        assert [c.exists for c in checks] == [True]  # type: ignore[attr-defined]
        SECRETS["TF_OTHER"] = "some-other-token-3"
        other = TwinfieldConnection.model_validate(
            {"system": "twinfield", "office": "001", "accessToken": {"env": "TF_OTHER"}}
        )
        with pytest.raises(AuthenticationError):
            asyncio.run(check(server.url, other))
