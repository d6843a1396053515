"""Notifications on failure and on recovery, for the long-lived reconciler.

    transitions   pure: previous state per flow -> announce or not (edge-triggered)
    limiter       pure + clock: at most N messages per tenant per window
    message       pure: the Slack-compatible body with structured fields, masked
    sender        effectful: POST to the webhook with short retries; never raises
    notifier      composes them; held messages go out as one digest per tenant; submit() for
                  synchronous callbacks (Reconciler.on_pass), wait_idle() on shutdown
    states        what a pass gave (PassReport, error text or exception) -> FlowState

The webhook URL is a secret reference the caller resolves; this package takes the URL itself.
It sits below the loop and the server and above the pass engine (whose report it reads).
"""

from reconciler.notify.limiter import RateLimit, RateLimiter
from reconciler.notify.message import digest_message, transition_message
from reconciler.notify.notifier import Notifier
from reconciler.notify.sender import WEBHOOK_SETTINGS, Sender, WebhookSender
from reconciler.notify.states import state_of, state_of_error, state_of_pass
from reconciler.notify.transitions import (
    FlowOutcome,
    FlowState,
    Transition,
    TransitionKind,
    TransitionTracker,
    transition,
)

__all__ = [
    "WEBHOOK_SETTINGS",
    "FlowOutcome",
    "FlowState",
    "Notifier",
    "RateLimit",
    "RateLimiter",
    "Sender",
    "Transition",
    "TransitionKind",
    "TransitionTracker",
    "WebhookSender",
    "digest_message",
    "state_of",
    "state_of_error",
    "state_of_pass",
    "transition",
    "transition_message",
]
