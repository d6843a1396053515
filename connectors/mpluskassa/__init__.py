"""MplusKASSA (MplusQapi SOAP API).

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection, importing the client only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.mpluskassa.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.mpluskassa.connector import MplusConnector
    from reconciler.spec.models.tenant import MplusConnection

__all__ = ["CAPABILITIES", "connect"]


def connect(connection: MplusConnection, *, secret: Callable[..., str]) -> MplusConnector:
    """The connector for a tenant's ``mpluskassa`` connection spec (see ``registry.connect``)."""
    from connectors.mpluskassa.connector import open_connector

    return open_connector(
        endpoint=connection.endpoint,
        ident=secret(connection.ident, "MplusKASSA ident"),
        secret=secret(connection.secret, "MplusKASSA secret"),
        branch_number=connection.branch,
    )
