"""Cursors, units of work and runs: the cursor never moves past an unprocessed record."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.state import Action, Outcome, RunCounts, RunStatus, StateStore
from tests.unit.state.conftest import FakeClock


class PageFailed(Exception):
    """Stands for anything that goes wrong half-way through recording a page."""


def _record_page(tx: StateStore, keys: list[str], cursor: str) -> None:
    for key in keys:
        tx.record_applied("t1", "orders", key, fingerprint=f"fp-{key}", action=Action.create)
        tx.log_activity("t1", "orders", key, action=Action.create, outcome=Outcome.ok)
    tx.set_cursor("t1", "orders", cursor)


def test_cursor_is_none_until_set_and_is_kept_per_tenant_and_flow(store: StateStore) -> None:
    """A flow's cursor starts unset, can be moved and cleared, and is separate per tenant/flow."""
    assert store.get_cursor("t1", "orders") is None
    store.set_cursor("t1", "orders", "2026-03-01T09:00:00Z|1042")
    store.set_cursor("t2", "orders", "other")
    assert store.get_cursor("t1", "orders") == "2026-03-01T09:00:00Z|1042"
    assert store.get_cursor("t1", "customers") is None
    store.set_cursor("t1", "orders", None)
    assert store.get_cursor("t1", "orders") is None
    assert store.get_cursor("t2", "orders") == "other"


def test_page_outcomes_and_cursor_commit_together(store: StateStore) -> None:
    """A unit of work that completes makes the page's outcomes, log rows and cursor visible."""
    with store.transaction() as tx:
        _record_page(tx, ["A", "B"], "page-1")

    assert store.get_cursor("t1", "orders") == "page-1"
    assert store.fingerprints("t1", "orders", ["A", "B"]) == {"A": "fp-A", "B": "fp-B"}
    assert len(store.activity(tenant="t1")) == 2


def test_an_exception_in_a_unit_of_work_leaves_cursor_and_outcomes_unchanged(
    store: StateStore,
) -> None:
    """When recording a page fails half-way, neither the cursor nor any outcome of that page is
    kept: the next pass reads the page again from the old cursor."""
    with store.transaction() as tx:
        _record_page(tx, ["A"], "page-1")

    def fail_half_way() -> None:
        with store.transaction() as tx:
            _record_page(tx, ["B", "C"], "page-2")
            tx.record_failed("t1", "orders", "A", action=Action.update, reason="x")
            raise PageFailed

    with pytest.raises(PageFailed):
        fail_half_way()

    assert store.get_cursor("t1", "orders") == "page-1"
    assert store.fingerprints("t1", "orders", ["A", "B", "C"]) == {"A": "fp-A"}
    assert store.get_record("t1", "orders", "A") == store.records("t1", "orders", ["A"])["A"]
    state = store.get_record("t1", "orders", "A")
    assert state is not None
    assert state.attempts == 0
    assert [e.key for e in store.activity(tenant="t1")] == ["A"]


def test_a_nested_unit_of_work_that_fails_undoes_only_its_own_writes(store: StateStore) -> None:
    """An inner unit of work is a savepoint: its failure, if handled, keeps the outer writes."""

    def fail_inside(outer: StateStore) -> None:
        with outer.transaction() as inner:
            inner.set_cursor("t1", "orders", "inner")
            inner.record_applied("t1", "orders", "X", fingerprint="x", action=Action.create)
            raise PageFailed

    with store.transaction() as outer:
        outer.set_cursor("t1", "orders", "outer")
        with pytest.raises(PageFailed):
            fail_inside(outer)
        outer.record_applied("t1", "orders", "Y", fingerprint="y", action=Action.create)

    assert store.get_cursor("t1", "orders") == "outer"
    assert store.fingerprints("t1", "orders", ["X", "Y"]) == {"Y": "y"}


def test_runs_are_started_finished_and_listed_newest_first(
    store: StateStore, clock: FakeClock
) -> None:
    """A run keeps its revision, plan id and drift-scan flag; finishing stores status, counts
    (as given) and the end time; listing is newest first and can be limited to one flow."""
    first = store.start_run("t1", "orders", revision="abc123", plan_id="plan-1")
    running = store.get_run(first)
    assert running is not None
    assert (running.status, running.finished_at, running.counts) == (
        RunStatus.running,
        None,
        RunCounts(),
    )
    assert (running.revision, running.plan_id, running.drift_scan) == ("abc123", "plan-1", False)
    assert running.started_at == clock.now

    clock.advance(seconds=30)
    counts = RunCounts(read=10, created=2, updated=3, unchanged=4, skipped=0, failed=1)
    done = store.finish_run(first, status=RunStatus.succeeded, counts=counts, message="fine")
    assert done == store.get_run(first)
    assert (done.status, done.counts, done.message) == (RunStatus.succeeded, counts, "fine")
    assert done.finished_at == clock.now
    assert done.counts.adds_up

    second = store.start_run("t1", "customers", revision="def456", drift_scan=True)
    store.start_run("t2", "orders", revision="zzz")
    assert [r.id for r in store.runs("t1")] == [second, first]
    assert [r.id for r in store.runs("t1", "orders")] == [first]
    assert [r.id for r in store.runs("t1", limit=1)] == [second]
    drift = store.get_run(second)
    assert drift is not None
    assert drift.drift_scan
    assert store.get_run(999_999) is None


def test_counts_that_do_not_add_up_are_stored_as_given(store: StateStore) -> None:
    """The read = written + unchanged + skipped + failed invariant is the caller's; the store
    keeps what it is told, and ``adds_up`` shows the discrepancy."""
    run = store.start_run("t1", "orders", revision="r")
    counts = RunCounts(read=5, created=1)
    finished = store.finish_run(run, status=RunStatus.failed, counts=counts)
    assert finished.counts == counts
    assert not finished.counts.adds_up


def test_finishing_an_unknown_run_is_a_state_error(store: StateStore) -> None:
    """A run id the store never handed out cannot be finished."""
    with pytest.raises(StateError, match="run 424242 does not exist"):
        store.finish_run(424242, status=RunStatus.succeeded, counts=RunCounts())
