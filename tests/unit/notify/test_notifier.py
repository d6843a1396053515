"""The notifier end to end against a real loopback webhook receiver: what is sent, how often,
and that a broken receiver never reaches the caller. Virtual clock, no real sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.sandbox import FaultInjector, SandboxServer, free_port
from reconciler.logs import configure_logging
from reconciler.notify import (
    FlowOutcome,
    FlowState,
    Notifier,
    RateLimit,
    Transition,
    TransitionKind,
    WebhookSender,
)

HOOK_PATH = "/services/T0KOPPEL/B0NOTIFY/xoxsecretpath4711"
# A receiver that echoes the path of a URL it does not know, as some chat services do.
ECHO_PATH = "/services/T0KOPPEL/B0ECHO/xoxechopath0815"


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def hook(self, request: Request) -> Response:
        self.bodies.append(json.loads(await request.body()))
        return PlainTextResponse("ok")

    async def echo(self, request: Request) -> Response:
        return JSONResponse({"error": f"no_service for {request.url.path}"}, status_code=400)


def _error_body(status: int) -> tuple[bytes, str]:
    return b"internal error", "text/plain"


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, FaultInjector, SandboxServer]]:
    receiver = Receiver()
    app = Starlette(
        routes=[
            Route(HOOK_PATH, receiver.hook, methods=["POST"]),
            Route(ECHO_PATH, receiver.echo, methods=["POST"]),
        ]
    )
    faults = FaultInjector(app, error_body=_error_body)
    with SandboxServer(faults) as server:
        yield receiver, faults, server


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, FaultInjector, SandboxServer]) -> Receiver:
    receiver_server[0].bodies.clear()
    receiver_server[1].reset()
    return receiver_server[0]


@pytest.fixture
def faults(receiver_server: tuple[Receiver, FaultInjector, SandboxServer]) -> FaultInjector:
    return receiver_server[1]


@pytest.fixture
def url(receiver_server: tuple[Receiver, FaultInjector, SandboxServer]) -> str:
    return receiver_server[2].url + HOOK_PATH


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 4, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class Sleeps:
    """Records the retry delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def _report(notifier: Notifier, *states: FlowState) -> list[TransitionKind | None]:
    kinds = []
    for state in states:
        change = await notifier.report(state)
        kinds.append(change.kind if change else None)
    return kinds


def _failing(flow: str = "pos-orders", revision: str = "rev-a", **kwargs: Any) -> FlowState:
    return FlowState("jansen", flow, revision, FlowOutcome.failing, **kwargs)


def _ok(flow: str = "pos-orders", revision: str = "rev-a") -> FlowState:
    return FlowState("jansen", flow, revision, FlowOutcome.ok)


def _with_notifier(
    url: str,
    scenario: Callable[[Notifier], Awaitable[None]],
    *,
    clock: Clock | None = None,
    limit: RateLimit | None = None,
) -> None:
    """Run ``scenario`` with a notifier on a real sender, closing its client in the same loop."""

    async def go() -> None:
        async with WebhookSender(url, sleep=Sleeps()) as sender:
            await scenario(Notifier(sender, clock=clock or Clock(), limit=limit))

    asyncio.run(go())


def test_failing_then_more_failures_then_new_revision_then_recovery(
    receiver: Receiver, url: str
) -> None:
    """Failing -> one message; more failures on the same revision -> none; a new revision still
    failing -> one; recovery -> one; healthy passes after it -> none."""
    failures = (("order-1", "tax code 'X9' unknown"), ("order-2", "tax code 'X9' unknown"))
    kinds: list[TransitionKind | None] = []

    async def scenario(notifier: Notifier) -> None:
        kinds.extend(
            await _report(
                notifier,
                _ok(),
                _failing(reason="2 records failed", failed=2, failures=failures),
                _failing(reason="3 records failed", failed=3),
                _failing(reason="7 records failed", failed=7),
                _failing(revision="rev-b", reason="1 record failed", failed=1),
                _ok(revision="rev-c"),
                _ok(revision="rev-c"),
            )
        )

    _with_notifier(url, scenario)
    assert kinds == [None, "failing", None, None, "still-failing", "recovered", None]
    assert [body["event"] for body in receiver.bodies] == ["failing", "still-failing", "recovered"]
    first = receiver.bodies[0]
    assert first["tenant"] == "jansen"
    assert first["flow"] == "pos-orders"
    assert first["revision"] == "rev-a"
    assert first["outcome"] == "failing"
    assert first["reason"] == "2 records failed"
    assert first["failed"] == 2
    assert first["failures"][0] == {"key": "order-1", "reason": "tax code 'X9' unknown"}
    assert first["text"].startswith(":red_circle: koppel: jansen/pos-orders is failing")
    assert "order-1: tax code 'X9' unknown" in first["text"]
    assert "new revision rev-b (was rev-a)" in receiver.bodies[1]["text"]
    assert "recovered at revision rev-c" in receiver.bodies[2]["text"]


def test_message_text_is_escaped_for_slack(receiver: Receiver, url: str) -> None:
    """A reason with Slack's control characters is shown literally, not parsed as a link."""

    async def scenario(notifier: Notifier) -> None:
        await notifier.report(_failing(reason="got <html> & <!channel>"))

    _with_notifier(url, scenario)
    (body,) = receiver.bodies
    assert "got &lt;html&gt; &amp; &lt;!channel&gt;" in body["text"]
    assert body["reason"] == "got <html> & <!channel>"


def test_rate_limit_holds_and_sends_one_digest(receiver: Receiver, url: str) -> None:
    """With 2 messages per window, 5 failing flows give 2 messages and hold 3; when the window
    has room again, one digest carries the held count and each flow's latest state — a flow that
    recovered meanwhile shows as recovered."""
    clock = Clock()
    limit = RateLimit(messages=2, window=dt.timedelta(minutes=15))
    flushed: list[int] = []
    held: list[int] = []

    async def scenario(notifier: Notifier) -> None:
        flows = ["f1", "f2", "f3", "f4", "f5"]
        await _report(notifier, *(_failing(flow, reason=f"{flow} broke") for flow in flows))
        await notifier.report(_ok("f5"))
        held.append(notifier.held("jansen"))
        flushed.append(await notifier.flush())  # the window is still full
        clock.now += dt.timedelta(minutes=15)
        flushed.append(await notifier.flush())
        held.append(notifier.held("jansen"))
        flushed.append(await notifier.flush())

    _with_notifier(url, scenario, clock=clock, limit=limit)
    assert flushed == [0, 1, 0]
    assert held == [4, 0]
    assert len(receiver.bodies) == 3
    digest = receiver.bodies[-1]
    assert digest["event"] == "digest"
    assert digest["held"] == 4
    assert [(f["flow"], f["event"]) for f in digest["flows"]] == [
        ("f3", "failing"),
        ("f4", "failing"),
        ("f5", "recovered"),
    ]
    assert "4 flow changes while notifications were rate-limited" in digest["text"]
    assert "f3: failing at revision rev-a: f3 broke" in digest["text"]


def test_rate_limit_is_per_tenant(receiver: Receiver, url: str) -> None:
    """One tenant's exhausted budget does not hold back another tenant's message."""

    async def scenario(notifier: Notifier) -> None:
        await _report(notifier, _failing("f1"), _failing("f2"))
        await notifier.report(FlowState("other", "f1", "r", FlowOutcome.failing, reason="down"))

    _with_notifier(url, scenario, limit=RateLimit(messages=1))
    assert [(b["tenant"], b["flow"]) for b in receiver.bodies] == [
        ("jansen", "f1"),
        ("other", "f1"),
    ]


def test_held_message_goes_out_on_the_tenants_next_report(receiver: Receiver, url: str) -> None:
    """Without a flush, a held transition is sent with the tenant's next report once the window
    allows, even when that report itself changes nothing; one held message is sent as itself."""
    clock = Clock()

    async def scenario(notifier: Notifier) -> None:
        await _report(notifier, _failing("f1"), _failing("f2"))
        clock.now += dt.timedelta(hours=1)
        await notifier.report(_failing("f1"))

    _with_notifier(url, scenario, clock=clock, limit=RateLimit(messages=1))
    assert [(b["flow"], b["event"]) for b in receiver.bodies] == [
        ("f1", "failing"),
        ("f2", "failing"),
    ]


def test_receiver_errors_are_retried_briefly_and_never_raised(
    receiver: Receiver, faults: FaultInjector, url: str
) -> None:
    """A 500 is retried (virtual sleeps) and then delivered; a receiver that keeps failing makes
    ``send`` return False after three tries, and the notifier carries on without raising."""
    sleeps = Sleeps()
    results: list[object] = []

    async def scenario() -> None:
        async with WebhookSender(url, sleep=sleeps) as sender:
            faults.fail_next(1, status=500)
            results.append(await sender.send({"text": "after one 500"}))
            faults.fail_next(10, status=500)
            results.append(await sender.send({"text": "lost"}))
            results.append(await Notifier(sender, clock=Clock()).report(_failing()))

    asyncio.run(scenario())
    assert results[:2] == [True, False]
    assert isinstance(results[2], Transition)
    assert [b["text"] for b in receiver.bodies] == ["after one 500"]
    assert faults.stats.requests == 2 + 3 + 3
    assert len(sleeps.delays) == 1 + 2 + 2
    assert all(delay <= 2.0 for delay in sleeps.delays)


def test_unreachable_receiver_does_not_raise() -> None:
    """Nothing listening on the port: the notification is lost and logged, not raised."""
    kinds: list[TransitionKind | None] = []

    async def scenario(notifier: Notifier) -> None:
        kinds.extend(await _report(notifier, _failing()))

    _with_notifier(f"http://127.0.0.1:{free_port()}{HOOK_PATH}", scenario)
    assert kinds == ["failing"]


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def test_webhook_url_never_appears_in_logs(
    receiver_server: tuple[Receiver, FaultInjector, SandboxServer],
    receiver: Receiver,
    log_stream: io.StringIO,
) -> None:
    """The webhook URL is a secret: a receiver that echoes its path in an error, and a refused
    connection, are logged with the status and error but without the URL or its path."""
    echo = receiver_server[2].url + ECHO_PATH
    dead = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    results: list[bool] = []
    reprs: list[str] = []

    async def scenario() -> None:
        async with WebhookSender(echo, sleep=Sleeps()) as sender:
            reprs.append(repr(sender))
            results.append(await sender.send({"text": "x", "tenant": "jansen", "event": "failing"}))
        async with WebhookSender(dead, sleep=Sleeps()) as sender:
            results.append(await sender.send({"text": "y"}))

    asyncio.run(scenario())
    assert results == [False, False]
    assert "xoxechopath0815" not in reprs[0]
    text = log_stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    failures = [line for line in lines if line.get("event") == "notification-failed"]
    assert len(failures) == 2
    assert "HTTP 400" in failures[0]["error"]
    assert "no_service for ***" in failures[0]["error"]
    assert failures[0]["tenant"] == "jansen"
    assert failures[0]["notification"] == "failing"
    for secret in (ECHO_PATH, "xoxechopath0815", HOOK_PATH, "xoxsecretpath4711", dead):
        assert secret not in text


def test_a_non_http_url_is_refused_without_repeating_it() -> None:
    """A misconfigured webhook fails at start, and the message does not echo the value."""
    with pytest.raises(ValueError, match="http") as raised:
        WebhookSender("hooks.example.com/T0/B0/zzzsecretzzz")
    assert "zzzsecretzzz" not in str(raised.value)


class FakeSender:
    """An in-memory sender that yields to the event loop while "sending", like a real one."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def send(self, body: Mapping[str, Any]) -> bool:
        await asyncio.sleep(0)
        self.bodies.append(dict(body))
        return True


def test_concurrent_reports_and_flush_share_the_budget_safely() -> None:
    """Flows of one tenant reporting at once while the loop flushes: no error, the budget is
    kept, every held transition goes out exactly once (in one digest), and a recovery reported
    during the flush is sent with the window's remaining budget."""
    sender = FakeSender()
    clock = Clock()
    notifier = Notifier(sender, clock=clock, limit=RateLimit(messages=2))

    async def scenario() -> None:
        states = [_failing(f"f{n}") for n in range(6)]
        await asyncio.gather(*(notifier.report(s) for s in states), notifier.flush())
        assert len(sender.bodies) == 2
        assert notifier.held("jansen") == 4
        clock.now += dt.timedelta(minutes=15)
        await asyncio.gather(notifier.flush(), notifier.flush(), notifier.report(_ok("f0")))

    asyncio.run(scenario())
    assert [b["event"] for b in sender.bodies] == ["failing", "failing", "digest", "recovered"]
    digest = sender.bodies[2]
    assert digest["held"] == 4
    assert {f["flow"] for f in digest["flows"]} == {"f2", "f3", "f4", "f5"}
    assert sender.bodies[3]["flow"] == "f0"


def test_submit_from_a_synchronous_callback() -> None:
    """``submit`` (for ``Reconciler.on_pass``, which is synchronous) reports in the background,
    in order: failing then recovered for one flow gives those two messages, and ``wait_idle``
    returns once they are sent."""
    sender = FakeSender()
    notifier = Notifier(sender, clock=Clock())

    def on_pass(state: FlowState) -> None:
        notifier.submit(state)

    async def scenario() -> None:
        on_pass(_failing())
        on_pass(_failing())
        on_pass(_ok())
        assert sender.bodies == []  # nothing awaited yet: the callback did not block
        await notifier.wait_idle()

    asyncio.run(scenario())
    assert [b["event"] for b in sender.bodies] == ["failing", "recovered"]
