"""The state store: what koppel remembers between passes, per tenant and flow.

Record fingerprints (skip unchanged records), cursors (read incrementally), runs and the activity
log (audit: which commit changed what), quarantine (failing records set aside with their reason),
the intent journal (no duplicate creates after a crash) and leases (one replica per flow).
``open_store(url)`` picks the implementation by URL scheme; the engine depends on ``StateStore``
only. See README.md beside this file for the tables.
"""

from __future__ import annotations

from reconciler.state.factory import DEFAULT_URL, mask_url, open_store
from reconciler.state.rows import (
    Action,
    ActivityEntry,
    BackoffPolicy,
    Clock,
    Intent,
    JsonObject,
    Lease,
    Outcome,
    RecordState,
    Run,
    RunCounts,
    RunStatus,
    utc_now,
)
from reconciler.state.store import StateStore

__all__ = [
    "DEFAULT_URL",
    "Action",
    "ActivityEntry",
    "BackoffPolicy",
    "Clock",
    "Intent",
    "JsonObject",
    "Lease",
    "Outcome",
    "RecordState",
    "Run",
    "RunCounts",
    "RunStatus",
    "StateStore",
    "mask_url",
    "open_store",
    "utc_now",
]
