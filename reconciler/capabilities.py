"""What a connector can do, as data: which entities it reads and writes, which order types it
can write, and the rules its keys must follow.

Validation uses these tables to reject a flow that no connector could run (``koppel validate``
works with no network); connectors publish one ``Capabilities`` each (``connectors.registry``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.canonical import Entity, OrderType


class SystemKind(StrEnum):
    """Whether a system is an ERP/accounting package or a point of sale."""

    erp = "erp"
    pos = "pos"


@dataclass(frozen=True)
class EntitySupport:
    """Whether a system can be the source (read) and the target (write) of an entity's flow."""

    read: bool = False
    write: bool = False


@dataclass(frozen=True)
class KeyRule:
    """A rule the target puts on a natural key, e.g. MplusKASSA's numeric article numbers."""

    pattern: str
    description: str

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None


@dataclass(frozen=True)
class Capabilities:
    """One system's capability table."""

    system: str
    title: str
    kind: SystemKind
    entities: Mapping[Entity, EntitySupport]
    order_types: frozenset[OrderType] = frozenset()
    sku_rule: KeyRule | None = None
    notes: Mapping[Entity, str] = field(default_factory=dict)

    def supports(self, entity: Entity, *, as_source: bool) -> bool:
        """True when this system can read (``as_source``) or write the entity."""
        support = self.entities.get(entity, EntitySupport())
        return support.read if as_source else support.write
