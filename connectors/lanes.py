"""An httpx transport of single-connection lanes: each request in flight has a connection of its
own, taken from the free lanes and given back when its response is closed.

Why not httpx's own pool: httpcore hands every request that arrives while a connection is idle
that same connection (the first idle one), and the request yields before it marks it busy, so in
a burst all but one find it taken, go round the pool again, and again: in the order sync more
than one wasted assignment per request, each checking every connection's socket. A lane per
request in flight cannot be taken twice; its single-connection pool keeps the connection alive.
Direct connections read and write through ``connectors.streams`` (asyncio's transports, not
anyio's); connections through a proxy keep httpx's own backend.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterator, Callable
from typing import cast

import httpcore
import httpx

from connectors.streams import AsyncioBackend


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context for every lane (building one loads the CA bundle)."""
    return httpx.create_ssl_context()


class LaneTransport(httpx.AsyncBaseTransport):
    """``count`` lanes of one keep-alive connection each.

    A request waits for a free lane (never, when a gate of ``count`` is in front, as in
    ``HttpClient``) and holds it until its response stream is closed; httpx closes it once the
    body is read, or when a streamed response's context ends.
    """

    def __init__(
        self, count: int, *, proxy: str | None = None, keepalive_expiry: float = 5.0
    ) -> None:
        if count < 1:
            raise ValueError("a LaneTransport needs at least one lane")
        limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=keepalive_expiry
        )
        self._lanes = [_lane(limits, proxy) for _ in range(count)]
        # Last in, first out: a quiet client keeps reusing one warm connection, and the lanes
        # it does not need let their connections expire.
        self._free: asyncio.LifoQueue[httpx.AsyncHTTPTransport] = asyncio.LifoQueue()
        for lane in self._lanes:
            self._free.put_nowait(lane)

    @property
    def free(self) -> int:
        """Lanes not serving a request right now."""
        return self._free.qsize()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        lane = await self._free.get()
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            self._free.put_nowait(lane)
            raise
        stream = cast(httpx.AsyncByteStream, response.stream)  # an async transport's own
        response.stream = _Returning(stream, lambda: self._free.put_nowait(lane))
        return response

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()


def _lane(limits: httpx.Limits, proxy: str | None) -> httpx.AsyncHTTPTransport:
    """One lane: httpx's transport (its request and response mapping, its errors) over a
    single-connection pool; a direct one on ``AsyncioBackend``."""
    lane = httpx.AsyncHTTPTransport(verify=_ssl_context(), limits=limits, proxy=proxy)
    if proxy is None:
        # httpx's transport takes no network backend, so its pool (the one attribute its
        # ``handle_async_request`` uses) is made again, as httpx makes it, with koppel's.
        lane._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
    return lane


class _Returning(httpx.AsyncByteStream):
    """A response stream that gives its lane back when it is closed (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, give_back: Callable[[], None]) -> None:
        self._stream = stream
        self._give_back: Callable[[], None] | None = give_back

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        give_back, self._give_back = self._give_back, None
        try:
            await self._stream.aclose()
        finally:
            if give_back is not None:
                give_back()
