"""When a flow's health is worth a message: a small pure state machine over pass outcomes.

The loop reports each pass of each flow as a ``FlowState``; ``transition`` compares it with the
flow's previous state and says whether a person should hear about it. The rule is edge-triggered
on (outcome, revision): a flow that starts failing is announced once, not once per failed record
or per pass; a new spec revision that does not fix it is announced once more, because someone's
merge just did not help; a recovery is announced once. A flow that is healthy from the start is
never announced: "recovered" only means something after "failing".

No I/O and no clock here, so every rule is a table test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class FlowOutcome(StrEnum):
    """How a pass of a flow ended, as far as a person on call cares."""

    ok = "ok"
    failing = "failing"
    """The pass failed, or some of its records failed."""
    stopped = "stopped"
    """The pass stopped before writing (circuit breaker, empty source) and waits for a person."""


@dataclass(frozen=True, slots=True)
class FlowState:
    """The health of one flow after one pass."""

    tenant: str
    flow: str
    revision: str | None
    """The spec revision the pass ran with."""
    outcome: FlowOutcome
    reason: str | None = None
    """Why it is failing or stopped, in one line."""
    failed: int = 0
    """Records that failed in the pass."""
    failures: tuple[tuple[str, str], ...] = ()
    """(record key, reason) of the first failed records, for the message."""


class TransitionKind(StrEnum):
    """What a message announces."""

    failing = "failing"
    stopped = "stopped"
    still_failing = "still-failing"
    """A new revision ran and the flow is still failing (or still stopped)."""
    recovered = "recovered"


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of a flow's health that is announced once."""

    kind: TransitionKind
    current: FlowState
    previous: FlowState | None


def transition(previous: FlowState | None, current: FlowState) -> Transition | None:
    """The transition from ``previous`` (None: not known) to ``current``, or None when the
    change is not worth a message."""
    if current.outcome is FlowOutcome.ok:
        if previous is None or previous.outcome is FlowOutcome.ok:
            return None
        return Transition(TransitionKind.recovered, current, previous)
    if current.outcome is FlowOutcome.stopped:
        entered = TransitionKind.stopped
    else:
        entered = TransitionKind.failing
    if previous is None or previous.outcome is not current.outcome:
        return Transition(entered, current, previous)
    if previous.revision != current.revision:
        return Transition(TransitionKind.still_failing, current, previous)
    # Same outcome, same revision: more failed records or another reason are not news.
    return None


class TransitionTracker:
    """The last state of every flow this process has seen, and the transitions between them.

    It lives in memory: after a restart, or when a flow's lease moves to another replica, the
    first failing pass there is announced again — one duplicate is better than a missed failure.
    ``known`` seeds it (e.g. from the state store's last runs) to avoid that duplicate.
    """

    def __init__(self, known: Iterable[FlowState] = ()) -> None:
        self._last: dict[tuple[str, str], FlowState] = {(s.tenant, s.flow): s for s in known}

    def observe(self, state: FlowState) -> Transition | None:
        """Record ``state`` as the flow's latest and return the transition it makes, if any."""
        key = (state.tenant, state.flow)
        change = transition(self._last.get(key), state)
        self._last[key] = state
        return change

    def forget(self, tenant: str, flow: str) -> None:
        """Drop a flow (removed from the specs, or its lease went to another replica)."""
        self._last.pop((tenant, flow), None)

    def last(self, tenant: str, flow: str) -> FlowState | None:
        return self._last.get((tenant, flow))
