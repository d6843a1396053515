"""``is_absent`` answers what ``normalise(...) is ABSENT`` answers, for any value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.plan.normalise import ABSENT, FieldRules, is_absent, normalise

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", " ", "\n\t", "x", " 0 ", "007", "2.50"]),
    st.just(Decimal("0.00")),
    st.just(dt.date(2024, 1, 2)),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner),
        st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
    ),
    max_leaves=6,
)
RULES = FieldRules(defaults={"vat": "0", "blocked": False, "qty": Decimal(1)})


@settings(max_examples=500, deadline=None)
@given(value=values, name=st.sampled_from(["vat", "blocked", "qty", "other"]))
def test_is_absent_agrees_with_normalise(value: Any, name: str) -> None:
    for rules in (None, RULES):
        assert is_absent(value, name=name, rules=rules) == (
            normalise(value, name=name, rules=rules) is ABSENT
        )
