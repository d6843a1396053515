"""The first half of a pass: read the source page by page, compute each record's desired target
record (pure), skip unchanged ones by fingerprint, look the rest up in the target, and plan one
action per record into the spool. Nothing is written to any system here.

For orders the plan also covers what the order depends on: its customer (found by e-mail, to be
created or updated) and its products (every SKU must exist, else the order fails naming them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.base import TargetRecord
from connectors.concurrency import bounded_map
from reconciler.canonical import CanonicalRecord, Entity
from reconciler.flows.program import Desire, Dropped
from reconciler.passes.context import FlowContext
from reconciler.passes.readahead import read_ahead
from reconciler.passes.spool import Planned, Spool
from reconciler.plan.actions import Action, ActionKind
from reconciler.plan.diff import plan_record
from reconciler.state.rows import Action as StateAction
from reconciler.state.rows import Outcome, RecordState

LOOKUP_CONCURRENCY = 8


@dataclass(frozen=True)
class PlannedPage:
    """One source page's plans, and the cursor that is stored once the page is applied."""

    number: int
    items: list[Planned]
    cursor: str | None


@dataclass
class Observation:
    """What the first half of a pass saw: page cursors, counts, and the customers looked up."""

    cursors: list[str | None] = field(default_factory=list)
    """The cursor after each page, in page order (``observe``)."""
    read: int = 0
    target_reads: int = 0
    desired: int = 0
    customers: dict[str, TargetRecord | None] = field(default_factory=dict)
    """Orders: each customer e-mail looked up once per pass (a page's at once)."""


async def observe(
    ctx: FlowContext, *, full: bool, now: dt.datetime, spool: Spool, reread: bool = False
) -> Observation:
    """Plan the whole pass into ``spool``; see the module docstring and ``plan_pages``."""
    seen = Observation()
    async for page in plan_pages(ctx, full=full, now=now, seen=seen, reread=reread):
        for item in page.items:
            spool.add(item)
        seen.cursors.append(page.cursor)
    return seen


async def plan_pages(
    ctx: FlowContext,
    *,
    full: bool,
    now: dt.datetime,
    seen: Observation,
    reread: bool = False,
) -> AsyncIterator[PlannedPage]:
    """Read the source page by page and yield each page's plans; ``seen`` counts as it goes.

    ``full``: a drift scan, reading every record and comparing each with the live target.
    ``reread``: read every record again (the specs changed, so every desired record may have),
    but trust fingerprints: only records whose desired content changed are looked up."""
    cursor = None if full or reread else ctx.store.get_cursor(ctx.tenant, ctx.flow)
    skus_known: dict[str, bool] = {}
    page_number = 0
    pages = ctx.source.read(ctx.entity, cursor=cursor, full=full or reread)
    async for page in read_ahead(pages):
        seen.read += len(page.records)
        planned = await _plan_page(
            ctx, page.records, page_number, full=full, now=now, seen=seen, skus_known=skus_known
        )
        yield PlannedPage(page_number, planned, page.cursor)
        page_number += 1


async def _plan_page(
    ctx: FlowContext,
    records: Sequence[CanonicalRecord],
    page: int,
    *,
    full: bool,
    now: dt.datetime,
    seen: Observation,
    skus_known: dict[str, bool],
) -> list[Planned]:
    outcomes = [ctx.program.desire(record) for record in records]
    keys = [o.key for o in outcomes]
    states = ctx.store.records(ctx.tenant, ctx.flow, keys)
    planned: list[Planned | None] = [None] * len(outcomes)
    to_look_up: list[int] = []
    for i, outcome in enumerate(outcomes):
        state = states.get(outcome.key)
        if isinstance(outcome, Dropped):
            kind = ActionKind.skip if outcome.kind == "skip" else ActionKind.fail
            planned[i] = Planned(page, Action(kind, outcome.key, reason=outcome.reason))
            continue
        seen.desired += 1
        waiting = _waiting(state, now)
        if waiting is not None:
            planned[i] = Planned(
                page, Action(ActionKind.skip, outcome.key, outcome.fingerprint, reason=waiting)
            )
        elif not full and _order_written(ctx, state):
            # Orders that exist are never changed: once written (or found), a changed desire
            # (say, the customer's address was synced since) needs no look-up.
            planned[i] = Planned(
                page,
                Action(
                    ActionKind.noop,
                    outcome.key,
                    state.fingerprint if state is not None else None,
                    reason="already in the target; orders are never changed",
                ),
            )
        elif not full and state is not None and state.fingerprint == outcome.fingerprint:
            planned[i] = Planned(
                page,
                Action(
                    ActionKind.noop,
                    outcome.key,
                    outcome.fingerprint,
                    reason="unchanged since it was last applied",
                ),
            )
        else:
            to_look_up.append(i)
    target_keys = {i: _target_key(ctx, outcomes[i]) for i in to_look_up}
    actuals = await _lookup_many(ctx, ctx.entity, [target_keys[i] for i in to_look_up])
    seen.target_reads += len(to_look_up)
    if ctx.entity is Entity.orders:
        new = [outcomes[i] for i, actual in zip(to_look_up, actuals, strict=True) if not actual]
        await _prefetch(ctx, new, seen=seen, skus_known=skus_known)
    for i, actual in zip(to_look_up, actuals, strict=True):
        outcome = outcomes[i]
        assert isinstance(outcome, Desire)
        planned[i] = await _plan_desire(
            ctx, outcome, actual, page, target_keys[i], seen=seen, skus_known=skus_known
        )
    return [p for p in planned if p is not None]


async def _prefetch(
    ctx: FlowContext,
    orders: Sequence[Desire | Dropped],
    *,
    seen: Observation,
    skus_known: dict[str, bool],
) -> None:
    """Look up a page's new orders' customers and products in batches before planning them,
    so an order costs no look-ups of its own (each e-mail and SKU once per pass)."""
    emails: dict[str, None] = {}
    skus: dict[str, None] = {}
    for order in orders:
        if not isinstance(order, Desire):
            continue
        plan = order.debtor
        wanted = order.customer is not None and plan is not None and plan.email
        if wanted and plan is not None and plan.email not in seen.customers:
            emails.setdefault(str(plan.email), None)
        for sku in order.skus:
            if sku not in skus_known:
                skus.setdefault(sku, None)
    # The two look-ups are independent: both at once.
    found, products = await asyncio.gather(
        _lookup_many(ctx, Entity.customers, list(emails)),
        _lookup_many(ctx, Entity.products, list(skus)),
    )
    seen.target_reads += len(emails) + len(skus)
    seen.customers.update(zip(emails, found, strict=True))
    skus_known.update((sku, record is not None) for sku, record in zip(skus, products, strict=True))


def _order_written(ctx: FlowContext, state: RecordState | None) -> bool:
    return (
        ctx.entity is Entity.orders
        and state is not None
        and state.fingerprint is not None
        and state.last_outcome is Outcome.ok
        and state.last_action in (StateAction.create, StateAction.skip, StateAction.noop)
    )


def _target_key(ctx: FlowContext, outcome: Desire | Dropped) -> str:
    assert isinstance(outcome, Desire)
    return ctx.target_key(ctx.entity, outcome.fields, outcome.key)


def _waiting(state: RecordState | None, now: dt.datetime) -> str | None:
    if state is None:
        return None
    if state.quarantined:
        return (
            f"quarantined after {state.attempts} failed attempts: {state.reason}; "
            "release it with `koppel quarantine retry`"
        )
    if not state.is_due(now) and state.next_attempt_at is not None:
        return (
            f"failed before ({state.reason}); next attempt after "
            f"{state.next_attempt_at.isoformat(timespec='seconds')}"
        )
    return None


async def _plan_desire(
    ctx: FlowContext,
    desire: Desire,
    actual: TargetRecord | None,
    page: int,
    target_key: str,
    *,
    seen: Observation,
    skus_known: dict[str, bool],
) -> Planned:
    """The desire's plan against what the target holds (``actual``, found by ``target_key``,
    which a write's intent journals so that a lost answer or a crash is settled by it)."""
    is_order = ctx.entity is Entity.orders
    action = plan_record(
        desire.key,
        desire.fields,
        actual,
        policies=desire.policies,
        ignore=desire.ignore,
        rules=ctx.rules,
        never_change=is_order,
        update_allowed=_updates_allowed(ctx),
        # The pass keys state on the whole desire (the debtor too), not the fields alone.
        desired_fingerprint=desire.fingerprint,
    )
    if action.kind in (ActionKind.noop, ActionKind.skip):
        return Planned(page, action, settle=True)
    if not is_order or action.kind is not ActionKind.create:
        return Planned(page, action, target_key=target_key)
    missing = await _missing_skus(ctx, desire.skus, skus_known, seen=seen)
    if missing:
        reason = (
            f"products missing in the target: {', '.join(missing)}; the order is retried "
            "on later passes (sync the products first)"
        )
        return Planned(
            page,
            Action(ActionKind.fail, desire.key, desire.fingerprint, reason=reason),
            skus=desire.skus,
        )
    customer = None
    plan = desire.debtor
    if desire.customer is not None and plan is not None and plan.email:
        if plan.email not in seen.customers:
            seen.customers[plan.email] = (await _lookup_many(ctx, Entity.customers, [plan.email]))[
                0
            ]
            seen.target_reads += 1
        found = seen.customers[plan.email]
        customer = plan_record(
            plan.email, desire.customer, found, rules=ctx.customer_rules, update_allowed=plan.update
        )
        if customer.kind is ActionKind.create and not plan.create:
            reason = (
                f"customer {plan.email} does not exist in the target and the flow does "
                "not create customers (orders.customers.create: false)"
            )
            return Planned(
                page, Action(ActionKind.fail, desire.key, desire.fingerprint, reason=reason)
            )
        if found is not None and customer.kind in (ActionKind.noop, ActionKind.skip):
            customer = Action(
                customer.kind,
                plan.email,
                customer.fingerprint,
                record={ctx.link.id_field: found.get(ctx.link.id_field)},
                changes=customer.changes,
                reason=customer.reason,
            )
    explanation = plan.reason if plan is not None else ""
    if customer is not None:
        verb = {"create": "to be created", "update": "to be updated"}.get(
            customer.kind.value, "existing"
        )
        explanation = f"{explanation}; customer {verb}"
    return Planned(page, action, customer, explanation, desire.skus, target_key=target_key)


def _updates_allowed(ctx: FlowContext) -> bool:
    settings: Any = getattr(ctx.program.spec, "customers", None)
    if ctx.entity is Entity.customers and settings is not None:
        return bool(settings.update)
    products: Any = getattr(ctx.program.spec, "products", None)
    if ctx.entity is Entity.products and products is not None:
        return bool(products.update)
    return True


async def _missing_skus(
    ctx: FlowContext, skus: Iterable[str], known: dict[str, bool], *, seen: Observation
) -> list[str]:
    unknown = [sku for sku in dict.fromkeys(skus) if sku not in known]
    if unknown:
        found = await _lookup_many(ctx, Entity.products, unknown)
        seen.target_reads += len(unknown)
        for sku, record in zip(unknown, found, strict=True):
            known[sku] = record is not None
    return [sku for sku in dict.fromkeys(skus) if not known[sku]]


async def _lookup_many(
    ctx: FlowContext, entity: Entity, keys: Sequence[str]
) -> list[TargetRecord | None]:
    """Look keys up in the target: in one batch when the connector can, else concurrently."""
    if not keys:
        return []
    batch = getattr(ctx.target, "lookup_many", None)
    if batch is not None:
        found: dict[str, TargetRecord] = await batch(entity, list(keys))
        return [found.get(key) for key in keys]
    return await bounded_map(
        list(keys), lambda key: ctx.target.lookup(entity, key), limit=LOOKUP_CONCURRENCY
    )
