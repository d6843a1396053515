"""e-conomic's ``filter=`` expressions, built and parsed: pure, shared by client and sandbox.

The syntax (``target-apis.md`` §5.2): a condition is ``field$op:value`` with ``$eq:``, ``$ne:``,
``$gt:``, ``$gte:``, ``$lt:``, ``$lte:``, ``$like:`` (substring; ``*`` is a wildcard) and the
null literal ``$null:``; conditions combine with ``$and:`` and ``$or:`` and parentheses. In a
value ``$`` is written ``$$``, ``(`` ``$(``, ``)`` ``$)`` and a literal ``*`` ``$*``. ``$and:``
binds tighter than ``$or:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "like")
NULL = "$null:"
WILDCARD = "\x00*"
"""How an unescaped ``*`` of a ``$like:`` value comes out of ``parse`` (a literal one is ``*``)."""


def escape(value: str) -> str:
    """A value with e-conomic's escapes for ``$``, ``(``, ``)`` and ``*``."""
    return value.replace("$", "$$").replace("(", "$(").replace(")", "$)").replace("*", "$*")


def timestamp(value: dt.datetime) -> str:
    """A ``lastUpdated`` filter value: UTC, whole seconds, ``Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def condition(field: str, op: str, value: object) -> str:
    """One condition; None is the null literal, dates and times are written as e-conomic reads
    them, booleans as ``true``/``false``."""
    if op not in OPERATORS:
        raise ValueError(f"unknown e-conomic filter operator {op!r}")
    if value is None:
        text = NULL
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        text = timestamp(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = escape(str(value))
    return f"{field}${op}:{text}"


def all_of(conditions: Iterable[str]) -> str:
    return "$and:".join(f"({c})" if "$or:" in c else c for c in conditions)


def any_of(conditions: Iterable[str]) -> str:
    return "$or:".join(f"({c})" if "$and:" in c else c for c in conditions)


# -- parsing (the sandbox) -----------------------------------------------------------------------


class FilterSyntaxError(ValueError):
    """The filter cannot be parsed; e-conomic answers 400 listing what it allows."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str | None
    """None for ``$null:``; in ``$like:`` values an unescaped ``*`` is ``WILDCARD``."""


@dataclass(frozen=True)
class Junction:
    op: str
    """``and`` or ``or``."""
    parts: tuple[Expression, ...]


Expression = Condition | Junction


def parse(text: str) -> Expression:
    """The expression tree of a ``filter=`` value; ``FilterSyntaxError`` when it is none."""
    parser = _Parser(text)
    expression = parser.disjunction()
    if parser.pos != len(text):
        raise FilterSyntaxError(f"unexpected {text[parser.pos :]!r} at {parser.pos}")
    return expression


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _take(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def disjunction(self) -> Expression:
        parts = [self.conjunction()]
        while self._take("$or:"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def conjunction(self) -> Expression:
        parts = [self.term()]
        while self._take("$and:"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def term(self) -> Expression:
        if self._take("("):
            inner = self.disjunction()
            if not self._take(")"):
                raise FilterSyntaxError(f"missing ')' at {self.pos}")
            return inner
        start = self.pos
        dollar = self.text.find("$", start)
        if dollar <= start:
            raise FilterSyntaxError(f"expected field$operator:value at {start}")
        field = self.text[start:dollar]
        self.pos = dollar + 1
        colon = self.text.find(":", self.pos)
        op = self.text[self.pos : colon] if colon > 0 else ""
        if op not in OPERATORS:
            raise FilterSyntaxError(f"unknown operator {op!r} for {field!r}")
        self.pos = colon + 1
        return Condition(field, op, self.value(like=op == "like"))

    def value(self, *, like: bool) -> str | None:
        if self._take(NULL):
            return None
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "$":
                if text.startswith(("$and:", "$or:"), self.pos):
                    break
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt in ("$", "(", ")", "*"):
                    out.append(nxt)
                    self.pos += 2
                    continue
                raise FilterSyntaxError(f"unescaped '$' at {self.pos}")
            if char == ")":
                break
            if char == "(":
                raise FilterSyntaxError(f"unescaped '(' at {self.pos}")
            out.append(WILDCARD if like and char == "*" else char)
            self.pos += 1
        return "".join(out)
