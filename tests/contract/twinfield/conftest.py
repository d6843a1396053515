"""Fixtures for the Twinfield client and connector against their sandbox over loopback HTTP.

One sandbox server runs per session; every test gets a freshly seeded store, cleared faults and
refresh tokens that work once (so the client must keep the rotated one), a client whose
``sleep`` only records (retries never wait for real), and a transport that keeps every request
and response body for the WSDL contract checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from connectors.twinfield.client import Credentials, TwinfieldClient
from connectors.twinfield.connector import TwinfieldConnector
from connectors.twinfield.sandbox import SandboxApp, TwinfieldSandbox, create_app
from connectors.twinfield.sandbox_store import TwinfieldStore
from tests.contract.doubles import Recorder

CLIENT_ID = "koppel-contract"
CLIENT_SECRET = "contract-client-secret-4d1e"
REFRESH_TOKEN = "contract-refresh-token-77ab"
OFFICE = "001"
T = TypeVar("T")


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that keeps (path, SOAPAction, request body, status, response)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[tuple[str, str, bytes, int, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        action = request.headers.get("soapaction", "")
        self.exchanges.append(
            (request.url.path, action, request.content, response.status_code, body)
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Harness:
    """The running sandbox and what a test needs to drive a client against it."""

    url: str
    app: SandboxApp
    sleep: Recorder = field(default_factory=Recorder)
    transport: RecordingTransport = field(default_factory=RecordingTransport)

    @property
    def sandbox(self) -> TwinfieldSandbox:
        return self.app.sandbox

    @property
    def store(self) -> TwinfieldStore:
        return self.app.sandbox.store

    def client(
        self,
        *,
        credentials: Credentials | None = None,
        office: str = OFFICE,
        attempts: int = 4,
        endpoint: str | None = None,
    ) -> TwinfieldClient:
        settings = ClientSettings(
            timeout=5.0, connect_timeout=2.0, retry=RetryPolicy(attempts=attempts, base_delay=0.01)
        )
        return TwinfieldClient(
            office=office,
            credentials=credentials
            or Credentials(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
            ),
            identity_endpoint=self.url,
            endpoint=endpoint,
            settings=settings,
            transport=self.transport,
            sleep=self.sleep,
        )

    def run(self, action: Callable[[TwinfieldClient], Awaitable[T]], **kwargs: Any) -> T:
        """Run ``action(client)`` on a fresh client in its own event loop."""

        async def go() -> T:
            client = self.client(**kwargs)
            try:
                return await action(client)
            finally:
                await client.aclose()

        return asyncio.run(go())

    def connect(self, action: Callable[[TwinfieldConnector], Awaitable[T]], **kwargs: Any) -> T:
        """Run ``action(connector)`` on a fresh connector in its own event loop."""

        async def go() -> T:
            connector = TwinfieldConnector(self.client(), **kwargs)
            try:
                return await action(connector)
            finally:
                await connector.aclose()

        return asyncio.run(go())


@pytest.fixture(scope="session")
def twinfield_server() -> Iterator[tuple[SandboxServer, SandboxApp]]:
    app = create_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        access_token=None,
        one_time_refresh_tokens=True,
    )
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def twinfield(twinfield_server: tuple[SandboxServer, SandboxApp]) -> Harness:
    server, app = twinfield_server
    app.reset()
    app.sandbox.restart_identity()
    return Harness(url=server.url, app=app)
