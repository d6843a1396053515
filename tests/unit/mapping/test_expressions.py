"""Expressions read directly (paths, ``||``, ``&&``, ``!``, equality, filters, multi-selects,
functions) answer exactly what jmespath's interpreter answers, errors included."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jmespath
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.mapping.expressions import read, reader

NAMES = ("a", "b", "c")
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 1),
    st.sampled_from(["", "x", "0"]),
    st.just(Decimal("0")),
)
data: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)
    ),
    max_leaves=8,
)
paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(".".join)
literals = st.sampled_from(["'x'", "''", "`0`", "`null`", "`true`", "null", "'0'"])
atoms = st.one_of(paths, literals, st.just("@"))
expressions: st.SearchStrategy[str] = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} || {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} && {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} == {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} != {pair[1]})"),
        inner.map(lambda e: f"!({e})"),
        st.tuples(paths, inner, inner).map(lambda t: f"{t[0]}[?{t[1]}].{{k: {t[2]}, j: @}}"),
        st.tuples(paths, inner).map(lambda t: f"{t[0]}[?{t[1]}]"),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.lists(inner, min_size=1, max_size=3).map(
            lambda items: f"join(' ', [{', '.join(items)}][?@ != null])"
        ),
        inner.map(lambda e: f"length({e})"),
    ),
    max_leaves=5,
)


def _outcome(call: Any) -> Any:
    try:
        return ("value", call())
    except jmespath.exceptions.JMESPathError as exc:
        return ("error", type(exc).__name__)


@settings(max_examples=400, deadline=None)
@given(expression=expressions, value=st.dictionaries(st.sampled_from(NAMES), data, max_size=3))
def test_direct_reading_agrees_with_jmespath(expression: str, value: dict[str, Any]) -> None:
    assert _outcome(lambda: read(value, expression)) == _outcome(
        lambda: jmespath.search(expression, value)
    )


def test_only_the_simple_shapes_are_read_directly() -> None:
    """Indexes, projections, ordering comparisons and expression references stay with the
    interpreter; the mapping shapes koppel's default mappings use are read directly."""
    interpreted = ["a[0]", "a[*].b", "a[?b > `1`]", "sort_by(a, &b)", "a | b", "a[1:2]"]
    direct = [
        "a",
        "a.b.c",
        'customFields."U3A1"',
        "a || b.c",
        "!active",
        "lines[?kind=='item' || kind=='shipping'].{t: (kind=='shipping' && '6') || '2', s: sku}",
        "join(' ', [a.b, c][?@ != null])",
    ]
    for expression in direct:
        assert not _interpreted(expression), expression
    for expression in interpreted:
        assert _interpreted(expression), expression
    record = {"lines": [{"kind": "item"}, {"kind": "text"}], "a": ["x"], "b": "y"}
    assert read(record, "lines[?kind=='item']") == [{"kind": "item"}]
    assert read(record, "join(' ', [b, b])") == "y y"
    # A filter keeps what its projection gives, but never null (as the interpreter does).
    assert read({"a": [None, 1, {"k": None}]}, "a[?@ != 'x']") == [1, {"k": None}]
    assert read({"a": [None, 1, {"k": None}]}, "a[?@ != 'x'].k") == []


def _interpreted(expression: str) -> bool:
    return getattr(reader(expression), "__self__", None) is not None
