"""A pass's result as a ``FlowState``: the bridge from the pass engine to the notifier.

Kept apart from the transition rules so those stay free of the engine's types. ``state_of``
takes exactly what ``Reconciler.on_pass`` hands its callback (a report, or the error text).
"""

from __future__ import annotations

from reconciler.logs import error_text
from reconciler.notify.message import FAILURES_SHOWN
from reconciler.notify.transitions import FlowOutcome, FlowState
from reconciler.passes.runner import PassReport


def state_of_pass(report: PassReport, *, revision: str | None) -> FlowState:
    """The health a finished pass shows: stopped before writing, records failed, or ok."""
    if report.stopped is not None:
        return FlowState(
            report.tenant, report.flow, revision, FlowOutcome.stopped, reason=report.stopped
        )
    counts = report.counts
    if counts is None or counts.failed == 0:
        return FlowState(report.tenant, report.flow, revision, FlowOutcome.ok)
    # The reason is the count only: the first failures travel separately and every message
    # lists them, so repeating the first one here would print it twice.
    plural = "s" if counts.failed != 1 else ""
    reason = f"{counts.failed} record{plural} failed"
    return FlowState(
        report.tenant,
        report.flow,
        revision,
        FlowOutcome.failing,
        reason=reason,
        failed=counts.failed,
        failures=tuple(counts.failures[:FAILURES_SHOWN]),
    )


def state_of(
    tenant: str,
    flow: str,
    *,
    report: PassReport | None,
    error: str | None,
    revision: str | None,
) -> FlowState | None:
    """The state after a pass that gave ``report`` or ended with ``error`` (one of them); None
    when there was neither (the flow disappeared from the specs before its pass ran)."""
    if error is not None:
        reason = " ".join(error.split())
        return FlowState(tenant, flow, revision, FlowOutcome.failing, reason=reason)
    if report is None:
        return None
    return state_of_pass(report, revision=revision)


def state_of_error(
    tenant: str, flow: str, *, revision: str | None, error: BaseException
) -> FlowState:
    """The health of a pass that ended with an exception (target down, credentials refused)."""
    return FlowState(tenant, flow, revision, FlowOutcome.failing, reason=error_text(error))
