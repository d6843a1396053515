"""Fixtures for the AFAS contract tests: the sandbox on a free loopback port, and clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connectors.afas.client import AfasClient
from connectors.afas.models import GetConnectorSettings
from connectors.afas.sandbox import SandboxApp, create_app
from connectors.http import ClientSettings, RetryPolicy
from connectors.sandbox import SandboxServer
from tests.contract.doubles import Recorder

TOKEN = "949C1A9CD9AE4797950D94F55A7A4D056770472D4963CB9A8D3800BEE0CCE6A2"


@dataclass
class Afas:
    """The running sandbox: its base URL, the app (faults, store) and client factories."""

    url: str
    app: SandboxApp

    def client(
        self,
        *,
        sleep: Recorder | None = None,
        attempts: int = 4,
        token: str = TOKEN,
        transport: httpx.AsyncBaseTransport | None = None,
        get_settings: GetConnectorSettings | None = None,
    ) -> AfasClient:
        settings = ClientSettings(retry=RetryPolicy(attempts=attempts, base_delay=0.01), timeout=5)
        return AfasClient(
            token=token,
            endpoint=self.url,
            settings=settings,
            sleep=sleep or Recorder(),
            transport=transport,
            get_settings=get_settings,
        )

    @property
    def store(self) -> Any:
        return self.app.sandbox.store


@pytest.fixture(scope="session")
def afas_server() -> Iterator[tuple[SandboxServer, SandboxApp]]:
    app = create_app(token=TOKEN)
    with SandboxServer(app) as server:
        yield server, app


@pytest.fixture
def afas(afas_server: tuple[SandboxServer, SandboxApp]) -> Afas:
    """A sandbox with no faults and its default seed data, fresh for every test."""
    server, app = afas_server
    app.reset()
    return Afas(url=f"{server.url}/ProfitRestServices", app=app)
