"""The SQL tables of the state store, as SQLAlchemy Core metadata the queries are written against.

The schema itself is created by the Alembic migrations in ``migrations/`` (frozen history); this
module describes the current shape for queries, and a test checks the two agree. Table names
carry a ``koppel_`` prefix because the store may share a database (or schema) with other tools.

    koppel_records   per (tenant, flow, key): last applied fingerprint, target id, failures,
                     backoff and quarantine. Why: unchanged records cost no target call, and a
                     failing record is retried later instead of blocking or being lost.
    koppel_cursors   per (tenant, flow): the incremental-read cursor. Why: a pass reads only
                     what changed since the last one.
    koppel_runs      one row per pass, with revision, plan id and counts. Why: "what ran when,
                     from which commit, and did the counts add up".
    koppel_activity  one row per action with its field diff and explanation. Why: the audit
                     trail from a target record back to the commit that caused it.
    koppel_intents   the intent journal around creates. Why: a crash between a create and its
                     result is resolved by a look-up instead of creating a duplicate.
    koppel_leases    per (tenant, flow): holder, expiry and fencing generation. Why: several
                     replicas share flows without two running the same flow at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones and hands back naive values, so
    values are normalised to UTC on the way in and marked UTC on the way out. Naive datetimes
    are refused: a time without a zone is a bug waiting for a daylight-saving change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"the state store needs timezone-aware datetimes, got {value!r}")
        utc = value.astimezone(dt.UTC)
        # SQLite stores text: drop the offset so string comparison orders times correctly.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _tenant_flow() -> list[sa.Column[str]]:
    return [
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
    ]


records = sa.Table(
    "koppel_records",
    metadata,
    *_tenant_flow(),
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("fingerprint", sa.String(200), nullable=True),
    sa.Column("target_id", sa.String(500), nullable=True),
    sa.Column("last_action", sa.String(20), nullable=False),
    sa.Column("last_outcome", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("quarantined", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("revision", sa.String(100), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant", "flow", "key", name="pk_koppel_records"),
    sa.Index("ix_koppel_records_due", "tenant", "flow", "quarantined", "next_attempt_at"),
)

cursors = sa.Table(
    "koppel_cursors",
    metadata,
    *_tenant_flow(),
    sa.Column("cursor", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant", "flow", name="pk_koppel_cursors"),
)

runs = sa.Table(
    "koppel_runs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    *_tenant_flow(),
    sa.Column("revision", sa.String(100), nullable=True),
    sa.Column("plan_id", sa.String(100), nullable=True),
    sa.Column("drift_scan", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("read", sa.Integer, nullable=False),
    sa.Column("created", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("skipped", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_koppel_runs_tenant_flow", "tenant", "flow", "id"),
)

activity = sa.Table(
    "koppel_activity",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    # No foreign key: activity outlives pruned runs, and operator actions belong to no run.
    sa.Column("run_id", sa.BigInteger, nullable=True),
    *_tenant_flow(),
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("diff", sa.JSON, nullable=True),
    sa.Column("revision", sa.String(100), nullable=True),
    sa.Column("plan_id", sa.String(100), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_koppel_activity_tenant_flow", "tenant", "flow", "id"),
    sa.Index("ix_koppel_activity_key", "tenant", "flow", "key", "id"),
)

intents = sa.Table(
    "koppel_intents",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    *_tenant_flow(),
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("payload_fingerprint", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("target_id", sa.String(500), nullable=True),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Index("ix_koppel_intents_pending", "tenant", "flow", "outcome", "id"),
)

leases = sa.Table(
    "koppel_leases",
    metadata,
    *_tenant_flow(),
    sa.Column("holder", sa.String(200), nullable=True),
    sa.Column("generation", sa.BigInteger, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant", "flow", name="pk_koppel_leases"),
)
