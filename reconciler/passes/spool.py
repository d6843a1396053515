"""A spool of planned records on disk, so a pass plans everything before it writes (the circuit
breaker needs the whole count) without holding a whole system in memory.

One JSON line per planned record in a temporary file that is removed when the pass ends.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from reconciler.plan.actions import Action, ActionKind, Change, json_data, json_default


@dataclass(frozen=True)
class Planned:
    """One record's plan: its action, the page it came from, and for orders the customer's."""

    page: int
    action: Action
    customer: Action | None = None
    """Orders: what the customer needs (create/update/noop), keyed by e-mail."""
    explanation: str = ""
    """Why the debtor was chosen (orders), for the activity log."""
    skus: tuple[str, ...] = ()
    target_key: str = ""
    """The key the target finds the record by (an order's reference); the action's key is the
    source's, which the state store uses."""
    settle: bool = False
    """Record the fingerprint as applied though nothing is written (the target already
    matches, or an existing order is skipped), so later passes need not look again."""

    def to_json(self) -> dict[str, Any]:
        """JSON data: decimals and other non-JSON values as text."""
        encoded: dict[str, Any] = json_data(self.to_plain())
        return encoded

    def to_plain(self) -> dict[str, Any]:
        """Plain data for ``json.dumps(..., default=json_default)``."""
        return {
            "page": self.page,
            "action": self.action.to_plain(),
            "customer": self.customer.to_plain() if self.customer else None,
            "explanation": self.explanation,
            "skus": list(self.skus),
            "settle": self.settle,
            "targetKey": self.target_key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Planned:
        customer = data.get("customer")
        return cls(
            page=int(data["page"]),
            action=_action(data["action"]),
            customer=_action(customer) if customer else None,
            explanation=str(data.get("explanation", "")),
            skus=tuple(data.get("skus", ())),
            settle=bool(data.get("settle", False)),
            target_key=str(data.get("targetKey", "")),
        )


def _action(data: dict[str, Any]) -> Action:
    return Action(
        kind=ActionKind(data["kind"]),
        key=str(data["key"]),
        fingerprint=data.get("fingerprint"),
        record=dict(data.get("record") or {}),
        changes=tuple(Change(c["path"], c["before"], c["after"]) for c in data.get("changes", [])),
        reason=str(data.get("reason", "")),
    )


class Spool:
    """Append planned records, then read them back in order; a context manager."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, planned: Planned) -> None:
        line = json.dumps(planned.to_plain(), separators=(",", ":"), default=json_default)
        self._file.write(line + "\n")
        self.count += 1

    def __iter__(self) -> Iterator[Planned]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield Planned.from_json(json.loads(line))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
