"""The sandbox's OData $filter and $orderby subset."""

from __future__ import annotations

import pytest

from connectors.eaccounting.sandbox_odata import QueryError, compile_filter, order_key, sort_rows

ROWS = [
    {
        "Name": "Acme BV",
        "Number": 3,
        "ChangedUtc": "2024-01-15T10:00:00Z",
        "Id": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
    },
    {"Name": "O'Neill", "Number": 1, "ChangedUtc": "2024-03-01T08:15:00Z", "Id": "b-2"},
    {"Name": None, "Number": 2, "ChangedUtc": None, "Id": "c-3"},
]
FIELDS = {"Name", "Number", "ChangedUtc", "Id"}


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Name eq 'acme bv'", [3]),
        ("Name eq 'O''Neill'", [1]),
        ("Name eq null", [2]),
        ("Number gt 1 and Number lt 3", [2]),
        ("Number eq 1 or Number eq 3", [3, 1]),
        ("not (Number eq 1)", [3, 2]),
        ("contains(Name,'cme')", [3]),
        ("startswith(name, 'o')", [1]),
        ("ChangedUtc ge 2024-02-01", [1]),
        ("ChangedUtc gt datetime'2024-01-15T10:00:00'", [1]),
        ("Id eq 6f9619ff-8b86-d011-b42d-00c04fc964ff", [3]),
        ("Id eq guid'6F9619FF-8B86-D011-B42D-00C04FC964FF'", [3]),
    ],
)
def test_filters(text: str, numbers: list[int]) -> None:
    """Comparisons, logic, functions and literals; text without case."""
    predicate = compile_filter(text, FIELDS)
    assert [r["Number"] for r in ROWS if predicate(r)] == numbers


@pytest.mark.parametrize(
    "text", ["Colour eq 'red'", "Name eq", "Name like 'x'", "(Number eq 1", "Number eq 1 1"]
)
def test_bad_filters_are_query_errors(text: str) -> None:
    """Unknown fields and broken syntax are refused, never ignored."""
    with pytest.raises(QueryError):
        compile_filter(text, FIELDS)


def test_orderby_sorts_nulls_first_and_descending() -> None:
    """$orderby with asc/desc; nulls sort first ascending, as SQL Server does."""
    assert [r["Number"] for r in sort_rows(ROWS, order_key("ChangedUtc", FIELDS))] == [2, 3, 1]
    assert [r["Number"] for r in sort_rows(ROWS, order_key("Number desc", FIELDS))] == [3, 2, 1]
    with pytest.raises(QueryError):
        order_key("Number sideways", FIELDS)
