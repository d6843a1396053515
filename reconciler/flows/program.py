"""A flow compiled for records, pure: canonical source record -> what the target should hold.

``FlowProgram.desire`` applies, in order: the flow's filter (a dropped record is *skipped* with
its reason), the kind's rules (``flows/orders.py`` and siblings: settings added, codes looked
up), the mapping (the target connector's default mapping overlaid by the flow's Mappings), and
the target's key rule. The result is a ``Desire`` with its fingerprint — or a ``Dropped`` record
(skip or fail) with a reason a person can act on. Nothing here talks to a system.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.canonical import CanonicalRecord, Customer, Entity, Order, Product, StockLevel
from reconciler.capabilities import Capabilities
from reconciler.errors import MappingError
from reconciler.flows.customers import CustomerTables, customer_data
from reconciler.flows.filters import customer_skip_reason, order_skip_reason, product_skip_reason
from reconciler.flows.orders import DebtorPlan, OrderTables, debtor_plan, order_data
from reconciler.flows.products import check_sku, create_only_policies, product_data
from reconciler.flows.stock import stock_data
from reconciler.mapping.rules import MappingSet, compile_flow
from reconciler.mapping.tables import TaxTable
from reconciler.plan.actions import fingerprint
from reconciler.spec.models import Flow, TaxCodeTable
from reconciler.spec.models.flow import (
    CustomersFlowSpec,
    OrdersFlowSpec,
    ProductsFlowSpec,
    StockFlowSpec,
)
from reconciler.spec.models.mapping import WritePolicy
from reconciler.spec.models.tenant import TenantSpec
from reconciler.spec.specset import Loaded, SpecSet

DefaultMapping = Mapping[Entity, Mapping[str, str]]


@dataclass(frozen=True)
class Desire:
    """The desired target record of one source record."""

    key: str
    fields: dict[str, Any]
    policies: dict[str, WritePolicy]
    ignore: frozenset[str]
    fingerprint: str
    debtor: DebtorPlan | None = None
    """Orders: how the debtor is found."""
    customer: dict[str, Any] | None = None
    """Orders: the customer's desired target record, when the debtor is matched by e-mail."""
    skus: tuple[str, ...] = ()
    """Orders: item SKUs that must exist in the target."""


@dataclass(frozen=True)
class Dropped:
    """A record the flow does not write: skipped by a filter, or failed with a reason."""

    key: str
    kind: Literal["skip", "fail"]
    reason: str


@dataclass(frozen=True)
class FlowProgram:
    """One flow, compiled: call ``desire`` for each source record."""

    entity: Entity
    spec: OrdersFlowSpec | CustomersFlowSpec | ProductsFlowSpec | StockFlowSpec
    mapping: MappingSet
    target: Capabilities
    customer_mapping: MappingSet | None = None
    orders: OrderTables | None = None
    customers: CustomerTables | None = None
    product_tax: TaxTable | None = None
    countries: tuple[str, ...] = ()
    policies: dict[str, WritePolicy] = field(default_factory=dict)

    def desire(self, record: CanonicalRecord) -> Desire | Dropped:
        key = _key(record)
        try:
            return self._desire(record, key)
        except MappingError as exc:
            return Dropped(key, "fail", str(exc))

    def _desire(self, record: CanonicalRecord, key: str) -> Desire | Dropped:
        spec = self.spec
        debtor: DebtorPlan | None = None
        customer: dict[str, Any] | None = None
        skus: tuple[str, ...] = ()
        if isinstance(record, Order) and isinstance(spec, OrdersFlowSpec):
            assert self.orders is not None
            reason = order_skip_reason(record, spec.filter)
            if reason:
                return Dropped(key, "skip", reason)
            data = order_data(record, self.orders)
            debtor = debtor_plan(record, self.orders)
            if debtor.default is not None:
                data["debtorId"] = debtor.default.debtor
            elif record.customer is not None and self.customer_mapping is not None:
                customer = self._customer(record)
            skus = tuple(record.skus)
        elif isinstance(record, Customer) and isinstance(spec, CustomersFlowSpec):
            assert self.customers is not None
            reason = customer_skip_reason(record, spec.filter)
            if reason:
                return Dropped(key, "skip", reason)
            data = customer_data(record, self.customers)
        elif isinstance(record, Product) and isinstance(spec, ProductsFlowSpec):
            reason = product_skip_reason(record, spec.filter)
            if reason:
                return Dropped(key, "skip", reason)
            check_sku(record, self.target.sku_rule, title=self.target.title)
            country = self.countries[0] if self.countries else None
            data = product_data(record, spec.products, tax=self.product_tax, country=country)
        elif isinstance(record, StockLevel) and isinstance(spec, StockFlowSpec):
            if self.target.sku_rule is not None and not self.target.sku_rule.matches(record.sku):
                return Dropped(
                    key,
                    "fail",
                    f"SKU {record.sku!r} cannot exist in "
                    f"{self.target.title}: {self.target.sku_rule.description}",
                )
            data = stock_data(record, spec.stock)
        else:
            raise TypeError(f"a {type(record).__name__} does not belong in a {spec.kind} flow")
        desired = self.mapping.map(data, key=key)
        fields = dict(desired.fields)
        if desired.custom_fields:
            fields["customFields"] = desired.custom_fields
        policies = {**self.policies, **desired.policies}
        content = {"fields": fields, "customer": customer, "debtor": _debtor_key(debtor)}
        return Desire(
            key, fields, policies, desired.ignore, fingerprint(content), debtor, customer, skus
        )

    def _customer(self, order: Order) -> dict[str, Any]:
        assert order.customer is not None
        assert self.customer_mapping is not None
        assert self.orders is not None
        settings = self.orders.settings
        customer = order.customer
        if customer.billing_address is None and order.billing_address is not None:
            customer = customer.model_copy(update={"billing_address": order.billing_address})
        if customer.shipping_address is None and order.shipping_address is not None:
            customer = customer.model_copy(update={"shipping_address": order.shipping_address})
        data = customer.to_data()
        data["email"] = customer.key
        data["isCompany"] = customer.is_company
        for name, value in (
            ("debtorLedgerAccount", settings.debtor_ledger_account),
            ("paymentTerms", settings.payment_terms),
        ):
            if value is not None:
                data[name] = value
        if self.orders.tax is not None:
            default = self.orders.tax.default(order.country)
            if default is not None:
                data["taxCode"] = default
        return self.customer_mapping.map(data, key=str(customer.key)).fields


def _key(record: CanonicalRecord) -> str:
    key = record.key
    return key if key is not None else "(no e-mail)"


def _debtor_key(plan: DebtorPlan | None) -> object:
    if plan is None:
        return None
    if plan.default is not None:
        return {"default": plan.default.debtor}
    return {"email": plan.email, "company": plan.company}


def compile_program(
    specs: SpecSet,
    flow: Loaded[Flow],
    *,
    target: Capabilities,
    defaults: DefaultMapping,
) -> FlowProgram:
    """Compile a flow against its target's capabilities and default mapping."""
    spec = flow.model.spec
    tenant_name = str(flow.model.metadata.tenant)
    tenant: TenantSpec = specs.tenants[tenant_name].model.spec
    countries = tuple(spec.countries or tenant.defaults.countries)
    entity = Entity(spec.kind)
    origin = f"the default {target.title} mapping"
    mapping = compile_flow(specs, flow, defaults=defaults.get(entity, {}), default_origin=origin)
    common: dict[str, Any] = {
        "entity": entity,
        "spec": spec,
        "mapping": mapping,
        "target": target,
        "countries": countries,
    }
    if isinstance(spec, OrdersFlowSpec):
        customer_defaults = defaults.get(Entity.customers, {})
        customer_mapping = MappingSet(
            tuple(
                compile_flow(
                    specs,
                    _without_mappings(flow),
                    defaults=customer_defaults,
                    default_origin=origin,
                ).rules
            )
        )
        return FlowProgram(
            **common, orders=OrderTables.resolve(specs, flow), customer_mapping=customer_mapping
        )
    if isinstance(spec, CustomersFlowSpec):
        return FlowProgram(**common, customers=CustomerTables.resolve(specs, flow))
    if isinstance(spec, ProductsFlowSpec):
        tax = None
        if spec.products.tax_codes:
            loaded = specs.find(tenant_name, TaxCodeTable, spec.products.tax_codes)
            if loaded is not None:
                tax = TaxTable(loaded.name, loaded.location, loaded.model.spec)
        return FlowProgram(**common, product_tax=tax, policies=create_only_policies(spec.products))
    return FlowProgram(**common)


def _without_mappings(flow: Loaded[Flow]) -> Loaded[Flow]:
    spec = flow.model.spec.model_copy(update={"mappings": []})
    return Loaded(flow.model.model_copy(update={"spec": spec}), flow.doc)
