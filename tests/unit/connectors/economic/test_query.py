"""e-conomic filter expressions: built with escapes, parsed back by the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.economic.query import (
    WILDCARD,
    Condition,
    FilterSyntaxError,
    Junction,
    all_of,
    any_of,
    condition,
    escape,
    parse,
)


def test_conditions_are_written_as_e_conomic_reads_them() -> None:
    """Dates, times (UTC, whole seconds, Z), booleans, null and escaped text."""
    assert condition("date", "gte", dt.date(2024, 1, 1)) == "date$gte:2024-01-01"
    moment = dt.datetime(2024, 1, 15, 11, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert condition("lastUpdated", "gt", moment) == "lastUpdated$gt:2024-01-15T10:00:00Z"
    assert condition("barred", "eq", True) == "barred$eq:true"
    assert condition("email", "eq", None) == "email$eq:$null:"
    assert condition("name", "eq", "A$B (x*)") == "name$eq:A$$B $(x$*$)"
    with pytest.raises(ValueError, match="unknown e-conomic filter operator"):
        condition("name", "approx", "x")


def test_and_binds_tighter_than_or() -> None:
    """``a $or: b $and: c`` is a or (b and c); nested groups keep their parentheses."""
    tree = parse("a$eq:1$or:b$eq:2$and:c$eq:3")
    assert tree == Junction(
        "or",
        (
            Condition("a", "eq", "1"),
            Junction("and", (Condition("b", "eq", "2"), Condition("c", "eq", "3"))),
        ),
    )
    grouped = all_of([any_of(["a$eq:1", "b$eq:2"]), "c$eq:3"])
    assert grouped == "(a$eq:1$or:b$eq:2)$and:c$eq:3"
    assert parse(grouped) == Junction(
        "and",
        (
            Junction("or", (Condition("a", "eq", "1"), Condition("b", "eq", "2"))),
            Condition("c", "eq", "3"),
        ),
    )


def test_like_keeps_wildcards_apart_from_literal_stars() -> None:
    """An unescaped ``*`` in a $like: value is a wildcard, ``$*`` a star."""
    assert parse("name$like:a*b$*") == Condition("name", "like", f"a{WILDCARD}b*")


@pytest.mark.parametrize(
    "text", ["", "name", "name$eq", "name$approx:x", "(name$eq:x", "name$eq:a(b", "name$eq:a$b"]
)
def test_broken_filters_are_syntax_errors(text: str) -> None:
    """What e-conomic answers 400 to is a FilterSyntaxError, never a crash."""
    with pytest.raises(FilterSyntaxError):
        parse(text)


@given(st.text(min_size=0, max_size=40))
def test_any_value_survives_escaping(value: str) -> None:
    """Every text value, escaped, parses back to itself."""
    assert parse(condition("name", "eq", value)) == Condition("name", "eq", value)
    assert escape(value).count("$") >= value.count("$")
