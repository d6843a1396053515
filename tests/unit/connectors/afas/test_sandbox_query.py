"""The sandbox's GetConnector query semantics, in process (no HTTP): paging, order, filters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.afas.sandbox_query import query
from connectors.afas.sandbox_store import AfasError, ProfitStore
from connectors.afas.sandbox_updates import apply

STORE = ProfitStore(None)


def ids(answer: dict[str, object], column: str = "DebtorId") -> list[str]:
    return [row[column] for row in answer["rows"]]  # type: ignore[index, union-attr]


@settings(max_examples=40, deadline=None)
@given(take=st.integers(min_value=1, max_value=6), descending=st.booleans())
def test_paging_yields_every_row_once(take: int, descending: bool) -> None:
    """For any page size, skip/take over an ordered connector returns each row exactly once."""
    order = "-ItemCode" if descending else "ItemCode"
    seen: list[str] = []
    skip = 0
    while True:
        page = query(
            STORE,
            "Profit_Article",
            {"skip": str(skip), "take": str(take), "orderbyfieldids": order},
        )
        seen += ids(page, "ItemCode")
        if len(page["rows"]) < take:
            break
        skip += take
    assert sorted(seen) == sorted(STORE.articles)
    assert seen == sorted(seen, key=str.casefold, reverse=descending)


def test_defaults_get_all_and_quirks() -> None:
    """Default take is 100; -1/-1 returns all; take=0 gives one row; other negatives fail."""
    assert query(STORE, "Profit_Debtor", {})["take"] == 100
    assert len(query(STORE, "Profit_Debtor", {"skip": "-1", "take": "-1"})["rows"]) == 4
    assert len(query(STORE, "Profit_Debtor", {"take": "0"})["rows"]) == 1
    with pytest.raises(AfasError, match="onverwachte fout"):
        query(STORE, "Profit_Debtor", {"skip": "2", "take": "-1"})


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("1", "10002", ["10002"]),
        ("2", "10003", ["10003", "10004"]),
        ("3", "10001", ["10001"]),
        ("4", "10003", ["10004"]),
        ("5", "10002", ["10001"]),
        ("7", "10001", ["10002", "10003", "10004"]),
        ("10", "1000", ["10001", "10002", "10003", "10004"]),
        ("12", "10003", ["10001", "10002", "10004"]),
        ("13", "4", ["10004"]),
        ("14", "4", ["10001", "10002", "10003"]),
    ],
)
def test_operators_on_a_column(operator: str, value: str, expected: list[str]) -> None:
    """AFAS's operator codes compare by the column's type."""
    params = {"filterfieldids": "DebtorId", "filtervalues": value, "operatortypes": operator}
    assert ids(query(STORE, "Profit_Debtor", {**params, "orderbyfieldids": "DebtorId"})) == expected


def test_text_operators_and_empty_checks() -> None:
    """Contains is case-insensitive; 8/9 test emptiness with an empty value."""
    contains = {"filterfieldids": "DebtorName", "filtervalues": "KROON", "operatortypes": "6"}
    assert ids(query(STORE, "Profit_Debtor", contains)) == ["10002"]
    empty = {"filterfieldids": "ChOfCommNr", "filtervalues": '""', "operatortypes": "8"}
    assert ids(query(STORE, "Profit_Debtor", {**empty, "orderbyfieldids": "DebtorId"})) == [
        "10002",
        "10003",
        "10004",
    ]
    filled = {**empty, "operatortypes": "9"}
    assert ids(query(STORE, "Profit_Debtor", filled)) == ["10001"]


def test_date_filters_reject_a_z() -> None:
    """Date values are compared as dates; a value with a trailing Z is refused."""
    since = {"filterfieldids": "ModifiedDate", "operatortypes": "4", "orderbyfieldids": "DebtorId"}
    answer = query(STORE, "Profit_Debtor", {**since, "filtervalues": "2024-03-01T08:15:00"})
    assert ids(answer) == ["10004"]
    with pytest.raises(AfasError, match="geen geldige datum"):
        query(STORE, "Profit_Debtor", {**since, "filtervalues": "2024-03-01T08:15:00Z"})


def test_misaligned_lists_and_unknown_columns_fail() -> None:
    """The three lists must have the same shape; unknown columns are named in the error."""
    with pytest.raises(AfasError, match="onverwachte fout"):
        query(
            STORE,
            "Profit_Debtor",
            {"filterfieldids": "A,B", "filtervalues": "1", "operatortypes": "1"},
        )
    with pytest.raises(AfasError, match="Connector-veld 'Nope' niet gevonden"):
        query(STORE, "Profit_Debtor", {"orderbyfieldids": "-Nope"})


def test_writes_stamp_increasing_modified_dates() -> None:
    """Two writes in the same second still get strictly increasing ModifiedDate values."""
    store = ProfitStore(None, clock=lambda: dt.datetime(2024, 5, 1, 12, 0, 0))
    assert store.touch() == "2024-05-01T12:00:00Z"
    assert store.touch() == "2024-05-01T12:00:01Z"


def test_a_look_up_of_many_keys_matches_as_profit_does() -> None:
    """``a = x; a = y`` (koppel's batched look-up) finds the same rows as one query per key:
    text case-insensitively, numbers by value; an absent key finds nothing."""

    def one_of(column: str, values: list[str]) -> list[str]:
        params = {
            "filterfieldids": ";".join([column] * len(values)),
            "filtervalues": ";".join(values),
            "operatortypes": ";".join(["1"] * len(values)),
            "orderbyfieldids": "DebtorId",
        }
        return ids(query(STORE, "Profit_Debtor", params))

    assert one_of("Email", ["INFO@acme.test", "nobody@example.test"]) == ["10001"]
    assert one_of("DebtorId", ["10003", "10001", "99999"]) == ["10001", "10003"]
    assert one_of("CreditLimit", ["0.00", "1"]) == ids(
        query(STORE, "Profit_Debtor", {"skip": "-1", "take": "-1", "orderbyfieldids": "DebtorId"})
    )
    mixed = {"filterfieldids": "DebtorId;Email", "filtervalues": "10002;info@acme.test",
             "operatortypes": "1;1", "orderbyfieldids": "DebtorId"}  # fmt: skip
    assert ids(query(STORE, "Profit_Debtor", mixed)) == ["10001", "10002"]


def test_rows_follow_every_write_though_kept_per_record() -> None:
    """Rows are rendered once per record version (its ModifiedDate): a look-up after an update
    sees the new values, the other records' rows are the ones kept, and a record without a
    ModifiedDate (seeded so) is rendered anew every time."""
    store = ProfitStore(None)
    by_email = {"filterfieldids": "Email", "filtervalues": "info@acme.test", "operatortypes": "1"}
    [before] = query(store, "Profit_Debtor", by_email)["rows"]
    others = {r["DebtorId"]: r for r in store.rows("Profit_Debtor") if r is not before}
    body = {
        "KnSalesRelationOrg": {
            "Element": {
                "@DbId": before["DebtorId"],
                "Fields": {},
                "Objects": [{"KnOrganisation": {"Element": {"Fields": {"Nm": "Acme Nieuw"}}}}],
            }
        }
    }
    apply(store, "KnSalesRelationOrg", body, update=True)
    [after] = query(store, "Profit_Debtor", by_email)["rows"]
    assert after["DebtorName"] == "Acme Nieuw"
    assert after["ModifiedDate"] != before["ModifiedDate"]
    kept = {r["DebtorId"]: r for r in store.rows("Profit_Debtor") if r["DebtorId"] in others}
    assert all(kept[k] is others[k] for k in others)
    unstamped = next(iter(store.articles.values()))
    unstamped.pop("ModifiedDate", None)
    unstamped["Ds"] = "Changed without a write"
    rows = query(store, "Profit_Article", {"skip": "-1", "take": "-1"})["rows"]
    assert "Changed without a write" in [r["Description"] for r in rows]
