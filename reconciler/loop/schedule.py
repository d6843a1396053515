"""The scheduler, pure: when each flow runs next, on virtual time.

Each flow runs on its interval with jitter, and a full drift scan on its own longer interval.
After a failed pass it backs off — exponentially with full jitter, capped — when the failure is
temporary; a permanent failure (credentials refused, invalid mapping) stalls the flow at the
slowest cadence instead of hammering the target. ``suspend`` is honoured. ``dependsOn`` holds a
flow back until its dependencies have passed in the current revision. A new revision that
changes a flow makes it due at once and cancels its backoff: a newer commit always wins over a
retrying failure. A flow whose target keeps reverting what koppel wrote (another writer) is
marked flapping and drops to detect-and-alert: it is planned, never applied, until a new
revision or a person clears it.

Nothing here sleeps or reads a clock: callers pass ``now`` (tests run on virtual time).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

FlowKey = tuple[str, str]
"""(tenant, flow)."""


class Phase(StrEnum):
    """A flow's status as operators see it."""

    ready = "Ready"
    reconciling = "Reconciling"
    stalled = "Stalled"


@dataclass(frozen=True)
class FlowPlan:
    """What the scheduler needs from a flow's spec."""

    key: FlowKey
    interval: float
    drift_scan: float
    suspend: bool = False
    depends_on: tuple[str, ...] = ()
    digest: str = ""
    """Changes whenever the flow's spec or anything it references changes."""


@dataclass
class FlowState:
    """The scheduler's memory of one flow."""

    plan: FlowPlan
    next_run: dt.datetime
    next_drift: dt.datetime
    phase: Phase = Phase.ready
    reason: str = ""
    attempts: int = 0
    running_since: dt.datetime | None = None
    last_success: dt.datetime | None = None
    applied_revision: str | None = None
    attempted_revision: str | None = None
    passed_in_revision: bool = False
    flapping: bool = False
    reread: bool = False
    """The flow's specs changed: the next pass reads every record again (not only the new)."""
    reverted: dict[str, int] = field(default_factory=dict)
    """Record key -> consecutive drift passes that found it changed back (flapping detection)."""


@dataclass(frozen=True)
class SchedulerSettings:
    jitter: float = 0.1
    """Share of the interval added at random, so flows of many tenants do not run in step."""
    backoff_base: float = 10.0
    backoff_cap: float = 900.0
    """Seconds: the longest wait after temporary failures (15 minutes)."""
    stalled_retry: float = 1800.0
    """Seconds between attempts of a flow that failed permanently."""
    flapping_passes: int = 3
    """Consecutive drift passes reverting the same record before the flow is called flapping."""


@dataclass(frozen=True)
class Due:
    """A pass to run now: which flow, and whether it is a full drift scan."""

    key: FlowKey
    full: bool
    apply: bool = True
    """False for a flapping flow: plan and alert, never write."""
    reread: bool = False
    """Read every source record again (the flow's specs changed since the last pass)."""


class Scheduler:
    """Holds every flow's state; see the module docstring."""

    def __init__(
        self, settings: SchedulerSettings | None = None, *, rng: random.Random | None = None
    ) -> None:
        self.settings = settings or SchedulerSettings()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.flows: dict[FlowKey, FlowState] = {}
        self.revision: str | None = None

    def load(self, plans: Iterable[FlowPlan], *, revision: str, now: dt.datetime) -> set[FlowKey]:
        """Take a (new) revision's flows; returns the flows that changed and run at once."""
        changed: set[FlowKey] = set()
        incoming = {plan.key: plan for plan in plans}
        for key in list(self.flows):
            if key not in incoming:
                del self.flows[key]  # the flow was removed from the specs
        for key, plan in incoming.items():
            state = self.flows.get(key)
            if state is None:
                # A flow's first pass compares everything: koppel has never seen the target.
                start = now + self._jitter(plan.interval, small=True)
                self.flows[key] = FlowState(plan, start, start)
                changed.add(key)
                continue
            if state.plan.digest != plan.digest:
                changed.add(key)
                state.next_run = now
                state.reread = True
                state.attempts = 0
                state.flapping = False
                state.reverted.clear()
                if state.phase is Phase.stalled:
                    state.phase, state.reason = Phase.ready, "a new revision changed the flow"
            state.plan = plan
        if revision != self.revision:
            for state in self.flows.values():
                state.passed_in_revision = False
        self.revision = revision
        return changed

    def trigger(self, key: FlowKey, *, now: dt.datetime, full: bool = False) -> None:
        """Run a flow at once (a person asked, or a webhook for its tenant)."""
        state = self.flows[key]
        state.next_run = now
        state.attempts = 0
        if full:
            state.next_drift = now

    def due(self, now: dt.datetime) -> list[Due]:
        """The passes to start now, dependencies first."""
        ready: list[Due] = []
        for key, state in sorted(self.flows.items()):
            plan = state.plan
            if plan.suspend or state.running_since is not None or state.next_run > now:
                continue
            if not self._dependencies_passed(key):
                continue
            full = state.next_drift <= now
            ready.append(Due(key, full=full, apply=not state.flapping, reread=state.reread))
        return ready

    def _dependencies_passed(self, key: FlowKey) -> bool:
        for name in self.flows[key].plan.depends_on:
            dep = self.flows.get((key[0], name))
            if dep is not None and not dep.plan.suspend and not dep.passed_in_revision:
                return False
        return True

    def deferred(self, due: Due, *, now: dt.datetime) -> None:
        """Another replica holds the flow's lease (it runs the pass, or ran it and holds the
        lease until the flow is due again): look again an interval later."""
        state = self.flows[due.key]
        state.next_run = (
            now + dt.timedelta(seconds=state.plan.interval) + self._jitter(state.plan.interval)
        )

    def started(self, due: Due, *, now: dt.datetime) -> None:
        state = self.flows[due.key]
        state.running_since = now
        state.phase = Phase.reconciling
        state.attempted_revision = self.revision

    def succeeded(
        self, due: Due, *, now: dt.datetime, reverted: Iterable[str] = (), failed_records: int = 0
    ) -> None:
        """A pass ended normally. ``reverted``: keys a drift scan had to change back."""
        state = self.flows[due.key]
        plan = state.plan
        state.running_since = None
        state.attempts = 0
        state.last_success = now
        state.passed_in_revision = True
        state.applied_revision = self.revision
        state.reread = False
        state.next_run = now + dt.timedelta(seconds=plan.interval) + self._jitter(plan.interval)
        if due.full:
            state.next_drift = now + dt.timedelta(seconds=plan.drift_scan)
            self._track_reverts(state, set(reverted))
        if state.flapping:
            state.phase = Phase.stalled
            state.reason = (
                "flapping: another writer keeps changing records koppel wrote "
                f"({', '.join(sorted(state.reverted)[:5])}); detecting and alerting "
                "only"
            )
        elif failed_records:
            state.phase, state.reason = Phase.ready, f"{failed_records} records failed"
        else:
            state.phase, state.reason = Phase.ready, ""

    def failed(
        self,
        due: Due,
        *,
        now: dt.datetime,
        reason: str,
        permanent: bool,
        retry_after: float | None = None,
    ) -> None:
        """A pass failed as a whole (a target unreachable, credentials refused, a timeout)."""
        state = self.flows[due.key]
        state.running_since = None
        state.attempts += 1
        if permanent:
            wait = self.settings.stalled_retry
            state.phase, state.reason = Phase.stalled, reason
        else:
            ceiling = min(
                self.settings.backoff_cap, self.settings.backoff_base * 2 ** (state.attempts - 1)
            )
            wait = max(self._rng.uniform(0, ceiling), retry_after or 0.0)
            state.phase = Phase.reconciling
            state.reason = f"retrying after a temporary failure ({state.attempts}): {reason}"
        state.next_run = now + dt.timedelta(seconds=wait)

    def overdue(self, now: dt.datetime, *, timeout: float) -> list[FlowKey]:
        """Flows whose pass has run longer than ``timeout`` (the watchdog reports them)."""
        limit = dt.timedelta(seconds=timeout)
        return [
            key
            for key, state in self.flows.items()
            if state.running_since is not None and now - state.running_since > limit
        ]

    def clear_flapping(self, key: FlowKey) -> None:
        state = self.flows[key]
        state.flapping = False
        state.reverted.clear()

    def statuses(self) -> Mapping[FlowKey, FlowState]:
        return dict(self.flows)

    def _track_reverts(self, state: FlowState, reverted: set[str]) -> None:
        state.reverted = {key: state.reverted.get(key, 0) + 1 for key in reverted}
        if any(count >= self.settings.flapping_passes for count in state.reverted.values()):
            state.flapping = True

    def _jitter(self, interval: float, *, small: bool = False) -> dt.timedelta:
        share = self.settings.jitter * (0.1 if small else 1.0)
        return dt.timedelta(seconds=self._rng.uniform(0, interval * share))
