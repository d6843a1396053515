"""Validation, second layer: what the documents mean together.

References resolve (a flow's connections, mappings, value maps, tax tables, default debtor,
dependencies); each flow's kind and direction is supported by both systems (their capability
tables); value maps cover the values a flow needs or say what happens otherwise; tax tables have a
default for every country a flow handles; rules of the target that are known statically hold
(MplusKASSA article numbers are numeric); intervals are sane; secrets stay out of URLs.

Pure: the capability tables are passed in, so this runs with no connector or network.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

import jmespath
from jmespath.exceptions import JMESPathError

from reconciler.canonical import Entity, OrderStatus
from reconciler.capabilities import Capabilities
from reconciler.spec.diagnostics import Code, Diagnostic
from reconciler.spec.models import Document, Flow, TaxCodeTable, Tenant, ValueMap
from reconciler.spec.models import Mapping as MappingDoc
from reconciler.spec.models.base import duration_seconds
from reconciler.spec.models.flow import (
    CustomersFlowSpec,
    OrdersFlowSpec,
    ProductsFlowSpec,
)
from reconciler.spec.models.mapping import FieldRule
from reconciler.spec.models.tenant import OAuthFields
from reconciler.spec.specset import Loaded, SpecSet

MIN_INTERVAL = 30.0
MAX_INTERVAL = 7 * 86400.0
MAX_DRIFT_SCAN = 30 * 86400.0
SKU_FIELDS = frozenset({"sku", "articleNumber", "itemCode"})
_SECRET_QUERY_KEYS = {"secret", "token", "password", "apikey", "api_key", "key", "ident"}

Path = tuple[str | int, ...]


def check_meaning(specs: SpecSet, capabilities: Mapping[str, Capabilities]) -> list[Diagnostic]:
    """Every meaning problem in the spec set."""
    problems: list[Diagnostic] = []
    for tenant in specs.tenants.values():
        problems.extend(_check_tenant(tenant))
    for flow in specs.flows():
        problems.extend(_FlowCheck(specs, flow, capabilities).run())
    for mapping in specs.of_type(MappingDoc):
        problems.extend(_check_mapping(specs, mapping))
    for table in specs.of_type(TaxCodeTable):
        problems.extend(_check_tax_table(table))
    problems.extend(_check_cycles(specs))
    return problems


# -- tenants ----------------------------------------------------------------------------------
def _check_tenant(tenant: Loaded[Tenant]) -> Iterator[Diagnostic]:
    for name, connection in tenant.model.spec.connections.items():
        base: Path = ("spec", "connections", name)
        problem = _url_problem(connection.endpoint) if connection.endpoint else None
        if problem is not None:
            # The URL itself is not echoed: it may carry the very credentials it should not.
            yield tenant.diag(
                (*base, "endpoint"),
                Code.schema_value,
                f"the endpoint is not a valid URL ({problem}); write it as "
                "https://host[:port]/path",
            )
        elif connection.endpoint and _url_has_secret(connection.endpoint):
            yield tenant.diag(
                (*base, "endpoint"),
                Code.secret_in_url,
                "the endpoint URL carries credentials (user:password@ or a secret "
                "query parameter); put them in the connection's secret references "
                "instead",
            )
        if isinstance(connection, OAuthFields):
            has_token = connection.access_token is not None
            has_client = connection.client_id is not None and connection.client_secret is not None
            if not has_token and not has_client:
                yield tenant.diag(
                    base,
                    Code.connection_incomplete,
                    f"connection {name!r} ({connection.system}) has no credentials: "
                    "give `accessToken: {env: ...}`, or `clientId` with "
                    "`clientSecret: {env: ...}` (and `refreshToken` for "
                    "authorization-code apps)",
                )


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be parsed (the schema's pattern lets ``http://[::1`` through)."""
    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return str(exc)
    return None


def _url_has_secret(url: str) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(key.lower() in _SECRET_QUERY_KEYS for key, _ in parse_qsl(parts.query))


# -- flows ------------------------------------------------------------------------------------
class _FlowCheck:
    def __init__(
        self, specs: SpecSet, flow: Loaded[Flow], capabilities: Mapping[str, Capabilities]
    ) -> None:
        self.specs = specs
        self.flow = flow
        self.spec = flow.model.spec
        self.tenant_name = str(flow.model.metadata.tenant)
        self.tenant = specs.tenants[self.tenant_name].model
        self.capabilities = capabilities
        self.countries = list(self.spec.countries or self.tenant.spec.defaults.countries)

    def run(self) -> Iterator[Diagnostic]:
        yield from self._connections()
        yield from self._schedule()
        yield from self._references()
        yield from self._coverage()
        yield from self._key_rules()

    def diag(self, path: Path, code: Code, message: str) -> Diagnostic:
        return self.flow.diag(("spec", *path), code, message)

    def _system(self, role: str) -> Capabilities | None:
        connection = self.tenant.spec.connections.get(getattr(self.spec, role))
        return None if connection is None else self.capabilities.get(connection.system)

    def _connections(self) -> Iterator[Diagnostic]:
        connections = self.tenant.spec.connections
        for role in ("source", "target"):
            name = getattr(self.spec, role)
            connection = connections.get(name)
            if connection is None:
                yield self.diag(
                    (role,),
                    Code.unresolved_reference,
                    f"{role} connection {name!r} is not defined in tenant "
                    f"{self.tenant_name!r}; known connections: "
                    f"{', '.join(sorted(connections))}",
                )
                continue
            table = self.capabilities.get(connection.system)
            if table is None:
                yield self.diag(
                    (role,),
                    Code.unknown_system,
                    f"no connector is installed for system {connection.system!r}",
                )
                continue
            entity = Entity(self.spec.kind)
            if not table.supports(entity, as_source=role == "source"):
                verb = "read" if role == "source" else "write"
                yield self.diag(
                    (role,),
                    Code.unsupported_flow,
                    f"{table.title} cannot {verb} {entity.value}, so it cannot be the "
                    f"{role} of a {entity.value} flow",
                )
        if self.spec.source == self.spec.target:
            yield self.diag(
                ("target",),
                Code.flow_same_connection,
                "source and target are the same connection; a flow moves records "
                "between two connections",
            )
        if isinstance(self.spec, OrdersFlowSpec):
            target = self._system("target")
            order_type = self.spec.orders.type
            if target is not None and order_type not in target.order_types:
                supported = ", ".join(sorted(t.value for t in target.order_types))
                yield self.diag(
                    ("orders", "type"),
                    Code.unsupported_order_type,
                    f"{target.title} cannot receive orders as {order_type.value}; "
                    f"it supports: {supported}",
                )

    def _schedule(self) -> Iterator[Diagnostic]:
        schedule = self.spec.schedule
        interval = duration_seconds(schedule.interval)
        drift = duration_seconds(schedule.drift_scan)
        if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            yield self.diag(
                ("schedule", "interval"),
                Code.interval,
                f"interval {schedule.interval} is outside 30s..7d; a shorter one "
                "hammers the target, a longer one lets data go stale",
            )
        if drift < interval:
            yield self.diag(
                ("schedule", "driftScan"),
                Code.interval,
                f"driftScan {schedule.drift_scan} is shorter than the interval "
                f"{schedule.interval}; a drift scan is the rarer, full pass",
            )
        elif drift > MAX_DRIFT_SCAN:
            yield self.diag(
                ("schedule", "driftScan"),
                Code.interval,
                f"driftScan {schedule.drift_scan} is longer than 30d; manual edits "
                "in the target would go unnoticed for too long",
            )

    def _ref(self, path: Path, kind: str, name: str | None) -> Iterator[Diagnostic]:
        if name is None or self.specs.declared(self.tenant_name, kind, name):
            return
        known = sorted(loaded.name for loaded in self.specs.of_kind(kind, self.tenant_name))
        known_text = f"; known: {', '.join(known)}" if known else f"; the tenant has no {kind}"
        yield self.diag(
            path,
            Code.unresolved_reference,
            f"{kind} {name!r} is not defined in tenant {self.tenant_name!r}{known_text}",
        )

    def _references(self) -> Iterator[Diagnostic]:
        spec = self.spec
        for i, name in enumerate(spec.depends_on):
            yield from self._ref(("dependsOn", i), "Flow", name)
        for i, name in enumerate(spec.mappings):
            yield from self._ref(("mappings", i), "Mapping", name)
            mapping = self.specs.find(self.tenant_name, MappingDoc, name)
            if mapping is not None:
                entity = mapping.model.spec.entity
                if entity.value != spec.kind:
                    yield self.diag(
                        ("mappings", i),
                        Code.wrong_kind_reference,
                        f"Mapping {name!r} maps {entity.value}, but this flow moves {spec.kind}",
                    )
        for path, kind, ref_name in self._table_refs():
            yield from self._ref(path, kind, ref_name)

    def _table_refs(self) -> Iterator[tuple[Path, str, str | None]]:
        spec = self.spec
        if isinstance(spec, OrdersFlowSpec):
            orders = spec.orders
            yield ("orders", "defaultDebtor"), "DefaultDebtor", orders.default_debtor
            yield ("orders", "taxCodes"), "TaxCodeTable", orders.tax_codes
            for role, name in orders.value_maps:
                yield ("orders", "valueMaps", _camel(role)), "ValueMap", name
        elif isinstance(spec, CustomersFlowSpec):
            yield ("customers", "taxCodes"), "TaxCodeTable", spec.customers.tax_codes
            for role, name in spec.customers.value_maps:
                yield ("customers", "valueMaps", _camel(role)), "ValueMap", name
        elif isinstance(spec, ProductsFlowSpec):
            yield ("products", "taxCodes"), "TaxCodeTable", spec.products.tax_codes

    def _coverage(self) -> Iterator[Diagnostic]:
        for path, kind, name in self._table_refs():
            if name is None:
                continue
            table = self.specs.find(self.tenant_name, TaxCodeTable, name)
            if kind == "TaxCodeTable" and table is not None:
                have = set(table.model.spec.default_per_country)
                missing = [c for c in self.countries if c not in have]
                if missing:
                    yield self.diag(
                        path,
                        Code.tax_table_uncovered,
                        f"TaxCodeTable {name!r} has no defaultPerCountry for "
                        f"{', '.join(missing)}, which this flow handles; add them "
                        f"to the table ({table.location})",
                    )
            value_map = self.specs.find(self.tenant_name, ValueMap, name)
            if kind == "ValueMap" and value_map is not None:
                domain = _role_domain(str(path[0]), str(path[-1]), self.countries)
                yield from _coverage_problem(
                    self.flow, ("spec", *path), value_map, domain, ".".join(map(str, path))
                )
        for i, mapping_name in enumerate(self.spec.mappings):
            mapping = self.specs.find(self.tenant_name, MappingDoc, mapping_name)
            if mapping is None:
                continue
            for section, target, rule in _rules(mapping.model):
                if rule.lookup is None or rule.from_ is None:
                    continue
                looked_up = self.specs.find(self.tenant_name, ValueMap, rule.lookup)
                if looked_up is None:
                    continue
                domain = _path_domain(rule.from_, self.countries)
                yield from _coverage_problem(
                    mapping,
                    ("spec", section, target, "lookup"),
                    looked_up,
                    domain,
                    f"{rule.from_} (used by flow {self.flow.name!r}, mappings[{i}])",
                )

    def _key_rules(self) -> Iterator[Diagnostic]:
        target = self._system("target")
        if target is None or target.sku_rule is None:
            return
        rule = target.sku_rule
        if self.spec.kind not in ("products", "orders"):
            return
        if isinstance(self.spec, OrdersFlowSpec):
            for path, extra in (
                (("orders", "shippingCosts", "sku"), self.spec.orders.shipping_costs),
                (("orders", "discounts", "sku"), self.spec.orders.discounts),
            ):
                sku = getattr(extra, "sku", None) if extra is not None else None
                if sku is not None and not rule.matches(str(sku)):
                    yield self.diag(
                        path,
                        Code.target_key_rule,
                        f"{sku!r} cannot be an item code in {target.title}: {rule.description}",
                    )
        for i, mapping_name in enumerate(self.spec.mappings):
            mapping = self.specs.find(self.tenant_name, MappingDoc, mapping_name)
            if mapping is None:
                continue
            for section, field_name, field_rule in _rules(mapping.model):
                if field_name not in SKU_FIELDS:
                    continue
                bad = _static_key_violation(field_rule, rule.matches)
                if bad is not None:
                    yield mapping.diag(
                        ("spec", section, field_name),
                        Code.target_key_rule,
                        f"{field_name} would be {bad!r} for flow "
                        f"{self.flow.name!r} (mappings[{i}]), which "
                        f"{target.title} cannot store: {rule.description}",
                    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _role_domain(section: str, role: str, countries: list[str]) -> list[str] | None:
    """The values a flow's value map is looked up with, when they are known in advance:
    countries for revenue accounts (and customers' cost center/unit), statuses for orders."""
    by_country = {"revenueAccount"} | (
        {"costCenter", "costUnit"} if section == "customers" else set()
    )
    if role in by_country:
        return countries or None
    if role == "orderStatus":
        return [status.value for status in OrderStatus]
    return None


def _path_domain(expression: str, countries: list[str]) -> list[str] | None:
    last = expression.rsplit(".", 1)[-1]
    if last == "country":
        return countries or None
    if expression == "status":
        return [status.value for status in OrderStatus]
    return None


def _coverage_problem(
    owner: Loaded[Document],
    path: Path,
    value_map: Loaded[ValueMap],
    domain: list[str] | None,
    what: str,
) -> Iterator[Diagnostic]:
    spec = value_map.model.spec
    if spec.otherwise is not None:
        return
    if domain is None:
        yield owner.diag(
            path,
            Code.value_map_uncovered,
            f"ValueMap {value_map.name!r} has no `otherwise`, and the values of "
            f"{what} are not known in advance; add `otherwise: fail` or "
            f"`otherwise: {{default: VALUE}}` to it ({value_map.location})",
        )
        return
    keys = set(spec.entries) if spec.case_sensitive else {k.lower() for k in spec.entries}
    missing = [v for v in domain if (v if spec.case_sensitive else v.lower()) not in keys]
    if missing:
        yield owner.diag(
            path,
            Code.value_map_uncovered,
            f"ValueMap {value_map.name!r} has no entry for {', '.join(missing)} "
            f"(values of {what}) and no `otherwise`; add the entries or an "
            f"`otherwise` ({value_map.location})",
        )


def _rules(mapping: MappingDoc) -> Iterator[tuple[str, str, FieldRule]]:
    for name, rule in mapping.spec.fields.items():
        yield "fields", name, rule
    for name, rule in mapping.spec.custom_fields.items():
        yield "customFields", name, rule


def _static_key_violation(rule: FieldRule, matches: object) -> str | None:
    check = matches  # a callable: str -> bool
    assert callable(check)
    if rule.const is not None and not check(str(rule.const)):
        return str(rule.const)
    if rule.template is not None:
        literal = "".join(text for text, *_ in string.Formatter().parse(rule.template))
        probe = rule.template
        for _, field_name, _, _ in string.Formatter().parse(rule.template):
            if field_name is not None:
                probe = probe.replace("{" + field_name + "}", "0")
        if literal and not check(probe):
            return rule.template
    return None


# -- mappings and tables ------------------------------------------------------------------------
def _check_mapping(specs: SpecSet, mapping: Loaded[MappingDoc]) -> Iterator[Diagnostic]:
    tenant = str(mapping.model.metadata.tenant)
    for section, name, rule in _rules(mapping.model):
        path: Path = ("spec", section, name)
        sources = [
            k
            for k, v in (("from", rule.from_), ("const", rule.const), ("template", rule.template))
            if v is not None
        ]
        if len(sources) != 1:
            found = ", ".join(sources) if sources else "none"
            yield mapping.diag(
                path,
                Code.mapping_rule,
                f"rule for {name!r} must take its value from exactly one of "
                f"`from`, `const` or `template` (found: {found})",
            )
        if rule.from_ is not None:
            problem = _expression_problem(rule.from_)
            if problem:
                yield mapping.diag(
                    (*path, "from"),
                    Code.mapping_expression,
                    f"`from: {rule.from_}` is not a valid JMESPath expression: {problem}",
                )
        if rule.template is not None:
            yield from _template_problems(mapping, (*path, "template"), rule.template)
        if rule.lookup is not None and not specs.declared(tenant, "ValueMap", rule.lookup):
            yield mapping.diag(
                (*path, "lookup"),
                Code.unresolved_reference,
                f"ValueMap {rule.lookup!r} is not defined in tenant {tenant!r}",
            )
        if rule.lookup is not None and rule.const is not None:
            yield mapping.diag(
                (*path, "lookup"),
                Code.mapping_rule,
                "a constant needs no lookup; write the target value as `const`",
            )


def _expression_problem(expression: str) -> str | None:
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return text.removesuffix(", for expression:").removesuffix(" for expression:")
    return None


def _template_problems(owner: Loaded[Document], path: Path, template: str) -> Iterator[Diagnostic]:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        yield owner.diag(
            path,
            Code.mapping_template,
            f"template {template!r} is malformed: {exc}; write placeholders as "
            "{path} and literal braces as {{ and }}",
        )
        return
    for _, field_name, spec, _ in parts:
        if field_name is None:
            continue
        if not field_name or spec:
            yield owner.diag(
                path,
                Code.mapping_template,
                f"template {template!r} has a placeholder without a path; write "
                "{number} or {billingAddress.city}",
            )
            continue
        problem = _expression_problem(field_name)
        if problem:
            yield owner.diag(
                path,
                Code.mapping_template,
                f"placeholder {{{field_name}}} in {template!r} is not a valid path: {problem}",
            )


def _check_tax_table(table: Loaded[TaxCodeTable]) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, float | None, str | None], int] = {}
    for i, row in enumerate(table.model.spec.rows):
        key = (row.country, row.rate, row.category)
        if row.rate is None and row.category is None:
            yield table.diag(
                ("spec", "rows", i),
                Code.tax_table_duplicate,
                "a row needs a `rate` or a `category` to match lines by",
            )
        if key in seen:
            yield table.diag(
                ("spec", "rows", i),
                Code.tax_table_duplicate,
                f"rows[{seen[key]}] already gives the code for {row.country} "
                f"at this rate/category; keep one",
            )
        seen.setdefault(key, i)
    for country in table.model.spec.default_per_country:
        if len(country) != 2 or not country.isupper() or not country.isalpha():
            yield table.diag(
                ("spec", "defaultPerCountry", country),
                Code.schema_value,
                f"{country!r} is not an ISO 3166-1 alpha-2 country code such as NL",
            )


def _check_cycles(specs: SpecSet) -> Iterator[Diagnostic]:
    graph: dict[tuple[str, str], list[str]] = {}
    flows: dict[tuple[str, str], Loaded[Flow]] = {}
    for flow in specs.flows():
        key = (str(flow.model.metadata.tenant), flow.name)
        graph[key] = list(flow.model.spec.depends_on)
        flows[key] = flow
    reported: set[frozenset[tuple[str, str]]] = set()
    for start in graph:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for dep in graph.get(node, []):
                nxt = (node[0], dep)
                if nxt == start:
                    cycle = frozenset(trail)
                    if cycle not in reported:
                        reported.add(cycle)
                        names = " -> ".join(n for _, n in [*trail, start])
                        yield flows[start].diag(
                            ("spec", "dependsOn"),
                            Code.dependency_cycle,
                            f"flows depend on each other in a circle: "
                            f"{names}; remove one dependency",
                        )
                elif nxt in graph and nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
