"""The rows of the state store: frozen values the store hands out, and the backoff policy.

These are the store's vocabulary, shared by every implementation (SQL, in-memory) and by the
engine that calls it. They are plain frozen dataclasses, not ORM objects: a row read from the store
is a fact about one moment, and nothing the caller does to it can write back by accident.
All times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware. Injected so tests run on virtual time."""

JsonObject = Mapping[str, Any]
"""A field diff or other structured detail, stored as JSON (must be JSON-serialisable)."""


def utc_now() -> dt.datetime:
    """The real clock: now, in UTC."""
    return dt.datetime.now(dt.UTC)


class Action(StrEnum):
    """What was done (or decided) for one record; operator actions are ``retry`` and ``drop``."""

    create = "create"
    update = "update"
    skip = "skip"
    noop = "noop"
    fail = "fail"
    delete = "delete"
    retry = "retry"
    drop = "drop"


class Outcome(StrEnum):
    """Whether an action succeeded."""

    ok = "ok"
    failed = "failed"


class RunStatus(StrEnum):
    """Where a pass stands: ``aborted`` is a pass stopped before writing (circuit breaker)."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    aborted = "aborted"


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long a failed record waits before its next attempt, and when it is quarantined.

    ``base`` is the wait after the first failure; each further failure multiplies it by
    ``factor``, up to ``cap``. After ``quarantine_after`` consecutive failures the record stops
    being retried until a person releases it: retrying a record that fails the same way forever
    costs rate budget that other records need. No jitter here: spreading load is the scheduler's
    job, and a deterministic delay keeps the store testable.
    """

    base: dt.timedelta = dt.timedelta(seconds=60)
    factor: float = 2.0
    cap: dt.timedelta = dt.timedelta(hours=6)
    quarantine_after: int = 5

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after ``attempts`` consecutive failures (attempts >= 1)."""
        seconds = self.base.total_seconds() * self.factor ** max(attempts - 1, 0)
        return min(dt.timedelta(seconds=seconds), self.cap)


@dataclass(frozen=True, slots=True)
class RecordState:
    """What the store knows about one record of one flow of one tenant.

    ``fingerprint`` is that of the last desired record applied successfully (None when it never
    was); an equal fingerprint on the next pass means there is nothing to do. ``attempts`` counts
    consecutive failures; ``next_attempt_at`` is when the record may be tried again.
    """

    tenant: str
    flow: str
    key: str
    fingerprint: str | None
    target_id: str | None
    last_action: Action
    last_outcome: Outcome
    attempts: int
    next_attempt_at: dt.datetime | None
    quarantined: bool
    reason: str | None
    revision: str | None
    updated_at: dt.datetime

    def is_due(self, now: dt.datetime) -> bool:
        """True when the record may be attempted now: not quarantined and not backing off."""
        if self.quarantined:
            return False
        return self.next_attempt_at is None or self.next_attempt_at <= now


@dataclass(frozen=True, slots=True)
class RunCounts:
    """A pass's counts. The invariant read = written + unchanged + skipped + failed is the
    caller's to keep; the store stores what it is given, and ``adds_up`` lets anyone check it."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def written(self) -> int:
        """Records created or updated."""
        return self.created + self.updated

    @property
    def adds_up(self) -> bool:
        """True when every record read is accounted for."""
        return self.read == self.written + self.unchanged + self.skipped + self.failed


@dataclass(frozen=True, slots=True)
class Run:
    """One pass of one flow: which revision and plan it ran, when, and how it ended."""

    id: int
    tenant: str
    flow: str
    revision: str | None
    plan_id: str | None
    drift_scan: bool
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: RunCounts
    message: str | None


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One row of the activity log: one action on one record, with why and by which revision."""

    id: int
    run_id: int | None
    tenant: str
    flow: str
    key: str
    action: Action
    outcome: Outcome
    diff: JsonObject | None
    revision: str | None
    plan_id: str | None
    at: dt.datetime
    message: str | None


@dataclass(frozen=True, slots=True)
class Intent:
    """A journalled intent to create (or otherwise write) a record; pending while ``outcome``
    is None. A pending intent found on start-up means a crash between the write and its result:
    the applier looks the natural key up in the target before writing again."""

    id: int
    tenant: str
    flow: str
    key: str
    action: Action
    idempotency_key: str
    payload_fingerprint: str
    created_at: dt.datetime
    outcome: Outcome | None
    target_id: str | None
    resolved_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to run one flow of one tenant until ``expires_at``.

    ``generation`` is a fencing token: it grows by one each time the lease changes hands, so a
    replica that paused past its expiry and wakes up holding an old generation cannot write.
    """

    tenant: str
    flow: str
    holder: str
    generation: int
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Applied:
    """One record's applied state, for ``StateStore.record_applied_many``."""

    key: str
    fingerprint: str
    action: Action
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewIntent:
    """One write about to happen, for ``StateStore.journal_intents``."""

    key: str
    action: Action
    idempotency_key: str
    payload_fingerprint: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """One intent's result, for ``StateStore.journal_results``."""

    intent_id: int
    outcome: Outcome
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewActivity:
    """One activity entry to append, for ``StateStore.log_activities``."""

    key: str
    action: Action
    outcome: Outcome
    diff: JsonObject | None = None
    message: str | None = None
