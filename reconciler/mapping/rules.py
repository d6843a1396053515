"""Field rules, compiled and applied: canonical record data -> desired target fields.

A flow's mapping is the connector pair's default mapping (target field -> JMESPath) overlaid by
the spec's ``Mapping`` documents in the order the flow lists them; a later rule for the same field
wins. Each compiled rule remembers where it came from, so an error names the spec file and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.errors import MappingError
from reconciler.mapping.expressions import read, render, text_of
from reconciler.mapping.tables import ValueTable
from reconciler.spec.models import Flow, ValueMap
from reconciler.spec.models import Mapping as MappingDoc
from reconciler.spec.models.mapping import FieldRule, WritePolicy
from reconciler.spec.specset import Loaded, SpecSet

_TRUE = {"true", "1", "yes", "y", "on", "j", "ja"}
_FALSE = {"false", "0", "no", "n", "off", "nee", ""}


@dataclass(frozen=True)
class CompiledRule:
    """One rule for one target field, with its origin for error messages."""

    target: str
    rule: FieldRule
    origin: str
    value_map: ValueTable | None = None
    custom: bool = False

    def apply(self, data: Mapping[str, Any]) -> Any:
        rule = self.rule
        if rule.from_ is not None:
            value = read(data, rule.from_)
        elif rule.template is not None:
            value = render(rule.template, data)
        else:
            value = rule.const
        if self.value_map is not None and not _empty(value):
            value = self.value_map.lookup(value)
        if _empty(value) and rule.default is not None:
            value = rule.default
        if rule.type is not None and value is not None:
            value = coerce(value, rule.type)
        return value


@dataclass(frozen=True)
class Desired:
    """The desired target record and how each field may be written."""

    fields: dict[str, Any]
    custom_fields: dict[str, Any]
    policies: dict[str, WritePolicy]
    ignore: frozenset[str]


@dataclass(frozen=True)
class MappingSet:
    """Every rule of one flow, ready to map records."""

    rules: tuple[CompiledRule, ...]
    policies: Mapping[str, WritePolicy] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()

    def map(self, data: Mapping[str, Any], *, key: str) -> Desired:
        """Map one record's data; a failing rule raises MappingError naming rule and record."""
        fields: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for compiled in self.rules:
            try:
                value = compiled.apply(data)
            except MappingError as exc:
                raise MappingError(
                    f"record {key}: field {compiled.target} ({compiled.origin}): {exc.reason}",
                    hint=exc.hint,
                ) from exc
            (custom if compiled.custom else fields)[compiled.target] = value
        return Desired(fields, custom, dict(self.policies), self.ignore)


def coerce(value: Any, kind: str) -> Any:
    """``value`` as the rule's ``type``; MappingError when it cannot be."""
    try:
        if kind == "string":
            return text_of(value)
        if kind == "decimal":
            return Decimal(text_of(value))
        if kind == "integer":
            number = Decimal(text_of(value))
            if number != number.to_integral_value():
                raise ValueError("has a fraction")
            return int(number)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = text_of(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("is not true or false")
        if kind == "date":
            if isinstance(value, dt.datetime):
                return value.date().isoformat()
            if isinstance(value, dt.date):
                return value.isoformat()
            return dt.date.fromisoformat(text_of(value)[:10]).isoformat()
    except (ValueError, InvalidOperation) as exc:
        raise MappingError(
            f"{text_of(value)!r} cannot be read as {kind} ({str(exc) or 'invalid'})",
            hint="fix the source value, or the rule's `type` or `default`",
        ) from exc
    raise MappingError(f"unknown type {kind!r}")


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def compile_flow(
    specs: SpecSet, flow: Loaded[Flow], *, defaults: Mapping[str, str], default_origin: str
) -> MappingSet:
    """The flow's mapping: ``defaults`` (target field -> JMESPath) overlaid by its Mappings."""
    tenant = str(flow.model.metadata.tenant)
    rules: dict[tuple[bool, str], CompiledRule] = {
        (False, target): CompiledRule(
            target, FieldRule.model_validate({"from": expr}), default_origin
        )
        for target, expr in defaults.items()
    }
    policies: dict[str, WritePolicy] = {}
    ignore: set[str] = set()
    for name in flow.model.spec.mappings:
        mapping = specs.find(tenant, MappingDoc, name)
        if mapping is None:
            raise MappingError(
                f"flow {flow.name!r} names Mapping {name!r}, which does not exist",
                hint="run `koppel validate`",
            )
        spec = mapping.model.spec
        for section, custom, table in (
            ("fields", False, spec.fields),
            ("customFields", True, spec.custom_fields),
        ):
            for target, rule in table.items():
                file, line, _ = mapping.where("spec", section, target)
                value_map = value_table(specs, tenant, rule.lookup) if rule.lookup else None
                rules[(custom, target)] = CompiledRule(
                    target, rule, f"Mapping {name!r} at {file}:{line}", value_map, custom
                )
                if rule.policy is not None:
                    policies[target] = rule.policy
        policies.update(spec.policies)
        ignore.update(spec.ignore)
    return MappingSet(tuple(rules.values()), policies, frozenset(ignore))


def value_table(specs: SpecSet, tenant: str, name: str) -> ValueTable:
    """A tenant's ValueMap ready for lookups."""
    loaded = specs.find(tenant, ValueMap, name)
    if loaded is None:
        raise MappingError(
            f"ValueMap {name!r} does not exist in tenant {tenant!r}", hint="run `koppel validate`"
        )
    return ValueTable(name, loaded.location, loaded.model.spec)
