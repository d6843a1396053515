"""How many notifications a tenant may receive: a sliding window per tenant.

A spec merge that breaks twenty flows of one tenant must not become twenty pings in a minute, and
one noisy tenant must not use up the channel another tenant's on-call person reads. Pure apart
from the injected clock.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware: the shape of ``reconciler.state.rows.Clock``,
restated here so the pure half of notifications does not import the state package (SQLAlchemy)."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Notification budget per tenant."""

    messages: int = 5
    """Messages per tenant per ``window``, digests included. Five is enough to hear about a few
    independent failures at once and few enough that a bad merge does not flood the channel."""
    window: dt.timedelta = dt.timedelta(minutes=15)
    """The sliding window. Fifteen minutes is about how long someone takes to react; messages
    held meanwhile are sent as one digest when the window has room again."""

    def __post_init__(self) -> None:
        if self.messages < 1 or self.window <= dt.timedelta(0):
            raise ValueError("a notification rate limit needs messages >= 1 and a positive window")


class RateLimiter:
    """Admits a message for a tenant when fewer than ``limit.messages`` were admitted for it in
    the last ``limit.window``."""

    def __init__(self, limit: RateLimit | None = None, *, clock: Clock = utc_now) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock
        self._sent: dict[str, deque[dt.datetime]] = {}

    def admit(self, tenant: str) -> bool:
        """True, and the message counted, when the tenant has budget now; False otherwise."""
        now = self._clock()
        sent = self._sent.setdefault(tenant, deque())
        while sent and sent[0] <= now - self.limit.window:
            sent.popleft()
        if len(sent) >= self.limit.messages:
            return False
        sent.append(now)
        return True
