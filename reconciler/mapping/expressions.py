"""Reading values out of records: JMESPath paths and ``{path}`` templates.

JMESPath is a specified, side-effect-free query language with a well-kept implementation; it is
never ``eval``. Expressions are compiled once and cached, since the same few hundred are
evaluated for every record of a pass. Most mapping expressions are plain paths (``a.b``), a
fallback (``a || b``) or a negation (``!active``): those are compiled from jmespath's own parse
tree into direct look-ups, with JMESPath's semantics (a tenth of the interpreter's cost, which
was the largest part of mapping a record); everything else is interpreted by jmespath.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

import jmespath
from jmespath.parser import ParsedResult


@lru_cache(maxsize=4096)
def compile_path(expression: str) -> ParsedResult:
    """The compiled expression (validation has already checked that it parses)."""
    return jmespath.compile(expression)


Reader = Callable[[Any], Any]


@lru_cache(maxsize=4096)
def reader(expression: str) -> Reader:
    """A function giving the value of ``expression`` in its argument (None when absent)."""
    compiled = compile_path(expression)
    return _direct(cast("dict[str, Any]", compiled.parsed)) or compiled.search


def read(data: Mapping[str, Any], expression: str) -> Any:
    """The value of ``expression`` in ``data``, or None when it is absent."""
    return reader(expression)(data)


def _is_false(value: Any) -> bool:
    # JMESPath's falsiness, not Python's: 0 is true, so identity and equality, not bool().
    return value is None or value is False or value in ("", [], {})


def _direct(node: dict[str, Any]) -> Reader | None:
    """A direct reader for a parse tree of fields, sub-expressions, ``||`` and ``!`` only;
    None when the tree holds anything else."""
    kind, children = node["type"], node["children"]
    if kind == "field":
        name = node["value"]
        return lambda value: value.get(name) if isinstance(value, Mapping) else None
    parts = [_direct(child) for child in children]
    if not parts or any(part is None for part in parts):
        return None
    steps = [part for part in parts if part is not None]
    if kind == "subexpression":

        def path(value: Any) -> Any:
            for step in steps:
                value = step(value)
                if value is None:
                    return None
            return value

        return path
    if kind == "or_expression" and len(steps) == 2:
        left, right = steps
        return lambda value: right(value) if _is_false(found := left(value)) else found
    if kind == "not_expression" and len(steps) == 1:
        [inner] = steps
        return lambda value: _is_false(inner(value))
    return None


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
