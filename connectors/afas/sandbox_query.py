"""GetConnector queries on the AFAS sandbox: paging, sorting and filtering as Profit does them.

``skip``/``take`` (default 0/100, ``-1/-1`` = all rows, other negatives -> "onverwachte fout",
``take=0`` -> one row, as observed on Profit), ``orderbyfieldids`` with ``-`` for descending,
the three filter lists with ``,`` = AND and ``;`` = OR, operator codes 1-15, no ``Z`` in date
filter values, and unknown columns -> 500 "Connector-veld '…' niet gevonden". Comparisons are
typed by the column (number, date, boolean) and case-insensitive for text, like Profit's SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.afas.sandbox_store import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    AfasError,
    ProfitStore,
)


def query(store: ProfitStore, connector: str, params: Mapping[str, str]) -> dict[str, Any]:
    """Answer ``GET /connectors/{connector}`` the way Profit does."""
    rows = _view(store, connector, params)
    try:
        skip = int(params.get("skip", "0"))
        take = int(params.get("take", "100"))
    except ValueError as exc:
        raise AfasError("Er is een onverwachte fout opgetreden.", number=-2147180999) from exc
    if (skip, take) == (-1, -1):
        return {"skip": -1, "take": -1, "rows": rows}
    if skip < 0 or take < 0:
        raise AfasError("Er is een onverwachte fout opgetreden.", number=-2147180999)
    # Profit answers take=0 with one row (observed behaviour, kept on purpose).
    return {"skip": skip, "take": take, "rows": rows[skip : skip + max(take, 1)]}


VIEW_PARAMS = ("filterfieldids", "filtervalues", "operatortypes", "orderbyfieldids")


def _view(store: ProfitStore, connector: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """The filtered, sorted rows of a query, kept until the next write: paging through N rows
    then costs one sort, not one per page (which made large benchmarks quadratic)."""
    key = (connector.lower(), store.writes, *(params.get(p, "") for p in VIEW_PARAMS))
    with store.lock:
        if key in store.views:
            return store.views[key]
    rows = store.rows(connector)
    types = dict(store.columns(connector))
    groups = _filters(params, types)
    if len(groups) == 1 and len(groups[0]) == 1:
        # One condition (a look-up of many keys is one set test): no generators per row.
        [[condition]] = groups
        rows = [row for row in rows if condition(row)]
    elif groups:
        rows = [row for row in rows if any(all(c(row) for c in group) for group in groups)]
    order = [f for f in params.get("orderbyfieldids", "").split(",") if f.strip()]
    for field in reversed(order):
        name, descending = (field[1:], True) if field.startswith("-") else (field, False)
        _known(name, types)
        rows.sort(key=_sorter(name), reverse=descending)
    with store.lock:
        if store.writes == key[1]:
            if len(store.views) >= VIEW_LIMIT:
                store.views.pop(next(iter(store.views)))
            store.views[key] = rows
    return rows


VIEW_LIMIT = 16
"""Views kept at once (oldest dropped first)."""


def _known(name: str, types: Mapping[str, str]) -> str:
    if name not in types:
        raise AfasError(f"Connector-veld '{name}' niet gevonden")
    return types[name]


def _sorter(name: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(name))


def _sort_key(value: object) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value).casefold())


Condition = Callable[[Mapping[str, Any]], bool]


def _filters(params: Mapping[str, str], types: Mapping[str, str]) -> list[list[Condition]]:
    names = params.get("filterfieldids")
    if not names:
        return []
    values = params.get("filtervalues", "")
    operators = params.get("operatortypes", "")
    name_groups = [g.split(",") for g in names.split(";")]
    value_groups = [g.split(",") for g in values.split(";")]
    op_groups = [g.split(",") for g in operators.split(";")]
    shapes = [[len(g) for g in x] for x in (name_groups, value_groups, op_groups)]
    if not shapes[0] == shapes[1] == shapes[2]:
        raise AfasError("Er is een onverwachte fout opgetreden.", number=-2147180999)
    one_of = _one_of(name_groups, value_groups, op_groups, types)
    if one_of is not None:
        return [[one_of]]
    groups: list[list[Condition]] = []
    for ng, vg, og in zip(name_groups, value_groups, op_groups, strict=True):
        group = []
        for name, value, op in zip(ng, vg, og, strict=True):
            kind = _known(name, types)
            if kind == DATE and value.upper().endswith("Z"):
                raise AfasError(f"De waarde '{value}' is geen geldige datum.")
            group.append(_condition(name, kind, value.strip('"'), op))
        groups.append(group)
    return groups


def _one_of(
    names: list[list[str]], values: list[list[str]], ops: list[list[str]], types: Mapping[str, str]
) -> Condition | None:
    """``a = x; a = y; ...`` (a look-up of many keys at once) as one set membership test, the
    way an index answers it, instead of one comparison per key per row."""
    if len(names) < 2 or any(len(g) != 1 or g != names[0] for g in names):
        return None
    if any(g != ["1"] for g in ops):
        return None
    name = names[0][0]
    kind = _known(name, types)
    if kind == DATE:
        return None
    wanted = {_typed(kind, g[0].strip('"')) for g in values}
    if kind not in (DECIMAL, INTEGER, BOOLEAN):

        def text_member(row: Mapping[str, Any]) -> bool:
            # ``_typed`` of a text column, inlined: this runs for every row of a look-up.
            actual = row.get(name)
            return actual is not None and str(actual).casefold() in wanted

        return text_member

    def member(row: Mapping[str, Any]) -> bool:
        actual = row.get(name)
        return actual is not None and _typed(kind, actual) in wanted

    return member


_OPERATORS = {str(n) for n in range(1, 16)}
_NONE_MATCHES = {"7", "11", "12", "14"}
"""Operators a row without the column satisfies (as NULL compares in Profit's SQL)."""


def _condition(name: str, kind: str, value: str, op: str) -> Condition:
    """One filter condition as a row predicate; the operator is resolved once, not per row."""
    if op not in _OPERATORS:
        raise AfasError("Er is een onverwachte fout opgetreden.", number=-2147180999)
    if op == "8":
        return lambda row: row.get(name) is None or row.get(name) == ""
    if op == "9":
        return lambda row: not (row.get(name) is None or row.get(name) == "")
    needle = value.casefold()
    if op == "15":
        return lambda row: any(needle in str(v).casefold() for v in row.values() if v)
    if op in ("6", "10", "11", "12", "13", "14"):
        text_check = _TEXT_CHECKS[op]

        def text(row: Mapping[str, Any]) -> bool:
            actual = row.get(name)
            if actual is None:
                return op in _NONE_MATCHES
            return text_check(str(actual).casefold(), needle)

        return text
    target = _typed(kind, value)
    compare = _COMPARISONS[op]

    def typed(row: Mapping[str, Any]) -> bool:
        actual = row.get(name)
        if actual is None:
            return op in _NONE_MATCHES
        left = _typed(kind, str(actual).rstrip("Z") if kind == DATE else actual)
        try:
            return bool(compare(left, target))
        except TypeError:
            return False

    return typed


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "1": lambda left, target: left == target,
    "2": lambda left, target: left >= target,
    "3": lambda left, target: left <= target,
    "4": lambda left, target: left > target,
    "5": lambda left, target: left < target,
    "7": lambda left, target: left != target,
}
_TEXT_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "6": lambda text, needle: needle in text,
    "10": lambda text, needle: text.startswith(needle),
    "11": lambda text, needle: needle not in text,
    "12": lambda text, needle: not text.startswith(needle),
    "13": lambda text, needle: text.endswith(needle),
    "14": lambda text, needle: not text.endswith(needle),
}


def _typed(kind: str, value: object) -> Any:
    try:
        if kind in (DECIMAL, INTEGER):
            return Decimal(str(value))
        if kind == BOOLEAN:
            return str(value).lower() in ("1", "true")
        if kind == DATE:
            text = str(value)
            return dt.datetime.fromisoformat(text if "T" in text else text + "T00:00:00")
    except (InvalidOperation, ValueError) as exc:
        raise AfasError(f"De waarde '{value}' is ongeldig voor dit veld.") from exc
    return str(value).casefold()
