"""AsPos point of sale (over a documented, configurable REST contract).

``CAPABILITIES`` is what validation needs (no HTTP imported); ``connect`` builds the connector of
one tenant connection, importing the client only when called. The REST contract is koppel's own
assumption (no public AsPos API documentation exists): see connectors/aspos/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from connectors.aspos.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from connectors.aspos.connector import AsposConnector
    from connectors.aspos.contract import Contract
    from reconciler.spec.models.tenant import AsposConnection

__all__ = ["CAPABILITIES", "connect"]


def connect(
    connection: AsposConnection,
    *,
    secret: Callable[..., str],
    contract: Contract | None = None,
) -> AsposConnector:
    """The connector for a tenant's ``aspos`` connection spec (see ``registry.connect``);
    ``contract`` adapts koppel's REST contract to an installation's (default: the connection's
    ``contract`` settings over koppel's)."""
    from connectors.aspos.connector import open_connector
    from connectors.aspos.contract import ContractError, connection_contract

    if contract is None:
        try:
            contract = connection_contract(connection)
        except ContractError as exc:
            from reconciler.errors import SpecError

            raise SpecError(
                f"the aspos connection's contract: {exc}",
                hint="see the configurable parts in connectors/aspos/README.md",
            ) from exc
    return open_connector(
        endpoint=connection.endpoint,
        api_key=secret(connection.api_key, "AsPos API key"),
        store=str(connection.store) if connection.store is not None else None,
        contract=contract,
    )
