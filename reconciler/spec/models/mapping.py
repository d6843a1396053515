"""``Mapping``: field rules from the canonical record to the target's fields.

A rule takes its value from exactly one of ``from`` (a JMESPath expression over the canonical
record — a well-known, side-effect-free language, never ``eval``), ``const`` or ``template``
(``"POS-{number}"``, placeholders are paths); then optionally ``lookup`` in a value map,
``default`` when empty and ``type`` coercion. Rules override the connector pair's default mapping.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reconciler.canonical import Entity
from reconciler.spec.models.base import Name, SpecModel

WritePolicy = Literal["overwrite", "create_only", "fill_empty"]


class FieldRule(SpecModel):
    from_: str | None = Field(default=None, alias="from")
    """JMESPath expression over the canonical record, e.g. ``billingAddress.country``."""
    const: Any = None
    """A constant value."""
    template: str | None = None
    """Text with ``{path}`` placeholders, e.g. ``POS-{number}``."""
    lookup: Name | None = None
    """A ValueMap to translate the value through."""
    default: Any = None
    """Used when the value is missing or empty."""
    type: Literal["string", "integer", "decimal", "boolean", "date"] | None = None
    """Coerce the value to this type."""
    policy: WritePolicy | None = None
    """``overwrite`` (default), ``create_only`` or ``fill_empty``."""


class MappingSpec(SpecModel):
    entity: Entity
    """The kind of record this mapping maps (customers, products, stock or orders)."""
    fields: dict[str, FieldRule] = Field(default_factory=dict)
    """Target field -> rule."""
    custom_fields: dict[str, FieldRule] = Field(default_factory=dict)
    """Target custom (free) field id -> rule."""
    policies: dict[str, WritePolicy] = Field(default_factory=dict)
    """Write policy per target field."""
    ignore: list[str] = Field(default_factory=list)
    """Target fields never compared (so the target's own changes to them are not drift)."""
    tests: list[str] = Field(default_factory=list)
    """Spec-test fixture globs, relative to this file: input record -> expected payload."""
