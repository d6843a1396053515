"""OAuth2 for Visma eAccounting: a ready access token, or one refreshed at the identity server.

The token endpoint (``{identity}/connect/token``) takes HTTP Basic client authentication and a
form-encoded ``grant_type=refresh_token``. Refresh tokens rotate: every refresh answers a new one
and the old one stops working, so the newest is kept in memory for the life of the connector
(a restarted process starts again from the tenant's configured refresh token). Refreshes are
serialised, so concurrent requests never spend the same refresh token twice. Every token, the
client secret and the Basic header are registered with ``SECRETS`` the moment they are known.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.eaccounting.models import SYSTEM, TOKEN_PATH
from connectors.errors import SECRETS, classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Sleep
from connectors.oauth import token_answer
from reconciler.errors import AuthenticationError, ConnectorError

EARLY = 60.0
"""Seconds before its expiry an access token is replaced, so no call goes out with a dying one."""


def basic_header(client_id: str, client_secret: str) -> str:
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def classify_token(response: httpx.Response, operation: str) -> ConnectorError | None:
    """The identity server's OAuth2 error shape (``error``, ``error_description``)."""
    if response.status_code < 400:
        return None
    message = None
    data = json_object(response)
    if data is not None and isinstance(data.get("error"), str):
        described = data.get("error_description")
        message = data["error"] + (f": {described}" if isinstance(described, str) else "")
    if response.status_code in (400, 401) and message is not None:
        return AuthenticationError(
            SECRETS.mask(message),
            system=SYSTEM,
            operation=operation,
            status=response.status_code,
            hint="the identity server refused the client credentials or the refresh token; "
            "authorise koppel's app again and store the new refresh token in the secret",
        )
    return classify_status(response, system=SYSTEM, operation=operation, message=message)


class TokenSource:
    """Hands out a valid access token, refreshing it when it is about to expire or rejected."""

    def __init__(
        self,
        *,
        identity_endpoint: str,
        access_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_rotated: Callable[[str], None] | None = None,
    ) -> None:
        self._on_rotated = on_rotated
        self._refreshable = bool(client_id and client_secret and refresh_token)
        if not access_token and not self._refreshable:
            raise ValueError(
                "an eAccounting connection needs accessToken, or clientId, clientSecret and "
                "refreshToken"
            )
        self._access = access_token or None
        self._expires: float | None = None
        self._refresh = refresh_token
        self._configured = frozenset(v for v in (access_token, refresh_token) if v)
        self._clock = clock
        self._lock = asyncio.Lock()
        header = basic_header(client_id or "", client_secret or "") if self._refreshable else ""
        SECRETS.add(*(v for v in (access_token, client_secret, refresh_token) if v))
        if header:
            SECRETS.add(header.split(" ", 1)[1])
        self._header = header
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            system=SYSTEM,
            base_url=identity_endpoint.rstrip("/"),
            classifier=classify_token,
            headers={"Accept": "application/json"},
            settings=settings,
            transport=transport,
            **extra,
        )
        self.refreshes = 0
        """How many times a token was fetched (tests, metrics)."""

    @property
    def refreshable(self) -> bool:
        return self._refreshable

    @property
    def refresh_token(self) -> str | None:
        """The newest refresh token (rotated by every refresh)."""
        return self._refresh

    def __repr__(self) -> str:
        return f"<TokenSource {self.http.system} refreshable={self._refreshable}>"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def token(self) -> str:
        """A valid access token: the one held, or a fresh one when it is missing or expiring."""
        if self._access and (self._expires is None or self._clock() < self._expires - EARLY):
            return self._access
        return await self.renew(rejected=None)

    async def renew(self, *, rejected: str | None) -> str:
        """A new access token; ``rejected`` is the one the API just refused (None: expiring).

        When another request already renewed past ``rejected``, its token is used as is.
        """
        async with self._lock:
            current = self._access
            fresh = current and (self._expires is None or self._clock() < self._expires - EARLY)
            if current and current != rejected and fresh:
                return current
            if not self._refreshable:
                raise AuthenticationError(
                    "the access token was refused and there is no refresh token to renew it",
                    system=SYSTEM,
                    operation="authenticate",
                    status=401,
                    hint="give the connection clientId, clientSecret and refreshToken, or a "
                    "valid accessToken",
                )
            return await self._fetch()

    async def _fetch(self) -> str:
        operation = "refresh token"
        response = await self.http.send(
            "POST",
            TOKEN_PATH,
            operation=operation,
            headers={"Authorization": self._header},
            data={"grant_type": "refresh_token", "refresh_token": self._refresh or ""},
        )
        answer = token_answer(response, system=SYSTEM, operation=operation)
        access = answer.access_token
        # Spent tokens are forgotten, the configured ones never (they stay in the secret).
        spent = [t for t in (self._access, self._refresh) if t and t not in self._configured]
        self._refresh = answer.rotate(self._refresh, self._on_rotated)
        SECRETS.discard(*(t for t in spent if t not in (access, self._refresh)))
        seconds = answer.expires_in if answer.expires_in is not None else 3600.0
        self._access, self._expires = access, self._clock() + seconds
        self.refreshes += 1
        return access
