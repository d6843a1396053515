"""The state store's hot statements, built once per dialect instead of once per call.

A pass writes a record's state, its activity entry and its intent for every record it creates;
building each INSERT ... ON CONFLICT from Python objects on every call cost more than running
it. These take their values as bound parameters, and the upsert returns the row it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from reconciler.state import tables as t

RECORD_KEY = ["tenant", "flow", "key"]


@dataclass(frozen=True)
class Statements:
    """Prepared statements of one dialect."""

    record_applied: sa.Insert
    """Upsert a record's applied state (parameters: every ``records`` column); returns the row.
    The target id of an earlier create is kept when the new one is NULL."""
    activity: sa.Insert
    """Append an activity entry (parameters: its columns); returns its id."""
    intent: sa.Insert
    """Journal an intent (parameters: its columns); returns its id."""
    resolve: sa.Update
    """Resolve an unresolved intent (``intent_id``, ``outcome``, ``target_id``,
    ``resolved_at``); returns the row, none when it is unknown or resolved already."""
    record_applied_many: sa.Insert
    """``record_applied`` without RETURNING, for many rows at once (executemany)."""
    activity_many: sa.Insert
    """``activity`` without RETURNING, for many rows at once."""
    intents: sa.Insert
    """Journal many intents at once (executemany); returns their ids in parameter order."""
    resolve_many: sa.Update
    """``resolve`` without RETURNING, for many intents at once."""


@cache
def statements(dialect: str) -> Statements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(t.records)
    records = t.records.c
    update: dict[str, sa.ColumnElement[Any]] = {
        c.name: upsert.excluded[c.name] for c in t.records.columns if c.name not in RECORD_KEY
    }
    update["target_id"] = sa.func.coalesce(upsert.excluded.target_id, records.target_id)
    record_applied_many = upsert.on_conflict_do_update(index_elements=RECORD_KEY, set_=update)
    i = t.intents.c
    resolve_many = (
        sa.update(t.intents)
        .where(i.id == sa.bindparam("intent_id"), i.outcome.is_(None))
        .values(
            outcome=sa.bindparam("outcome"),
            target_id=sa.bindparam("target_id"),
            resolved_at=sa.bindparam("resolved_at"),
        )
    )
    return Statements(
        record_applied=record_applied_many.returning(*t.records.columns),
        activity=sa.insert(t.activity).returning(t.activity.c.id),
        intent=sa.insert(t.intents).returning(t.intents.c.id),
        resolve=resolve_many.returning(*t.intents.columns),
        record_applied_many=record_applied_many,
        activity_many=sa.insert(t.activity),
        intents=sa.insert(t.intents).returning(t.intents.c.id, sort_by_parameter_order=True),
        resolve_many=resolve_many,
    )
