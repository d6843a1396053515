"""The body of a notification: Slack-compatible text plus the structured fields.

``text`` is what Slack, Mattermost, Rocket.Chat and Teams' Slack-compatible connectors show; the
other top-level fields (``tenant``, ``flow``, ``revision``, ``outcome``, ``reason``,
``failures``…) are for receivers that route or store events, and chat webhooks ignore them. Every
string is masked with the process's secret registry: a reason comes from a target's error text,
and nothing a target says is trusted to be free of a credential.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.errors import SECRETS
from reconciler.notify.limiter import RateLimit
from reconciler.notify.transitions import FlowOutcome, FlowState, Transition, TransitionKind

FAILURES_SHOWN = 5
"""Failed records listed in a message; the count says how many there were in all."""

REASON_LIMIT = 300
"""Characters of a reason kept in a message: enough to act on, short enough for a phone."""

_ICON = {
    TransitionKind.failing: ":red_circle:",
    TransitionKind.stopped: ":octagonal_sign:",
    TransitionKind.still_failing: ":red_circle:",
    TransitionKind.recovered: ":large_green_circle:",
}


def transition_message(change: Transition) -> dict[str, Any]:
    """The notification for one transition."""
    state = change.current
    name = f"{state.tenant}/{state.flow}"
    revision = _short(state.revision)
    if change.kind is TransitionKind.recovered:
        was = _short(change.previous.revision) if change.previous else "?"
        text = f"{name} recovered at revision {revision} (it was {_was(change)} at {was})"
    elif change.kind is TransitionKind.stopped:
        text = (
            f"{name} stopped before writing at revision {revision}: {_reason(state)}; "
            "it waits for a person (`koppel apply --confirm` after checking the plan)"
        )
    elif change.kind is TransitionKind.still_failing:
        was = _short(change.previous.revision) if change.previous else "?"
        verb = "stopped" if state.outcome is FlowOutcome.stopped else "failing"
        text = f"{name} is still {verb} at the new revision {revision} (was {was}): "
        text += _reason(state)
    else:
        text = f"{name} is failing at revision {revision}: {_reason(state)}"
    if state.failures:
        shown = "; ".join(f"{key}: {_cut(reason)}" for key, reason in _first(state))
        more = state.failed - len(_first(state))
        text += f"\nfirst failed records: {shown}" + (f" (and {more} more)" if more > 0 else "")
    body: dict[str, Any] = {
        "text": f"{_ICON[change.kind]} koppel: {_escape(text)}",
        "event": change.kind.value,
        **_fields(state),
    }
    return {key: _masked(value) for key, value in body.items()}


def digest_message(
    tenant: str, latest: Mapping[str, Transition], *, held: int, limit: RateLimit
) -> dict[str, Any]:
    """One message for the ``held`` transitions of a tenant that the rate limit kept back;
    ``latest`` is the last one of each flow, which is what the reader needs to act on."""
    minutes = int(limit.window.total_seconds() // 60)
    lines = [
        f"{tenant}: {held} flow changes while notifications were rate-limited "
        f"(at most {limit.messages} per {minutes} min); the latest of each flow:"
    ]
    for flow, change in sorted(latest.items()):
        state = change.current
        line = f"• {flow}: {change.kind.value} at revision {_short(state.revision)}"
        if state.outcome is not FlowOutcome.ok:
            line += f": {_reason(state)}"
        lines.append(line)
    body: dict[str, Any] = {
        "text": ":bell: koppel: " + _escape("\n".join(lines)),
        "event": "digest",
        "tenant": tenant,
        "held": held,
        "flows": [
            {"event": change.kind.value, **_fields(change.current)}
            for _, change in sorted(latest.items())
        ],
    }
    return {key: _masked(value) for key, value in body.items()}


def _fields(state: FlowState) -> dict[str, Any]:
    return {
        "tenant": state.tenant,
        "flow": state.flow,
        "revision": state.revision,
        "outcome": state.outcome.value,
        "reason": _cut(state.reason) if state.reason else None,
        "failed": state.failed,
        "failures": [{"key": key, "reason": _cut(reason)} for key, reason in _first(state)],
    }


def _first(state: FlowState) -> Sequence[tuple[str, str]]:
    return state.failures[:FAILURES_SHOWN]


def _was(change: Transition) -> str:
    previous = change.previous
    return "stopped" if previous and previous.outcome is FlowOutcome.stopped else "failing"


def _reason(state: FlowState) -> str:
    if state.reason:
        return _cut(state.reason)
    return f"{state.failed} records failed" if state.failed else "no reason given"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_LIMIT else text[:REASON_LIMIT] + "…"


def _short(revision: str | None) -> str:
    # A git SHA is readable at 12 characters; the structured field keeps the whole of it.
    return revision[:12] if revision else "(unknown)"


def _escape(text: str) -> str:
    """Slack's three control characters, so a reason like ``<html>`` is shown, not parsed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return SECRETS.mask(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value
