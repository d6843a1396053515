"""eAccounting spends a refresh token when it is used: the rotated one is written back to the
secret file the connection refers to, so the next process (a restarted `koppel run`, the next
`koppel apply`) starts from a token that still works."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from connectors.eaccounting.sandbox import for_connection
from connectors.registry import connect
from connectors.sandbox import SandboxServer
from reconciler.canonical import Entity
from reconciler.secrets import SecretResolver
from reconciler.spec.models.base import SecretRef
from reconciler.spec.models.tenant import EAccountingConnection

FIRST = "first-refresh-token"


def _connection(token_file: Path) -> EAccountingConnection:
    return EAccountingConnection.model_validate(
        {
            "system": "eaccounting",
            "clientId": "koppel-test",
            "clientSecret": {"env": "EA_CLIENT_SECRET"},
            "refreshToken": {"file": str(token_file)},
        }
    )


def _one_process(connection: EAccountingConnection, url: str) -> None:
    """What one koppel process does: resolve the secrets, connect, call (refreshing first)."""
    resolver = SecretResolver({"EA_CLIENT_SECRET": "client-secret"})

    def secret(ref: SecretRef, what: str) -> str:
        return resolver.resolve(ref, what=what)

    def keep(ref: SecretRef, value: str, what: str) -> None:
        resolver.keep(ref, value, what=what)

    pointed = connection.model_copy(update={"endpoint": url + "/v2", "identity_endpoint": url})
    connector = connect(pointed, secret=secret, keep=keep)

    async def go() -> None:
        try:
            await connector.lookup(Entity.customers, "nobody@example.test")
        finally:
            await connector.aclose()

    asyncio.run(go())


def test_a_rotated_refresh_token_is_kept_in_its_secret_file(tmp_path: Path) -> None:
    token_file = tmp_path / "eaccounting-refresh-token"
    token_file.write_text(FIRST + "\n")
    connection = _connection(token_file)
    resolver = SecretResolver({"EA_CLIENT_SECRET": "client-secret"})
    app, _path = for_connection(
        connection, secret=lambda ref, what: resolver.resolve(ref, what=what)
    )
    with SandboxServer(app) as server:
        _one_process(connection, server.url)
        second = token_file.read_text().strip()
        assert second not in ("", FIRST)
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        # The next process starts from the rotated token, which the sandbox takes only once.
        _one_process(connection, server.url)
        third = token_file.read_text().strip()
        assert third not in (FIRST, second)
    assert sorted(p.name for p in tmp_path.iterdir()) == [token_file.name]  # no temporary left
