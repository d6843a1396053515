"""httpcore's network streams on asyncio's transports, against real loopback servers."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpcore
import pytest
import trustme

from connectors import streams
from connectors.lanes import LaneTransport
from connectors.sandbox import free_port
from connectors.streams import AsyncioBackend
from tests.unit.connectors.aio import synchronously

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def _server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A loopback server running ``handler`` per connection; yields its port. On the way out
    every connection is closed and every handler ended (none outlives its test)."""
    handlers: set[asyncio.Task[Any]] = set()

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client went away: what several tests do on purpose
        finally:
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


async def _connect(port: int, **kwargs: Any) -> httpcore.AsyncNetworkStream:
    return await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5, **kwargs)


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


@synchronously
async def test_reads_what_the_server_sends_then_nothing_at_its_end() -> None:
    async def echo_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"got " + await reader.readexactly(5))
        await writer.drain()
        writer.close()

    async with _server(echo_once) as port:
        stream = await _connect(port)
        await stream.write(b"hello")
        received = b""
        while chunk := await stream.read(3, timeout=5):
            assert len(chunk) <= 3
            received += chunk
        await stream.aclose()
    assert received == b"got hello"


@synchronously
async def test_a_read_without_an_answer_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with _server(silent) as port:
        stream = await _connect(port)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.05)
        await stream.aclose()


@synchronously
async def test_an_idle_connection_is_readable_once_the_server_closed_it() -> None:
    """What httpcore asks before reusing a kept-alive connection."""
    closing = asyncio.Event()

    async def close_when_told(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await closing.wait()
        writer.close()

    async with _server(close_when_told) as port:
        stream = await _connect(port)
        await asyncio.sleep(0.05)
        assert stream.get_extra_info("is_readable") is False
        closing.set()
        await _until(lambda: bool(stream.get_extra_info("is_readable")))
        assert await stream.read(100, timeout=1) == b""
        await stream.aclose()


@synchronously
async def test_a_reset_connection_fails_the_read() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await reader.readexactly(1)
        writer.transport.abort()  # an RST, not a FIN

    async with _server(reset) as port:
        stream = await _connect(port)
        await stream.write(b"x")
        with pytest.raises(httpcore.ReadError):
            await stream.read(100, timeout=5)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"more")
        await stream.aclose()


@synchronously
async def test_a_large_answer_is_held_at_the_socket_until_it_is_read() -> None:
    """Reading stops while more than BUFFER_LIMIT waits unread, and resumes as it is read:
    every byte arrives, in order."""
    body = bytes(range(256)) * (4 * streams.BUFFER_LIMIT // 256)

    async def send_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(body)
        await writer.drain()
        writer.close()

    async with _server(send_all) as port:
        stream = await _connect(port)
        protocol = stream._protocol  # type: ignore[attr-defined]
        await _until(lambda: protocol.reading_paused)
        assert len(protocol.buffer) <= 2 * streams.BUFFER_LIMIT
        received = bytearray()
        while chunk := await stream.read(65536, timeout=5):
            received += chunk
        await stream.aclose()
    assert received == body
    assert not protocol.reading_paused


@synchronously
async def test_a_write_the_server_does_not_take_times_out() -> None:
    async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with _server(never_reads) as port:
        stream = await _connect(port)
        with pytest.raises(httpcore.WriteTimeout):
            await stream.write(b"x" * (64 * 1024 * 1024), timeout=0.2)
        await stream.aclose()


@synchronously
async def test_connecting_fails_as_httpcore_says() -> None:
    backend = AsyncioBackend()
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("127.0.0.1", free_port(), timeout=5)

    async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with _server(idle) as port:
        with pytest.raises(httpcore.ConnectTimeout):
            await backend.connect_tcp("127.0.0.1", port, timeout=0)


@synchronously
async def test_socket_options_are_set_on_the_connection() -> None:
    async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    async with _server(idle) as port:
        stream = await _connect(port, socket_options=[option])
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert stream.get_extra_info("server_addr")[1] == port
        assert stream.get_extra_info("ssl_object") is None
        await stream.aclose()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def _tls_server(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    return context


def _tls_client(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A minimal HTTP/1.1 server: one 200 answer per request, connection kept alive."""
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()


@synchronously
async def test_https_requests_through_a_pool_on_this_backend(authority: trustme.CA) -> None:
    """httpcore's own pool, on this backend, over TLS (``start_tls``) and kept alive."""
    async with _server(_answer, tls=_tls_server(authority)) as port:
        pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls_client(authority), network_backend=AsyncioBackend()
        )
        async with pool:
            for _ in range(3):
                response = await pool.request("GET", f"https://localhost:{port}/")
                assert (response.status, response.content) == (200, b"ok")
            [connection] = pool.connections
            stream = connection._connection._network_stream  # type: ignore[union-attr]
            assert stream.get_extra_info("ssl_object").version().startswith("TLS")


@synchronously
async def test_tls_to_a_server_of_another_name_fails_to_connect(authority: trustme.CA) -> None:
    async with _server(_answer, tls=_tls_server(authority)) as port:
        stream = await _connect(port)
        with pytest.raises(httpcore.ConnectError, match=r"(?i)certificate"):
            await stream.start_tls(_tls_client(authority), "example.test", timeout=5)


@synchronously
async def test_a_tls_handshake_without_an_answer_times_out(authority: trustme.CA) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with _server(silent) as port:
        stream = await _connect(port)
        with pytest.raises(httpcore.ConnectTimeout):
            await stream.start_tls(_tls_client(authority), "localhost", timeout=0.1)


def test_direct_lanes_use_this_backend_and_proxied_ones_httpx_own() -> None:
    """The lanes' pools are made again with AsyncioBackend (``lanes._lane``): a change of
    httpx's transport that this relies on fails here, not in production."""
    direct = LaneTransport(2)
    proxied = LaneTransport(1, proxy="http://127.0.0.1:3128")
    backends = [lane._pool._network_backend for lane in direct._lanes]  # type: ignore[union-attr]
    assert all(isinstance(backend, AsyncioBackend) for backend in backends)
    assert not isinstance(
        proxied._lanes[0]._pool._network_backend,  # type: ignore[union-attr]
        AsyncioBackend,
    )


@synchronously
async def test_an_end_of_stream_the_loop_has_not_seen_yet_makes_it_readable() -> None:
    """The server's FIN is in the socket, but the event loop has not run since: the check asks
    the socket, so the connection is not reused for a request the server will never answer."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        stream = await _connect(listener.getsockname()[1])
        accepted, _ = listener.accept()
        await asyncio.sleep(0.05)
        assert stream.get_extra_info("is_readable") is False
        accepted.close()  # on loopback the FIN is queued at the client before close returns
        assert stream.get_extra_info("is_readable") is True  # no await in between
        await stream.aclose()
