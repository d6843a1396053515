"""Validation, first layer: the structure of each document against its kind's JSON Schema.

Every schema error becomes a diagnostic at the exact node (an unknown field at its key, a wrong
value at the value) with a message a person can act on: what is wrong, what is expected, and —
for misspellings — what was probably meant. Secret values are never echoed back.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from reconciler.spec.diagnostics import Code, Diagnostic
from reconciler.spec.loader import RawDocument
from reconciler.spec.models import API_VERSION, KINDS
from reconciler.spec.models.base import DURATION_PATTERN, NAME_PATTERN
from reconciler.spec.schema import kind_schema

_PATTERN_HELP = {
    NAME_PATTERN: "lowercase letters, digits and dashes, starting and ending with a letter "
    "or digit, at most 63 characters",
    DURATION_PATTERN: "a duration such as 30s, 5m, 1h30m or 1d",
    r"^[A-Z]{2}$": "an ISO 3166-1 alpha-2 country code in capitals, such as NL, BE or DE",
    r"^[A-Z]{3}$": "an ISO 4217 currency code in capitals, such as EUR",
    r"^[0-9]{5,6}$": "the AFAS participant number: 5 or 6 digits, as in AOL\\12345.admin",
}
_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    type(None): "nothing (null)",
}

_SECRET_REF_FIELDS = frozenset({"env", "file"})
_JSON_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "nothing (null)",
}


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(kind_schema(kind))


def check_structure(doc: RawDocument) -> list[Diagnostic]:
    """Structural problems of one document; empty when it matches its kind's schema."""
    data = doc.data
    if not isinstance(data, dict):
        return [
            _diag(
                doc,
                (),
                Code.doc_not_mapping,
                "a spec document must be a mapping with apiVersion, kind, metadata and spec",
            )
        ]
    problems: list[Diagnostic] = []
    version = data.get("apiVersion")
    if version != API_VERSION:
        where: tuple[str | int, ...] = ("apiVersion",) if "apiVersion" in data else ()
        shown = "missing" if version is None else f"{version!r}"
        problems.append(
            _diag(
                doc,
                where,
                Code.api_version,
                f"apiVersion is {shown}; write `apiVersion: {API_VERSION}`",
            )
        )
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        where = ("kind",) if "kind" in data else ()
        hint = _suggest(str(kind), KINDS)
        problems.append(
            _diag(
                doc,
                where,
                Code.unknown_kind,
                f"kind is {'missing' if kind is None else repr(kind)}; expected one of "
                f"{', '.join(sorted(KINDS))}{hint}",
            )
        )
        return problems
    for error in _validator(str(kind)).iter_errors(data):
        if tuple(error.absolute_path) == ("apiVersion",):
            continue  # reported above, with a better message
        problems.extend(_translate(doc, error, str(kind)))
    return problems


def _diag(
    doc: RawDocument, path: tuple[str | int, ...], code: Code, message: str, *, key: bool = False
) -> Diagnostic:
    file, line, column = doc.where(path, key=key)
    return Diagnostic(file, line, column, code, message)


def dotted(path: tuple[str | int, ...] | list[str | int]) -> str:
    """A path as people write it: ``spec.connections.afas.token``, ``spec.rows[2].code``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def _is_secret(schema: Any) -> bool:
    return isinstance(schema, dict) and bool(schema.get("x-koppel-secret"))


def _secret_error(error: ValidationError) -> bool:
    if _is_secret(error.schema):
        return True
    return any(_secret_error(child) for child in error.context or ())


def _translate(doc: RawDocument, error: ValidationError, kind: str) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    where = dotted(path)
    instance: Any = error.instance
    validator = error.validator
    schema: Any = error.schema if isinstance(error.schema, dict) else {}
    value: Any = error.validator_value
    if _secret_error(error) and not isinstance(instance, dict):
        field = str(path[-1]) if path else "secret"
        yield _diag(
            doc,
            path,
            Code.secret_inline,
            f"{where} holds a secret value inline; secrets must never be in specs. "
            f"Reference it instead: `{field}: {{env: VARIABLE}}` or "
            f"`{field}: {{file: /run/secrets/NAME}}`, and remove the value from git "
            "history if it was committed",
        )
        return
    if validator in ("anyOf", "oneOf") and error.context:
        # An optional field is `anyOf: [X, {type: null}]`; a value that is there was meant as
        # X, so explain X's error rather than "must be null".
        context = [e for e in error.context if instance is None or not _null_branch(e)]
        inner = best_match(context or error.context)
        if inner is not None and inner.validator not in ("anyOf", "oneOf"):
            yield from _translate(doc, inner, kind)
            return
        yield _diag(doc, path, Code.schema_value, f"{where} has an invalid value")
        return
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for name in sorted(set(instance) - set(allowed)):
            hint = _suggest(name, allowed) or (
                f"; expected one of: {', '.join(allowed)}" if allowed else ""
            )
            yield _diag(
                doc,
                (*path, name),
                Code.schema_unknown_field,
                f"unknown field {name!r} in {where} ({kind}){hint}",
                key=True,
            )
        return
    if validator == "required":
        missing = [name for name in value if name not in instance]
        if not path:
            missing = [name for name in missing if name != "apiVersion"]  # reported above
        for name in missing:
            yield _diag(
                doc,
                path,
                Code.schema_required,
                f"{where} is missing the required field {name!r}",
                key=True,
            )
        return
    if validator == "type":
        expected = value
        names = expected if isinstance(expected, list) else [expected]
        expected_text = " or ".join(_JSON_TYPE_NAMES.get(str(n), str(n)) for n in names)
        got = _TYPE_NAMES.get(type(instance), type(instance).__name__)
        if expected == "boolean" and str(instance).lower() in ("yes", "no", "on", "off"):
            got += " (YAML 1.2 reads yes/no/on/off as text: write true or false)"
        yield _diag(doc, path, Code.schema_type, f"{where} must be {expected_text}, not {got}")
        return
    if validator == "pattern":
        help_text = _PATTERN_HELP.get(str(value), f"text matching {value}")
        # Inside a secret reference (`{env: ...}`) a bad value may be the secret pasted into
        # the wrong place: say what is wrong without repeating it.
        shown = "not valid" if path and path[-1] in _SECRET_REF_FIELDS else f"{instance!r}"
        yield _diag(doc, path, Code.schema_value, f"{where} is {shown}; expected {help_text}")
        return
    if validator in ("enum", "const"):
        options = value if validator == "enum" else [value]
        hint = _suggest(str(instance), [str(o) for o in options])
        yield _diag(
            doc,
            path,
            Code.schema_value,
            f"{where} is {instance!r}; expected one of: {', '.join(map(str, options))}{hint}",
        )
        return
    if validator in ("minProperties", "maxProperties") and _is_secret(error.schema):
        yield _diag(
            doc, path, Code.schema_value, f"{where} must name exactly one of `env` or `file`"
        )
        return
    yield _diag(doc, path, Code.schema_value, f"{where}: {error.message}")


def _null_branch(error: ValidationError) -> bool:
    schema = error.schema
    return (
        error.validator == "type"
        and isinstance(schema, dict)
        and schema.get("type") == "null"
        and not error.relative_path
    )


def _suggest(name: str, options: Any) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
