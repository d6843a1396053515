"""The activity log and quarantine of the SQL state store: what an operator reads and acts on.

Activity is append-only and read newest first with keyset paging (``before_id``), so a status
page or ``koppel history`` can walk millions of rows without OFFSET scans. Releasing (``retry``)
and forgetting (``drop``) a quarantined record are themselves logged, with who asked.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables as t
from reconciler.state.rows import (
    Action,
    ActivityEntry,
    JsonObject,
    NewActivity,
    Outcome,
    RecordState,
)
from reconciler.state.sql_base import activity_from_row, record_from_row
from reconciler.state.sql_leases import SqlLeases
from reconciler.state.store import require_aware


class SqlLog(SqlLeases, abc.ABC):
    """Activity log and quarantine on SQL."""

    def _log(
        self,
        conn: Connection,
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
        entry = NewActivity(key, action, outcome, diff, message)
        values = _activity_values(
            tenant,
            flow,
            entry,
            run_id=run_id,
            revision=revision,
            plan_id=plan_id,
            now=self._clock(),
        )
        return int(conn.execute(self._statements.activity, values).scalar_one())

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
        with self._tx() as conn:
            return self._log(
                conn,
                tenant,
                flow,
                key,
                action=action,
                outcome=outcome,
                run_id=run_id,
                diff=diff,
                revision=revision,
                plan_id=plan_id,
                message=message,
            )

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
        if not entries:
            return
        now = self._clock()
        rows = [
            _activity_values(
                tenant, flow, entry, run_id=run_id, revision=revision, plan_id=plan_id, now=now
            )
            for entry in entries
        ]
        with self._tx() as conn:
            conn.execute(self._statements.activity_many, rows)

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
        c = t.activity.c
        query = sa.select(t.activity)
        for column, value in (
            (c.tenant, tenant),
            (c.flow, flow),
            (c.key, key),
            (c.outcome, None if outcome is None else outcome.value),
            (c.action, None if action is None else action.value),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(c.at >= require_aware(since, "activity(since=…)"))
        if before_id is not None:
            query = query.where(c.id < before_id)
        with self._tx() as conn:
            rows = conn.execute(query.order_by(c.id.desc()).limit(limit))
            return [activity_from_row(row) for row in rows]

    # -- quarantine --------------------------------------------------------------------------

    def quarantined(
        self, *, tenant: str | None = None, flow: str | None = None, limit: int = 100
    ) -> list[RecordState]:
        r = t.records.c
        query = sa.select(t.records).where(r.quarantined.is_(True))
        if tenant is not None:
            query = query.where(r.tenant == tenant)
        if flow is not None:
            query = query.where(r.flow == flow)
        query = query.order_by(r.updated_at.desc(), r.tenant, r.flow, r.key).limit(limit)
        with self._tx() as conn:
            return [record_from_row(row) for row in conn.execute(query)]

    def retry(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        r = t.records.c
        with self._tx() as conn:
            released = conn.execute(
                sa.update(t.records)
                .where(r.tenant == tenant, r.flow == flow, r.key == key, r.quarantined.is_(True))
                .values(quarantined=False, attempts=0, next_attempt_at=None)
            ).rowcount
            if released:
                self._log(
                    conn,
                    tenant,
                    flow,
                    key,
                    action=Action.retry,
                    outcome=Outcome.ok,
                    message=f"released from quarantine by {by}; tried again on the next pass",
                )
            return bool(released)

    def drop(self, tenant: str, flow: str, key: str, *, by: str) -> bool:
        r = t.records.c
        with self._tx() as conn:
            dropped = conn.execute(
                sa.delete(t.records).where(r.tenant == tenant, r.flow == flow, r.key == key)
            ).rowcount
            if dropped:
                self._log(
                    conn,
                    tenant,
                    flow,
                    key,
                    action=Action.drop,
                    outcome=Outcome.ok,
                    message=f"state forgotten by {by}; the next full pass treats it as new",
                )
            return bool(dropped)

    def quarantine_counts(self, *, tenant: str | None = None) -> dict[tuple[str, str], int]:
        r = t.records.c
        query = (
            sa.select(r.tenant, r.flow, sa.func.count())
            .where(r.quarantined.is_(True))
            .group_by(r.tenant, r.flow)
        )
        if tenant is not None:
            query = query.where(r.tenant == tenant)
        with self._tx() as conn:
            return {(row[0], row[1]): int(row[2]) for row in conn.execute(query)}


def _activity_values(
    tenant: str,
    flow: str,
    entry: NewActivity,
    *,
    run_id: int | None,
    revision: str | None,
    plan_id: str | None,
    now: dt.datetime,
) -> dict[str, object]:
    """The ``activity`` row of one entry."""
    return {
        "run_id": run_id,
        "tenant": tenant,
        "flow": flow,
        "key": entry.key,
        "action": entry.action.value,
        "outcome": entry.outcome.value,
        "diff": None if entry.diff is None else dict(entry.diff),
        "revision": revision,
        "plan_id": plan_id,
        "at": now,
        "message": entry.message,
    }
