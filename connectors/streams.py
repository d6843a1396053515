"""httpcore's network streams on asyncio's own transports: what every connector's connections
read and write through (``connectors.lanes`` gives its lanes this backend).

httpcore's default backend on asyncio goes through anyio: a cancel scope around every read and
every write, and anyio's typed-attribute look-ups to find the socket it polls before every request
to see whether the server has closed an idle connection. In a write-heavy sync that machinery was
a sixth of the client's CPU time. Here a read waits on a future the protocol completes, a timeout
is one timer on the event loop, and "has the server closed this idle connection" is answered
from what the protocol has been told, then by one poll of the socket. The semantics are
httpcore's: its exceptions (``ReadTimeout``, ``ConnectError``…), ``b""`` at the end of the
stream, and ``start_tls`` upgrading a connected stream.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

BUFFER_LIMIT = 256 * 1024
"""Bytes received and not yet read after which the stream stops reading from the socket until
the reader catches up (a slow consumer of a large response must not buffer it all)."""


class _Protocol(asyncio.Protocol):
    """Collects what the connection receives for ``AsyncioStream.read``."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.drainer: asyncio.Future[None] | None = None
        self.writing_paused = False
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        _wake(self.reader)
        if len(self.buffer) > BUFFER_LIMIT and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self.reader)
        return False  # close the transport: HTTP/1.1 never half-closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        _wake(self.reader)
        _wake(self.drainer)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self.drainer)

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what was received, resuming reading once the buffer drains."""
        buffer = self.buffer
        if len(buffer) <= max_bytes:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
        if self.reading_paused and len(buffer) <= BUFFER_LIMIT // 2 and self.transport:
            self.reading_paused = False
            self.transport.resume_reading()
        return data


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _wait(
    waiter: asyncio.Future[None], timeout: float | None, expired: type[Exception]
) -> None:
    """Wait for ``waiter``; ``expired`` after ``timeout`` seconds (one timer, no task)."""
    if timeout is None:
        await waiter
        return
    loop = asyncio.get_running_loop()

    def expire() -> None:
        if not waiter.done():
            waiter.set_exception(expired(f"no progress within {timeout:g} s"))

    timer = loop.call_later(timeout, expire)
    try:
        await waiter
    finally:
        timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection (plain or TLS) as httpcore reads and writes it."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        sock = transport.get_extra_info("socket")
        self._fd: int = sock.fileno() if sock is not None else -1

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.reader = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.reader, timeout, ReadTimeout)
            finally:
                protocol.reader = None
        if protocol.buffer:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._transport.is_closing() or protocol.eof:
            raise WriteError(_closed(protocol))
        self._transport.write(buffer)
        if protocol.writing_paused:
            protocol.drainer = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.drainer, timeout, WriteTimeout)
            finally:
                protocol.drainer = None
            if self._transport.is_closing():  # woken by the connection's end, not a drain
                raise WriteError(_closed(protocol))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        handshake = loop.start_tls(
            self._transport, self._protocol, ssl_context, server_hostname=server_hostname
        )
        try:
            # asyncio's own handshake timeout ends as ConnectionAbortedError: httpcore says
            # ConnectTimeout, so the timeout is kept here.
            upgraded = await asyncio.wait_for(handshake, timeout)
        except TimeoutError as exc:
            self._transport.close()
            raise ConnectTimeout(f"TLS handshake not done within {timeout:g} s") from exc
        except OSError as exc:  # ssl.SSLError (a failed verification) is one
            self._transport.close()
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        if upgraded is None:  # the connection closed during the handshake
            raise ConnectError("the connection closed during the TLS handshake")
        tls = AsyncioStream(upgraded, self._protocol)
        self._protocol.transport = upgraded
        return tls

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Idle and readable means the server has closed it (or sent what nobody asked for).
            # What the protocol was told first; then the socket itself, for an end of stream
            # that arrived while the event loop was busy (a poll, as httpcore's own check).
            protocol = self._protocol
            return bool(protocol.buffer) or protocol.eof or _readable(self._fd)
        name = _TRANSPORT_INFO.get(info)
        return None if name is None else self._transport.get_extra_info(name)


_TRANSPORT_INFO = {
    "ssl_object": "ssl_object",
    "socket": "socket",
    "client_addr": "sockname",
    "server_addr": "peername",
}
"""httpcore's names for what a stream tells about itself -> asyncio's transport's names."""


def _readable(fd: int) -> bool:
    """True when a read on ``fd`` would not wait (data or the end of the stream), or when the
    socket is gone; a zero-timeout poll."""
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _closed(protocol: _Protocol) -> str:
    error = protocol.error
    return f"the connection is closed ({error})" if error else "the connection is closed"


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections made by asyncio's event loop itself (TCP_NODELAY is its default)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        connecting = loop.create_connection(_Protocol, host, port, local_addr=local)
        return await _connected(connecting, timeout, socket_options, f"{host}:{port}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        connecting = asyncio.get_running_loop().create_unix_connection(_Protocol, path)
        return await _connected(connecting, timeout, socket_options, path)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    connecting: Any,
    timeout: float | None,
    socket_options: Iterable[SocketOption] | None,
    where: str,
) -> AsyncioStream:
    try:
        transport, protocol = await asyncio.wait_for(connecting, timeout)
    except TimeoutError as exc:
        raise ConnectTimeout(f"no connection to {where} within {timeout:g} s") from exc
    except OSError as exc:
        raise ConnectError(str(exc) or type(exc).__name__) from exc
    sock: socket.socket | None = transport.get_extra_info("socket")
    if sock is not None:
        for option in socket_options or ():
            sock.setsockopt(*option)
    return AsyncioStream(transport, protocol)
