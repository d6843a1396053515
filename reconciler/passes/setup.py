"""Building the contexts of passes from a validated SpecSet: compile each flow, connect each
tenant connection once (one pooled client per connection, shared by its flows), and pick up the
target connector's comparison rules and customer link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connectors import registry
from connectors.base import DEFAULT_KEY_FIELDS, Connector, CustomerLink
from reconciler.canonical import Entity
from reconciler.errors import UsageError
from reconciler.flows.program import compile_program
from reconciler.passes.context import FlowContext
from reconciler.plan.normalise import FieldRules
from reconciler.secrets import SecretResolver
from reconciler.spec.models import Flow
from reconciler.spec.models.base import SecretRef
from reconciler.spec.specset import Loaded, SpecSet
from reconciler.state.store import StateStore


@dataclass
class Connections:
    """The open connectors of a run, by (tenant, connection name); close them when done."""

    secrets: SecretResolver = field(default_factory=SecretResolver)
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """Connection name (or ``tenant/connection``) -> base URL replacing the spec's endpoint."""
    given: Mapping[tuple[str, str], Connector] = field(default_factory=dict)
    """(tenant, connection) -> a ready connector used instead of connecting (tests, embedding)."""
    _open: dict[tuple[str, str], Connector] = field(default_factory=dict)

    def get(self, specs: SpecSet, tenant: str, name: str) -> Connector:
        key = (tenant, name)
        if key in self.given:
            return self.given[key]
        if key not in self._open:
            connection: Any = specs.tenants[tenant].model.spec.connections[name]
            endpoint = self.endpoints.get(f"{tenant}/{name}") or self.endpoints.get(name)
            if endpoint is not None:
                connection = connection.model_copy(update=_pointed_at(connection, endpoint))
            what = f"tenant {tenant!r} connection {name!r}"

            def lookup(ref: SecretRef, whose: str = what) -> str:
                return self.secrets.resolve(ref, what=whose)

            def keep(ref: SecretRef, value: str, whose: str) -> None:
                self.secrets.keep(ref, value, what=f"{what}: {whose}")

            self._open[key] = registry.connect(connection, secret=lookup, keep=keep)
        return self._open[key]

    async def aclose(self) -> None:
        for connector in self._open.values():
            await connector.aclose()
        self._open.clear()


def _pointed_at(connection: Any, endpoint: str) -> dict[str, str]:
    """The fields an endpoint override replaces: the endpoint, and for an OAuth2 connection
    without its own identity endpoint the endpoint's origin, since one server (a sandbox) then
    answers both the API and the token requests."""
    update = {"endpoint": endpoint}
    if "identity_endpoint" in type(connection).model_fields and not connection.identity_endpoint:
        parts = urlsplit(endpoint)
        update["identity_endpoint"] = f"{parts.scheme}://{parts.netloc}"
    return update


def select_flows(
    specs: SpecSet, *, tenant: str | None = None, flow: str | None = None
) -> list[Loaded[Flow]]:
    """The flows a command acts on, in dependency order within each tenant; suspended flows
    are left out. Unknown names are a usage error listing the known ones."""
    if tenant is not None and tenant not in specs.tenants:
        raise UsageError(f"no tenant {tenant!r}; known: {', '.join(sorted(specs.tenants))}")
    flows = [f for f in specs.flows(tenant) if not f.model.spec.schedule.suspend]
    if flow is not None:
        chosen = [f for f in flows if f.name == flow]
        if not chosen:
            known = ", ".join(sorted({f.name for f in flows})) or "none"
            raise UsageError(f"no active flow {flow!r}; known: {known}")
        return chosen
    return _dependency_order(flows)


def _dependency_order(flows: list[Loaded[Flow]]) -> list[Loaded[Flow]]:
    by_key = {(str(f.model.metadata.tenant), f.name): f for f in flows}
    ordered: list[Loaded[Flow]] = []
    visiting: set[tuple[str, str]] = set()

    def visit(key: tuple[str, str]) -> None:
        if key in visiting or by_key[key] in ordered:
            return
        visiting.add(key)
        for dep in by_key[key].model.spec.depends_on:
            if (key[0], dep) in by_key:
                visit((key[0], dep))
        ordered.append(by_key[key])

    for key in by_key:
        visit(key)
    return ordered


def build_context(
    specs: SpecSet,
    flow: Loaded[Flow],
    *,
    connections: Connections,
    store: StateStore,
    revision: str | None = None,
    source: Connector | None = None,
) -> FlowContext:
    """The context of one flow's pass; ``source`` replaces the source connection (tests)."""
    tenant = str(flow.model.metadata.tenant)
    spec = flow.model.spec
    target_system = specs.tenants[tenant].model.spec.connections[spec.target].system
    capabilities = registry.capabilities()[target_system]
    program = compile_program(
        specs, flow, target=capabilities, defaults=registry.default_mapping(target_system)
    )
    target = connections.get(specs, tenant, spec.target)
    comparison: Mapping[Entity, FieldRules] = getattr(target, "comparison", {})
    link = getattr(target, "customer_link", None)
    key_fields = {**DEFAULT_KEY_FIELDS, **dict(getattr(target, "key_fields", None) or {})}
    return FlowContext(
        tenant=tenant,
        flow=flow.name,
        program=program,
        source=source or connections.get(specs, tenant, spec.source),
        target=target,
        store=store,
        safety=spec.safety,
        revision=revision,
        rules=comparison.get(program.entity, FieldRules()),
        customer_rules=comparison.get(Entity.customers, FieldRules()),
        link=link if isinstance(link, CustomerLink) else CustomerLink(),
        key_fields=key_fields,
    )
