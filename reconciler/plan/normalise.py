"""Normalising values before they are compared, so that equal data never shows as drift.

False drift is the most common complaint about every reconciler. Values are compared as the
target stores them: absent, null, empty text and empty lists are one "absent"; a field's default
written explicitly equals an absent value; numbers compare by value (``2.5`` = ``"2.50"`` =
``Decimal("2.500")``) after rounding to the decimals the target keeps; text is compared without
surrounding whitespace, and case-insensitively for fields the target treats so (e-mail).
Text that only looks like a number keeps its leading zeros: ``"0123"`` is an article code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


@dataclass(frozen=True)
class FieldRules:
    """How a target stores its fields, for comparison: from the target connector."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Field -> the value the target assumes when the field is not given."""
    decimals: Mapping[str, int] = field(default_factory=dict)
    """Field -> decimal places the target keeps (money in cents: 2)."""
    case_insensitive: frozenset[str] = frozenset()
    """Fields whose text the target compares without case (e-mail addresses, country codes)."""
    loose: frozenset[str] = frozenset()
    """Fields the target reformats (a city in capitals, a postcode with a space): compared
    without case and without any whitespace."""
    write_only: frozenset[str] = frozenset()
    """Fields the target accepts but cannot read back: never compared, so never drift."""
    partial: frozenset[str] = frozenset()
    """Fields holding a map of which the target keeps more keys than koppel writes (an item's
    custom fields): only the desired keys are compared, the others are the target's own."""


ABSENT = None


def normalise(value: Any, *, name: str = "", rules: FieldRules | None = None) -> Any:
    """The comparable form of one field's value."""
    rules = rules or FieldRules()
    if name in rules.defaults and _same_plain(value, rules.defaults[name]):
        return ABSENT
    return _norm(value, name, rules)


def is_absent(value: Any, *, name: str = "", rules: FieldRules | None = None) -> bool:
    """Whether ``normalise`` gives ``ABSENT`` for the value, without normalising it all."""
    if rules is not None and name in rules.defaults and _same_plain(value, rules.defaults[name]):
        return True
    return _absent(value)


def _absent(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping):
        return all(_absent(v) for v in value.values())
    if isinstance(value, list | tuple):
        return not value
    return False


def _same_plain(value: Any, default: Any) -> bool:
    return bool(_norm(value, "", FieldRules()) == _norm(default, "", FieldRules()))


def _norm(value: Any, name: str, rules: FieldRules) -> Any:
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return _number(value, rules.decimals.get(name))
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # Runs of whitespace (line breaks included) compare as one space: targets rewrap text.
        text = " ".join(value.split())
        if not text:
            return ABSENT
        if _PLAIN_NUMBER.fullmatch(text):
            return _number(Decimal(text), rules.decimals.get(name))
        if name in rules.loose:
            return "".join(text.split()).lower()
        return text.lower() if name in rules.case_insensitive else text
    if isinstance(value, Mapping):
        items = {str(k): _norm(v, str(k), rules) for k, v in value.items()}
        kept = {k: v for k, v in items.items() if v is not ABSENT}
        return kept or ABSENT
    if isinstance(value, list | tuple):
        items_list = [_norm(v, name, rules) for v in value]
        return items_list or ABSENT
    return str(value)


def _number(value: int | float | Decimal, places: int | None) -> Decimal:
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return Decimal(0)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number.normalize() if number != 0 else Decimal(0)


def normalise_record(record: Mapping[str, Any], rules: FieldRules | None = None) -> dict[str, Any]:
    """Every field of a record, normalised; absent fields dropped."""
    out = {}
    for name, value in record.items():
        norm = normalise(value, name=name, rules=rules)
        if norm is not ABSENT:
            out[name] = norm
    return out
