"""Leases and the intent journal of the SQL state store: what keeps writes single and unduplicated.

A lease row per (tenant, flow) says which replica may run that flow until when, with a fencing
generation. Acquisition on PostgreSQL locks the row ``FOR UPDATE SKIP LOCKED``: a replica never
waits for a row another replica is busy with, it moves on to the next flow. The intent journal is
written around each create so a crash between the create and its result is found on restart.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.errors import StateError
from reconciler.state import tables as t
from reconciler.state.rows import Action, Intent, Lease, NewIntent, Outcome, Resolution
from reconciler.state.sql_base import SqlBase, intent_from_row, lease_row_current
from reconciler.state.store import intent_already_resolved, lease_not_current, unknown_intent


class SqlLeases(SqlBase, abc.ABC):
    """Leases and intents on SQL."""

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
        intent = NewIntent(key, action, idempotency_key, payload_fingerprint)
        values = _intent_values(tenant, flow, intent, self._clock())
        with self._tx() as conn:
            return int(conn.execute(self._statements.intent, values).scalar_one())

    def journal_intents(self, tenant: str, flow: str, intents: Sequence[NewIntent]) -> list[int]:
        if not intents:
            return []
        now = self._clock()
        rows = [_intent_values(tenant, flow, intent, now) for intent in intents]
        with self._tx() as conn:
            return [int(i) for i in conn.execute(self._statements.intents, rows).scalars()]

    def journal_result(
        self, intent_id: int, *, outcome: Outcome, target_id: str | None = None
    ) -> Intent:
        values = {
            "intent_id": intent_id,
            "outcome": outcome.value,
            "target_id": target_id,
            "resolved_at": self._clock(),
        }
        with self._tx() as conn:
            # Resolves only an unresolved intent, atomically: two resolvers cannot both win.
            row = conn.execute(self._statements.resolve, values).first()
            if row is not None:
                return intent_from_row(row)
            existing = conn.execute(sa.select(t.intents).where(t.intents.c.id == intent_id)).first()
            if existing is None:
                raise unknown_intent(intent_id)
            raise intent_already_resolved(intent_from_row(existing))

    def journal_results(self, results: Sequence[Resolution]) -> None:
        if not results:
            return
        ids = [result.intent_id for result in results]
        c = t.intents.c
        with self._tx() as conn:
            query = sa.select(c.id).where(c.id.in_(ids), c.outcome.is_(None))
            clean = len(set(conn.execute(query).scalars())) == len(ids) == len(set(ids))
            if clean:
                now = self._clock()
                rows = [
                    {
                        "intent_id": result.intent_id,
                        "outcome": result.outcome.value,
                        "target_id": result.target_id,
                        "resolved_at": now,
                    }
                    for result in results
                ]
                done = conn.execute(self._statements.resolve_many, rows).rowcount
                if conn.dialect.supports_sane_multi_rowcount and done != len(rows):
                    # Another resolver won one of them between the check and the update.
                    raise StateError(
                        f"{len(rows) - done} of {len(rows)} intents were resolved by another "
                        "process while this one resolved them",
                        hint="two appliers ran the same flow; the pass can be run again",
                    )
        if not clean:
            # One of them is unknown or resolved already: one by one, for its own error.
            super().journal_results(results)

    def pending_intents(self, tenant: str, flow: str) -> list[Intent]:
        c = t.intents.c
        query = (
            sa.select(t.intents)
            .where(c.tenant == tenant, c.flow == flow, c.outcome.is_(None))
            .order_by(c.id)
        )
        with self._tx() as conn:
            return [intent_from_row(row) for row in conn.execute(query)]

    # -- leases ------------------------------------------------------------------------------

    def _lease_query(self, tenant: str, flow: str) -> sa.Select[Any]:
        c = t.leases.c
        return sa.select(t.leases).where(c.tenant == tenant, c.flow == flow)

    def _set_lease(
        self, conn: Connection, lease: Lease, *, holder: str | None, expires: dt.datetime | None
    ) -> None:
        c = t.leases.c
        conn.execute(
            sa.update(t.leases)
            .where(c.tenant == lease.tenant, c.flow == lease.flow)
            .values(holder=holder, generation=lease.generation, expires_at=expires)
        )

    def acquire(self, tenant: str, flow: str, *, holder: str, ttl: dt.timedelta) -> Lease | None:
        now = self._clock()
        with self._tx() as conn:
            # Make sure the row exists, so there is something to lock; a concurrent insert of
            # the same row waits for ours and then does nothing.
            self._upsert(
                conn,
                t.leases,
                {"tenant": tenant, "flow": flow, "holder": None, "generation": 0},
                index=["tenant", "flow"],
                update=None,
            )
            query = self._lease_query(tenant, flow)
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None  # another replica holds the row locked right now: not ours to wait
            held = row.holder is not None and row.expires_at is not None and row.expires_at > now
            if held and row.holder != holder:
                return None
            # Re-acquiring an unexpired lease of one's own extends it; anything else is a
            # change of hands and raises the fencing generation.
            generation = row.generation if held else row.generation + 1
            lease = Lease(tenant, flow, holder, generation, now + ttl)
            self._set_lease(conn, lease, holder=holder, expires=lease.expires_at)
            return lease

    def renew(self, lease: Lease, *, ttl: dt.timedelta) -> Lease:
        now = self._clock()
        query = self._lease_query(lease.tenant, lease.flow)
        with self._tx() as conn:
            row = conn.execute(query.with_for_update() if self._pg else query).first()
            if not lease_row_current(row, lease, now):
                raise lease_not_current(lease, "renewing the lease")
            renewed = Lease(lease.tenant, lease.flow, lease.holder, lease.generation, now + ttl)
            self._set_lease(conn, renewed, holder=lease.holder, expires=renewed.expires_at)
            return renewed

    def release(self, lease: Lease) -> bool:
        query = self._lease_query(lease.tenant, lease.flow)
        with self._tx() as conn:
            row = conn.execute(query.with_for_update() if self._pg else query).first()
            if not lease_row_current(row, lease, self._clock()):
                return False
            # The generation stays: the next holder's acquisition raises it past this one.
            self._set_lease(conn, lease, holder=None, expires=None)
            return True

    def is_current(self, lease: Lease) -> bool:
        with self._tx() as conn:
            row = conn.execute(self._lease_query(lease.tenant, lease.flow)).first()
            return lease_row_current(row, lease, self._clock())


def _intent_values(
    tenant: str, flow: str, intent: NewIntent, now: dt.datetime
) -> dict[str, object]:
    """The ``intents`` row of a write about to happen."""
    return {
        "tenant": tenant,
        "flow": flow,
        "key": intent.key,
        "action": intent.action.value,
        "idempotency_key": intent.idempotency_key,
        "payload_fingerprint": intent.payload_fingerprint,
        "created_at": now,
    }
