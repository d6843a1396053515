"""Reading values out of records: JMESPath paths and ``{path}`` templates.

JMESPath is a specified, side-effect-free query language with a well-kept implementation; it is
never ``eval``. Expressions are compiled once and cached, since the same few hundred are
evaluated for every record of a pass. Mapping expressions are mostly paths (``a.b``), fallbacks
(``a || b``), negations, equality filters over order lines, multi-selects and ``join``: those
are compiled from jmespath's own parse tree into closures with the interpreter's semantics (and
jmespath's own functions), which costs a fraction of walking the tree for every record; any
other expression (indexes, slices, projections, ordering comparisons, expression references) is
interpreted by jmespath.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import jmespath
import jmespath.functions
from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter


@lru_cache(maxsize=4096)
def compile_path(expression: str) -> ParsedResult:
    """The compiled expression (validation has already checked that it parses)."""
    return jmespath.compile(expression)


Reader = Callable[[Any], Any]


@lru_cache(maxsize=4096)
def reader(expression: str) -> Reader:
    """A function giving the value of ``expression`` in its argument (None when absent)."""
    compiled = compile_path(expression)
    return _direct(compiled.parsed) or compiled.search


def read(data: Mapping[str, Any], expression: str) -> Any:
    """The value of ``expression`` in ``data``, or None when it is absent."""
    return reader(expression)(data)


def _is_false(value: Any) -> bool:
    # JMESPath's falsiness, not Python's: 0 is true, so identity and equality, not bool().
    return value is None or value is False or value in ("", [], {})


_FUNCTIONS = jmespath.functions.Functions()
"""jmespath's own functions (argument types checked as the interpreter checks them)."""
_EQUALITY = {op: TreeInterpreter.COMPARATOR_FUNC[op] for op in ("eq", "ne")}


def _direct(node: Any) -> Reader | None:
    """A direct reader for a parse tree of the node types below, with the interpreter's
    semantics (``TreeInterpreter.visit_*``); None when the tree holds any other node."""
    if not isinstance(node, dict):
        return None  # a slice's bounds
    kind, children = node["type"], node["children"]
    if kind == "field":
        name = node["value"]
        return lambda value: value.get(name) if isinstance(value, Mapping) else None
    if kind == "literal":
        literal = node["value"]
        return lambda value: literal
    if kind in ("current", "identity"):
        return lambda value: value
    parts = [_direct(child) for child in children]
    if not parts or any(part is None for part in parts):
        return None
    steps = [part for part in parts if part is not None]
    build = _BUILDERS.get(kind)
    return None if build is None else build(node, steps)


def _subexpression(node: dict[str, Any], steps: list[Reader]) -> Reader:
    def path(value: Any) -> Any:
        for step in steps:
            value = step(value)
            if value is None:
                return None
        return value

    return path


def _or(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    if len(steps) != 2:
        return None
    left, right = steps
    return lambda value: right(value) if _is_false(found := left(value)) else found


def _and(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    if len(steps) != 2:
        return None
    left, right = steps
    return lambda value: found if _is_false(found := left(value)) else right(value)


def _not(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    if len(steps) != 1:
        return None
    [inner] = steps
    return lambda value: _is_false(inner(value))


def _comparator(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    compare = _EQUALITY.get(node["value"])  # ordering operators stay with the interpreter
    if compare is None or len(steps) != 2:
        return None
    left, right = steps
    return lambda value: compare(left(value), right(value))


def _filter(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    if len(steps) != 3:
        return None
    base, project, condition = steps

    def filtered(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        kept = []
        for item in items:
            if not _is_false(condition(item)):
                current = project(item)
                if current is not None:
                    kept.append(current)
        return kept

    return filtered


def _hash(node: dict[str, Any], steps: list[Reader]) -> Reader:
    keys = [child["value"] for child in node["children"]]
    pairs = list(zip(keys, steps, strict=True))
    return lambda value: None if value is None else {key: step(value) for key, step in pairs}


def _list(node: dict[str, Any], steps: list[Reader]) -> Reader:
    return lambda value: None if value is None else [step(value) for step in steps]


def _key_value(node: dict[str, Any], steps: list[Reader]) -> Reader | None:
    return steps[0] if len(steps) == 1 else None


def _function(node: dict[str, Any], steps: list[Reader]) -> Reader:
    name = node["value"]
    return lambda value: _FUNCTIONS.call_function(name, [step(value) for step in steps])


_BUILDERS: dict[str, Callable[[dict[str, Any], list[Reader]], Reader | None]] = {
    "subexpression": _subexpression,
    "or_expression": _or,
    "and_expression": _and,
    "not_expression": _not,
    "comparator": _comparator,
    "filter_projection": _filter,
    "multi_select_dict": _hash,
    "multi_select_list": _list,
    "key_val_pair": _key_value,
    "function_expression": _function,
}


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
