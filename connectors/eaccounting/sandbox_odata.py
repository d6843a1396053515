"""The sandbox's OData query options: ``$filter`` and ``$orderby`` over stored objects.

The subset eAccounting clients use: comparisons ``eq ne gt ge lt le``, ``and``/``or``/``not``
and parentheses, the functions ``contains``, ``startswith`` and ``endswith``; literals are
quoted text (``''`` escapes a quote), numbers, ``true``/``false``/``null``, dates and date-times
(``2024-01-01``, ``2024-01-01T10:00:00Z``, or OData v3's ``datetime'…'``) and GUIDs (bare or
``guid'…'``). Text compares without case, as eAccounting's database does. Anything else, or a
field the resource does not have, is a ``QueryError`` the app answers as 400 with ErrorCode 6000.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<typed>(?:datetime|datetimeoffset|guid)'[^']*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_/]*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS = {"contains", "startswith", "endswith"}


class QueryError(ValueError):
    """The query option cannot be parsed or names an unknown field."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"cannot parse the query near {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        pos = match.end()
    return tokens


def _value(kind: str, raw: str) -> Any:
    if kind == "string":
        return raw[1:-1].replace("''", "'")
    if kind == "typed":
        prefix, _, rest = raw.partition("'")
        raw = rest[:-1]
        return raw.lower() if prefix == "guid" else _moment(raw)
    if kind == "datetime":
        return _moment(raw)
    if kind == "guid":
        return raw.lower()
    if kind == "number":
        return float(raw) if "." in raw else int(raw)
    raise QueryError(f"not a value: {raw!r}")


def _moment(raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"not a date: {raw!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def comparable(value: Any) -> Any:
    """A stored value in the form literals are compared with."""
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", value):
            try:
                return _moment(value)
            except QueryError:
                return value.lower()
        return value.lower()
    return value


class _Parser:
    def __init__(self, text: str, fields: Collection[str]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.fields = {f.lower(): f for f in fields}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("the filter ends too early")
        self.pos += 1
        return token

    def expect(self, punct: str) -> None:
        if self.take() != ("punct", punct):
            raise QueryError(f"expected {punct!r} in the filter")

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r} in the filter")  # type: ignore[index]
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("name", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() == ("name", "and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(self) -> Predicate:
        if self.peek() == ("name", "not"):
            self.take()
            inner = self.unary()
            return lambda row: not inner(row)
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        kind, raw = self.take()
        if kind != "name":
            raise QueryError(f"expected a field or function, not {raw!r}")
        if raw.lower() in FUNCTIONS:
            return self.function(raw.lower())
        field = self.field(raw)
        op_kind, op = self.take()
        if op_kind != "name" or op not in COMPARISONS:
            raise QueryError(f"expected a comparison after {raw}, not {op!r}")
        value = self.literal()
        return _compare(field, op, value)

    def function(self, name: str) -> Predicate:
        self.expect("(")
        kind, raw = self.take()
        if kind != "name":
            raise QueryError(f"{name} takes a field first")
        field = self.field(raw)
        self.expect(",")
        needle = self.literal()
        self.expect(")")
        if not isinstance(needle, str):
            raise QueryError(f"{name} takes a text value")
        wanted = needle.lower()

        def check(row: dict[str, Any]) -> bool:
            have = row.get(field)
            if not isinstance(have, str):
                return False
            have = have.lower()
            if name == "contains":
                return wanted in have
            if name == "startswith":
                return have.startswith(wanted)
            return have.endswith(wanted)

        return check

    def field(self, raw: str) -> str:
        found = self.fields.get(raw.lower())
        if found is None:
            raise QueryError(f"Could not find a property named '{raw}'")
        return found

    def literal(self) -> Any:
        kind, raw = self.take()
        if kind == "name":
            if raw in ("true", "false"):
                return raw == "true"
            if raw == "null":
                return None
            raise QueryError(f"expected a value, not {raw!r}")
        return _value(kind, raw)


def _compare(field: str, op: str, value: Any) -> Predicate:
    wanted = value.lower() if isinstance(value, str) else value

    def check(row: dict[str, Any]) -> bool:
        have = comparable(row.get(field))
        if op == "eq":
            return bool(have == wanted)
        if op == "ne":
            return bool(have != wanted)
        if have is None or wanted is None:
            return False
        try:
            if op == "gt":
                return bool(have > wanted)
            if op == "ge":
                return bool(have >= wanted)
            if op == "lt":
                return bool(have < wanted)
            return bool(have <= wanted)
        except TypeError as exc:
            raise QueryError(f"cannot compare {field} with {value!r}") from exc

    return check


def compile_filter(text: str, fields: Collection[str]) -> Predicate:
    """The predicate of a ``$filter`` over objects with these fields."""
    return _Parser(text, fields).parse()


def order_key(text: str, fields: Collection[str]) -> list[tuple[str, bool]]:
    """``$orderby`` as (field, descending) pairs."""
    known = {f.lower(): f for f in fields}
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryError(f"cannot parse $orderby {text!r}")
        field = known.get(words[0].lower())
        if field is None:
            raise QueryError(f"Could not find a property named '{words[0]}'")
        keys.append((field, len(words) == 2 and words[1] == "desc"))
    return keys


def sort_rows(rows: Sequence[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Rows sorted by the keys; nulls first, as SQL Server sorts them."""
    ordered = list(rows)
    for field, descending in reversed(keys):

        def key(row: dict[str, Any], name: str = field) -> tuple[bool, Any]:
            value = row.get(name)
            return value is not None, comparable(value) if value is not None else ""

        ordered.sort(key=key, reverse=descending)
    return ordered
