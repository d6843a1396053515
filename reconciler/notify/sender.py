"""Delivering a notification to a webhook: a few quick retries, and never an exception.

A notification is a side channel. The pass that produced it has already been recorded in the
state store, the status page and the metrics, so a chat service that is down must not fail,
delay for long, or crash the reconciler: ``send`` returns False and logs why instead of raising.

It reuses the connectors' ``HttpClient`` (timeouts, retries with backoff and jitter, Retry-After,
masking) with a short policy. POSTs are marked idempotent on purpose: a chat message posted twice
after an ambiguous 500 is a smaller harm than an outage nobody heard about. The webhook URL is a
secret (a Slack URL is its own credential), so it is registered for masking, path included: some
receivers echo the path in their error bodies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from connectors.errors import SECRETS, classify_status
from connectors.http import ClientSettings, HttpClient, RetryPolicy, Sleep
from reconciler.errors import ConnectorError
from reconciler.logs import error_text

log = logging.getLogger("koppel.notify")

WEBHOOK_SETTINGS = ClientSettings(
    timeout=5.0,
    connect_timeout=3.0,
    concurrency=2,
    retry=RetryPolicy(attempts=3, base_delay=0.5, max_delay=2.0, max_retry_after=5.0),
)
"""Three tries within about ten seconds at worst: the loop awaits the notification, and a chat
service that does not answer in that time will not be helped by more patience."""


class Sender(Protocol):
    """Where notification bodies go; ``send`` reports delivery and never raises."""

    async def send(self, body: Mapping[str, Any]) -> bool: ...


class WebhookSender:
    """POSTs notification bodies as JSON to one webhook URL."""

    def __init__(
        self,
        url: str,
        *,
        settings: ClientSettings = WEBHOOK_SETTINGS,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Not the URL itself: it is a secret, and a malformed one may still be one.
            raise ValueError("the notification webhook must be an http(s) URL")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._url = url
        self._client = HttpClient(
            system="webhook",
            base_url="",
            classifier=_classify,
            secrets=(url, path) if len(path) >= 12 else (url,),
            settings=settings,
            transport=transport,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<WebhookSender {SECRETS.mask(self._url)}>"

    async def send(self, body: Mapping[str, Any]) -> bool:
        try:
            await self._client.send(
                "POST", self._url, operation="notify", idempotent=True, json=dict(body)
            )
        except ConnectorError as exc:
            log.warning("a notification was not delivered: %s", exc.detail, extra=_about(body, exc))
            return False
        except Exception as exc:
            # Whatever else went wrong (a body that is not JSON, a bug): still not the caller's
            # problem, and still worth a log line that says what it was.
            log.error("a notification could not be sent", extra=_about(body, exc))
            return False
        return True

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    return classify_status(response, system="webhook", operation=operation)


def _about(body: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    return {
        "event": "notification-failed",
        "tenant": body.get("tenant"),
        "flow": body.get("flow"),
        "notification": body.get("event"),
        "error": error_text(exc),
    }
