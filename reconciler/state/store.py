"""The state store's abstract core: what the reconcile pass and the long-lived loop may ask of it.

The engine talks to this interface only, so the same pass runs on the in-memory store in unit
tests, on a SQLite file for one replica, and on PostgreSQL for several. Everything is keyed by
tenant and flow (per-tenant isolation: no query reads across tenants unless asked to).

Writes made through ``with store.transaction() as tx:`` commit together or not at all, which is
how "the cursor never moves past an unprocessed record" is kept: a page's outcomes and the cursor
after that page are written in one unit of work. Passing ``lease=`` fences that unit of work: it
is refused with a ``StateError`` when the lease is no longer the current one for its flow.
Outside a transaction each call is its own transaction.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType

from reconciler.errors import StateError
from reconciler.state.rows import (
    Action,
    ActivityEntry,
    Applied,
    Clock,
    Intent,
    JsonObject,
    Lease,
    NewActivity,
    NewIntent,
    Outcome,
    RecordState,
    Resolution,
    Run,
    RunCounts,
    RunStatus,
)


class StateStore(abc.ABC):
    """Records, cursors, runs, activity, quarantine, intent journal and leases, per tenant/flow."""

    # -- unit of work ------------------------------------------------------------------------

    @abc.abstractmethod
    def transaction(self, *, lease: Lease | None = None) -> AbstractContextManager[StateStore]:
        """A unit of work: calls on the store it yields commit together, or roll back together
        when the block raises. With ``lease``, the block is refused (``StateError``) unless the
        lease is current, and no other holder can take the lease while the block runs."""

    # -- record state ------------------------------------------------------------------------

    @abc.abstractmethod
    def fingerprints(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, str]:
        """The last applied fingerprint of each key that has one; one call per page of keys."""

    @abc.abstractmethod
    def records(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, RecordState]:
        """The full state of each known key (for backoff and quarantine decisions)."""

    @abc.abstractmethod
    def record_applied(
        self,
        tenant: str,
        flow: str,
        key: str,
        *,
        fingerprint: str,
        action: Action,
        target_id: str | None = None,
        revision: str | None = None,
    ) -> RecordState:
        """The desired record with ``fingerprint`` now holds in the target: failures reset."""

    @abc.abstractmethod
    def record_failed(
        self,
        tenant: str,
        flow: str,
        key: str,
        *,
        action: Action,
        reason: str,
        revision: str | None = None,
        retry_after: dt.timedelta | None = None,
    ) -> RecordState:
        """One more consecutive failure. The next attempt waits ``retry_after`` when the caller
        knows (a Retry-After), else the store's backoff policy; past the policy's limit the
        record is quarantined (the returned state says so). The last applied fingerprint stays."""

    def record_applied_many(
        self, tenant: str, flow: str, records: Sequence[Applied], *, revision: str | None = None
    ) -> None:
        """``record_applied`` for each of ``records``, in order; a store may do it in one
        statement (a page's creates are recorded together)."""
        for record in records:
            self.record_applied(
                tenant,
                flow,
                record.key,
                fingerprint=record.fingerprint,
                action=record.action,
                target_id=record.target_id,
                revision=revision,
            )

    @abc.abstractmethod
    def due(self, tenant: str, flow: str, *, limit: int = 1000) -> list[RecordState]:
        """Failed, not quarantined records whose wait is over, oldest failure first: the pass
        retries these by key, so an incremental cursor that moved on never loses them."""

    # -- cursors -----------------------------------------------------------------------------

    @abc.abstractmethod
    def get_cursor(self, tenant: str, flow: str) -> str | None:
        """The opaque incremental-read cursor of a flow, or None before its first pass."""

    @abc.abstractmethod
    def set_cursor(self, tenant: str, flow: str, cursor: str | None) -> None:
        """Move the cursor; call it inside the transaction that records the page's outcomes."""

    # -- runs --------------------------------------------------------------------------------

    @abc.abstractmethod
    def start_run(
        self,
        tenant: str,
        flow: str,
        *,
        revision: str | None,
        plan_id: str | None = None,
        drift_scan: bool = False,
    ) -> int:
        """Record the start of a pass; returns its run id."""

    @abc.abstractmethod
    def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
        counts: RunCounts,
        message: str | None = None,
    ) -> Run:
        """Record how a pass ended, with its counts as given."""

    @abc.abstractmethod
    def get_run(self, run_id: int) -> Run | None:
        """One run by id."""

    @abc.abstractmethod
    def runs(self, tenant: str, flow: str | None = None, *, limit: int = 50) -> list[Run]:
        """A tenant's runs, newest first."""

    # -- activity log ------------------------------------------------------------------------

    @abc.abstractmethod
    def log_activity(
        self,
        tenant: str,
        flow: str,
        key: str,
        *,
        action: Action,
        outcome: Outcome,
        run_id: int | None = None,
        diff: JsonObject | None = None,
        revision: str | None = None,
        plan_id: str | None = None,
        message: str | None = None,
    ) -> int:
        """Append one action to the activity log; returns the entry's id."""

    def log_activities(
        self,
        tenant: str,
        flow: str,
        entries: Sequence[NewActivity],
        *,
        run_id: int | None = None,
        revision: str | None = None,
        plan_id: str | None = None,
    ) -> None:
        """``log_activity`` for each of ``entries``, in order (one statement where the store
        can)."""
        for entry in entries:
            self.log_activity(
                tenant,
                flow,
                entry.key,
                action=entry.action,
                outcome=entry.outcome,
                run_id=run_id,
                diff=entry.diff,
                revision=revision,
                plan_id=plan_id,
                message=entry.message,
            )

    @abc.abstractmethod
    def activity(
        self,
        *,
        tenant: str | None = None,
        flow: str | None = None,
        key: str | None = None,
        outcome: Outcome | None = None,
        action: Action | None = None,
        since: dt.datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[ActivityEntry]:
        """Activity matching every given filter, newest first. ``before_id`` continues a
        listing after its last entry (keyset paging: stable while new rows arrive)."""

    def iter_activity(
        self,
        *,
        tenant: str | None = None,
        flow: str | None = None,
        key: str | None = None,
        outcome: Outcome | None = None,
        action: Action | None = None,
        since: dt.datetime | None = None,
        page_size: int = 500,
    ) -> Iterator[ActivityEntry]:
        """Every matching entry, newest first, read page by page (never all at once)."""
        before_id: int | None = None
        while True:
            page = self.activity(
                tenant=tenant,
                flow=flow,
                key=key,
                outcome=outcome,
                action=action,
                since=since,
                before_id=before_id,
                limit=page_size,
            )
            yield from page
            if len(page) < page_size:
                return
            before_id = page[-1].id

    # -- quarantine --------------------------------------------------------------------------

    @abc.abstractmethod
    def quarantined(
        self, *, tenant: str | None = None, flow: str | None = None, limit: int = 100
    ) -> list[RecordState]:
        """Quarantined records, most recently failed first."""

    @abc.abstractmethod
    def get_record(self, tenant: str, flow: str, key: str) -> RecordState | None:
        """One record's state."""

    @abc.abstractmethod
    def retry(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        """Release a quarantined record: attempts reset, tried on the next pass. Logged with
        ``by`` (who asked). False when the record is not quarantined."""

    @abc.abstractmethod
    def drop(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        """Forget a record's state (the next full pass treats it as new). Logged with ``by``.
        False when the record is unknown."""

    @abc.abstractmethod
    def quarantine_counts(self, *, tenant: str | None = None) -> dict[tuple[str, str], int]:
        """Quarantined records per (tenant, flow), for metrics; flows with none are absent."""

    # -- intent journal ----------------------------------------------------------------------

    @abc.abstractmethod
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
        """Journal that a write is about to happen (committed before the write); returns its id."""

    def journal_intents(self, tenant: str, flow: str, intents: Sequence[NewIntent]) -> list[int]:
        """``journal_intent`` for each of ``intents``, in order; their ids in the same order
        (a page's creates are journalled in one statement where the store can)."""
        return [
            self.journal_intent(
                tenant,
                flow,
                intent.key,
                action=intent.action,
                idempotency_key=intent.idempotency_key,
                payload_fingerprint=intent.payload_fingerprint,
            )
            for intent in intents
        ]

    @abc.abstractmethod
    def journal_result(
        self, intent_id: int, *, outcome: Outcome, target_id: str | None = None
    ) -> Intent:
        """Resolve an intent after the write. An unknown or already resolved intent is a
        ``StateError``: resolving twice means two appliers think they own the same write."""

    def journal_results(self, results: Sequence[Resolution]) -> None:
        """``journal_result`` for each of ``results``, with the same refusals: an unknown or
        already resolved intent is a ``StateError`` (inside a unit of work, none of them is
        then resolved)."""
        for result in results:
            self.journal_result(
                result.intent_id, outcome=result.outcome, target_id=result.target_id
            )

    @abc.abstractmethod
    def pending_intents(self, tenant: str, flow: str) -> list[Intent]:
        """Intents never resolved (a crash between write and result), oldest first."""

    # -- leases ------------------------------------------------------------------------------

    @abc.abstractmethod
    def acquire(self, tenant: str, flow: str, *, holder: str, ttl: dt.timedelta) -> Lease | None:
        """Take the flow's lease, or None when another holder has it (or is taking it right
        now: never waits). Taking it from anyone (or after expiry) raises the generation;
        the current holder acquiring again extends its lease under the same generation."""

    @abc.abstractmethod
    def renew(self, lease: Lease, *, ttl: dt.timedelta) -> Lease:
        """Extend a current lease; ``StateError`` when it expired or changed hands."""

    @abc.abstractmethod
    def release(self, lease: Lease) -> bool:
        """Give a lease up so another holder can take it now; False when it was not current."""

    @abc.abstractmethod
    def is_current(self, lease: Lease) -> bool:
        """True while ``lease`` is the flow's lease: same holder and generation, not expired."""

    # -- lifetime ----------------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections and locks; the store cannot be used afterwards."""

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# Checks and errors both implementations share, worded once so every backend says the same.


def require_aware(value: dt.datetime, what: str) -> dt.datetime:
    """``value`` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if value.tzinfo is None:
        raise StateError(
            f"{what} has no time zone ({value.isoformat()})",
            hint="pass a timezone-aware datetime, e.g. datetime.now(datetime.UTC)",
        )
    return value.astimezone(dt.UTC)


def checked_clock(clock: Clock) -> Clock:
    """``clock``, refusing naive times: an injected clock that forgets the zone fails loudly."""
    return lambda: require_aware(clock(), "the state store's clock")


def lease_not_current(lease: Lease, what: str) -> StateError:
    """A fenced write or renewal by a holder that no longer holds the lease."""
    return StateError(
        f"{what} refused: the lease on {lease.tenant}/{lease.flow} held by {lease.holder!r} "
        f"(generation {lease.generation}) is no longer current",
        hint="another replica may have taken the flow over; stop this pass and acquire again",
    )


def unknown_run(run_id: int) -> StateError:
    """finish_run for a run id the store never handed out."""
    return StateError(
        f"run {run_id} does not exist in the state store",
        hint="finish a run with the id start_run returned",
    )


def unknown_intent(intent_id: int) -> StateError:
    """journal_result for an intent id the store never handed out."""
    return StateError(
        f"intent {intent_id} does not exist in the intent journal",
        hint="resolve an intent with the id journal_intent returned",
    )


def intent_already_resolved(intent: Intent) -> StateError:
    """journal_result twice for one intent."""
    return StateError(
        f"intent {intent.id} ({intent.tenant}/{intent.flow} key {intent.key!r}) was already "
        f"resolved as {intent.outcome}",
        hint="two appliers may be writing the same flow; check that passes hold the flow's lease",
    )
