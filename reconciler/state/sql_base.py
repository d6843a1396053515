"""The foundation of the SQL state store: connections, units of work, fencing, row conversion.

``SqlStore`` serves SQLite and PostgreSQL; their differences are confined to a few places here:
upserts use each dialect's ``INSERT … ON CONFLICT``; PostgreSQL takes row locks (``FOR SHARE`` on
the lease row while a fenced unit of work runs, ``FOR UPDATE SKIP LOCKED`` when acquiring) where
SQLite relies on its database-wide write lock (every transaction starts ``BEGIN IMMEDIATE``, see
``reconciler.state.factory``); and SQLite is kept to one process by a lock file. Core, not the ORM:
the store reads and writes rows, it has no object graph to track.

Lease expiry is judged by the injected clock, so replicas must keep their clocks in sync (NTP) and
lease TTLs should be far longer than any plausible skew.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from reconciler.errors import StateError
from reconciler.state import tables as t
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
    RunCounts,
    RunStatus,
    utc_now,
)
from reconciler.state.sql_statements import statements
from reconciler.state.store import StateStore, checked_clock, lease_not_current

RECORD_KEY = ["tenant", "flow", "key"]
COUNTS = ("read", "created", "updated", "unchanged", "skipped", "failed")

# SQLite (older builds) allows 999 bound parameters per statement; pages of keys are split so a
# 5,000-record page is a handful of queries, not one per record.
_KEY_CHUNK = 500


class SqlBase(StateStore, abc.ABC):
    """Connections and units of work shared by the layers of ``SqlStore``."""

    def __init__(
        self,
        engine: Engine,
        *,
        where: str,
        clock: Clock = utc_now,
        backoff: BackoffPolicy | None = None,
        on_close: Callable[[], None] | None = None,
        connection: Connection | None = None,
    ) -> None:
        self._engine = engine
        self._where = where  # the URL with its password masked: safe for messages
        self._clock = checked_clock(clock)
        self._backoff = backoff or BackoffPolicy()
        self._on_close = on_close
        self._conn = connection  # set while bound to a unit of work
        self._pg = engine.dialect.name == "postgresql"
        self._statements = statements(engine.dialect.name)

    def close(self) -> None:
        if self._conn is not None:
            return  # a unit of work's view: the store that opened it owns the engine
        self._engine.dispose()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """The current unit of work's connection, or a new transaction of its own."""
        if self._conn is not None:
            try:
                yield self._conn
            except SQLAlchemyError as error:
                # Callers inside a unit of work see a StateError too, not the driver's error.
                raise self._failure(error) from error
            return
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as error:
            raise self._failure(error) from error

    def _failure(self, error: SQLAlchemyError) -> StateError:
        cause = error.orig if isinstance(error, DBAPIError) else error
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return StateError(
            f"the state store at {self._where} failed: {detail}",
            hint="check that the database is reachable and writable; the pass can be run again",
        )

    @contextmanager
    def transaction(self, *, lease: Lease | None = None) -> Iterator[StateStore]:
        if self._conn is not None:
            # Nested: a savepoint, so an inner block that raises undoes only its own writes
            # (the in-memory store behaves the same); the outer transaction still commits last.
            try:
                with self._conn.begin_nested():
                    if lease is not None:
                        self._fence(self._conn, lease)
                    yield self
            except SQLAlchemyError as error:
                raise self._failure(error) from error
            return
        with self._tx() as conn:
            bound = type(self)(
                self._engine,
                where=self._where,
                clock=self._clock,
                backoff=self._backoff,
                connection=conn,
            )
            if lease is not None:
                self._fence(conn, lease)
            yield bound

    def _upsert(
        self,
        conn: Connection,
        table: sa.Table,
        values: Mapping[str, Any],
        *,
        index: list[str],
        update: Mapping[str, Any] | None,
    ) -> None:
        """INSERT, or on a key conflict UPDATE ``update`` (or do nothing when it is None)."""
        stmt = (postgresql.insert(table) if self._pg else sqlite.insert(table)).values(**values)
        if update is None:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=index))
        else:
            conn.execute(stmt.on_conflict_do_update(index_elements=index, set_=dict(update)))

    def _record_rows(
        self, conn: Connection, tenant: str, flow: str, keys: Iterable[str]
    ) -> list[Row[Any]]:
        wanted = list(dict.fromkeys(keys))
        r = t.records.c
        rows: list[Row[Any]] = []
        for start in range(0, len(wanted), _KEY_CHUNK):
            chunk = wanted[start : start + _KEY_CHUNK]
            rows.extend(
                conn.execute(
                    sa.select(t.records).where(r.tenant == tenant, r.flow == flow, r.key.in_(chunk))
                )
            )
        return rows

    def _one_record(self, conn: Connection, tenant: str, flow: str, key: str) -> RecordState:
        (row,) = self._record_rows(conn, tenant, flow, [key])
        return record_from_row(row)

    def _fence(self, conn: Connection, lease: Lease) -> None:
        """Refuse the unit of work unless ``lease`` is current; on PostgreSQL keep the lease row
        share-locked until it commits, so no other holder can take the lease meanwhile."""
        c = t.leases.c
        query = sa.select(t.leases).where(c.tenant == lease.tenant, c.flow == lease.flow)
        if self._pg:
            query = query.with_for_update(read=True)
        if not lease_row_current(conn.execute(query).first(), lease, self._clock()):
            raise lease_not_current(lease, "a fenced write")


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    assert key is not None, "an INSERT with an autoincrementing id"
    return int(key[0])


def lease_row_current(row: Row[Any] | None, lease: Lease, now: dt.datetime) -> bool:
    """True when the stored lease row still is ``lease``: same holder and generation, unexpired."""
    return (
        row is not None
        and row.holder == lease.holder
        and row.generation == lease.generation
        and row.expires_at is not None
        and row.expires_at > now
    )


def record_from_row(row: Row[Any]) -> RecordState:
    return RecordState(
        tenant=row.tenant,
        flow=row.flow,
        key=row.key,
        fingerprint=row.fingerprint,
        target_id=row.target_id,
        last_action=Action(row.last_action),
        last_outcome=Outcome(row.last_outcome),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        quarantined=bool(row.quarantined),
        reason=row.reason,
        revision=row.revision,
        updated_at=row.updated_at,
    )


def run_from_row(row: Row[Any]) -> Run:
    return Run(
        id=row.id,
        tenant=row.tenant,
        flow=row.flow,
        revision=row.revision,
        plan_id=row.plan_id,
        drift_scan=bool(row.drift_scan),
        status=RunStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=RunCounts(**{name: getattr(row, name) for name in COUNTS}),
        message=row.message,
    )


def activity_from_row(row: Row[Any]) -> ActivityEntry:
    return ActivityEntry(
        id=row.id,
        run_id=row.run_id,
        tenant=row.tenant,
        flow=row.flow,
        key=row.key,
        action=Action(row.action),
        outcome=Outcome(row.outcome),
        diff=row.diff,
        revision=row.revision,
        plan_id=row.plan_id,
        at=row.at,
        message=row.message,
    )


def intent_from_row(row: Row[Any]) -> Intent:
    return Intent(
        id=row.id,
        tenant=row.tenant,
        flow=row.flow,
        key=row.key,
        action=Action(row.action),
        idempotency_key=row.idempotency_key,
        payload_fingerprint=row.payload_fingerprint,
        created_at=row.created_at,
        outcome=None if row.outcome is None else Outcome(row.outcome),
        target_id=row.target_id,
        resolved_at=row.resolved_at,
    )
