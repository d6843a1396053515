"""Test doubles every contract suite uses: a sleep that records instead of waiting, and a real
HTTP transport that keeps what the client sent."""

from __future__ import annotations

import httpx


class Recorder:
    """A ``sleep`` that records the delays instead of waiting, so retries cost no time."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingTransport(httpx.AsyncHTTPTransport):
    """A real HTTP transport that keeps every request, for checking what the client sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)
