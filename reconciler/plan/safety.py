"""The pass-level safety checks, pure: the circuit breaker and the empty-desired-set guard.

A broken mapping merged on a Friday evening must not rewrite every product in the POS: a pass
that would change more records than the flow's ``safety`` allows stops before writing and waits
for ``koppel apply --confirm``. And a full pass whose source suddenly yields nothing, while the
last one yielded records, is refused: an empty answer is far more often an outage or a wrong
filter than a shop that sold everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.plan.actions import Action, ActionKind
from reconciler.spec.models.flow import Safety

SHARE_FLOOR = 20
"""Below this many records read, the share limit is not applied (3 of 5 is not a stampede)."""


@dataclass(frozen=True)
class Tally:
    """How many records a plan reads and what it does with them."""

    read: int = 0
    create: int = 0
    update: int = 0
    skip: int = 0
    noop: int = 0
    fail: int = 0

    @classmethod
    def of(cls, actions: Iterable[Action]) -> Tally:
        return cls.counted(Counter(action.kind for action in actions))

    @classmethod
    def counted(cls, counts: Counter[ActionKind]) -> Tally:
        """The tally of actions counted by kind."""
        return cls(
            read=counts.total(),
            create=counts[ActionKind.create],
            update=counts[ActionKind.update],
            skip=counts[ActionKind.skip],
            noop=counts[ActionKind.noop],
            fail=counts[ActionKind.fail],
        )

    @property
    def changes(self) -> int:
        return self.create + self.update

    def adds_up(self) -> bool:
        """read = written + unchanged + skipped + failed: nothing dropped silently."""
        return self.read == self.changes + self.noop + self.skip + self.fail


def breaker(tally: Tally, safety: Safety) -> str | None:
    """Why the pass must wait for confirmation, or None when it may write."""
    if tally.changes > safety.max_changes:
        return (
            f"the pass would change {tally.changes} records, more than safety.maxChanges "
            f"({safety.max_changes})"
        )
    if tally.read >= SHARE_FLOOR and tally.changes / tally.read > safety.max_change_share:
        share = tally.changes / tally.read
        return (
            f"the pass would change {share:.0%} of the {tally.read} records read, more than "
            f"safety.maxChangeShare ({safety.max_change_share:.0%})"
        )
    return None


def empty_guard(*, desired_now: int, desired_before: int, full: bool) -> str | None:
    """Why a pass whose desired set is suddenly empty is refused, or None."""
    if full and desired_now == 0 and desired_before > 0:
        return (
            f"the source yields no records, while the last full pass had {desired_before}; "
            "check the source connection and filters, then run with --confirm if this is right"
        )
    return None
