"""Fixtures for the MplusKASSA client/connector against its sandbox over loopback HTTP.

One sandbox server runs per session; every test gets a freshly seeded store and cleared faults,
a client whose ``sleep`` only records (retries never wait for real), and a transport that keeps
every request and response body for the WSDL contract checks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from connectors.http import ClientSettings, RetryPolicy
from connectors.mpluskassa.client import MplusClient
from connectors.mpluskassa.sandbox import MplusSandbox, create_app
from connectors.mpluskassa.sandbox_orders import SandboxStore
from connectors.sandbox import FaultInjector, SandboxServer
from tests.contract.doubles import Recorder

IDENT = "koppel-test-ident"
SECRET = "koppel-test-secret-9f3a"
T = TypeVar("T")


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that keeps (SOAPAction, request body, status, response body)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[tuple[str, bytes, int, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        action = request.headers.get("soapaction", "")
        self.exchanges.append((action, request.content, response.status_code, body))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Harness:
    """The running sandbox and what a test needs to drive a client against it."""

    url: str
    faults: FaultInjector
    sandbox: MplusSandbox
    sleep: Recorder = field(default_factory=Recorder)
    transport: RecordingTransport = field(default_factory=RecordingTransport)

    @property
    def store(self) -> SandboxStore:
        return self.sandbox.store

    def client(self, *, secret: str = SECRET, attempts: int = 4, **kwargs: Any) -> MplusClient:
        settings = ClientSettings(
            timeout=kwargs.pop("timeout", 5.0),
            connect_timeout=2.0,
            concurrency=kwargs.pop("concurrency", 8),
            retry=RetryPolicy(attempts=attempts, base_delay=0.01),
        )
        return MplusClient(
            endpoint=self.url,
            ident=IDENT,
            secret=secret,
            settings=settings,
            transport=self.transport,
            sleep=self.sleep,
            rng=random.Random(7),
            **kwargs,
        )

    def run(self, action: Callable[[MplusClient], Awaitable[T]], **client_kwargs: Any) -> T:
        """Run ``action(client)`` on a fresh client in its own event loop."""

        async def go() -> T:
            async with self.client(**client_kwargs) as client:
                return await action(client)

        return asyncio.run(go())


@pytest.fixture(scope="session")
def mplus_server() -> Iterator[tuple[SandboxServer, FaultInjector]]:
    app = create_app(ident=IDENT, secret=SECRET)
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def mplus(mplus_server: tuple[SandboxServer, FaultInjector]) -> Harness:
    server, faults = mplus_server
    faults.reset()
    sandbox: MplusSandbox = faults.app.state.sandbox  # type: ignore[attr-defined]
    sandbox.reset()
    return Harness(url=server.url, faults=faults, sandbox=sandbox)
