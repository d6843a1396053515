"""The shared HTTP client of every connector: one per connection, sending httpx requests over a
keep-alive connection per request in flight (``connectors.lanes``), with timeouts, bounded
concurrency, retries with exponential backoff and full jitter, and secret redaction.

Retry decisions are made on the ``Transient`` marker of the error a system's classifier returns,
nothing else: a validation rejection is ``Permanent`` and never retried. Writes that are not
idempotent are retried only when the request certainly did not reach the target (the connection
could not be made, 429, 503); after a timeout or a dropped response the outcome is unknown, so the
error is raised with ``maybe_applied=True`` and the caller resolves it by a natural-key look-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.errors import SECRETS, Classifier, install_log_redaction
from connectors.lanes import LaneTransport
from reconciler.errors import ConnectorError, Transient, UnavailableError

log = logging.getLogger("koppel.http")

Observer = Callable[[str, str, int | None, float], None]
"""(system, operation, status or None for a transport failure, seconds) -> None; for metrics."""


_OBSERVERS: list[Observer] = []


def add_observer(observer: Observer) -> None:
    """Tell ``observer`` about every request of every client in this process (metrics)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


def remove_observer(observer: Observer) -> None:
    if observer in _OBSERVERS:
        _OBSERVERS.remove(observer)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried.

    ``attempts`` counts the first try. The delay before retry n is a uniform draw from
    [0, min(max_delay, base_delay * 2**n)] ("full jitter", which spreads a herd of clients best),
    or the target's own Retry-After when it gave one and that is longer.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, *, hinted: float | None, rng: random.Random) -> float:
        backoff = rng.uniform(0.0, min(self.max_delay, self.base_delay * (2**attempt)))
        if hinted is not None:
            return max(backoff, min(hinted, self.max_retry_after))
        return backoff


@dataclass(frozen=True)
class ClientSettings:
    """Runtime settings of one connection's HTTP client."""

    timeout: float = 60.0
    """Seconds for a whole read or write on the socket; AFAS itself allows calls up to 900 s."""
    connect_timeout: float = 10.0
    concurrency: int = 8
    """Requests in flight at once on this connection (AFAS asks for at most ~5 parallel calls)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)


Sleep = Callable[[float], Awaitable[None]]
DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": "koppel",
}
"""What every request carries unless the connector says otherwise (httpx's own defaults, with
koppel's name)."""
URLS_KEPT = 256
"""Distinct request paths whose full URL a client keeps (connectors use a handful)."""
_BODIES = frozenset({"content", "json"})
"""The request arguments ``HttpClient`` encodes itself; others (form data, files) go to httpx."""
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class HttpClient:
    """One connection's pooled async HTTP client.

    ``send`` performs one logical call with retries and returns the successful response, or raises
    the ``ConnectorError`` the system's classifier chose. Tests inject ``transport``; everything
    else about the client is the same as in production.
    """

    def __init__(
        self,
        *,
        system: str,
        base_url: str,
        classifier: Classifier,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.system = system
        self.settings = settings or ClientSettings()
        SECRETS.add(*secrets)
        install_log_redaction()
        self._classifier = classifier
        self._observer = observer
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter needs no cryptographic randomness
        self._gate = asyncio.Semaphore(self.settings.concurrency)
        self._base = _with_trailing_slash(httpx.URL(base_url))
        self._params = httpx.QueryParams(dict(params or {}))
        self._headers = httpx.Headers({**DEFAULT_HEADERS, **dict(headers or {})})
        timeout = httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout)
        self._extensions = {"timeout": timeout.as_dict()}
        # A connection per request in flight (see ``connectors.lanes``), through the proxy the
        # environment names for this host, as httpx's own client would use.
        self._transport = transport or LaneTransport(
            self.settings.concurrency, proxy=environment_proxy(self._base)
        )
        self._urls: dict[str, tuple[httpx.URL, httpx.Headers]] = {}

    def _url(self, path: str) -> tuple[httpx.URL, httpx.Headers]:
        """``path`` on the base URL (as httpx joins them: the base's path, then the relative
        one) with the client's query parameters, and the client's headers with the URL's
        ``Host``; made once per path, not per request."""
        known = self._urls.get(path)
        if known is None:
            url = httpx.URL(path)
            if url.is_relative_url:
                raw = self._base.raw_path + url.raw_path.lstrip(b"/")
                url = self._base.copy_with(raw_path=raw)
            if self._params:
                url = url.copy_merge_params(self._params)
            headers = httpx.Headers([(b"Host", url.netloc), *self._headers.raw])
            known = (url, headers)
            if len(self._urls) < URLS_KEPT:
                self._urls[path] = known
        return known

    def _build(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Request:
        """The request for one call, with the headers httpx would give it.

        Bodies of bytes, text or JSON (what connectors send) are encoded here, the way httpx
        encodes them, into a ready stream: ``httpx.Request`` would otherwise rebuild the headers
        twice over per request to add ``Host`` and the body's ``Content-Length`` and type. Form
        data and files go through ``httpx.Request`` as they are."""
        url, base = self._url(path)
        extra = kwargs.pop("headers", None)
        params = kwargs.pop("params", None)
        if params is not None:
            url = httpx.URL(url, params=params)  # replaces the query, as httpx does
        body = _encoded(kwargs) if kwargs.keys() <= _BODIES else None
        if body is None:
            headers = base.copy()
            if extra:
                headers.update(extra)
            return httpx.Request(
                method, url, headers=headers, extensions=self._extensions, **kwargs
            )
        content, content_type = body
        # The request keeps a copy of ``base``: the headers of this request are added to it.
        request = httpx.Request(
            method, url, headers=base, stream=httpx.ByteStream(content),
            extensions=self._extensions,
        )  # fmt: skip
        request.read()  # ``request.content`` as httpx's own requests have it (a join of one part)
        headers = request.headers
        if extra:
            headers.update(extra)
        if content or method in _WITH_BODY:
            headers["Content-Length"] = str(len(content))
        if content_type is not None and "Content-Type" not in headers:
            headers["Content-Type"] = content_type
        return request

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request straight to the transport, its body read.

        httpx's ``AsyncClient`` would merge the base URL, headers and parameters anew on every
        request and put every answer through its cookie jar: a fifth of a write's cost, for
        features no connector uses (cookies, redirects, auth flows)."""
        request = self._build(method, path, kwargs)
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        if log.isEnabledFor(logging.DEBUG):
            # The URL may carry credentials (MplusKASSA): masked here, at the one place it is
            # logged.
            url = SECRETS.mask(str(request.url))
            log.debug("HTTP %s %s %d", method, url, response.status_code)
        return response

    @property
    def base_url(self) -> httpx.URL:
        """The URL request paths are appended to (ending in a slash)."""
        return self._base

    def __repr__(self) -> str:
        return f"<HttpClient {self.system} {SECRETS.mask(str(self._base))}>"

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what may be retried; return the successful response.

        ``idempotent`` defaults to True for GET/PUT/DELETE/HEAD and False for POST.
        """
        if idempotent is None:
            idempotent = method.upper() != "POST"
        policy = self.settings.retry
        attempt = 0
        while True:
            error = await self._attempt(method, url, operation=operation, **kwargs)
            if isinstance(error, httpx.Response):
                return error
            retryable = isinstance(error, Transient) and (idempotent or not error.maybe_applied)
            attempt += 1
            if not retryable or attempt >= policy.attempts:
                raise error
            hinted = error.delay if isinstance(error, UnavailableError) else None
            await self._sleep(policy.delay(attempt, hinted=hinted, rng=self._rng))

    async def _attempt(
        self, method: str, url: str, *, operation: str, **kwargs: Any
    ) -> httpx.Response | ConnectorError:
        started = time.perf_counter()
        if self._params and kwargs.get("params") is not None:
            # A request's own parameters replace the URL's query in httpx: carry the client's.
            kwargs["params"] = self._params.merge(kwargs["params"])
        async with self._gate:
            try:
                response = await self._request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                self._observe(operation, None, started)
                return self._transport_error(exc, operation=operation)
        self._observe(operation, response.status_code, started)
        error = self._classifier(response, operation)
        if error is None:
            return response
        if (
            isinstance(error, UnavailableError)
            and not error.refused
            and response.status_code not in (429, 503)
        ):
            # The target answered with a server error: it may have done part of the work.
            error.maybe_applied = True
        return error

    def _observe(self, operation: str, status: int | None, started: float) -> None:
        seconds = time.perf_counter() - started
        if self._observer is not None:
            self._observer(self.system, operation, status, seconds)
        for observer in _OBSERVERS:
            observer(self.system, operation, status, seconds)

    def _transport_error(self, exc: httpx.HTTPError, *, operation: str) -> UnavailableError:
        # Only a failure to connect proves the request never reached the target.
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        kind = type(exc).__name__
        error = UnavailableError(
            f"{kind}: {SECRETS.mask(str(exc)) or 'no answer'}",
            system=self.system,
            operation=operation,
            hint="the target did not answer; koppel retries with backoff",
        )
        error.maybe_applied = not never_sent
        error.__cause__ = exc
        return error


def _encoded(kwargs: Mapping[str, Any]) -> tuple[bytes, str | None] | None:
    """A request's body as httpx encodes ``content=`` (bytes or text) and ``json=``, with the
    content type it implies; None for content httpx must stream (an iterator, a file)."""
    content = kwargs.get("content")
    if content is not None:
        if isinstance(content, str):
            return content.encode(), None
        return (content, None) if isinstance(content, bytes) else None
    data = kwargs.get("json")
    if data is None:
        return b"", None
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode(), "application/json"


def _with_trailing_slash(url: httpx.URL) -> httpx.URL:
    """The base URL with its path ending in a slash, so relative paths are appended to it."""
    if url.raw_path.endswith(b"/"):
        return url
    return url.copy_with(raw_path=url.raw_path + b"/")


def environment_proxy(url: httpx.URL) -> str | None:
    """The proxy ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` name for ``url``, unless
    ``NO_PROXY`` exempts its host."""
    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass(url.host):
        return None
    return proxies.get(url.scheme) or proxies.get("all")
