"""The second half of a pass: execute the plan through the target connector, page by page (from
the spool, or as a confirmed pass streams its pages).

Every create is journalled before it is sent and resolved after, so a crash in between is
settled on restart by looking the natural key up in the target (``recover``): never a
duplicate. A write that failed in a way that may still have happened (timeout, dropped
connection, 500 mid-write) is settled the same way, at once — or, when that look-up fails too,
by ``recover`` at the next pass (the intent stays pending). Per-record failures are isolated:
the record is marked failed (retried later with backoff, quarantined after N attempts) and the
others go on. Pages are finished in order; the cursor moves past a page only when none of its
records is left to retry.

Orders are written in dependency order: the customer (created or updated, once per e-mail per
pass even when several orders share it), then the order with the customer's id.

State is written per page, not per record: the intents of a page's creates are journalled in one
commit before any of them is sent, and what the page's writes produced (resolved intents, record
states, activity, the cursor) is committed together when the page is done. A crash in between
loses only what the pending intents settle: ``recover`` finds each create in the target and
records it. Updates and failures still commit one by one: an update has no intent to recover
it by, and a failure's backoff decides at once whether the page holds the cursor.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, cast

from connectors.concurrency import bounded_map
from reconciler.canonical import Entity
from reconciler.errors import ConnectorError, Transient, UnavailableError
from reconciler.logs import log_action
from reconciler.passes.context import FlowContext
from reconciler.passes.spool import Planned, Spool
from reconciler.plan.actions import Action, ActionKind, changes_data, json_data
from reconciler.state.rows import Action as Done
from reconciler.state.rows import Applied, NewActivity, NewIntent, Outcome, Resolution
from reconciler.state.store import StateStore

ACTION_LOG = logging.getLogger("koppel.actions")
"""One structured log event per action, with its diff and revision (beside the activity log)."""
CUSTOMER_PREFIX = "customer:"
KEEP_KEYS = 1000
_ABSENT, _UNKNOWN = object(), object()
"""What a look-up after a write with an unknown outcome found: not there; nothing (it failed)."""
_KEEP = object()
"""A page's flush that leaves the cursor where it is."""


@dataclass
class Counts:
    """What happened to the records of one pass; every record lands in exactly one bucket."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    quarantined: int = 0
    interrupted: int = 0
    """Records not attempted because the pass was stopped (shutdown, lost lease)."""
    held: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(key, reason) of the records that failed this pass."""
    updated_keys: list[str] = field(default_factory=list)
    """Keys updated this pass (at most KEEP_KEYS): a drift scan updating the same keys pass after
    pass is another writer reverting koppel's work."""


@dataclass
class _Writes:
    """State writes of finished records, committed together: a page's, or one record's."""

    resolved: list[Resolution] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    activity: list[NewActivity] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.resolved or self.applied or self.activity)


class _Failed(Exception):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@dataclass
class Applier:
    """Applies one pass's spool for one flow."""

    ctx: FlowContext
    run_id: int | None
    plan_id: str | None
    progress: Callable[[int], None] | None = None
    counts: Counts = field(default_factory=Counts)
    _customers: dict[str, str] = field(default_factory=dict)
    _customer_failures: dict[str, str] = field(default_factory=dict)
    """E-mail -> why creating that customer failed this pass: its other orders fail too rather
    than create it again (a lost answer whose look-up failed may have created it)."""
    _locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    _intents: dict[tuple[Entity, str], list[int]] = field(default_factory=dict)
    """(entity, natural key) -> intents journalled for the page's creates, not yet sent."""
    _page: _Writes = field(default_factory=_Writes)
    """State writes of the page's finished creates and settled records, committed at its end
    (in one statement per table)."""

    async def apply(self, spool: Spool, cursors: list[str | None]) -> Counts:
        """Apply a spooled plan, page by page; ``cursors[n]`` is stored after page n."""
        for page, items in groupby(spool, key=lambda planned: planned.page):
            await self.apply_page(list(items), cursors[page] if page < len(cursors) else _KEEP)
        return self.counts

    async def apply_page(self, batch: list[Planned], cursor: str | object | None) -> None:
        """Apply one page's plans, then commit its state and, unless a record of this page or
        an earlier one is left to retry, move the flow's cursor to ``cursor``."""
        self._journal_intents(batch)
        try:
            page_held = await self._run_page(batch)
        except BaseException:
            self._flush_after_error()
            raise
        self._flush(_KEEP if self.counts.held or page_held else cursor)
        self.counts.held = self.counts.held or page_held
        if self.progress is not None:
            self.progress(len(batch))

    def _journal_intents(self, batch: list[Planned]) -> None:
        """Journal the page's creates (and their new customers) in one commit, before any of
        them is sent."""
        if self.halted():
            return
        wanted: list[tuple[Entity, str, str, str]] = []
        customers: set[str] = set()
        for planned in batch:
            action = planned.action
            if action.kind is not ActionKind.create:
                continue
            wanted.append(
                (
                    self.ctx.entity,
                    action.key,
                    planned.target_key or action.key,
                    action.fingerprint or "",
                )
            )
            customer = planned.customer
            if customer is None or customer.kind is not ActionKind.create:
                continue
            email = customer.key
            if email in customers or email in self._customers or email in self._customer_failures:
                continue
            customers.add(email)
            wanted.append(
                (Entity.customers, CUSTOMER_PREFIX + email, email, customer.fingerprint or "")
            )
        if not wanted:
            return
        rows = [NewIntent(key, Done.create, natural, print_) for _, key, natural, print_ in wanted]
        with self._fenced() as tx:
            ids = tx.journal_intents(self.ctx.tenant, self.ctx.flow, rows)
        for (entity, _, natural, _), intent in zip(wanted, ids, strict=True):
            self._intents.setdefault((entity, natural), []).append(intent)

    def _flush(self, cursor: str | object | None) -> None:
        """Commit the page's deferred state writes and, unless ``_KEEP``, move the cursor.
        Intents journalled but never sent (a failed customer, a stopped pass) are resolved as
        failed: nothing was written for them."""
        writes, self._page = self._page, _Writes()
        writes.resolved += [
            Resolution(i, Outcome.failed) for ids in self._intents.values() for i in ids
        ]
        self._intents.clear()
        if not writes and cursor is _KEEP:
            return
        with self._fenced() as tx:
            self._commit(tx, writes)
            if cursor is not _KEEP:
                tx.set_cursor(self.ctx.tenant, self.ctx.flow, cast("str | None", cursor))

    def _commit(self, store: StateStore, writes: _Writes) -> None:
        """Write ``writes`` in the caller's unit of work: intents resolved first, then the
        records' states, then their activity."""
        ctx = self.ctx
        store.journal_results(writes.resolved)
        store.record_applied_many(ctx.tenant, ctx.flow, writes.applied, revision=ctx.revision)
        store.log_activities(
            ctx.tenant,
            ctx.flow,
            writes.activity,
            run_id=self.run_id,
            revision=ctx.revision,
            plan_id=self.plan_id,
        )

    def _flush_after_error(self) -> None:
        """A page that raised (a lost lease, a state store failure) keeps what it can: the
        deferred writes are committed if the store still takes them, else the pending intents
        settle them on the next pass."""
        self._intents.clear()  # sent or not is unknown here: ``recover`` looks them up
        try:
            self._flush(_KEEP)
        except Exception as exc:  # the original error is what the caller sees
            ACTION_LOG.warning(
                "%s/%s: the page's state was not committed (%s); the next pass recovers it "
                "from the journal",
                self.ctx.tenant,
                self.ctx.flow,
                type(exc).__name__,
            )

    async def _run_page(self, batch: list[Planned]) -> bool:
        """Apply a page's records, ``ctx.concurrency`` at a time; True when one must be retried."""
        return any(await bounded_map(batch, self._one, limit=self.ctx.concurrency))

    async def _one(self, planned: Planned) -> bool:
        """Apply one planned record; True when it must be retried (the cursor holds)."""
        if self.halted():
            self.counts.interrupted += 1
            return True
        return await self._record(planned)

    def halted(self) -> bool:
        """True once the process is stopping or the flow's lease is lost: start nothing new."""
        ctx = self.ctx
        if ctx.stopping is not None and ctx.stopping.is_set():
            return True
        return ctx.lease is not None and not ctx.store.is_current(ctx.lease)

    def _fenced(self) -> AbstractContextManager[StateStore]:
        """A unit of work for state writes, fenced by the lease when there is one: its writes
        (a record's state and its activity entry, a create's result) commit together, in one
        commit instead of one per write. Never held across an await: each unit of work is a
        few synchronous statements, so concurrent records do not wait on each other."""
        return self.ctx.store.transaction(lease=self.ctx.lease)

    async def _record(self, planned: Planned) -> bool:
        action = planned.action
        self.counts.read += 1
        if action.kind is ActionKind.noop:
            self.counts.unchanged += 1
            if planned.settle:
                self._settle(action, Done.noop)
            return False
        if action.kind is ActionKind.skip:
            self.counts.skipped += 1
            if planned.settle:
                self._settle(action, Done.skip, message=action.reason)
            # A record waiting for its retry has a fingerprint but is not settled: hold.
            return action.fingerprint is not None and not planned.settle
        if action.kind is ActionKind.fail:
            return self._fail(action, action.reason, None)
        try:
            if action.kind is ActionKind.create:
                record = dict(action.record)
                if planned.customer is not None:
                    record[self.ctx.link.order_field] = await self._customer(planned.customer)

                def created(writes: _Writes, target_id: str | None) -> None:
                    self._applied_in(
                        writes,
                        action,
                        Done.create,
                        target_id,
                        diff={"created": record},
                        message=planned.explanation or None,
                    )

                await self._create(
                    self.ctx.entity,
                    action.key,
                    record,
                    action.fingerprint or "",
                    natural=planned.target_key or action.key,
                    then=created,
                )
                self.counts.created += 1
            else:
                try:
                    await self.ctx.target.update(
                        self.ctx.entity,
                        planned.target_key or action.key,
                        dict(action.record),
                        fields=list(action.record),
                    )
                except ConnectorError as exc:
                    reason = f"updating {self.ctx.entity.value} {action.key}: {exc}"
                    raise _Failed(reason, _delay(exc)) from exc
                self.counts.updated += 1
                if len(self.counts.updated_keys) < KEEP_KEYS:
                    self.counts.updated_keys.append(action.key)
                self._applied(
                    action, Done.update, None, diff=_changes(action), message=action.reason
                )
        except _Failed as failed:
            return self._fail(action, failed.reason, failed.retry_after)
        return False

    async def _customer(self, plan: Action) -> str:
        """The customer's target id: created or updated first, once per e-mail per pass."""
        email = plan.key
        async with self._locks[email]:
            if email in self._customers:
                return self._customers[email]
            if email in self._customer_failures:
                raise _Failed(self._customer_failures[email], None)
            link = self.ctx.link
            if plan.kind is ActionKind.create:
                try:
                    target_id = await self._create(
                        Entity.customers,
                        CUSTOMER_PREFIX + email,
                        dict(plan.record),
                        plan.fingerprint or "",
                        natural=email,
                    )
                except _Failed as failed:
                    self._customer_failures[email] = failed.reason
                    raise
            else:
                target_id = str(plan.record.get(link.id_field) or "")
                if plan.kind is ActionKind.update:
                    try:
                        result = await self.ctx.target.update(
                            Entity.customers, email, dict(plan.record), fields=list(plan.record)
                        )
                    except ConnectorError as exc:
                        raise _Failed(f"updating customer {email}: {exc}", _delay(exc)) from exc
                    target_id = result.target_id or target_id
            if not target_id:
                raise _Failed(f"the target gave no id for customer {email}", None)
            self._customers[email] = target_id
            return target_id

    async def _create(
        self,
        entity: Entity,
        key: str,
        record: dict[str, Any],
        fingerprint: str,
        *,
        natural: str,
        then: Callable[[_Writes, str | None], None] | None = None,
    ) -> str | None:
        """Create with the intent journalled around it; settle an unknown outcome by look-up.

        The intent's idempotency key is the natural key the target finds the record by (an
        order's reference, a customer's e-mail), so a restart can look it up. ``then`` records
        the created record's state in the unit of work that resolves the intent (one commit)."""
        if self.halted():
            raise _Failed("the pass was stopped before this write (shutdown or lost lease)", None)
        intent = self._intent(entity, key, natural, fingerprint)
        try:
            result = await self.ctx.target.create(entity, record)
        except ConnectorError as exc:
            found = await self._settle_unknown(entity, natural) if exc.maybe_applied else _ABSENT
            if isinstance(found, str):
                self._resolved(intent, Outcome.ok, found, then)
                return found
            if found is _ABSENT:
                self._resolved(intent, Outcome.failed, None, None)
            # Else the look-up failed too: the outcome is unknown, so the intent stays pending
            # and the next pass's ``recover`` settles it.
            raise _Failed(f"creating {entity.value} {natural}: {exc}", _delay(exc)) from exc
        target_id = result.target_id or result.key
        self._resolved(intent, Outcome.ok, result.target_id, then, recorded=target_id)
        return target_id

    def _intent(self, entity: Entity, key: str, natural: str, fingerprint: str) -> int:
        """The intent journalled for this create with its page, or (when there is none, e.g.
        a customer first met after the page's journal) one journalled now."""
        queued = self._intents.get((entity, natural))
        if queued:
            intent = queued.pop(0)
            if not queued:
                del self._intents[(entity, natural)]
            return intent
        with self._fenced() as tx:
            return tx.journal_intent(
                self.ctx.tenant,
                self.ctx.flow,
                key,
                action=Done.create,
                idempotency_key=natural,
                payload_fingerprint=fingerprint,
            )

    def _resolved(
        self,
        intent: int,
        outcome: Outcome,
        target_id: str | None,
        then: Callable[[_Writes, str | None], None] | None,
        *,
        recorded: str | None = None,
    ) -> None:
        """Resolve the intent, and record the created record, with the page's state."""
        self._page.resolved.append(Resolution(intent, outcome, target_id))
        if then is not None:
            then(self._page, recorded if recorded is not None else target_id)

    async def _settle_unknown(self, entity: Entity, key: str) -> str | object:
        """After a write with an unknown outcome: the target's id when it did happen,
        ``_ABSENT`` when it did not, ``_UNKNOWN`` when the look-up failed too."""
        try:
            found = await self.ctx.target.lookup(entity, key)
        except ConnectorError:
            return _UNKNOWN
        if found is None:
            return _ABSENT
        return str(found.get(self.ctx.link.id_field) or key)

    def _applied(
        self,
        action: Action,
        done: Done,
        target_id: str | None,
        *,
        diff: dict[str, Any],
        message: str | None,
    ) -> None:
        writes = _Writes()
        self._applied_in(writes, action, done, target_id, diff=diff, message=message)
        with self._fenced() as store:
            self._commit(store, writes)

    def _applied_in(
        self,
        writes: _Writes,
        action: Action,
        done: Done,
        target_id: str | None,
        *,
        diff: dict[str, Any],
        message: str | None,
    ) -> None:
        """Record an applied action and log it, with ``writes``."""
        writes.applied.append(Applied(action.key, action.fingerprint or "", done, target_id))
        self._log(writes, action, done, Outcome.ok, diff=diff, message=message)

    def _settle(self, action: Action, done: Done, *, message: str | None = None) -> None:
        """Record the desired fingerprint as holding, though nothing was written; with a
        ``message``, also log the decision (an existing order skipped)."""
        if not action.fingerprint:
            return
        self._page.applied.append(Applied(action.key, action.fingerprint, done))
        if message is not None:
            self._log(self._page, action, done, Outcome.ok, message=message)

    def _fail(self, action: Action, reason: str, retry_after: float | None) -> bool:
        self.counts.failed += 1
        self.counts.failures.append((action.key, reason))
        with self._fenced() as store:
            state = store.record_failed(
                self.ctx.tenant,
                self.ctx.flow,
                action.key,
                action=Done.fail,
                reason=reason,
                revision=self.ctx.revision,
                retry_after=dt.timedelta(seconds=retry_after) if retry_after else None,
            )
            writes = _Writes()
            self._log(
                writes,
                action,
                Done.fail,
                Outcome.failed,
                message=reason,
                diff=_changes(action) if action.changes else None,
            )
            self._commit(store, writes)
        if state.quarantined:
            self.counts.quarantined += 1
        return not state.quarantined

    def _log(
        self,
        writes: _Writes,
        action: Action,
        done: Done,
        outcome: Outcome,
        *,
        diff: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        """Log the action (the structured log now, the activity log with ``writes``)."""
        plain = json_data(diff)
        log_action(
            ACTION_LOG,
            tenant=self.ctx.tenant,
            flow=self.ctx.flow,
            key=action.key,
            action=str(done),
            outcome=str(outcome),
            diff=plain,
            revision=self.ctx.revision,
            plan_id=self.plan_id,
            message=message,
            run_id=self.run_id,
        )
        writes.activity.append(NewActivity(action.key, done, outcome, plain, message))


def _delay(exc: ConnectorError) -> float | None:
    if isinstance(exc, UnavailableError) and isinstance(exc, Transient):
        return exc.delay
    return None


def _changes(action: Action) -> dict[str, Any]:
    return {"changes": changes_data(action.changes)}


async def recover(ctx: FlowContext) -> int:
    """Settle the intents a crash left pending: look each key up in the target; found means the
    write happened (recorded as applied), absent means it did not (retried by this pass)."""
    settled = 0
    for intent in ctx.store.pending_intents(ctx.tenant, ctx.flow):
        customer = intent.key.startswith(CUSTOMER_PREFIX)
        entity = Entity.customers if customer else ctx.entity
        natural = intent.idempotency_key
        found = await ctx.target.lookup(entity, natural)
        if found is None:
            ctx.store.journal_result(intent.id, outcome=Outcome.failed)
            continue
        target_id = str(found.get(ctx.link.id_field) or natural)
        ctx.store.journal_result(intent.id, outcome=Outcome.ok, target_id=target_id)
        if not customer:
            ctx.store.record_applied(
                ctx.tenant,
                ctx.flow,
                intent.key,
                fingerprint=intent.payload_fingerprint,
                action=Done.create,
                target_id=target_id,
                revision=ctx.revision,
            )
            ctx.store.log_activity(
                ctx.tenant,
                ctx.flow,
                intent.key,
                action=Done.create,
                outcome=Outcome.ok,
                revision=ctx.revision,
                message="found in the target after an interrupted pass; "
                "recorded, not written again",
            )
        settled += 1
    return settled
