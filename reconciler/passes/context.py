"""What one pass of one flow needs: the compiled program, both connectors, the state store, the
revision, and the knobs — gathered once, so the pass itself only streams records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from connectors.base import DEFAULT_KEY_FIELDS, Connector, CustomerLink
from reconciler.canonical import Entity
from reconciler.flows.program import FlowProgram
from reconciler.plan.normalise import FieldRules
from reconciler.spec.models.flow import Safety
from reconciler.state.rows import Lease
from reconciler.state.store import StateStore


@dataclass
class FlowContext:
    """One flow of one tenant, ready to pass."""

    tenant: str
    flow: str
    program: FlowProgram
    source: Connector
    target: Connector
    store: StateStore
    safety: Safety = field(default_factory=Safety)
    revision: str | None = None
    rules: FieldRules = field(default_factory=FieldRules)
    customer_rules: FieldRules = field(default_factory=FieldRules)
    link: CustomerLink = field(default_factory=CustomerLink)
    concurrency: int = 8
    """Records written at once (the connection's HTTP client bounds requests as well)."""
    key_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEY_FIELDS))
    lease: Lease | None = None
    """With several replicas: the flow's lease. Every record's state is written fenced by it,
    and no target write starts once it is lost."""
    stopping: asyncio.Event | None = None
    """Set on shutdown: the record in flight finishes, no new one starts."""

    def target_key(self, entity: Entity, fields: dict[str, object], fallback: str) -> str:
        """The key the target finds this record by: its key field's desired value."""
        value = fields.get(self.key_fields.get(entity.value, ""))
        return str(value) if value not in (None, "") else fallback

    @property
    def entity(self) -> Entity:
        return self.program.entity
