"""Visma eAccounting (REST API v2 with OAuth2).

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection and ``create_connector`` one from plain values, importing the client only
when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.eaccounting.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.eaccounting.connector import EAccountingConnector, WriteSettings
    from reconciler.spec.models.tenant import EAccountingConnection

__all__ = ["CAPABILITIES", "connect", "create_connector"]


def create_connector(
    *,
    endpoint: str | None = None,
    identity_endpoint: str | None = None,
    environment: str = "production",
    access_token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    write: WriteSettings | None = None,
    on_rotated: Callable[[str], None] | None = None,
) -> EAccountingConnector:
    """One eAccounting connection as a ``Connector``; secrets are the resolved values."""
    from connectors.eaccounting.auth import TokenSource
    from connectors.eaccounting.client import EAccountingClient
    from connectors.eaccounting.connector import EAccountingConnector
    from connectors.eaccounting.models import API_URLS, IDENTITY_URLS

    tokens = TokenSource(
        identity_endpoint=identity_endpoint or IDENTITY_URLS[environment],
        access_token=access_token,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        on_rotated=on_rotated,
    )
    client = EAccountingClient(endpoint=endpoint or API_URLS[environment], tokens=tokens)
    return EAccountingConnector(client, write=write)


def connect(
    connection: EAccountingConnection,
    *,
    secret: Callable[..., str],
    keep: Callable[..., None] | None = None,
) -> EAccountingConnector:
    """The connector for a tenant's ``eaccounting`` connection spec (see ``registry.connect``);
    ``keep(ref, value, what)`` stores a rotated refresh token in the reference it came from."""

    def resolve(ref: object, what: str) -> str | None:
        return None if ref is None else secret(ref, what)

    return create_connector(
        endpoint=connection.endpoint,
        identity_endpoint=connection.identity_endpoint,
        environment=connection.environment,
        access_token=resolve(connection.access_token, "eAccounting access token"),
        client_id=connection.client_id,
        client_secret=resolve(connection.client_secret, "eAccounting client secret"),
        refresh_token=resolve(connection.refresh_token, "eAccounting refresh token"),
        on_rotated=_keeper(keep, connection.refresh_token, "eAccounting refresh token"),
    )


def _keeper(
    keep: Callable[..., None] | None, ref: object, what: str
) -> Callable[[str], None] | None:
    if keep is None or ref is None:
        return None
    return lambda value: keep(ref, value, what)
