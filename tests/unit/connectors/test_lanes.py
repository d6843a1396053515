"""LaneTransport: a keep-alive connection per request in flight, each lane given back when its
response is closed, also when the request fails; and HttpClient's URLs parsed once per path."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.errors import classify_status
from connectors.http import ClientSettings, HttpClient, environment_proxy
from connectors.lanes import LaneTransport
from connectors.sandbox import SandboxServer, listen
from tests.unit.connectors.aio import synchronously

Peers = Counter[tuple[str, int]]


def _app(peers: Peers, active: list[int]) -> Any:
    """Answers after a short pause, counting requests per client connection (its address)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        peers[tuple(scope["client"])] += 1
        active.append(len(active) + 1)
        await asyncio.sleep(0.01)
        active.pop()
        body = f"{scope['path']}?{scope['query_string'].decode()}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Peers, list[int]]]:
    peers: Peers = Counter()
    active: list[int] = []
    with SandboxServer(_app(peers, active)) as server:
        yield server.url, peers, active


@synchronously
async def test_bursts_keep_one_connection_per_lane(served: tuple[str, Peers, list[int]]) -> None:
    url, peers, _ = served
    peers.clear()
    lanes = LaneTransport(3)
    async with httpx.AsyncClient(transport=lanes) as client:
        for _ in range(4):  # bursts of three at once, three lanes
            answers = await asyncio.gather(*(client.get(f"{url}/x") for _ in range(3)))
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert lanes.free == 3
    assert len(peers) == 3  # three connections, each kept alive across the bursts
    assert sorted(peers.values()) == [4, 4, 4]


@synchronously
async def test_more_requests_than_lanes_wait_for_one(served: tuple[str, Peers, list[int]]) -> None:
    url, peers, _active = served
    peers.clear()
    lanes = LaneTransport(2)
    seen: list[int] = []

    async def one() -> None:
        await client.get(f"{url}/y")
        seen.append(lanes.free)

    async with httpx.AsyncClient(transport=lanes) as client:
        await asyncio.gather(*(one() for _ in range(6)))
    assert len(peers) == 2
    assert sum(peers.values()) == 6
    assert lanes.free == 2


@synchronously
async def test_a_streamed_response_holds_its_lane_until_closed(
    served: tuple[str, Peers, list[int]],
) -> None:
    url, _, _ = served
    lanes = LaneTransport(1)
    async with httpx.AsyncClient(transport=lanes) as client:
        async with client.stream("GET", f"{url}/z") as response:
            assert lanes.free == 0
            assert await response.aread() == b"/z?"
        assert lanes.free == 1
        assert (await client.get(f"{url}/z")).status_code == 200


@synchronously
async def test_a_failed_request_gives_its_lane_back() -> None:
    with listen() as sock:  # a port nobody answers on once closed
        port = sock.getsockname()[1]
    lanes = LaneTransport(1)
    async with httpx.AsyncClient(transport=lanes) as client:
        for _ in range(2):
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")
            assert lanes.free == 1


def test_a_transport_needs_a_lane() -> None:
    with pytest.raises(ValueError, match="at least one lane"):
        LaneTransport(0)


def _classify(response: httpx.Response, operation: str) -> Any:
    return classify_status(response, system="demo", operation=operation, message=None)


@synchronously
async def test_the_client_sends_base_path_and_both_kinds_of_parameters(
    served: tuple[str, Peers, list[int]],
) -> None:
    """The URL kept per path carries the base path and the client's parameters; a request's
    own parameters are added to them."""
    url, peers, _ = served
    peers.clear()
    async with HttpClient(
        system="demo",
        base_url=f"{url}/api",
        classifier=_classify,
        params={"ident": "i1"},
        settings=ClientSettings(concurrency=2),
    ) as http:
        first = await http.send("GET", "/things", operation="list")
        again = await http.send("GET", "/things", operation="list", params={"skip": "5"})
        other = await http.send("POST", "", operation="post", content=b"x")
    assert first.text == "/api/things?ident=i1"
    assert again.text == "/api/things?ident=i1&skip=5"
    assert other.text == "/api/?ident=i1"
    assert len(peers) == 1  # sequential calls share one kept-alive lane


def test_the_environment_names_the_proxy_unless_no_proxy_exempts_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    url = httpx.URL("https://12345.rest.afas.online/ProfitRestServices/")
    assert environment_proxy(url) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert environment_proxy(url) == "http://proxy.internal:3128"
    assert environment_proxy(httpx.URL("http://12345.rest.afas.online/")) is None
    monkeypatch.setenv("NO_PROXY", ".afas.online")
    assert environment_proxy(url) is None


@synchronously
async def test_requests_go_through_the_proxy_the_environment_names(
    served: tuple[str, Peers, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTP proxy gets the request for the target's host (the test server plays it)."""
    url, peers, _ = served
    peers.clear()
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    async with HttpClient(
        system="demo", base_url="http://afas.example.invalid/api", classifier=_classify
    ) as http:
        answer = await http.send("GET", "/things", operation="list")
    assert answer.text == "http://afas.example.invalid/api/things?"  # a proxy's request line
    assert sum(peers.values()) == 1
