"""The semantic diff: documents and field paths from model data, never from text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.audit.semantic import (
    MISSING,
    DocKey,
    Entry,
    FieldChange,
    Snapshot,
    diff,
    document_data,
    field_path,
    snapshot,
)
from reconciler.spec.models import ValueMap
from reconciler.spec.specset import SpecSet

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def examples() -> SpecSet:
    from connectors.registry import capabilities
    from reconciler.spec.validate import validate_tree

    return validate_tree(ROOT / "specs", capabilities=capabilities()).specs


def _value_map(entries: dict[str, str], *, name: str = "payment-methods") -> ValueMap:
    return ValueMap.model_validate(
        {
            "apiVersion": "koppel/v1",
            "kind": "ValueMap",
            "metadata": {"name": name, "tenant": "acme"},
            "spec": {"entries": entries, "otherwise": "fail"},
        }
    )


def _snap(*models: ValueMap, file: str = "tables.yaml") -> Snapshot:
    return Snapshot(
        {
            DocKey.of("ValueMap", "acme", m.metadata.name): Entry(document_data(m), file)
            for m in models
        }
    )


def test_the_examples_compared_with_themselves_are_no_change(examples: SpecSet) -> None:
    """A snapshot of the example specs diffed with itself has no change and nothing
    uncompared."""
    snap = snapshot(examples)
    assert len(snap.documents) == 66
    result = diff(snap, snap)
    assert result.empty
    assert result.uncompared == ()


def test_a_changed_entry_is_one_field_path_with_old_and_new() -> None:
    """Changing, adding and removing value-map entries gives exactly those camelCase paths."""
    old = _snap(_value_map({"pin": "01", "cash": "02", "ideal": "03"}))
    new = _snap(_value_map({"pin": "01", "ideal": "05", "klarna": "06"}))
    (document,) = diff(old, new).documents
    assert document.change == "changed"
    assert document.key.label == "ValueMap acme/payment-methods"
    assert document.fields == (
        FieldChange("spec.entries.cash", "02", MISSING),
        FieldChange("spec.entries.ideal", "03", "05"),
        FieldChange("spec.entries.klarna", MISSING, "06"),
    )
    assert [f.change for f in document.fields] == ["removed", "changed", "added"]


def test_moving_a_document_to_another_file_is_no_change() -> None:
    """The same model data in another file is the same document, unchanged."""
    model = _value_map({"pin": "01"})
    assert diff(_snap(model, file="a.yaml"), _snap(model, file="b/c.yaml")).empty


def test_added_and_removed_documents_are_listed_in_key_order() -> None:
    """Documents only on one side are added or removed, sorted by tenant, kind and name."""
    a, b, c = (_value_map({"x": "1"}, name=n) for n in ("a-map", "b-map", "c-map"))
    result = diff(_snap(a, b), _snap(b, c))
    assert [(d.change, d.key.name) for d in result.documents] == [
        ("removed", "a-map"),
        ("added", "c-map"),
    ]
    assert result.counts() == {"added": 1, "removed": 1, "changed": 0, "fields": 0}


def test_a_document_hidden_by_an_unreadable_file_is_not_called_removed() -> None:
    """When the new side could not parse the file a document was in, the document is reported
    as not compared rather than removed (and the other way round for added)."""
    model = _value_map({"pin": "01"})
    readable = _snap(model, file="tables.yaml")
    broken = Snapshot({}, problems=1, unreadable_files=frozenset({"tables.yaml"}))
    forward = diff(readable, broken)
    assert forward.empty
    assert [(u.key.name, u.side) for u in forward.uncompared] == [("payment-methods", "new")]
    backward = diff(broken, readable)
    assert backward.empty
    assert [(u.key.name, u.side) for u in backward.uncompared] == [("payment-methods", "old")]


def test_identity_and_unset_fields_are_not_data() -> None:
    """A Tenant repeating its own name as metadata.tenant, and fields left unset, do not count:
    the comparable data drops identity and None values."""
    data = document_data(_value_map({"pin": "01"}))
    assert data == {
        "metadata": {"labels": {}},
        "spec": {"entries": {"pin": "01"}, "otherwise": "fail", "caseSensitive": False},
    }


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        (["spec", "orders", "valueMaps", "paymentMethod"], "spec.orders.valueMaps.paymentMethod"),
        (["spec", "rows", 2, "code"], "spec.rows[2].code"),
        (["spec", "fields", "customFields.webshop"], 'spec.fields["customFields.webshop"]'),
        (["spec", "entries", "a b"], 'spec.entries["a b"]'),
    ],
)
def test_field_paths_are_unambiguous(parts: list[Any], path: str) -> None:
    """Paths read like the YAML (camelCase, dots); indexes and keys with dots are bracketed."""
    assert field_path(parts) == path


_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
_CODES = st.text(alphabet="0123456789", min_size=1, max_size=3)
_ENTRIES = st.dictionaries(_KEYS, _CODES, max_size=6)


@settings(max_examples=60, deadline=None)
@given(entries=_ENTRIES)
def test_a_value_map_compared_with_itself_is_empty(entries: dict[str, str]) -> None:
    """Property: diff(x, x) is empty for any value map."""
    snap = _snap(_value_map(entries))
    assert diff(snap, snap).empty


@settings(max_examples=100, deadline=None)
@given(
    entries=_ENTRIES,
    changes=st.dictionaries(_KEYS, st.one_of(st.none(), _CODES), max_size=4),
)
def test_random_entry_edits_give_exactly_the_edited_paths(
    entries: dict[str, str], changes: dict[str, str | None]
) -> None:
    """Property: setting or deleting value-map entries yields one field change per entry whose
    value actually differs, with its old and new value, and no other."""
    edited = dict(entries)
    for key, value in changes.items():
        if value is None:
            edited.pop(key, None)
        else:
            edited[key] = value
    expected = {
        f"spec.entries.{key}": (entries.get(key, MISSING), edited.get(key, MISSING))
        for key in set(entries) | set(edited)
        if entries.get(key) != edited.get(key)
    }
    result = diff(_snap(_value_map(entries)), _snap(_value_map(edited)))
    found = {f.path: (f.old, f.new) for d in result.documents for f in d.fields}
    assert found == expected
    assert result.empty == (not expected)
