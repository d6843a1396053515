"""Reading an OAuth2 token endpoint's answer (RFC 6749 section 5.1), for every connector that
signs in with OAuth2 (eAccounting, Twinfield, Visma.net).

Each connector keeps its own grant and state; what they share is how the answer is read: an
``access_token`` is required, both tokens are masked in every log line and message from the
moment they are seen, and a refresh token that differs from the one sent is a rotation the
connection must keep (the old one may be spent already).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from connectors.errors import SECRETS, json_object
from reconciler.errors import ProtocolError


@dataclass(frozen=True)
class TokenAnswer:
    """The tokens of one answer; ``expires_in`` in seconds when the server said."""

    access_token: str
    refresh_token: str | None = None
    expires_in: float | None = None

    def rotate(self, current: str | None, on_rotated: Callable[[str], None] | None) -> str | None:
        """The refresh token to keep after this answer: the new one when the server rotated
        ``current`` (``on_rotated`` is told), else ``current``."""
        if not self.refresh_token or self.refresh_token == current:
            return current
        if on_rotated is not None:
            on_rotated(self.refresh_token)
        return self.refresh_token


def token_answer(response: httpx.Response, *, system: str, operation: str) -> TokenAnswer:
    """The tokens in a successful token response; ``ProtocolError`` when it has no access
    token. Both tokens are registered as secrets before anything else can log them."""
    data = json_object(response) or {}
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProtocolError(
            "the token endpoint answered without an access_token",
            system=system,
            operation=operation,
            status=response.status_code,
        )
    refresh = data.get("refresh_token")
    refresh = refresh if isinstance(refresh, str) and refresh else None
    SECRETS.add(access, *([refresh] if refresh else []))
    expires = data.get("expires_in")
    seconds = float(expires) if isinstance(expires, int | float) else None
    return TokenAnswer(access, refresh, seconds)
