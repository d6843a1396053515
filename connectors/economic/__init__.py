"""Visma e-conomic REST API (``restapi.e-conomic.com``).

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection, importing the client only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.economic.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.economic.connector import EconomicConnector
    from reconciler.spec.models.tenant import EconomicConnection

__all__ = ["CAPABILITIES", "connect"]


def connect(connection: EconomicConnection, *, secret: Callable[..., str]) -> EconomicConnector:
    """The connector for a tenant's ``e-conomic`` connection spec (see ``registry.connect``)."""
    from connectors.economic.connector import open_connector

    return open_connector(
        app_secret_token=secret(connection.app_secret_token, "e-conomic app secret token"),
        agreement_grant_token=secret(
            connection.agreement_grant_token, "e-conomic agreement grant token"
        ),
        endpoint=connection.endpoint,
    )
