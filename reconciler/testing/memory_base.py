"""The foundation of ``MemoryStore``: its tables, lock, units of work, intents and leases.

Split from ``memory_store`` to keep each module one concept, like the SQL store's layers. Rows are
frozen, so a unit of work's snapshot copies containers only; one re-entrant lock serialises
everything, which is what makes units of work atomic and leases exclusive here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from reconciler.state.rows import (
    Action,
    ActivityEntry,
    BackoffPolicy,
    Clock,
    Intent,
    Lease,
    Outcome,
    RecordState,
    Run,
    utc_now,
)
from reconciler.state.store import (
    StateStore,
    checked_clock,
    intent_already_resolved,
    lease_not_current,
    unknown_intent,
)


@dataclass(frozen=True, slots=True)
class LeaseRow:
    holder: str | None
    generation: int
    expires_at: dt.datetime | None


@dataclass
class Tables:
    """Everything the store holds; values are frozen rows, so a snapshot copies containers."""

    records: dict[tuple[str, str, str], RecordState] = field(default_factory=dict)
    cursors: dict[tuple[str, str], str | None] = field(default_factory=dict)
    runs: dict[int, Run] = field(default_factory=dict)
    activity: list[ActivityEntry] = field(default_factory=list)
    intents: dict[int, Intent] = field(default_factory=dict)
    leases: dict[tuple[str, str], LeaseRow] = field(default_factory=dict)
    last_id: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> Tables:
        return Tables(
            records=dict(self.records),
            cursors=dict(self.cursors),
            runs=dict(self.runs),
            activity=list(self.activity),
            intents=dict(self.intents),
            leases=dict(self.leases),
            last_id=dict(self.last_id),
        )

    def new_id(self, table: str) -> int:
        self.last_id[table] = self.last_id.get(table, 0) + 1
        return self.last_id[table]


def lease_current(row: LeaseRow | None, lease: Lease, now: dt.datetime) -> bool:
    return (
        row is not None
        and row.holder == lease.holder
        and row.generation == lease.generation
        and row.expires_at is not None
        and row.expires_at > now
    )


class MemoryBase(StateStore):
    """Tables, lock and units of work of the in-memory store, with its intents and leases."""

    def __init__(self, *, clock: Clock = utc_now, backoff: BackoffPolicy | None = None) -> None:
        self._clock = checked_clock(clock)
        self._backoff = backoff or BackoffPolicy()
        self._lock = threading.RLock()
        self._t = Tables()

    @contextmanager
    def transaction(self, *, lease: Lease | None = None) -> Iterator[StateStore]:
        with self._lock:
            if lease is not None and not self.is_current(lease):
                raise lease_not_current(lease, "a fenced write")
            saved = self._t.snapshot()
            try:
                yield self
            except BaseException:
                # A nested unit of work undoes only its own changes, like the SQL store's
                # savepoints; the outer one undoes everything when the exception reaches it.
                self._t = saved
                raise

    # -- intent journal ----------------------------------------------------------------------

    def journal_intent(
        self,
        tenant: str,
        flow: str,
        key: str,
        *,
        action: Action,
        idempotency_key: str,
        payload_fingerprint: str,
    ) -> int:
        with self._lock:
            intent_id = self._t.new_id("intents")
            self._t.intents[intent_id] = Intent(
                id=intent_id,
                tenant=tenant,
                flow=flow,
                key=key,
                action=action,
                idempotency_key=idempotency_key,
                payload_fingerprint=payload_fingerprint,
                created_at=self._clock(),
                outcome=None,
                target_id=None,
                resolved_at=None,
            )
            return intent_id

    def journal_result(
        self, intent_id: int, *, outcome: Outcome, target_id: str | None = None
    ) -> Intent:
        with self._lock:
            intent = self._t.intents.get(intent_id)
            if intent is None:
                raise unknown_intent(intent_id)
            if intent.outcome is not None:
                raise intent_already_resolved(intent)
            intent = replace(
                intent, outcome=outcome, target_id=target_id, resolved_at=self._clock()
            )
            self._t.intents[intent_id] = intent
            return intent

    def pending_intents(self, tenant: str, flow: str) -> list[Intent]:
        with self._lock:
            return [
                intent
                for _, intent in sorted(self._t.intents.items())
                if intent.tenant == tenant and intent.flow == flow and intent.outcome is None
            ]

    # -- leases ------------------------------------------------------------------------------

    def acquire(self, tenant: str, flow: str, *, holder: str, ttl: dt.timedelta) -> Lease | None:
        with self._lock:
            now = self._clock()
            row = self._t.leases.get((tenant, flow), LeaseRow(None, 0, None))
            held = row.holder is not None and row.expires_at is not None and row.expires_at > now
            if held and row.holder != holder:
                return None
            generation = row.generation if held else row.generation + 1
            lease = Lease(tenant, flow, holder, generation, now + ttl)
            self._t.leases[tenant, flow] = LeaseRow(holder, generation, lease.expires_at)
            return lease

    def renew(self, lease: Lease, *, ttl: dt.timedelta) -> Lease:
        with self._lock:
            now = self._clock()
            if not lease_current(self._t.leases.get((lease.tenant, lease.flow)), lease, now):
                raise lease_not_current(lease, "renewing the lease")
            renewed = replace(lease, expires_at=now + ttl)
            self._t.leases[lease.tenant, lease.flow] = LeaseRow(
                lease.holder, lease.generation, renewed.expires_at
            )
            return renewed

    def release(self, lease: Lease) -> bool:
        with self._lock:
            key = (lease.tenant, lease.flow)
            if not lease_current(self._t.leases.get(key), lease, self._clock()):
                return False
            self._t.leases[key] = LeaseRow(None, lease.generation, None)
            return True

    def is_current(self, lease: Lease) -> bool:
        with self._lock:
            row = self._t.leases.get((lease.tenant, lease.flow))
            return lease_current(row, lease, self._clock())
