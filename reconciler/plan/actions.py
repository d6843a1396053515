"""The plan's vocabulary: frozen, serialisable actions, one per record.

Each action carries the record key, the desired record's fingerprint and an idempotency key, so
the applier can journal it and a crash can be resolved without writing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ActionKind(StrEnum):
    create = "create"
    update = "update"
    skip = "skip"
    noop = "noop"
    fail = "fail"


@dataclass(frozen=True)
class Change:
    """One field that differs: its path, the target's value and the desired one."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Action:
    """What one record needs: create, update (with its changes), skip, noop or fail."""

    kind: ActionKind
    key: str
    fingerprint: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    """The fields to write: all of them on create, the changed ones on update."""
    changes: tuple[Change, ...] = ()
    reason: str = ""
    """Why: for skip and fail a sentence a person can act on; for others an explanation."""

    @property
    def idempotency_key(self) -> str:
        """Stable for the same record and desired content: journal key of a write."""
        return hashlib.sha256(f"{self.key}\0{self.fingerprint}".encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        """The action as JSON data (decimals and other non-JSON values as text)."""
        encoded: dict[str, Any] = json_data(self.to_plain())
        return encoded

    def to_plain(self) -> dict[str, Any]:
        """The action as plain data for ``json.dumps(..., default=json_default)``; cheaper than
        ``to_json`` where the caller serialises anyway (the spool)."""
        return {
            "kind": self.kind.value,
            "key": self.key,
            "fingerprint": self.fingerprint,
            "record": self.record,
            "changes": changes_data(self.changes),
            "reason": self.reason,
        }


def json_default(value: Any) -> Any:
    """``json.dumps`` default for plan data: decimals as exact text, anything else as text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def json_data(value: Any) -> Any:
    """``value`` as JSON data: what ``json_default`` makes of decimals and other values."""
    return json.loads(json.dumps(value, default=json_default))


def changes_data(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """Field changes as plain data (path, before, after)."""
    return [{"path": c.path, "before": c.before, "after": c.after} for c in changes]


def fingerprint(record: Any) -> str:
    """A stable hash of a desired record: equal content, equal fingerprint."""
    text = json.dumps(record, sort_keys=True, default=json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
