"""The audit's results as plain data: a compared revision, a comparison, a history entry.

Pure and free of GitPython, so the renderers (and anything else that reports on history, such as
a status page) work on these without touching a repository.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reconciler.audit.semantic import SemanticDiff


@dataclass(frozen=True)
class Side:
    """One revision of a comparison: what the user named, the commit it is (``None`` for the
    working tree) and how many validation errors its specs have."""

    label: str
    sha: str | None
    problems: int = 0

    @property
    def valid(self) -> bool:
        return self.problems == 0

    @property
    def short(self) -> str:
        """The short commit id, or the label for the working tree."""
        return self.sha[:12] if self.sha else self.label


@dataclass(frozen=True)
class Comparison:
    """``koppel diff``: the semantic diff from ``old`` to ``new`` in the spec path ``path``."""

    old: Side
    new: Side
    path: str
    diff: SemanticDiff


@dataclass(frozen=True)
class HistoryEntry:
    """One commit that touched the spec path, with its diff against its first parent."""

    sha: str
    author: str
    email: str
    time: dt.datetime
    message: str
    problems: int
    """Validation errors of the specs at this commit (0: valid)."""
    diff: SemanticDiff
    parent: str | None = None

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""

    @property
    def valid(self) -> bool:
        return self.problems == 0
