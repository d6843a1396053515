"""``FakeConnector``: an in-memory system in both roles, recording every call.

As a source it serves canonical records in pages with an index cursor; as a target it keeps
target records by natural key. Failures are injected deterministically: ``fail_next`` makes the
next writes raise a given error; ``lose_answer`` applies the next create and then raises as if
the connection dropped (the case the intent journal exists for). Used by the engine's tests and
by anyone testing their specs without a sandbox.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from connectors.base import CustomerLink, MasterDataCheck, Page, TargetRecord, WriteResult
from reconciler.canonical import CanonicalRecord, Entity
from reconciler.capabilities import Capabilities, EntitySupport, SystemKind
from reconciler.errors import ConnectorError, NotFoundError, UnavailableError

EVERYTHING = Capabilities(
    system="fake",
    title="Fake",
    kind=SystemKind.erp,
    entities={entity: EntitySupport(read=True, write=True) for entity in Entity},
)


@dataclass
class FakeConnector:
    """An in-memory system; see the module docstring."""

    capabilities: Capabilities = EVERYTHING
    page_size: int = 2
    source: dict[Entity, list[CanonicalRecord]] = field(default_factory=lambda: defaultdict(list))
    target: dict[Entity, dict[str, TargetRecord]] = field(default_factory=lambda: defaultdict(dict))
    customer_link: CustomerLink = field(default_factory=CustomerLink)
    calls: Counter[str] = field(default_factory=Counter)
    _failures: list[ConnectorError] = field(default_factory=list)
    _lose: int = 0
    _next_id: int = 1000

    # -- knobs -------------------------------------------------------------------------------
    def fail_next(self, error: ConnectorError, times: int = 1) -> None:
        self._failures.extend([error] * times)

    def lose_answer(self, times: int = 1) -> None:
        self._lose += times

    def writes(self) -> int:
        return self.calls["create"] + self.calls["update"]

    # -- source ------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        records = self.source[entity]
        start = 0 if full or cursor is None else int(cursor)
        for offset in range(start, len(records), self.page_size):
            self.calls["read"] += 1
            chunk = records[offset : offset + self.page_size]
            yield Page(chunk, str(offset + len(chunk)))

    # -- target ------------------------------------------------------------------------------
    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        self.calls["lookup"] += 1
        found = self.target[entity].get(key)
        return dict(found) if found is not None else None

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        self.calls["create"] += 1
        self._maybe_fail("create")
        key = self._key(entity, record)
        if key in self.target[entity]:
            raise ConnectorError(f"{key} already exists", system="fake", operation="create")
        self._next_id += 1
        stored = dict(record)
        stored.setdefault(self.customer_link.id_field, str(self._next_id))
        self.target[entity][key] = stored
        if self._lose:
            self._lose -= 1
            error = UnavailableError("connection dropped", system="fake", operation="create")
            error.maybe_applied = True
            raise error
        return WriteResult(key, str(stored[self.customer_link.id_field]))

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        self.calls["update"] += 1
        self._maybe_fail("update")
        if key not in self.target[entity]:
            raise NotFoundError(f"no {key}", system="fake", operation="update")
        self.target[entity][key].update({name: record[name] for name in fields})
        return WriteResult(key, str(self.target[entity][key].get(self.customer_link.id_field)))

    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        return [MasterDataCheck(kind, code, None) for code in codes]

    async def aclose(self) -> None:
        self.calls["close"] += 1

    def _maybe_fail(self, operation: str) -> None:
        if self._failures:
            raise self._failures.pop(0)

    @staticmethod
    def _key(entity: Entity, record: TargetRecord) -> str:
        for name in ("email", "sku", "reference", "number"):
            if record.get(name):
                return str(record[name])
        raise ConnectorError(
            f"the {entity.value} record has no key field", system="fake", operation="create"
        )
