"""What every sandbox shares: fault injection and a server runner.

A sandbox is an ASGI app that speaks one system's real wire protocol over an in-memory store. This
module wraps such an app with faults, set at start or at run time:

* deterministic knobs for tests: ``fail_next(3, status=503)``, ``rate_limit(after=5,
  retry_after=1)``, ``slow(0.5)``, ``drop_next(1)``;
* probabilistic ones for chaos runs: ``error_rate={503: 0.1, 500: 0.05}``, ``drop_rate``,
  ``latency``;
* over HTTP: ``POST /_sandbox/faults`` with the same names as JSON, ``POST /_sandbox/reset``,
  ``GET /_sandbox/stats`` (requests seen, faults injected).

``SandboxServer`` runs an app with uvicorn on a free loopback port in a background thread, for
tests and the demo; ``listen`` and ``serve`` run one in the foreground (``koppel sandbox``).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import uvicorn

from reconciler.errors import UsageError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ErrorBody = Callable[[int], tuple[bytes, str]]
"""status -> (body, content type): the system's own error shape for an injected failure."""

ADMIN_PREFIX = "/_sandbox"


@dataclass
class FaultPlan:
    """The faults a sandbox injects; every field can be changed at run time."""

    fail_next: int = 0
    fail_status: int = 503
    rate_limit_after: int | None = None
    retry_after: float = 1.0
    slow: float = 0.0
    drop_next: int = 0
    error_rate: dict[int, float] = field(default_factory=dict)
    drop_rate: float = 0.0
    latency: float = 0.0
    seed: int | None = None


@dataclass
class FaultStats:
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1


class DroppedConnection(Exception):
    """Raised inside the app to drop the client's connection without an answer."""


class FaultInjector:
    """ASGI middleware applying a ``FaultPlan`` to every request but the admin ones."""

    def __init__(self, app: ASGIApp, *, error_body: ErrorBody, plan: FaultPlan | None = None):
        self.app = app
        self.error_body = error_body
        self.plan = plan or FaultPlan()
        self.stats = FaultStats()
        self._rng = random.Random(self.plan.seed)  # noqa: S311 - chaos, not cryptography
        self._lock = threading.Lock()
        self._since_rate_window = 0

    # -- deterministic knobs -------------------------------------------------------------
    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self._lock:
            self.plan.fail_next, self.plan.fail_status = count, status

    def rate_limit(self, *, after: int, retry_after: float = 1.0) -> None:
        """Answer 429 with Retry-After to every request after the next ``after`` ones."""
        with self._lock:
            self.plan.rate_limit_after, self.plan.retry_after = after, retry_after
            self._since_rate_window = 0

    def slow(self, seconds: float) -> None:
        self.plan.slow = seconds

    def drop_next(self, count: int) -> None:
        with self._lock:
            self.plan.drop_next = count

    def configure(self, **changes: Any) -> None:
        """Set any ``FaultPlan`` field; unknown names raise ``ValueError``."""
        with self._lock:
            for name, value in changes.items():
                if not hasattr(self.plan, name):
                    raise ValueError(f"unknown fault setting {name!r}")
                if name == "error_rate":
                    setattr(self.plan, name, {int(k): float(v) for k, v in dict(value).items()})
                else:
                    setattr(self.plan, name, value)
            if "seed" in changes:
                self._rng = random.Random(self.plan.seed)  # noqa: S311
            if "rate_limit_after" in changes:
                self._since_rate_window = 0

    def reset(self) -> None:
        with self._lock:
            self.plan = FaultPlan()
            self.stats = FaultStats()
            self._since_rate_window = 0

    # -- ASGI -----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if str(scope.get("path", "")).startswith(ADMIN_PREFIX):
            await self._admin(scope, receive, send)
            return
        decision = self._decide()
        delay = self.plan.slow + self.plan.latency
        if delay:
            await asyncio.sleep(delay)
        if decision == "drop":
            _drop(send)
            return
        if decision is not None and decision.startswith("status:"):
            status = int(decision.split(":", 1)[1])
            body, content_type = self.error_body(status)
            headers = [(b"content-type", content_type.encode())]
            if status in (429, 503):
                headers.append((b"retry-after", _seconds(self.plan.retry_after)))
            await _respond(send, status, body, headers)
            return
        await self.app(scope, receive, send)

    def _decide(self) -> str | None:
        with self._lock:
            self.stats.requests += 1
            plan = self.plan
            if plan.drop_next > 0:
                plan.drop_next -= 1
                self.stats.count("drop")
                return "drop"
            if plan.fail_next > 0:
                plan.fail_next -= 1
                self.stats.count(str(plan.fail_status))
                return f"status:{plan.fail_status}"
            if plan.rate_limit_after is not None:
                self._since_rate_window += 1
                if self._since_rate_window > plan.rate_limit_after:
                    self.stats.count("429")
                    return "status:429"
            if plan.drop_rate and self._rng.random() < plan.drop_rate:
                self.stats.count("drop")
                return "drop"
            for status, rate in plan.error_rate.items():
                if self._rng.random() < rate:
                    self.stats.count(str(status))
                    return f"status:{status}"
        return None

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope["path"])[len(ADMIN_PREFIX) :]
        method = scope["method"]
        if method == "GET" and path == "/stats":
            data = {"requests": self.stats.requests, "injected": self.stats.injected}
            await _respond_json(send, 200, data)
        elif method == "POST" and path == "/reset":
            self.reset()
            await _respond_json(send, 200, {"ok": True})
        elif method == "POST" and path == "/faults":
            raw = await _read_body(receive)
            try:
                changes = json.loads(raw or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("send a JSON object of fault settings")
                self.configure(**changes)
            except (ValueError, TypeError) as exc:
                await _respond_json(send, 400, {"error": str(exc)})
                return
            await _respond_json(send, 200, {"ok": True})
        else:
            await _respond_json(send, 404, {"error": "unknown sandbox admin endpoint"})


class Resettable(Protocol):
    """A system sandbox: its data can be put back to the seed."""

    def reset(self) -> object: ...


S = TypeVar("S", bound=Resettable)


class SandboxedApp(FaultInjector, Generic[S]):
    """A system's sandbox behind its fault injector: ``sandbox`` is the system (its store holds
    the data), and the shared ``POST /_sandbox/reset`` clears the faults and the data."""

    def __init__(
        self, app: ASGIApp, sandbox: S, *, error_body: ErrorBody, plan: FaultPlan | None
    ) -> None:
        super().__init__(app, error_body=error_body, plan=plan)
        self.sandbox = sandbox

    def reset(self) -> None:
        super().reset()
        self.sandbox.reset()


def _seconds(value: float) -> bytes:
    return str(int(value) if float(value).is_integer() else value).encode()


def _drop(send: Send) -> None:
    """Close the client's socket with no answer (uvicorn's h11 and httptools cycles)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise DroppedConnection("this server gives no access to the connection")
    transport.close()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _respond_json(send: Send, status: int, data: object) -> None:
    body = json.dumps(data).encode()
    await _respond(send, status, body, [(b"content-type", b"application/json")])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (another process may take it before it is
    used: to serve, bind with ``listen`` instead)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PortTaken(UsageError):
    """The port a sandbox was asked to serve on cannot be had (in use, or not allowed)."""


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A socket listening on ``host:port`` (0: a free port the kernel picks). Bound here and
    held until served, so no other process can take the port between choosing and serving;
    probing a port and binding it later let two sandboxes end up behind one port."""
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off only on sockets that
    # say they are TCP, and with it on every answer waited out a 40 ms delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PortTaken(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}",
            hint="pick another port, or 0 for a free one",
        ) from None
    return sock


def serve(app: ASGIApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve ``app`` with uvicorn on the listening socket ``sock`` until interrupted."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a listening socket."""
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class SandboxServer:
    """Runs an ASGI app with uvicorn in a background thread on a loopback port.

    Use as a context manager; ``url`` is the base URL. The port (a free one unless given) is
    bound when the server is made, so it is known, and ours, before it starts.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int | None = None):
        self.app = app
        self.host = host
        self._socket = listen(host, port or 0)
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="sandbox", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
