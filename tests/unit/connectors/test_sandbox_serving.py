"""Serving a sandbox: the port is bound before anyone is told it, so no two sandboxes can end up
behind one port."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from connectors.sandbox import PortTaken, SandboxServer, base_url, listen
from reconciler.errors import UsageError


async def _hello(scope: object, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"hello"})  # type: ignore[operator]


def test_listen_on_zero_holds_a_free_port_of_its_own() -> None:
    with listen() as first, listen() as second:
        assert first.getsockname()[1] != second.getsockname()[1]
        assert base_url(first) == f"http://127.0.0.1:{first.getsockname()[1]}"
        with pytest.raises(PortTaken) as caught:
            listen(port=first.getsockname()[1])
    assert isinstance(caught.value, UsageError)
    assert "Address already in use" in caught.value.reason
    assert caught.value.hint == "pick another port, or 0 for a free one"


def test_a_server_owns_its_port_before_it_starts_and_serves_on_it() -> None:
    server = SandboxServer(_hello)  # type: ignore[arg-type]
    try:
        with pytest.raises(PortTaken):
            listen(port=server.port)  # already ours, though not started yet
        server.start()
        assert httpx.get(server.url).text == "hello"
    finally:
        server.stop()
    with listen(port=server.port):  # let go once stopped
        pass


async def _nodelay(scope: object, receive: object, send: Any) -> None:
    """Answers whether Nagle's algorithm is off on the connection it answers on."""
    sock = send.__self__.transport.get_extra_info("socket")
    nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(bool(nodelay)).encode()})


def test_connections_answer_without_nagles_delay() -> None:
    """Answers go out in more than one segment (head, body): with Nagle's algorithm on, the
    second waits for the client's delayed ACK, 40 ms an answer."""
    with SandboxServer(_nodelay) as server:  # type: ignore[arg-type]
        assert httpx.get(server.url).text == "True"


def test_a_server_on_a_taken_port_fails_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PortTaken):
            SandboxServer(_hello, port=taken.getsockname()[1])  # type: ignore[arg-type]
