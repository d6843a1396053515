"""One pass of one flow, end to end: recover, observe and plan, check safety, apply, record.

``plan_pass`` stops after planning and writes nothing anywhere (``koppel plan``); ``run_pass``
applies (``koppel apply``, and each scheduled pass of ``koppel run``). A pass whose plan trips
the circuit breaker, or whose desired set is suddenly empty, stops before writing and says why;
``confirm=True`` lets a person take responsibility for it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice

from connectors.base import MasterDataCheck
from reconciler.passes.apply import Applier, Counts, recover
from reconciler.passes.context import FlowContext
from reconciler.passes.observe import observe
from reconciler.passes.spool import Planned, Spool
from reconciler.plan.actions import ActionKind
from reconciler.plan.safety import Tally, breaker, empty_guard
from reconciler.state.rows import RunCounts, RunStatus, utc_now

PLAN_LIMIT = 10_000
"""Planned changes kept for display by ``plan_pass``; the counts always cover everything."""


@dataclass
class PassReport:
    """What one pass of one flow planned or did."""

    tenant: str
    flow: str
    plan_id: str
    full: bool
    tally: Tally
    counts: Counts | None = None
    """Set when the pass applied (None for a plan)."""
    stopped: str | None = None
    """Why the pass stopped before writing (circuit breaker, empty source)."""
    run_id: int | None = None
    recovered: int = 0
    target_reads: int = 0
    planned: list[Planned] = field(default_factory=list)
    """Plans only: the records that would change or fail (up to PLAN_LIMIT)."""
    master_data: list[MasterDataCheck] = field(default_factory=list)
    """Plans only: the codes the specs name, checked against the target's master data."""

    @property
    def missing_master_data(self) -> list[MasterDataCheck]:
        return [check for check in self.master_data if check.exists is False]

    @property
    def changes(self) -> int:
        return self.tally.changes


async def plan_pass(
    ctx: FlowContext,
    *,
    full: bool = False,
    now: dt.datetime | None = None,
    codes: Mapping[str, set[str]] | None = None,
) -> PassReport:
    """Observe and plan, write nothing; the report lists what would change. ``codes`` (kind ->
    codes the specs name) are checked against the target's master data."""
    plan_id = uuid.uuid4().hex[:12]
    with Spool() as spool:
        seen = await observe(ctx, full=full, now=now or utc_now(), spool=spool)
        tally = Tally.of(p.action for p in spool)
        # islice: materialising every change before slicing held the whole plan in memory.
        changes = (p for p in spool if p.action.kind is not ActionKind.noop)
        planned = list(islice(changes, PLAN_LIMIT))
    report = PassReport(
        ctx.tenant, ctx.flow, plan_id, full, tally, planned=planned, target_reads=seen.target_reads
    )
    report.stopped = _stop_reason(ctx, tally, seen.desired, full=full)
    for kind, names in sorted((codes or {}).items()):
        report.master_data.extend(await ctx.target.check_master_data(kind, sorted(names)))
    return report


async def run_pass(
    ctx: FlowContext,
    *,
    full: bool = False,
    reread: bool = False,
    confirm: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    planned_total: Callable[[int], None] | None = None,
) -> PassReport:
    """One applied pass; see the module docstring."""
    plan_id = uuid.uuid4().hex[:12]
    store = ctx.store
    recovered = await recover(ctx)
    run_id = store.start_run(
        ctx.tenant, ctx.flow, revision=ctx.revision, plan_id=plan_id, drift_scan=full
    )
    try:
        with Spool() as spool:
            seen = await observe(ctx, full=full, now=now or utc_now(), spool=spool, reread=reread)
            tally = Tally.of(p.action for p in spool)
            report = PassReport(
                ctx.tenant,
                ctx.flow,
                plan_id,
                full,
                tally,
                run_id=run_id,
                recovered=recovered,
                target_reads=seen.target_reads,
            )
            stop = None if confirm else _stop_reason(ctx, tally, seen.desired, full=full)
            if stop is not None:
                report.stopped = stop
                store.finish_run(
                    run_id,
                    status=RunStatus.aborted,
                    counts=_run_counts(tally),
                    message=f"stopped before writing: {stop}",
                )
                return report
            if planned_total is not None:
                planned_total(spool.count)
            applier = Applier(ctx, run_id, plan_id, progress=progress)
            counts = await applier.apply(spool, seen.cursors)
            report.counts = counts
    except BaseException as exc:
        store.finish_run(
            run_id,
            status=RunStatus.failed,
            counts=RunCounts(),
            message=f"the pass ended early: {type(exc).__name__}: {exc}",
        )
        raise
    status = RunStatus.failed if counts.failed else RunStatus.succeeded
    message = None
    if counts.failed:
        message = (
            f"{counts.failed} records failed; first: {counts.failures[0][0]}: "
            f"{counts.failures[0][1]}"
        )
    store.finish_run(
        run_id,
        status=status,
        counts=RunCounts(
            read=counts.read,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            skipped=counts.skipped,
            failed=counts.failed,
        ),
        message=message,
    )
    return report


def _stop_reason(ctx: FlowContext, tally: Tally, desired: int, *, full: bool) -> str | None:
    before = _last_full_read(ctx)
    empty = empty_guard(desired_now=desired, desired_before=before, full=full)
    return empty or breaker(tally, ctx.safety)


def _last_full_read(ctx: FlowContext) -> int:
    for run in ctx.store.runs(ctx.tenant, ctx.flow, limit=20):
        if run.drift_scan and run.status is RunStatus.succeeded:
            return run.counts.read
    return 0


def _run_counts(tally: Tally) -> RunCounts:
    return RunCounts(read=tally.read)
