"""Fixtures for the eAccounting contract tests: the sandbox on a free loopback port, clients."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from connectors.eaccounting.auth import TokenSource
from connectors.eaccounting.client import EAccountingClient
from connectors.eaccounting.connector import EAccountingConnector
from connectors.eaccounting.sandbox import DEFAULT_CREDENTIALS, SandboxApp, create_app
from connectors.eaccounting.sandbox_store import CompanyStore
from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from tests.contract.doubles import Recorder

T = TypeVar("T")
CLIENT_ID = DEFAULT_CREDENTIALS["client_id"]
CLIENT_SECRET = "ea-client-secret-0f3d9a"
REFRESH_TOKEN = "ea-refresh-token-77c1b2"
ACCESS_TOKEN = "ea-fixed-access-token-5e6f"


@dataclass
class EAccounting:
    """The running sandbox: its origin, the app (faults, store) and client factories."""

    origin: str
    app: SandboxApp
    sleep: Recorder

    @property
    def url(self) -> str:
        return f"{self.origin}/v2"

    @property
    def store(self) -> CompanyStore:
        return self.app.sandbox.store

    def tokens(
        self,
        *,
        access_token: str | None = None,
        refresh_token: str | None = REFRESH_TOKEN,
        client_secret: str | None = CLIENT_SECRET,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
    ) -> TokenSource:
        return TokenSource(
            identity_endpoint=self.origin,
            access_token=access_token,
            client_id=CLIENT_ID if refresh_token else None,
            client_secret=client_secret if refresh_token else None,
            refresh_token=refresh_token,
            settings=_settings(attempts=3),
            sleep=self.sleep,
            transport=transport,
            **({} if clock is None else {"clock": clock}),
        )

    def client(
        self,
        *,
        attempts: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        tokens: TokenSource | None = None,
    ) -> EAccountingClient:
        return EAccountingClient(
            endpoint=self.url,
            tokens=tokens or self.tokens(),
            settings=_settings(attempts=attempts),
            sleep=self.sleep,
            transport=transport,
        )

    def connector(self, *, page_size: int = 100, **kwargs: Any) -> EAccountingConnector:
        return EAccountingConnector(self.client(**kwargs), page_size=page_size)

    def run(self, action: Callable[[EAccountingClient], Awaitable[T]], **kwargs: Any) -> T:
        """Run ``action`` with a fresh client, closing it afterwards."""

        async def go() -> T:
            async with self.client(**kwargs) as client:
                return await action(client)

        return asyncio.run(go())

    def with_connector(
        self, action: Callable[[EAccountingConnector], Awaitable[T]], **kwargs: Any
    ) -> T:
        async def go() -> T:
            connector = self.connector(**kwargs)
            try:
                return await action(connector)
            finally:
                await connector.aclose()

        return asyncio.run(go())


def _settings(*, attempts: int) -> ClientSettings:
    return ClientSettings(retry=RetryPolicy(attempts=attempts, base_delay=0.01), timeout=5)


@pytest.fixture(scope="session")
def ea_server() -> Iterator[tuple[SandboxServer, SandboxApp]]:
    app = create_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        access_token=ACCESS_TOKEN,
    )
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def ea(ea_server: tuple[SandboxServer, SandboxApp]) -> EAccounting:
    """A sandbox with no faults and its default seed data, fresh for every test."""
    server, app = ea_server
    app.reset()
    return EAccounting(origin=server.url, app=app, sleep=Recorder())
