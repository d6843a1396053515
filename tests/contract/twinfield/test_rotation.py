"""Twinfield rotates its refresh tokens: the new one is written back to the secret file the
connection refers to, so the next process starts from it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors.registry import connect
from connectors.sandbox import SandboxServer
from connectors.twinfield.sandbox import for_connection
from reconciler.canonical import Entity
from reconciler.secrets import SecretResolver
from reconciler.spec.models.base import SecretRef
from reconciler.spec.models.tenant import TwinfieldConnection

SEED = (
    Path(__file__).resolve().parents[3]
    / "reconciler"
    / "demo"
    / "seeds"
    / "tuincentrum-de-linde"
    / "twinfield.json"
)


def test_a_rotated_refresh_token_is_kept_in_its_secret_file(tmp_path: Path) -> None:
    token_file = tmp_path / "twinfield-refresh-token"
    token_file.write_text("first-refresh-token\n")
    connection = TwinfieldConnection.model_validate(
        {
            "system": "twinfield",
            "office": "NLA001234",
            "clientId": "koppel-test",
            "clientSecret": {"env": "TW_CLIENT_SECRET"},
            "refreshToken": {"file": str(token_file)},
        }
    )
    resolver = SecretResolver({"TW_CLIENT_SECRET": "client-secret"})

    def secret(ref: SecretRef, what: str) -> str:
        return resolver.resolve(ref, what=what)

    def keep(ref: SecretRef, value: str, what: str) -> None:
        resolver.keep(ref, value, what=what)

    app, path = for_connection(connection, secret=secret, seed=SEED)
    with SandboxServer(app) as server:
        pointed = connection.model_copy(
            update={"endpoint": server.url + path, "identity_endpoint": server.url}
        )
        connector = connect(pointed, secret=secret, keep=keep)

        async def go() -> None:
            try:
                await connector.lookup(Entity.customers, "nobody@example.test")
            finally:
                await connector.aclose()

        asyncio.run(go())
    assert token_file.read_text().strip() not in ("", "first-refresh-token")
