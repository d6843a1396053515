"""The semantic diff of two spec revisions: which documents were added, removed or changed, and
for a changed one, which field paths (camelCase, as written in YAML) went from which old value to
which new one.

Pure: it compares the data of the *loaded models* (``model_dump`` by alias) with deepdiff, never
the text, so what does not change meaning is not a change — reformatting, reordering mapping
keys, comments, quoting a number that the model reads as text anyway, writing out a default, or
moving a document to another file. Lists keep their order (a default debtor's rules are tried in
order, so reordering them is a change).

A revision that does not validate still has a snapshot: the documents that loaded. A document
missing on one side only because its file (or the document itself) could not be read there is
reported as *not compared*, not as removed or added — a broken commit and its fix must not look
like a tenant being deleted and created again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from reconciler.spec.models import KINDS, Document
from reconciler.spec.specset import Loaded, SpecSet

KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
"""Documents are listed per tenant in the order of the kinds table: Tenant first."""

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class _Missing:
    """The old value of an added field, the new value of a removed one."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, order=True)
class DocKey:
    """What identifies a document across revisions: tenant, kind and name (a Tenant is its own
    tenant). Ordered for listing: per tenant, by kind, by name."""

    tenant: str
    kind_rank: int
    kind: str
    name: str

    @classmethod
    def of(cls, kind: str, tenant: str, name: str) -> DocKey:
        return cls(tenant, KIND_ORDER.get(kind, len(KIND_ORDER)), kind, name)

    @property
    def label(self) -> str:
        """``Tenant acme`` or ``ValueMap acme/payment-methods``."""
        if self.kind == "Tenant":
            return f"Tenant {self.name}"
        return f"{self.kind} {self.tenant}/{self.name}"


@dataclass(frozen=True)
class Entry:
    """One document of a snapshot: its model data (JSON types, camelCase) and its file."""

    data: Mapping[str, Any]
    file: str


@dataclass(frozen=True)
class Snapshot:
    """The specs of one revision as comparable data.

    ``problems`` counts the revision's validation errors; ``unreadable_files`` are files that
    could not be parsed (fully), ``unreadable_keys`` documents that parsed but were left out of
    the spec set (structure errors, duplicates, unknown tenant).
    """

    documents: Mapping[DocKey, Entry] = field(default_factory=dict)
    problems: int = 0
    unreadable_files: frozenset[str] = frozenset()
    unreadable_keys: frozenset[DocKey] = frozenset()

    @property
    def valid(self) -> bool:
        return self.problems == 0

    def hides(self, key: DocKey, file: str) -> bool:
        """Whether this revision may hold ``key`` but could not read it."""
        return key in self.unreadable_keys or file in self.unreadable_files


@dataclass(frozen=True)
class FieldChange:
    """One field path whose value differs; ``old`` or ``new`` is ``MISSING`` for an added or a
    removed field (or list item)."""

    path: str
    old: Any
    new: Any

    @property
    def change(self) -> Literal["added", "removed", "changed"]:
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class DocumentChange:
    key: DocKey
    change: Literal["added", "removed", "changed"]
    file: str
    """Where the document is on the new side (on the old side when it was removed)."""
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Uncompared:
    """A document present on one side that the other side could not read."""

    key: DocKey
    file: str
    side: Literal["old", "new"]
    """The side that could not read it."""


@dataclass(frozen=True)
class SemanticDiff:
    documents: tuple[DocumentChange, ...] = ()
    uncompared: tuple[Uncompared, ...] = ()

    @property
    def empty(self) -> bool:
        """No document changed (documents that could not be compared are not changes)."""
        return not self.documents

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0, "fields": 0}
        for document in self.documents:
            counts[document.change] += 1
            counts["fields"] += len(document.fields)
        return counts


def document_data(model: Document) -> dict[str, Any]:
    """The comparable data of a model: everything it says, by alias, minus its identity (the
    key says that; a Tenant may or may not repeat its name as its tenant)."""
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("apiVersion", None)
    data.pop("kind", None)
    metadata = dict(data.get("metadata") or {})
    metadata.pop("name", None)
    metadata.pop("tenant", None)
    data["metadata"] = metadata
    return data


def key_of(loaded: Loaded[Document]) -> DocKey:
    model = loaded.model
    kind = type(model).__name__
    tenant = model.metadata.tenant if kind != "Tenant" else model.metadata.name
    return DocKey.of(kind, tenant or "", model.metadata.name)


def snapshot(
    specs: SpecSet,
    *,
    problems: int = 0,
    unreadable_files: Iterable[str] = (),
    unreadable_keys: Iterable[DocKey] = (),
) -> Snapshot:
    """A comparable snapshot of a spec set (see ``Snapshot`` for the other arguments)."""
    loaded_documents: list[Loaded[Document]] = [
        Loaded(t.model, t.doc) for t in specs.tenants.values()
    ]
    for named in specs.items.values():
        loaded_documents.extend(named.values())
    documents = {
        key_of(loaded): Entry(document_data(loaded.model), loaded.doc.display)
        for loaded in loaded_documents
    }
    loaded_keys = set(documents)
    return Snapshot(
        documents,
        problems,
        frozenset(unreadable_files),
        frozenset(unreadable_keys) - loaded_keys,
    )


def diff(old: Snapshot, new: Snapshot) -> SemanticDiff:
    """The semantic diff from ``old`` to ``new``; see the module docstring."""
    changes: list[DocumentChange] = []
    uncompared: list[Uncompared] = []
    for key in sorted(set(old.documents) | set(new.documents)):
        before, after = old.documents.get(key), new.documents.get(key)
        if before is not None and after is not None:
            # Equality first: most documents of a revision are unchanged, and == is far cheaper.
            fields = () if before.data == after.data else field_changes(before.data, after.data)
            if fields:
                changes.append(DocumentChange(key, "changed", after.file, fields))
        elif after is not None:
            if old.hides(key, after.file):
                uncompared.append(Uncompared(key, after.file, "old"))
            else:
                changes.append(DocumentChange(key, "added", after.file))
        elif before is not None:
            if new.hides(key, before.file):
                uncompared.append(Uncompared(key, before.file, "new"))
            else:
                changes.append(DocumentChange(key, "removed", before.file))
    return SemanticDiff(tuple(changes), tuple(uncompared))


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every leaf-most field path whose value differs, sorted by path."""
    # threshold_to_diff_deeper=0: always report the fields, never "the whole map changed" when
    # most of a map's keys differ (deepdiff's default collapses such maps into one change).
    tree = DeepDiff(dict(old), dict(new), view="tree", threshold_to_diff_deeper=0)
    found: list[FieldChange] = []
    for levels in tree.values():
        for level in levels:
            path = field_path(level.path(output_format="list"))
            found.append(FieldChange(path, _value(level.t1), _value(level.t2)))
    return tuple(sorted(found, key=lambda change: change.path))


def field_path(parts: Iterable[str | int]) -> str:
    """``['spec', 'entries', 'ideal']`` -> ``spec.entries.ideal``; list indexes as ``[2]``,
    keys that are not plain words (dots, spaces) quoted as ``["a.b"]`` so paths stay unambiguous."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def _value(value: Any) -> Any:
    # deepdiff marks the missing side with its own sentinel; callers know ours.
    if value is notpresent:
        return MISSING
    return value
