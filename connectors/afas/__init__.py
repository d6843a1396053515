"""AFAS Profit ProfitRestServices: reads through GetConnectors, writes through UpdateConnectors.

``CAPABILITIES`` is what validation needs (no HTTP imported); ``create_connector`` builds the
connector for one connection, importing the client only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.afas.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.afas.connector import AfasConnector
    from connectors.afas.models import Environment, GetConnectorSettings, WriteSettings

__all__ = ["CAPABILITIES", "create_connector"]


def create_connector(
    *,
    token: str,
    participant: str | None = None,
    environment: Environment | None = None,
    endpoint: str | None = None,
    get_settings: GetConnectorSettings | None = None,
    write: WriteSettings | None = None,
) -> AfasConnector:
    """One AFAS connection as a ``Connector``; ``token`` is the resolved secret value."""
    from connectors.afas.client import AfasClient
    from connectors.afas.connector import AfasConnector
    from connectors.afas.models import Environment

    client = AfasClient(
        token=token,
        participant=participant,
        environment=environment or Environment.production,
        endpoint=endpoint,
        get_settings=get_settings,
    )
    return AfasConnector(client, write=write)
