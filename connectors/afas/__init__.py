"""AFAS Profit ProfitRestServices: reads through GetConnectors, writes through UpdateConnectors.

``CAPABILITIES`` is what validation needs (no HTTP imported); ``create_connector`` builds the
connector for one connection, importing the client only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.afas.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.afas.connector import AfasConnector
    from connectors.afas.models import Environment, GetConnectorSettings, WriteSettings
    from reconciler.spec.models.tenant import AfasConnection

__all__ = ["CAPABILITIES", "connect", "create_connector"]


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


def connect(connection: AfasConnection, *, secret: Callable[..., str]) -> AfasConnector:
    """The connector for a tenant's ``afas-profit`` connection spec (see ``registry.connect``)."""
    from connectors.afas.models import (
        ConnectorOverride,
        Environment,
        GetConnectorSettings,
        WriteSettings,
    )

    overrides = {
        role: ConnectorOverride(id=o.id, fields=dict(o.fields))
        for role, o in connection.get_connectors.items()
    }
    unknown = set(overrides) - set(GetConnectorSettings.__dataclass_fields__)
    if unknown:
        from reconciler.errors import SpecError

        raise SpecError(
            f"unknown AFAS GetConnector role(s) {', '.join(sorted(unknown))} in getConnectors",
            hint="roles: " + ", ".join(sorted(GetConnectorSettings.__dataclass_fields__)),
        )
    administration = connection.administration
    return create_connector(
        token=secret(connection.token, "AFAS token"),
        participant=connection.participant,
        environment=Environment(connection.environment),
        endpoint=connection.endpoint,
        get_settings=GetConnectorSettings(**overrides),
        write=WriteSettings(administration=int(administration) if administration else None),
    )
