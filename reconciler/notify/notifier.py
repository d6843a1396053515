"""The notifier ``koppel run`` calls after every pass: transition, rate limit, message, send.

``report`` feeds a flow's new state to the transition tracker; a transition is sent at once when
the tenant has budget, and otherwise held. Held transitions are coalesced per tenant, the latest
per flow, and sent as one digest ("7 flow changes while rate-limited; the latest of each flow…")
as soon as the window has room again — on the tenant's next report, or on ``flush``, which the
loop calls on its tick. Coalescing rather than dropping: a recovery that was held back is exactly
the message that stops someone from working on a problem that is gone.

Nothing here raises into the loop: the sender logs and swallows delivery failures, and a message
that could not be delivered is not re-sent (the status page and metrics still show the state).
"""

from __future__ import annotations

import asyncio
import logging

from reconciler.notify.limiter import Clock, RateLimit, RateLimiter, utc_now
from reconciler.notify.message import digest_message, transition_message
from reconciler.notify.sender import Sender
from reconciler.notify.transitions import FlowState, Transition, TransitionTracker

log = logging.getLogger("koppel.notify")


class Notifier:
    """Announces flows that start failing, fail on a new revision, stop, or recover."""

    def __init__(
        self,
        sender: Sender,
        *,
        limit: RateLimit | None = None,
        clock: Clock = utc_now,
        tracker: TransitionTracker | None = None,
    ) -> None:
        self.sender = sender
        self.tracker = tracker or TransitionTracker()
        self.limiter = RateLimiter(limit, clock=clock)
        # tenant -> (flow -> its latest held transition), and how many were held in all.
        self._held: dict[str, dict[str, Transition]] = {}
        self._held_count: dict[str, int] = {}
        # Reports submitted from synchronous callbacks; kept so they are not garbage-collected
        # mid-flight and so shutdown can wait for them.
        self._pending: set[asyncio.Task[Transition | None]] = set()

    async def report(self, state: FlowState) -> Transition | None:
        """Take a flow's state after a pass; send what it changes. Returns the transition."""
        change = self.tracker.observe(state)
        if change is not None:
            self._held.setdefault(state.tenant, {})[state.flow] = change
            self._held_count[state.tenant] = self._held_count.get(state.tenant, 0) + 1
        if not await self._drain(state.tenant) and change is not None:
            log.info(
                "notification held by the rate limit; it goes out in the next digest",
                extra={
                    "event": "notification-held",
                    "tenant": state.tenant,
                    "flow": state.flow,
                    "notification": change.kind.value,
                },
            )
        return change

    def submit(self, state: FlowState) -> None:
        """``report`` from synchronous code on the running event loop, without waiting for the
        webhook: for callbacks such as ``Reconciler.on_pass``. Reports run in submission order
        (tasks start first in, first out), so a flow's states are compared in the order they
        happened."""
        task = asyncio.get_running_loop().create_task(self.report(state))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def wait_idle(self) -> None:
        """Wait for the submitted reports to finish (on shutdown, so the last news goes out)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def flush(self) -> int:
        """Send the digests whose tenant has budget again; returns how many went out (delivered
        or not: a failed delivery is logged by the sender)."""
        sent = 0
        for tenant in sorted(self._held):
            sent += await self._drain(tenant)
        return sent

    def held(self, tenant: str) -> int:
        """Transitions of ``tenant`` waiting for the rate limit."""
        return self._held_count.get(tenant, 0)

    async def _drain(self, tenant: str) -> bool:
        """Send what the tenant has held, if its budget allows; True when a message went out.
        No await before the pop: another task reporting for the same tenant meanwhile must not
        find the held transitions half-taken."""
        if tenant not in self._held or not self.limiter.admit(tenant):
            return False
        latest = self._held.pop(tenant)
        count = self._held_count.pop(tenant)
        if count == 1:
            (change,) = latest.values()
            body = transition_message(change)
        else:
            body = digest_message(tenant, latest, held=count, limit=self.limiter.limit)
        delivered = await self.sender.send(body)
        if delivered:
            log.info(
                "notification sent",
                extra={"event": "notification-sent", "tenant": tenant, "held": count},
            )
        return True
