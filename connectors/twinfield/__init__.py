"""Twinfield (Wolters Kluwer) over its SOAP web services: ProcessXml documents and the Finder.

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection, importing the client only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.twinfield.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.twinfield.connector import TwinfieldConnector
    from reconciler.spec.models.tenant import TwinfieldConnection

__all__ = ["CAPABILITIES", "connect"]


def connect(
    connection: TwinfieldConnection,
    *,
    secret: Callable[..., str],
    keep: Callable[..., None] | None = None,
) -> TwinfieldConnector:
    """The connector for a tenant's ``twinfield`` connection spec (see ``registry.connect``);
    ``keep(ref, value, what)`` stores a rotated refresh token in the reference it came from."""
    from connectors.twinfield.client import Credentials, TwinfieldClient
    from connectors.twinfield.connector import TwinfieldConnector

    def resolved(ref: object, what: str) -> str | None:
        return None if ref is None else secret(ref, what)

    credentials = Credentials(
        access_token=resolved(connection.access_token, "Twinfield access token"),
        client_id=connection.client_id,
        client_secret=resolved(connection.client_secret, "Twinfield client secret"),
        refresh_token=resolved(connection.refresh_token, "Twinfield refresh token"),
    )
    client = TwinfieldClient(
        office=connection.office,
        credentials=credentials,
        identity_endpoint=connection.identity_endpoint,
        endpoint=connection.endpoint,
        on_rotated=None
        if keep is None or connection.refresh_token is None
        else lambda value: keep(connection.refresh_token, value, "Twinfield refresh token"),
    )
    return TwinfieldConnector(client)
