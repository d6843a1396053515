"""An in-memory ``StateStore`` with the same behaviour as the SQL one, for fast engine tests.

The reconcile pass and the loop are tested against this store (no database, no files); the state
store's own suite runs the same tests against it and against SQLite and PostgreSQL, which is what
keeps "the same behaviour" true. Units of work hold one lock and restore a snapshot when they
raise, so atomicity and lease fencing behave as on a database.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from reconciler.state.rows import (
    Action,
    ActivityEntry,
    JsonObject,
    Outcome,
    RecordState,
    Run,
    RunCounts,
    RunStatus,
)
from reconciler.state.store import require_aware, unknown_run
from reconciler.testing.memory_base import MemoryBase


class MemoryStore(MemoryBase):
    """The state store in a dict, for tests; thread-safe, one process, gone when dropped."""

    # -- record state ------------------------------------------------------------------------

    def fingerprints(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, str]:
        return {
            key: state.fingerprint
            for key, state in self.records(tenant, flow, keys).items()
            if state.fingerprint is not None
        }

    def records(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, RecordState]:
        with self._lock:
            found = (self._t.records.get((tenant, flow, key)) for key in keys)
            return {state.key: state for state in found if state is not None}

    def get_record(self, tenant: str, flow: str, key: str) -> RecordState | None:
        with self._lock:
            return self._t.records.get((tenant, flow, key))

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
        with self._lock:
            old = self._t.records.get((tenant, flow, key))
            state = RecordState(
                tenant=tenant,
                flow=flow,
                key=key,
                fingerprint=fingerprint,
                target_id=target_id if target_id is not None or old is None else old.target_id,
                last_action=action,
                last_outcome=Outcome.ok,
                attempts=0,
                next_attempt_at=None,
                quarantined=False,
                reason=None,
                revision=revision,
                updated_at=self._clock(),
            )
            self._t.records[tenant, flow, key] = state
            return state

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
        with self._lock:
            now = self._clock()
            old = self._t.records.get((tenant, flow, key))
            attempts = 1 if old is None else old.attempts + 1
            quarantine = attempts >= self._backoff.quarantine_after
            wait = retry_after if retry_after is not None else self._backoff.delay(attempts)
            state = RecordState(
                tenant=tenant,
                flow=flow,
                key=key,
                fingerprint=None if old is None else old.fingerprint,
                target_id=None if old is None else old.target_id,
                last_action=action,
                last_outcome=Outcome.failed,
                attempts=attempts,
                next_attempt_at=None if quarantine else now + wait,
                quarantined=quarantine,
                reason=reason,
                revision=revision,
                updated_at=now,
            )
            self._t.records[tenant, flow, key] = state
            return state

    def due(self, tenant: str, flow: str, *, limit: int = 1000) -> list[RecordState]:
        with self._lock:
            now = self._clock()
            found = [
                state
                for (t, f, _), state in self._t.records.items()
                if (t, f) == (tenant, flow)
                and state.last_outcome is Outcome.failed
                and state.is_due(now)
            ]
            return sorted(found, key=lambda s: (s.updated_at, s.key))[:limit]

    # -- cursors -----------------------------------------------------------------------------

    def get_cursor(self, tenant: str, flow: str) -> str | None:
        with self._lock:
            return self._t.cursors.get((tenant, flow))

    def set_cursor(self, tenant: str, flow: str, cursor: str | None) -> None:
        with self._lock:
            self._t.cursors[tenant, flow] = cursor

    # -- runs --------------------------------------------------------------------------------

    def start_run(
        self,
        tenant: str,
        flow: str,
        *,
        revision: str | None,
        plan_id: str | None = None,
        drift_scan: bool = False,
    ) -> int:
        with self._lock:
            run_id = self._t.new_id("runs")
            self._t.runs[run_id] = Run(
                id=run_id,
                tenant=tenant,
                flow=flow,
                revision=revision,
                plan_id=plan_id,
                drift_scan=drift_scan,
                status=RunStatus.running,
                started_at=self._clock(),
                finished_at=None,
                counts=RunCounts(),
                message=None,
            )
            return run_id

    def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
        counts: RunCounts,
        message: str | None = None,
    ) -> Run:
        with self._lock:
            run = self._t.runs.get(run_id)
            if run is None:
                raise unknown_run(run_id)
            run = replace(
                run, status=status, counts=counts, message=message, finished_at=self._clock()
            )
            self._t.runs[run_id] = run
            return run

    def get_run(self, run_id: int) -> Run | None:
        with self._lock:
            return self._t.runs.get(run_id)

    def runs(self, tenant: str, flow: str | None = None, *, limit: int = 50) -> list[Run]:
        with self._lock:
            found = [
                run
                for run in self._t.runs.values()
                if run.tenant == tenant and (flow is None or run.flow == flow)
            ]
            return sorted(found, key=lambda run: run.id, reverse=True)[:limit]

    # -- activity log ------------------------------------------------------------------------

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
        with self._lock:
            entry_id = self._t.new_id("activity")
            self._t.activity.append(
                ActivityEntry(
                    id=entry_id,
                    run_id=run_id,
                    tenant=tenant,
                    flow=flow,
                    key=key,
                    action=action,
                    outcome=outcome,
                    # A copy, as a database would keep: later changes by the caller do not leak in.
                    diff=None if diff is None else copy.deepcopy(dict(diff)),
                    revision=revision,
                    plan_id=plan_id,
                    at=self._clock(),
                    message=message,
                )
            )
            return entry_id

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
        if since is not None:
            since = require_aware(since, "activity(since=…)")

        def matches(entry: ActivityEntry) -> bool:
            return (
                (tenant is None or entry.tenant == tenant)
                and (flow is None or entry.flow == flow)
                and (key is None or entry.key == key)
                and (outcome is None or entry.outcome is outcome)
                and (action is None or entry.action is action)
                and (since is None or entry.at >= since)
                and (before_id is None or entry.id < before_id)
            )

        with self._lock:
            return [entry for entry in reversed(self._t.activity) if matches(entry)][:limit]

    # -- quarantine --------------------------------------------------------------------------

    def quarantined(
        self, *, tenant: str | None = None, flow: str | None = None, limit: int = 100
    ) -> list[RecordState]:
        with self._lock:
            found = [
                state
                for state in self._t.records.values()
                if state.quarantined
                and (tenant is None or state.tenant == tenant)
                and (flow is None or state.flow == flow)
            ]
        # Most recently failed first; ties in the same order as the SQL store.
        found.sort(key=lambda s: (s.tenant, s.flow, s.key))
        found.sort(key=lambda s: s.updated_at, reverse=True)
        return found[:limit]

    def retry(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        with self._lock:
            state = self._t.records.get((tenant, flow, key))
            if state is None or not state.quarantined:
                return False
            self._t.records[tenant, flow, key] = replace(
                state, quarantined=False, attempts=0, next_attempt_at=None
            )
            self.log_activity(
                tenant,
                flow,
                key,
                action=Action.retry,
                outcome=Outcome.ok,
                message=f"released from quarantine by {by}; tried again on the next pass",
            )
            return True

    def drop(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        with self._lock:
            if self._t.records.pop((tenant, flow, key), None) is None:
                return False
            self.log_activity(
                tenant,
                flow,
                key,
                action=Action.drop,
                outcome=Outcome.ok,
                message=f"state forgotten by {by}; the next full pass treats it as new",
            )
            return True

    def quarantine_counts(self, *, tenant: str | None = None) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        with self._lock:
            for state in self._t.records.values():
                if state.quarantined and (tenant is None or state.tenant == tenant):
                    counts[state.tenant, state.flow] = counts.get((state.tenant, state.flow), 0) + 1
        return counts

    def close(self) -> None:
        """Nothing to release: no connections, no files."""
