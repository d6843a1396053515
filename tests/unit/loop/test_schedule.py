"""The scheduler on virtual time: intervals, drift scans, backoff, suspend, dependencies,
new revisions, the watchdog and flapping detection."""

from __future__ import annotations

import datetime as dt
import random

from reconciler.loop.schedule import Due, FlowPlan, Phase, Scheduler, SchedulerSettings

T0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
A = ("t", "customers")
B = ("t", "orders")


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _scheduler(*plans: FlowPlan) -> Scheduler:
    scheduler = Scheduler(SchedulerSettings(jitter=0.0), rng=random.Random(1))
    scheduler.load(plans or (FlowPlan(A, 300, 86400),), revision="r1", now=T0)
    return scheduler


def _run(scheduler: Scheduler, now: dt.datetime) -> list[Due]:
    due = scheduler.due(now)
    for item in due:
        scheduler.started(item, now=now)
        scheduler.succeeded(item, now=now)
    return due


def test_runs_on_its_interval_and_drift_scan() -> None:
    """A flow runs at once (comparing everything), then every interval; a full drift scan comes
    on its own interval."""
    scheduler = _scheduler(FlowPlan(A, 300, 900))
    assert [d.full for d in _run(scheduler, T0)] == [True]
    assert scheduler.due(_at(299)) == []
    assert _run(scheduler, _at(300)) == [Due(A, full=False)]
    _run(scheduler, _at(600))
    assert _run(scheduler, _at(900)) == [Due(A, full=True)]


def test_temporary_failures_back_off_exponentially_with_a_cap() -> None:
    """Each temporary failure waits longer (full jitter under a doubling ceiling), never beyond
    the cap; Retry-After is honoured; success resets the attempts."""
    scheduler = _scheduler()
    now = T0
    waits = []
    for _ in range(12):
        (due,) = scheduler.due(now)
        scheduler.started(due, now=now)
        scheduler.failed(due, now=now, reason="503", permanent=False)
        wait = (scheduler.flows[A].next_run - now).total_seconds()
        waits.append(wait)
        now = scheduler.flows[A].next_run
    assert max(waits) <= scheduler.settings.backoff_cap
    assert scheduler.flows[A].phase is Phase.reconciling
    (due,) = scheduler.due(now)
    scheduler.started(due, now=now)
    scheduler.failed(due, now=now, reason="429", permanent=False, retry_after=120)
    assert scheduler.flows[A].next_run - now >= dt.timedelta(seconds=120)


def test_permanent_failure_stalls_and_a_new_revision_wins() -> None:
    """A permanent failure stalls the flow at the slow cadence; a revision changing the flow
    makes it due at once with its backoff cancelled."""
    scheduler = _scheduler(FlowPlan(A, 300, 86400, digest="v1"))
    (due,) = scheduler.due(T0)
    scheduler.started(due, now=T0)
    scheduler.failed(due, now=T0, reason="401 token refused", permanent=True)
    state = scheduler.flows[A]
    assert state.phase is Phase.stalled
    assert state.next_run == _at(1800)
    changed = scheduler.load([FlowPlan(A, 300, 86400, digest="v2")], revision="r2", now=_at(60))
    assert changed == {A}
    assert [d.key for d in scheduler.due(_at(60))] == [A]
    assert state.attempts == 0


def test_unchanged_flows_keep_their_schedule_on_a_new_revision() -> None:
    """A revision that does not touch a flow leaves its schedule alone."""
    scheduler = _scheduler(FlowPlan(A, 300, 86400, digest="v1"))
    _run(scheduler, T0)
    assert (
        scheduler.load([FlowPlan(A, 300, 86400, digest="v1")], revision="r2", now=_at(10)) == set()
    )
    assert scheduler.due(_at(10)) == []


def test_suspend_and_dependencies() -> None:
    """A suspended flow never runs; orders wait until customers passed in this revision."""
    scheduler = _scheduler(
        FlowPlan(A, 300, 86400), FlowPlan(B, 300, 86400, depends_on=("customers",))
    )
    assert [d.key for d in scheduler.due(T0)] == [A]
    _run(scheduler, T0)
    assert [d.key for d in scheduler.due(T0)] == [B]
    scheduler.load([FlowPlan(A, 300, 86400, suspend=True)], revision="r2", now=_at(1))
    assert scheduler.due(_at(10_000)) == []


def test_watchdog_reports_passes_that_run_too_long() -> None:
    """A pass running beyond the timeout is reported; nothing hangs in Reconciling unseen."""
    scheduler = _scheduler()
    (due,) = scheduler.due(T0)
    scheduler.started(due, now=T0)
    assert scheduler.overdue(_at(100), timeout=600) == []
    assert scheduler.overdue(_at(601), timeout=600) == [A]
    assert scheduler.due(_at(601)) == []  # never started twice


def test_flapping_drops_to_detect_and_alert() -> None:
    """The same record reverted in three drift scans in a row marks the flow flapping: it is
    then planned, not applied, until a new revision changes it."""
    scheduler = _scheduler(FlowPlan(A, 60, 60, digest="v1"))
    now = T0
    for _ in range(3):
        (due,) = scheduler.due(now)
        scheduler.started(due, now=now)
        scheduler.succeeded(due, now=now, reverted=["sku-1"])
        now = scheduler.flows[A].next_run
    state = scheduler.flows[A]
    assert state.flapping
    assert state.phase is Phase.stalled
    assert "flapping" in state.reason
    (due,) = scheduler.due(now)
    assert due.apply is False
    scheduler.load([FlowPlan(A, 60, 60, digest="v2")], revision="r2", now=now)
    assert scheduler.due(now)[0].apply is True
