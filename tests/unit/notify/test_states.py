"""How a pass's report or exception becomes the flow state the notifier compares."""

from __future__ import annotations

from reconciler.errors import AuthenticationError
from reconciler.notify import FlowOutcome, state_of, state_of_error, state_of_pass
from reconciler.passes.apply import Counts
from reconciler.passes.runner import PassReport
from reconciler.plan.safety import Tally


def _report(**kwargs: object) -> PassReport:
    return PassReport("jansen", "pos-orders", "plan-1", False, Tally(read=10), **kwargs)  # type: ignore[arg-type]


def test_clean_pass_is_ok() -> None:
    """A pass with no failed records is healthy."""
    state = state_of_pass(_report(counts=Counts(read=10, created=10)), revision="r1")
    assert (state.outcome, state.revision, state.reason) == (FlowOutcome.ok, "r1", None)


def test_failed_records_make_the_flow_failing_with_the_first_ones() -> None:
    """Failed records give ``failing``, the count as the reason and at most five failures."""
    failures = [(f"order-{n}", "tax code unknown") for n in range(8)]
    counts = Counts(read=10, created=2, failed=8, failures=failures)
    state = state_of_pass(_report(counts=counts), revision="r1")
    assert state.outcome is FlowOutcome.failing
    assert state.failed == 8
    assert state.reason == "8 records failed"
    assert state.failures == tuple(failures[:5])


def test_one_failed_record_reads_well() -> None:
    """The reason for one failure is singular."""
    counts = Counts(read=1, failed=1, failures=[("sku-1", "article number must be numeric")])
    state = state_of_pass(_report(counts=counts), revision="r1")
    assert state.reason == "1 record failed"


def test_stopped_pass_is_stopped_with_its_reason() -> None:
    """A pass the circuit breaker stopped is ``stopped``, whatever its counts."""
    state = state_of_pass(_report(stopped="12 changes exceed maxChanges 10"), revision="r1")
    assert (state.outcome, state.reason) == (FlowOutcome.stopped, "12 changes exceed maxChanges 10")


def test_pass_that_raised_is_failing_with_the_error() -> None:
    """A pass ended by an exception is ``failing`` with ``Type: message`` as the reason."""
    error = AuthenticationError("token refused", system="afas-profit", operation="GetConnector")
    state = state_of_error("jansen", "stock", revision=None, error=error)
    assert state.outcome is FlowOutcome.failing
    assert state.reason == "AuthenticationError: afas-profit GetConnector: token refused"


def test_state_of_takes_what_on_pass_gives() -> None:
    """The loop's callback arguments: an error text gives ``failing`` with it on one line, a
    report gives the report's state, neither (flow gone) gives nothing to compare."""
    failing = state_of("t", "f", report=None, error="afas down:\n  503", revision="r1")
    assert failing is not None
    assert (failing.outcome, failing.reason, failing.revision) == (
        FlowOutcome.failing,
        "afas down: 503",
        "r1",
    )
    ok = state_of("t", "f", report=_report(counts=Counts(read=1)), error=None, revision="r1")
    assert ok is not None
    assert ok.outcome is FlowOutcome.ok
    assert state_of("t", "f", report=None, error=None, revision="r1") is None
