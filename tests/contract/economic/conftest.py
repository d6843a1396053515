"""Fixtures for the e-conomic contract tests: the sandbox on a free loopback port, and clients."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from connectors.economic.client import EconomicClient
from connectors.economic.connector import EconomicConnector
from connectors.economic.models import WriteSettings
from connectors.economic.sandbox import DEFAULT_CREDENTIALS, SandboxApp, create_app
from connectors.economic.sandbox_store import EconomicStore
from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from tests.contract.doubles import Recorder

APP = "Xk3-app-secret-token-for-the-contract-tests"
GRANT = "Yq7-agreement-grant-token-for-the-contract-tests"
T = TypeVar("T")


@dataclass
class Clock:
    """The sandbox store's clock, moved by the tests."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime(2024, 4, 1, 12, 0, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class Economic:
    """The running sandbox: its base URL, the app (faults, store) and client factories."""

    url: str
    app: SandboxApp
    clock: Clock
    sleep: Recorder = field(default_factory=Recorder)

    def client(
        self,
        *,
        attempts: int = 4,
        app_secret_token: str = APP,
        agreement_grant_token: str = GRANT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> EconomicClient:
        settings = ClientSettings(retry=RetryPolicy(attempts=attempts, base_delay=0.01), timeout=5)
        return EconomicClient(
            app_secret_token=app_secret_token,
            agreement_grant_token=agreement_grant_token,
            endpoint=self.url,
            settings=settings,
            sleep=self.sleep,
            transport=transport,
        )

    def connector(self, *, page_size: int = 2, **write: Any) -> EconomicConnector:
        return EconomicConnector(
            self.client(),
            write=WriteSettings(**write),
            page_size=page_size,
            today=lambda: dt.date(2024, 4, 1),
        )

    @property
    def store(self) -> EconomicStore:
        return self.app.sandbox.store

    def run(self, call: Callable[[EconomicClient], Awaitable[T]], **options: Any) -> T:
        """Run ``call`` with a fresh client, closing it afterwards."""

        async def go() -> T:
            async with self.client(**options) as client:
                return await call(client)

        return asyncio.run(go())

    def with_connector(
        self, call: Callable[[EconomicConnector], Awaitable[T]], **options: Any
    ) -> T:
        async def go() -> T:
            connector = self.connector(**options)
            try:
                return await call(connector)
            finally:
                await connector.aclose()

        return asyncio.run(go())


@pytest.fixture(scope="session")
def economic_server() -> Iterator[tuple[SandboxServer, SandboxApp, Clock]]:
    clock = Clock()
    app = create_app(app_secret_token=APP, agreement_grant_token=GRANT, clock=clock)
    assert DEFAULT_CREDENTIALS["app_secret_token"] != APP
    with SandboxServer(app) as server:
        yield server, app, clock


@pytest.fixture
def economic(economic_server: tuple[SandboxServer, SandboxApp, Clock]) -> Economic:
    """A sandbox with no faults and its default seed data, fresh for every test."""
    server, app, clock = economic_server
    clock.now = Clock().now
    app.reset()
    return Economic(url=server.url, app=app, clock=clock)
