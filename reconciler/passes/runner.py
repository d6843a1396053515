"""One pass of one flow, end to end: recover, observe and plan, check safety, apply, record.

``plan_pass`` stops after planning and writes nothing anywhere (``koppel plan``); ``run_pass``
applies (``koppel apply``, and each scheduled pass of ``koppel run``). A pass whose plan trips
the circuit breaker, or whose desired set is suddenly empty, stops before writing and says why;
``confirm=True`` lets a person take responsibility for it.

An unconfirmed pass plans everything into a spool before it writes, since both checks need the
whole plan. A confirmed pass has nothing to wait for: it streams, applying each page while the
next is planned, so a first sync of a large system starts writing at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from itertools import islice

from connectors.base import MasterDataCheck
from reconciler.passes.apply import Applier, Counts, recover
from reconciler.passes.context import FlowContext
from reconciler.passes.observe import Observation, observe, plan_pages
from reconciler.passes.readahead import read_ahead
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
    applier = Applier(ctx, run_id, plan_id, progress=progress)
    report = PassReport(
        ctx.tenant, ctx.flow, plan_id, full, Tally(), run_id=run_id, recovered=recovered
    )
    job = _Applying(
        ctx, applier, report, full=full, reread=reread, now=now or utc_now(), total=planned_total
    )
    try:
        if confirm:
            await job.streamed()
        else:
            stop = await job.spooled()
            if stop is not None:
                report.stopped = stop
                store.finish_run(
                    run_id,
                    status=RunStatus.aborted,
                    counts=_run_counts(report.tally),
                    message=f"stopped before writing: {stop}",
                )
                return report
    except BaseException as exc:
        store.finish_run(
            run_id,
            status=RunStatus.failed,
            counts=_applied_counts(applier.counts),
            message=f"the pass ended early: {type(exc).__name__}: {exc}",
        )
        raise
    counts = report.counts = applier.counts
    status = RunStatus.failed if counts.failed else RunStatus.succeeded
    message = None
    if counts.failed:
        message = (
            f"{counts.failed} records failed; first: {counts.failures[0][0]}: "
            f"{counts.failures[0][1]}"
        )
    store.finish_run(run_id, status=status, counts=_applied_counts(counts), message=message)
    return report


@dataclass
class _Applying:
    """The plan-and-apply half of one applied pass, spooled or streamed."""

    ctx: FlowContext
    applier: Applier
    report: PassReport
    full: bool
    reread: bool
    now: dt.datetime
    total: Callable[[int], None] | None

    async def spooled(self) -> str | None:
        """Plan the whole pass into a spool, check it, then apply it; why the pass stopped
        before writing, or None when it applied."""
        ctx, report = self.ctx, self.report
        with Spool() as spool:
            seen = await observe(ctx, full=self.full, now=self.now, spool=spool, reread=self.reread)
            report.tally = tally = Tally.of(p.action for p in spool)
            report.target_reads = seen.target_reads
            stop = _stop_reason(ctx, tally, seen.desired, full=self.full)
            if stop is not None:
                return stop
            if self.total is not None:
                self.total(spool.count)
            await self.applier.apply(spool, seen.cursors)
        return None

    async def streamed(self) -> None:
        """A confirmed pass: no check waits for the whole plan, so each page is applied as soon
        as it is planned, while the next one is planned (one page ahead). Nothing is spooled,
        and a stopped pass reads no further."""
        seen = Observation()
        kinds: Counter[ActionKind] = Counter()
        pages = plan_pages(self.ctx, full=self.full, now=self.now, seen=seen, reread=self.reread)
        try:
            async with aclosing(read_ahead(pages)) as ahead:
                async for page in ahead:
                    kinds.update(planned.action.kind for planned in page.items)
                    if self.total is not None:
                        self.total(kinds.total())
                    await self.applier.apply_page(page.items, page.cursor)
                    if self.applier.halted():
                        break
        finally:
            self.report.tally = Tally.counted(kinds)
            self.report.target_reads = seen.target_reads


def _applied_counts(counts: Counts) -> RunCounts:
    return RunCounts(
        read=counts.read,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=counts.skipped,
        failed=counts.failed,
    )


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
