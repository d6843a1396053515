"""Visma.net ERP (Financials) REST API with Visma Connect OAuth2.

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection, importing the client only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.vismanet.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.vismanet.connector import VismaNetConnector
    from reconciler.spec.models.tenant import VismaNetConnection

__all__ = ["CAPABILITIES", "connect"]


def connect(
    connection: VismaNetConnection,
    *,
    secret: Callable[..., str],
    keep: Callable[..., None] | None = None,
) -> VismaNetConnector:
    """The connector for a tenant's ``visma-net`` connection spec (see ``registry.connect``);
    ``keep(ref, value, what)`` stores a rotated refresh token in the reference it came from."""
    from connectors.vismanet.client import VismaNetClient
    from connectors.vismanet.connector import VismaNetConnector

    def resolved(ref: object, what: str) -> str | None:
        return None if ref is None else secret(ref, f"Visma.net {what}")

    client = VismaNetClient(
        company_id=str(connection.company_id),
        endpoint=connection.endpoint,
        identity_endpoint=connection.identity_endpoint,
        access_token=resolved(connection.access_token, "access token"),
        client_id=connection.client_id,
        client_secret=resolved(connection.client_secret, "client secret"),
        refresh_token=resolved(connection.refresh_token, "refresh token"),
        on_rotated=None
        if keep is None or connection.refresh_token is None
        else lambda value: keep(connection.refresh_token, value, "Visma.net refresh token"),
    )
    return VismaNetConnector(
        client, branch=str(connection.branch) if connection.branch is not None else None
    )
