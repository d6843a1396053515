"""The SQL state store: SQLAlchemy Core over SQLite (one replica) or PostgreSQL (several).

``SqlStore`` is built in layers, one concept per module: ``sql_base`` (connections, units of work,
fencing, row conversion), ``sql_leases`` (leases and the intent journal), ``sql_log`` (activity
log and quarantine) and this module (record state, cursors, runs). Create it with
``reconciler.state.open_store``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from reconciler.state import tables as t
from reconciler.state.rows import Action, Applied, Outcome, RecordState, Run, RunCounts, RunStatus
from reconciler.state.sql_base import COUNTS, RECORD_KEY, inserted_id, record_from_row, run_from_row
from reconciler.state.sql_log import SqlLog
from reconciler.state.store import unknown_run


class SqlStore(SqlLog):
    """The state store on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    # -- record state ------------------------------------------------------------------------

    def fingerprints(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, str]:
        with self._tx() as conn:
            return {
                row.key: row.fingerprint
                for row in self._record_rows(conn, tenant, flow, keys)
                if row.fingerprint is not None
            }

    def records(self, tenant: str, flow: str, keys: Iterable[str]) -> dict[str, RecordState]:
        with self._tx() as conn:
            return {
                row.key: record_from_row(row) for row in self._record_rows(conn, tenant, flow, keys)
            }

    def get_record(self, tenant: str, flow: str, key: str) -> RecordState | None:
        return self.records(tenant, flow, [key]).get(key)

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
        applied = Applied(key, fingerprint, action, target_id)
        values = _applied_values(tenant, flow, applied, revision, self._clock())
        # An update need not know the target id: the statement keeps the one a create stored.
        with self._tx() as conn:
            row = conn.execute(self._statements.record_applied, values).one()
            return record_from_row(row)

    def record_applied_many(
        self, tenant: str, flow: str, records: Sequence[Applied], *, revision: str | None = None
    ) -> None:
        if not records:
            return
        now = self._clock()
        rows = [_applied_values(tenant, flow, record, revision, now) for record in records]
        with self._tx() as conn:
            conn.execute(self._statements.record_applied_many, rows)

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
        now = self._clock()
        values = {
            "tenant": tenant,
            "flow": flow,
            "key": key,
            "fingerprint": None,
            "target_id": None,
            "last_action": action.value,
            "last_outcome": Outcome.failed.value,
            "attempts": 1,
            "next_attempt_at": None,
            "quarantined": False,
            "reason": reason,
            "revision": revision,
            "updated_at": now,
        }
        r = t.records.c
        update = {
            "last_action": action.value,
            "last_outcome": Outcome.failed.value,
            "attempts": r.attempts + 1,
            "reason": reason,
            "revision": revision,
            "updated_at": now,
        }
        with self._tx() as conn:
            self._upsert(conn, t.records, values, index=RECORD_KEY, update=update)
            attempts = self._one_record(conn, tenant, flow, key).attempts
            quarantine = attempts >= self._backoff.quarantine_after
            wait = retry_after if retry_after is not None else self._backoff.delay(attempts)
            conn.execute(
                sa.update(t.records)
                .where(r.tenant == tenant, r.flow == flow, r.key == key)
                .values(quarantined=quarantine, next_attempt_at=None if quarantine else now + wait)
            )
            return self._one_record(conn, tenant, flow, key)

    def due(self, tenant: str, flow: str, *, limit: int = 1000) -> list[RecordState]:
        r = t.records.c
        query = (
            sa.select(t.records)
            .where(
                r.tenant == tenant,
                r.flow == flow,
                r.last_outcome == Outcome.failed.value,
                r.quarantined.is_(False),
                sa.or_(r.next_attempt_at.is_(None), r.next_attempt_at <= self._clock()),
            )
            .order_by(r.updated_at, r.key)
            .limit(limit)
        )
        with self._tx() as conn:
            return [record_from_row(row) for row in conn.execute(query)]

    # -- cursors -----------------------------------------------------------------------------

    def get_cursor(self, tenant: str, flow: str) -> str | None:
        c = t.cursors.c
        with self._tx() as conn:
            value = conn.execute(
                sa.select(c.cursor).where(c.tenant == tenant, c.flow == flow)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_cursor(self, tenant: str, flow: str, cursor: str | None) -> None:
        values = {"tenant": tenant, "flow": flow, "cursor": cursor, "updated_at": self._clock()}
        update = {"cursor": cursor, "updated_at": values["updated_at"]}
        with self._tx() as conn:
            self._upsert(conn, t.cursors, values, index=["tenant", "flow"], update=update)

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
        zero = dict.fromkeys(COUNTS, 0)
        with self._tx() as conn:
            result = conn.execute(
                sa.insert(t.runs).values(
                    tenant=tenant,
                    flow=flow,
                    revision=revision,
                    plan_id=plan_id,
                    drift_scan=drift_scan,
                    status=RunStatus.running.value,
                    started_at=self._clock(),
                    **zero,
                )
            )
            return inserted_id(result)

    def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
        counts: RunCounts,
        message: str | None = None,
    ) -> Run:
        values = {name: getattr(counts, name) for name in COUNTS}
        with self._tx() as conn:
            result = conn.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status.value, finished_at=self._clock(), message=message, **values)
            )
            if result.rowcount == 0:
                raise unknown_run(run_id)
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).one()
            return run_from_row(row)

    def get_run(self, run_id: int) -> Run | None:
        with self._tx() as conn:
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).first()
        return None if row is None else run_from_row(row)

    def runs(self, tenant: str, flow: str | None = None, *, limit: int = 50) -> list[Run]:
        c = t.runs.c
        query = sa.select(t.runs).where(c.tenant == tenant)
        if flow is not None:
            query = query.where(c.flow == flow)
        with self._tx() as conn:
            return [
                run_from_row(row) for row in conn.execute(query.order_by(c.id.desc()).limit(limit))
            ]


def _applied_values(
    tenant: str, flow: str, record: Applied, revision: str | None, now: dt.datetime
) -> dict[str, object]:
    """The ``records`` row of an applied record: failures reset."""
    return {
        "tenant": tenant,
        "flow": flow,
        "key": record.key,
        "fingerprint": record.fingerprint,
        "target_id": record.target_id,
        "last_action": record.action.value,
        "last_outcome": Outcome.ok.value,
        "attempts": 0,
        "next_attempt_at": None,
        "quarantined": False,
        "reason": None,
        "revision": revision,
        "updated_at": now,
    }
