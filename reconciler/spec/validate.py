"""The whole validation: load a spec tree, check structure, build the SpecSet, check meaning.

Every problem is collected and returned at once; nothing here raises on bad input. A document
with structural problems is left out of the SpecSet, so one broken file does not hide the
meaning problems of the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.capabilities import Capabilities
from reconciler.spec.diagnostics import Code, Diagnostic, Severity, relative
from reconciler.spec.loader import MAX_FILE_BYTES, RawDocument, load_tree
from reconciler.spec.meaning import check_meaning
from reconciler.spec.specset import SpecSet, build
from reconciler.spec.structure import check_structure


@dataclass
class Validation:
    """The outcome of validating a spec tree."""

    specs: SpecSet
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    documents: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.error]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate_tree(
    root: Path,
    *,
    capabilities: Mapping[str, Capabilities],
    max_file_bytes: int = MAX_FILE_BYTES,
) -> Validation:
    """Validate every spec file under ``root``; see the module docstring."""
    loaded = load_tree(root, max_file_bytes=max_file_bytes)
    diagnostics = list(loaded.diagnostics)
    good: list[RawDocument] = []
    bad: list[RawDocument] = []
    for doc in loaded.documents:
        problems = check_structure(doc)
        diagnostics.extend(problems)
        (bad if problems else good).append(doc)
    specs, naming = build(good, invalid=bad)
    diagnostics.extend(naming)
    diagnostics.extend(check_meaning(specs, capabilities))
    if not loaded.documents and not loaded.diagnostics:
        diagnostics.append(
            Diagnostic(
                relative(Path(root), Path(root)),
                1,
                1,
                Code.no_specs,
                "no spec documents found (*.yaml or *.yml files with apiVersion: koppel/v1)",
            )
        )
    return Validation(specs, sorted(set(diagnostics)), loaded.files, len(loaded.documents))
