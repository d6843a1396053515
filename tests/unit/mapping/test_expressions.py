"""Paths read directly (fields, ``a.b``, ``||``, ``!``) answer exactly what jmespath answers."""

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
expressions: st.SearchStrategy[str] = st.recursive(
    paths,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda pair: f"{pair[0]} || {pair[1]}"),
        inner.map(lambda e: f"!({e})"),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=4,
)


@settings(max_examples=400, deadline=None)
@given(expression=expressions, value=st.dictionaries(st.sampled_from(NAMES), data, max_size=3))
def test_direct_reading_agrees_with_jmespath(expression: str, value: dict[str, Any]) -> None:
    assert read(value, expression) == jmespath.search(expression, value)


def test_only_the_simple_shapes_are_read_directly() -> None:
    """Filters, functions, literals and projections stay with the interpreter."""
    interpreted = ["lines[?kind=='item']", "join(' ', [a, b])", "a[0]", "`1`", "a[*].b", "@"]
    for expression in ["a", "a.b.c", 'customFields."U3A1"', "a || b.c", "!active"]:
        assert not _interpreted(expression), expression
    for expression in interpreted:
        assert _interpreted(expression), expression
    record = {"lines": [{"kind": "item"}, {"kind": "text"}], "a": ["x"], "b": "y"}
    assert read(record, "lines[?kind=='item']") == [{"kind": "item"}]
    assert read(record, "join(' ', [b, b])") == "y y"


def _interpreted(expression: str) -> bool:
    return getattr(reader(expression), "__self__", None) is not None
