"""Fixtures for the AsPos client/connector against its sandbox over loopback HTTP.

One sandbox server runs per session; every test gets a freshly seeded store and cleared faults,
and a client whose ``sleep`` only records (retries never wait for real).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from connectors.aspos.client import AsposClient
from connectors.aspos.connector import AsposConnector
from connectors.aspos.sandbox import AsposSandbox, SandboxApp, create_app
from connectors.aspos.sandbox_store import AsposStore
from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from tests.contract.doubles import Recorder

API_KEY = "koppel-test-aspos-key-7c1e"
T = TypeVar("T")


@dataclass
class Harness:
    """The running sandbox and what a test needs to drive a client against it."""

    url: str
    app: SandboxApp
    sleep: Recorder = field(default_factory=Recorder)

    @property
    def sandbox(self) -> AsposSandbox:
        return self.app.sandbox

    @property
    def store(self) -> AsposStore:
        return self.app.sandbox.store

    def client(self, *, api_key: str = API_KEY, attempts: int = 4, **kwargs: Any) -> AsposClient:
        settings = ClientSettings(
            timeout=kwargs.pop("timeout", 5.0),
            connect_timeout=2.0,
            concurrency=4,
            retry=RetryPolicy(attempts=attempts, base_delay=0.01),
        )
        return AsposClient(
            endpoint=self.url,
            api_key=api_key,
            store=kwargs.pop("store", "1"),
            settings=settings,
            sleep=self.sleep,
            rng=random.Random(7),
            **kwargs,
        )

    def run(self, action: Callable[[AsposClient], Awaitable[T]], **client_kwargs: Any) -> T:
        """Run ``action(client)`` on a fresh client in its own event loop."""

        async def go() -> T:
            async with self.client(**client_kwargs) as client:
                return await action(client)

        return asyncio.run(go())

    def connect(
        self, action: Callable[[AsposConnector], Awaitable[T]], *, page_size: int = 100, **kw: Any
    ) -> T:
        """Run ``action(connector)`` on a fresh connector in its own event loop."""

        async def go() -> T:
            connector = AsposConnector(self.client(**kw), page_size=page_size)
            try:
                return await action(connector)
            finally:
                await connector.aclose()

        return asyncio.run(go())


@pytest.fixture(scope="session")
def aspos_server() -> Iterator[tuple[SandboxServer, SandboxApp]]:
    app = create_app(api_key=API_KEY)
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def aspos(aspos_server: tuple[SandboxServer, SandboxApp]) -> Harness:
    server, app = aspos_server
    app.reset()
    return Harness(url=server.url + "/api", app=app)
