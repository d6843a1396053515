"""The shared HTTP client against a real loopback server with injected faults."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.errors import SECRETS, classify_status
from connectors.http import DEFAULT_HEADERS, ClientSettings, HttpClient, RetryPolicy
from connectors.sandbox import FaultInjector, SandboxServer
from reconciler.errors import (
    ConnectorError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

SECRET = "s3cr3t-token-value"


async def _echo(request: Request) -> JSONResponse:
    if request.query_params.get("bad"):
        return JSONResponse({"message": "field 'name' is required"}, status_code=400)
    return JSONResponse({"method": request.method, "path": request.url.path})


def _error_body(status: int) -> tuple[bytes, str]:
    return json.dumps({"message": f"injected {status}"}).encode(), "application/json"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SandboxServer, FaultInjector]]:
    app = Starlette(routes=[Route("/things", _echo, methods=["GET", "POST", "PUT"])])
    faults = FaultInjector(app, error_body=_error_body)
    with SandboxServer(faults) as running:
        yield running, faults


@pytest.fixture(autouse=True)
def _reset(server: tuple[SandboxServer, FaultInjector]) -> None:
    server[1].reset()


def _classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    message = None
    if response.status_code >= 400:
        message = response.json().get("message")
    return classify_status(response, system="demo", operation=operation, message=message)


class Recorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(url: str, sleep: Recorder, attempts: int = 4) -> HttpClient:
    settings = ClientSettings(retry=RetryPolicy(attempts=attempts, base_delay=0.01), timeout=2)
    return HttpClient(
        system="demo",
        base_url=url,
        classifier=_classify,
        params={"secret": SECRET},
        secrets=(SECRET,),
        settings=settings,
        sleep=sleep,
    )


def _run(coro):
    return asyncio.run(coro)


def test_retries_transient_server_errors_until_success(server) -> None:
    """Two injected 503s are retried and the third attempt's answer is returned."""
    running, faults = server
    faults.fail_next(2, status=503)
    sleep = Recorder()

    async def go() -> httpx.Response:
        async with _client(running.url, sleep) as client:
            return await client.send("GET", "/things", operation="list")

    assert _run(go()).json()["method"] == "GET"
    assert len(sleep.delays) == 2


def test_honours_retry_after_on_429(server) -> None:
    """A 429 with Retry-After waits at least that long before the retry."""
    running, faults = server
    faults.configure(retry_after=3)
    faults.fail_next(1, status=429)
    sleep = Recorder()

    async def go() -> None:
        async with _client(running.url, sleep) as client:
            await client.send("POST", "/things", operation="create")

    _run(go())
    assert sleep.delays
    assert sleep.delays[0] >= 3


def test_gives_up_after_the_attempts(server) -> None:
    """When every attempt fails the transient error is raised with its status."""
    running, faults = server
    faults.fail_next(10, status=429)
    sleep = Recorder()

    async def go() -> None:
        async with _client(running.url, sleep, attempts=3) as client:
            await client.send("GET", "/things", operation="list")

    with pytest.raises(RateLimitedError) as caught:
        _run(go())
    assert caught.value.status == 429
    assert len(sleep.delays) == 2


def test_never_retries_a_validation_rejection(server) -> None:
    """A 400 is the target's own verdict: raised at once with its message, no retry."""
    running, _ = server
    sleep = Recorder()

    async def go() -> None:
        async with _client(running.url, sleep) as client:
            await client.send("POST", "/things", params={"bad": "1"}, operation="create")

    with pytest.raises(RejectedError, match="field 'name' is required"):
        _run(go())
    assert sleep.delays == []


def test_write_is_not_retried_after_a_dropped_connection(server) -> None:
    """A POST whose connection dropped may have been applied: raise, flagged maybe_applied."""
    running, faults = server
    faults.drop_next(1)
    sleep = Recorder()

    async def go() -> None:
        async with _client(running.url, sleep) as client:
            await client.send("POST", "/things", operation="create")

    with pytest.raises(UnavailableError) as caught:
        _run(go())
    assert caught.value.maybe_applied
    assert sleep.delays == []


def test_read_is_retried_after_a_dropped_connection(server) -> None:
    """An idempotent GET is safe to repeat after the connection dropped."""
    running, faults = server
    faults.drop_next(1)
    sleep = Recorder()

    async def go() -> httpx.Response:
        async with _client(running.url, sleep) as client:
            return await client.send("GET", "/things", operation="list")

    assert _run(go()).status_code == 200
    assert len(sleep.delays) == 1


def test_secret_never_in_logs_errors_or_repr(server, caplog) -> None:
    """The credential in the query string is masked in httpx's log lines, errors and reprs."""
    running, faults = server
    faults.fail_next(1, status=500)
    sleep = Recorder()
    caplog.set_level(logging.DEBUG)

    async def go() -> str:
        async with _client(running.url, sleep, attempts=1) as client:
            text = repr(client)
            try:
                await client.send("GET", "/things", operation="list")
            except UnavailableError as exc:
                text += str(exc)
            return text

    text = _run(go())
    assert SECRET not in text
    assert caplog.records, "httpx should have logged the request"
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRETS.mask(f"x{SECRET}y") == "x***y"


def test_discarded_secrets_are_no_longer_masked() -> None:
    """A spent token is forgotten by the registry (rotating OAuth2 tokens would otherwise make
    the list, and every log line's masking, grow without end); others stay masked."""
    SECRETS.add("spent-token-0001", "live-token-0002")
    SECRETS.discard("spent-token-0001")
    assert SECRETS.mask("spent-token-0001 live-token-0002") == "spent-token-0001 ***"


def _sent_by_both(**kwargs: object) -> tuple[httpx.Request, httpx.Request]:
    """The request HttpClient sends for ``kwargs`` and the one httpx's own client sends."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async def both() -> None:
        base, headers = "http://api.test:8080/base/", {"Authorization": "t"}
        async with HttpClient(
            system="demo",
            base_url=base,
            classifier=_classify,
            headers=headers,
            transport=httpx.MockTransport(record),
        ) as ours:
            await ours.send(operation="call", **kwargs)  # type: ignore[arg-type]
        own = httpx.AsyncClient(
            base_url=base,
            headers={**DEFAULT_HEADERS, **headers},
            transport=httpx.MockTransport(record),
        )
        async with own:
            await own.request(**kwargs)  # type: ignore[arg-type]

    asyncio.run(both())
    return seen[0], seen[1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "GET", "url": "things", "params": {"skip": "0", "take": "10"}},
        {"method": "POST", "url": "things", "json": {"naam": "Bakkerij é", "n": [1, 2.5]}},
        {"method": "POST", "url": "", "content": "<soap/>", "headers": {"SOAPAction": "x"}},
        {"method": "PUT", "url": "things", "content": b"raw"},
        {"method": "POST", "url": "things"},
        {"method": "DELETE", "url": "things/1"},
        {"method": "POST", "url": "t", "json": {}, "headers": {"Content-Type": "text/plain"}},
        {"method": "POST", "url": "token", "data": {"grant_type": "refresh_token"}},
    ],
)
def test_requests_are_those_httpx_would_send(kwargs: dict[str, object]) -> None:
    """The client encodes bodies itself (``_build``): the wire request is the same as httpx's
    client makes of the same arguments: URL, headers (names, values, no more, no fewer) and
    body."""
    ours, theirs = _sent_by_both(**kwargs)
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert sorted(ours.headers.multi_items()) == sorted(theirs.headers.multi_items())
    assert ours.content == theirs.content
