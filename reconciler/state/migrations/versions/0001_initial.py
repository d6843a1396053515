"""The first state store schema: records, cursors, runs, activity, intents, leases.

Frozen history: later changes go into new revisions, never into this file, because databases in
the field are already at this revision. The tables are written out here rather than taken from
``reconciler.state.tables`` for the same reason.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite autoincrements INTEGER only


def upgrade() -> None:
    op.create_table(
        "koppel_records",
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=True),
        sa.Column("target_id", sa.String(500), nullable=True),
        sa.Column("last_action", sa.String(20), nullable=False),
        sa.Column("last_outcome", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("quarantined", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("revision", sa.String(100), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "flow", "key", name="pk_koppel_records"),
    )
    op.create_index(
        "ix_koppel_records_due",
        "koppel_records",
        ["tenant", "flow", "quarantined", "next_attempt_at"],
    )
    op.create_table(
        "koppel_cursors",
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("cursor", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "flow", name="pk_koppel_cursors"),
    )
    op.create_table(
        "koppel_runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("revision", sa.String(100), nullable=True),
        sa.Column("plan_id", sa.String(100), nullable=True),
        sa.Column("drift_scan", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("read", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("ix_koppel_runs_tenant_flow", "koppel_runs", ["tenant", "flow", "id"])
    op.create_table(
        "koppel_activity",
        sa.Column("id", ID, primary_key=True),
        sa.Column("run_id", sa.BigInteger, nullable=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("diff", sa.JSON, nullable=True),
        sa.Column("revision", sa.String(100), nullable=True),
        sa.Column("plan_id", sa.String(100), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("ix_koppel_activity_tenant_flow", "koppel_activity", ["tenant", "flow", "id"])
    op.create_index("ix_koppel_activity_key", "koppel_activity", ["tenant", "flow", "key", "id"])
    op.create_table(
        "koppel_intents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("payload_fingerprint", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("target_id", sa.String(500), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
    )
    op.create_index(
        "ix_koppel_intents_pending", "koppel_intents", ["tenant", "flow", "outcome", "id"]
    )
    op.create_table(
        "koppel_leases",
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("tenant", "flow", name="pk_koppel_leases"),
    )


def downgrade() -> None:
    for table in (
        "koppel_leases",
        "koppel_intents",
        "koppel_activity",
        "koppel_runs",
        "koppel_cursors",
        "koppel_records",
    ):
        op.drop_table(table)
