"""The pure rules: which changes of a flow's health are announced, and how often per tenant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reconciler.notify import (
    FlowOutcome,
    FlowState,
    RateLimit,
    RateLimiter,
    TransitionKind,
    TransitionTracker,
    transition,
)

OK, FAILING, STOPPED = FlowOutcome.ok, FlowOutcome.failing, FlowOutcome.stopped


def _state(outcome: FlowOutcome, revision: str = "r1", **kwargs: Any) -> FlowState:
    return FlowState("jansen", "pos-orders", revision, outcome, **kwargs)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (None, _state(OK), None),
        (None, _state(FAILING), TransitionKind.failing),
        (None, _state(STOPPED), TransitionKind.stopped),
        (_state(OK), _state(OK, "r2"), None),
        (_state(OK), _state(FAILING), TransitionKind.failing),
        (_state(OK), _state(STOPPED), TransitionKind.stopped),
        (_state(FAILING), _state(FAILING, reason="other", failed=9), None),
        (_state(FAILING), _state(FAILING, "r2"), TransitionKind.still_failing),
        (_state(FAILING), _state(STOPPED), TransitionKind.stopped),
        (_state(STOPPED), _state(STOPPED), None),
        (_state(STOPPED), _state(STOPPED, "r2"), TransitionKind.still_failing),
        (_state(STOPPED), _state(FAILING), TransitionKind.failing),
        (_state(FAILING), _state(OK), TransitionKind.recovered),
        (_state(FAILING), _state(OK, "r2"), TransitionKind.recovered),
        (_state(STOPPED), _state(OK), TransitionKind.recovered),
    ],
)
def test_transition_table(
    previous: FlowState | None, current: FlowState, expected: TransitionKind | None
) -> None:
    """Edge-triggered on (outcome, revision): news only when the outcome or, while failing, the
    revision changes; healthy flows and repeated failures are silent."""
    change = transition(previous, current)
    assert (change.kind if change else None) == expected


def test_tracker_announces_a_failure_once_and_its_recovery_once() -> None:
    """A run of passes gives exactly one failing and one recovered transition."""
    tracker = TransitionTracker()
    outcomes = [OK, FAILING, FAILING, FAILING, OK, OK]
    kinds = [tracker.observe(_state(o)) for o in outcomes]
    assert [k.kind if k else None for k in kinds] == [
        None,
        TransitionKind.failing,
        None,
        None,
        TransitionKind.recovered,
        None,
    ]


def test_tracker_is_per_flow_and_can_be_seeded_and_forget() -> None:
    """Flows are tracked apart; a seeded state suppresses the re-announcement after a restart;
    a forgotten flow is announced afresh."""
    seeded = _state(FAILING)
    tracker = TransitionTracker(known=[seeded])
    assert tracker.observe(_state(FAILING)) is None
    other = FlowState("jansen", "stock", "r1", FAILING)
    change = tracker.observe(other)
    assert change is not None
    assert change.kind is TransitionKind.failing
    tracker.forget("jansen", "pos-orders")
    assert tracker.last("jansen", "pos-orders") is None
    again = tracker.observe(_state(FAILING))
    assert again is not None
    assert again.kind is TransitionKind.failing


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 4, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_rate_limiter_is_a_sliding_window_per_tenant() -> None:
    """N admissions per window per tenant; budget comes back as old messages leave the window;
    one tenant's use does not touch another's."""
    clock = Clock()
    limiter = RateLimiter(RateLimit(messages=2, window=dt.timedelta(minutes=10)), clock=clock)
    assert limiter.admit("a")
    clock.now += dt.timedelta(minutes=4)
    assert limiter.admit("a")
    assert not limiter.admit("a")
    assert limiter.admit("b")
    clock.now += dt.timedelta(minutes=6)  # the first message leaves the window
    assert limiter.admit("a")
    assert not limiter.admit("a")


def test_rate_limit_refuses_nonsense() -> None:
    """A limit of zero messages or an empty window is a configuration error, not silence."""
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit(messages=0)
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit(window=dt.timedelta(0))
