"""Reading values out of records: JMESPath paths and ``{path}`` templates.

JMESPath is a specified, side-effect-free query language with a well-kept implementation; it is
never ``eval``. Expressions are compiled once and cached, since the same few hundred are
evaluated for every record of a pass.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.parser import ParsedResult


@lru_cache(maxsize=4096)
def compile_path(expression: str) -> ParsedResult:
    """The compiled expression (validation has already checked that it parses)."""
    return jmespath.compile(expression)


def read(data: Mapping[str, Any], expression: str) -> Any:
    """The value of ``expression`` in ``data``, or None when it is absent."""
    return compile_path(expression).search(data)


@lru_cache(maxsize=1024)
def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    return tuple((text, name) for text, name, _, _ in string.Formatter().parse(template))


def render(template: str, data: Mapping[str, Any]) -> str:
    """``template`` with each ``{path}`` replaced by the path's value (empty when absent)."""
    out = []
    for text, name in _template_parts(template):
        out.append(text)
        if name is not None:
            out.append(text_of(read(data, name)))
    return "".join(out)


def text_of(value: Any) -> str:
    """A value as text the way a person expects it: no ``None``, no ``1E+1``, no ``True``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)
