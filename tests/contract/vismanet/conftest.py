"""Fixtures for the Visma.net contract tests: the sandbox on a free loopback port, and clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from connectors.vismanet.client import VismaNetClient
from connectors.vismanet.connector import VismaNetConnector
from connectors.vismanet.sandbox import DEFAULT_CREDENTIALS, SandboxApp, create_app
from connectors.vismanet.sandbox_store import VismaNetStore
from tests.contract.doubles import Recorder

CLIENT_ID = DEFAULT_CREDENTIALS["client_id"]
CLIENT_SECRET = DEFAULT_CREDENTIALS["client_secret"]
REFRESH_TOKEN = DEFAULT_CREDENTIALS["refresh_token"]
COMPANY = DEFAULT_CREDENTIALS["company_id"]


@dataclass
class VismaNet:
    """The running sandbox: its origin, the app (faults, store) and client factories."""

    origin: str
    app: SandboxApp

    @property
    def url(self) -> str:
        return self.origin + "/v1"

    @property
    def store(self) -> VismaNetStore:
        return self.app.store

    def client(
        self,
        *,
        sleep: Recorder | None = None,
        attempts: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        refresh_token: str | None = REFRESH_TOKEN,
        client_secret: str = CLIENT_SECRET,
        access_token: str | None = None,
        company_id: str = COMPANY,
        endpoint: str | None = None,
    ) -> VismaNetClient:
        settings = ClientSettings(retry=RetryPolicy(attempts=attempts, base_delay=0.01), timeout=5)
        return VismaNetClient(
            company_id=company_id,
            endpoint=endpoint or self.url,
            identity_endpoint=self.origin,
            access_token=access_token,
            client_id=CLIENT_ID,
            client_secret=client_secret,
            refresh_token=refresh_token,
            settings=settings,
            sleep=sleep or Recorder(),
            transport=transport,
        )

    def connector(self, **kwargs: object) -> VismaNetConnector:
        return VismaNetConnector(self.client(), branch="1", **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def vismanet_server() -> Iterator[tuple[SandboxServer, SandboxApp]]:
    app = create_app()
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def vismanet(vismanet_server: tuple[SandboxServer, SandboxApp]) -> Iterator[VismaNet]:
    """The shared sandbox, reset to its seed and with no faults, for each test."""
    server, app = vismanet_server
    app.reset()
    app.sandbox.refresh_token = REFRESH_TOKEN
    app.sandbox.tokens.clear()
    yield VismaNet(server.url, app)
    app.reset()
