"""The contract between the reconcile engine and a system's connector.

A connector has two roles, and every system package fills both the same way:

* **source**: ``read`` streams canonical records (``reconciler.canonical``) page by page, from an
  opaque cursor, so a pass never holds a whole system in memory and can resume after a crash;
* **target**: it speaks in *target records*: flat dicts in the connector's own documented field
  vocabulary (``<system>/models.py``). The default mapping (``<system>/mapping.py``) turns a
  canonical record into one; ``lookup`` returns the actual record in the same vocabulary, so the
  planner diffs like with like; ``create``/``update`` translate it to the wire.

Per layering, the engine imports this protocol, never a client; clients live under each system.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from reconciler.canonical import CanonicalRecord, Entity
from reconciler.capabilities import Capabilities
from reconciler.errors import RejectedError

T = TypeVar("T")

TargetRecord = dict[str, Any]
"""A record in a target connector's own field vocabulary (see the system's ``models.py``)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of records read from a source, and the cursor that resumes after it."""

    records: Sequence[T]
    cursor: str | None
    """Opaque; stored by the state store after the page is processed. None: nothing to resume."""


@dataclass(frozen=True)
class WriteResult:
    """What a target said after a write: its own id for the record, and any extra keys."""

    key: str
    target_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MasterDataCheck:
    """A code a spec names (tax code, ledger account, payment condition...) and whether the
    target knows it. ``exists`` is None when the target does not expose that master data."""

    kind: str
    code: str
    exists: bool | None
    detail: str = ""


@dataclass(frozen=True)
class CustomerLink:
    """How a target ties an order to its customer: the field of the customer's target record
    that holds its id, and the order field that takes that id. A connector exposes its own as
    ``customer_link``; AFAS's is the default."""

    id_field: str = "debtorId"
    order_field: str = "debtorId"


Rotated = Callable[[str], None]
"""Called with a new refresh token when an OAuth2 system rotated it (eAccounting and Twinfield
spend a refresh token when it is used): the secret reference it came from keeps it, so the next
process does not start from a spent one."""


DEFAULT_KEY_FIELDS: dict[str, str] = {
    "customers": "email",
    "products": "sku",
    "stock": "sku",
    "orders": "reference",
}
"""Per entity, the target-record field holding the natural key the target is searched by (an
order is found by the reference koppel wrote, e.g. ``POS-1001``). A connector may expose its own
as ``key_fields``."""


def check_fields(
    vocabulary: Mapping[Entity, Iterable[str]],
    entity: Entity,
    fields: Iterable[str],
    *,
    system: str,
    operation: str,
) -> None:
    """Refuse target-record fields outside the connector's vocabulary for ``entity`` (a mapping
    naming a field the target does not have), listing the ones it has."""
    known = list(vocabulary.get(entity, ()))
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise RejectedError(
            f"unknown {entity.value} field(s) {', '.join(unknown)}",
            system=system,
            operation=operation,
            hint=f"the fields are: {', '.join(known)}",
        )


@runtime_checkable
class Connector(Protocol):
    """One connection to one system, in both roles."""

    capabilities: Capabilities

    def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        """Stream the entity's records changed since ``cursor`` (all of them when ``full``)."""
        ...

    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        """The target's actual record for a natural key, or None when it does not exist."""
        ...

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        """Create the record in the target."""
        ...

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        """Update the named ``fields`` of an existing record (the others are left alone)."""
        ...

    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Whether the target knows each code of a kind of master data."""
        ...

    async def aclose(self) -> None:
        """Close the connection's HTTP client."""
        ...
