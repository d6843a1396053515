"""Orders, pure: the rules of an orders flow from the seeds.

For each order: the flow's status filter decides whether it is taken; the debtor is decided (the
customer matched by e-mail — created as a company debtor with its contact when a company name is
present, as a person otherwise — or the default debtor when there is no customer or a rule routes
it there), and the reason is kept for the activity log; missing data is added from the flow's
settings (administration, debtor ledger account, payment terms, warehouse, branch, journal);
payment and shipping methods, terms, revenue account (by country), cost center and cost unit (by
branch) are looked up; each line gets its tax code by country and rate; shipping costs and an
order-level discount become lines. The result is the data the flow's mapping reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reconciler.canonical import LineKind, Order
from reconciler.errors import MappingError
from reconciler.mapping.rules import value_table
from reconciler.mapping.tables import DebtorDecision, DebtorTable, TaxTable, ValueTable
from reconciler.spec.models import DefaultDebtor, Flow, TaxCodeTable
from reconciler.spec.models.flow import OrderSettings, OrdersFlowSpec
from reconciler.spec.specset import Loaded, SpecSet


@dataclass(frozen=True)
class OrderTables:
    """An orders flow's settings with its tables resolved, ready for records."""

    settings: OrderSettings
    tax: TaxTable | None = None
    debtors: DebtorTable | None = None
    payment_method: ValueTable | None = None
    payment_terms: ValueTable | None = None
    shipping_method: ValueTable | None = None
    revenue_account: ValueTable | None = None
    cost_center: ValueTable | None = None
    cost_unit: ValueTable | None = None
    order_status: ValueTable | None = None

    @classmethod
    def resolve(cls, specs: SpecSet, flow: Loaded[Flow]) -> OrderTables:
        spec = flow.model.spec
        if not isinstance(spec, OrdersFlowSpec):
            raise TypeError(f"flow {flow.name!r} is not an orders flow")
        tenant = str(flow.model.metadata.tenant)
        settings = spec.orders
        maps = {
            role: value_table(specs, tenant, name) for role, name in settings.value_maps if name
        }
        tax = specs.find(tenant, TaxCodeTable, settings.tax_codes) if settings.tax_codes else None
        debtors = (
            specs.find(tenant, DefaultDebtor, settings.default_debtor)
            if settings.default_debtor
            else None
        )
        return cls(
            settings=settings,
            tax=TaxTable(tax.name, tax.location, tax.model.spec) if tax else None,
            debtors=DebtorTable(debtors.name, debtors.location, debtors.model.spec)
            if debtors
            else None,
            **maps,
        )


@dataclass(frozen=True)
class DebtorPlan:
    """How an order's debtor is found: a default debtor number, or a customer to match by
    e-mail (then created or updated) as a company or a person."""

    default: DebtorDecision | None
    email: str | None = None
    company: bool = False
    create: bool = True
    update: bool = True

    @property
    def reason(self) -> str:
        if self.default is not None:
            return self.default.reason
        kind = "company debtor with its contact" if self.company else "person debtor"
        return f"matched by e-mail {self.email} ({kind})"


@dataclass(frozen=True)
class DebtorFacts:
    """What default-debtor rules look at."""

    country: str | None
    channel: str | None
    branch: str | None
    payment_method: str | None

    def decide(
        self, table: DebtorTable, *, why: str, only_always: bool = False
    ) -> DebtorDecision | None:
        return table.decide(
            country=self.country,
            channel=self.channel,
            branch=self.branch,
            payment_method=self.payment_method,
            why=why,
            only_always=only_always,
        )


def debtor_plan(order: Order, tables: OrderTables) -> DebtorPlan:
    """Decide how the order's debtor is found; MappingError when no way is configured."""
    customers = tables.settings.customers
    facts = DebtorFacts(order.country, order.channel, order.branch, order.payment_method)
    debtors = tables.debtors
    if debtors is not None:
        routed = facts.decide(debtors, why="a rule routes it", only_always=True)
        if routed is not None:
            return DebtorPlan(routed)
    customer = order.customer
    if customer is None or not customer.key:
        why = "the order has no customer" if customer is None else "the customer has no e-mail"
        if debtors is None or (customer is not None and not debtors.spec.when_no_email):
            raise MappingError(
                f"order {order.number}: {why} and the flow names no default debtor",
                hint="set orders.defaultDebtor in the flow",
            )
        decision = facts.decide(debtors, why=why)
        assert decision is not None
        return DebtorPlan(decision)
    return DebtorPlan(
        None,
        email=customer.key,
        company=customer.is_company,
        create=customers.create,
        update=customers.update,
    )


def missing_skus(order: Order, existing: Iterable[str]) -> list[str]:
    """The order's item SKUs that do not exist in the target, in order."""
    have = set(existing)
    return [sku for sku in order.skus if sku not in have]


def order_data(order: Order, tables: OrderTables) -> dict[str, Any]:
    """The order's data for its mapping: the canonical record plus what the flow adds."""
    settings = tables.settings
    data = order.to_data()
    country = order.country
    data["orderType"] = settings.type.value
    data["country"] = country
    _put(data, "administration", settings.administration)
    _put(data, "debtorLedgerAccount", settings.debtor_ledger_account)
    _put(data, "warehouse", settings.warehouse)
    _put(data, "branch", settings.branch or order.branch)
    _put(data, "journal", settings.journal)
    terms = order.payment_terms
    if tables.payment_terms is not None and terms:
        terms = tables.payment_terms.lookup(terms)
    _put(data, "paymentTerms", terms or settings.payment_terms)
    _lookup(data, "paymentMethodCode", tables.payment_method, order.payment_method)
    _lookup(data, "shippingMethodCode", tables.shipping_method, order.shipping_method)
    _lookup(data, "revenueAccount", tables.revenue_account, country)
    _put(data, "costCenter", settings.cost_center)
    _put(data, "costUnit", settings.cost_unit)
    _lookup(data, "costCenter", tables.cost_center, order.branch)
    _lookup(data, "costUnit", tables.cost_unit, order.branch)
    if settings.write_status:
        _lookup(data, "statusCode", tables.order_status, order.status.value)
    data["lines"] = _lines(order, tables)
    return data


def _put(data: dict[str, Any], name: str, value: Any) -> None:
    if value is not None and value != "":
        data[name] = value


def _lookup(data: dict[str, Any], name: str, table: ValueTable | None, value: Any) -> None:
    if table is not None and value not in (None, ""):
        data[name] = table.lookup(value)


def _lines(order: Order, tables: OrderTables) -> list[dict[str, Any]]:
    settings = tables.settings
    country = order.country
    lines: list[dict[str, Any]] = []
    for line in order.lines:
        if line.kind is LineKind.discount and settings.discounts.mode != "line":
            continue
        data = line.to_data()
        if settings.discounts.mode == "none":
            data.pop("discountAmount", None)
            data.pop("discountPercentage", None)
        if tables.tax is not None and line.kind is not LineKind.text:
            data["taxCode"] = tables.tax.code(country, rate=line.tax_rate)
        lines.append(data)
    extra = settings.shipping_costs
    if extra is not None and order.shipping_costs:
        lines.append(
            _extra_line(
                LineKind.shipping,
                sku=str(extra.sku),
                description=extra.description,
                amount=order.shipping_costs,
                country=country,
                tables=tables,
            )
        )
    discount = settings.discounts
    if discount.mode == "order" and order.discount_amount:
        if discount.sku is None:
            raise MappingError(
                f"order {order.number} has a discount, but orders.discounts has no `sku` for "
                "the discount line",
                hint="set orders.discounts.sku, or use mode: line",
            )
        lines.append(
            _extra_line(
                LineKind.discount,
                sku=str(discount.sku),
                description=discount.description,
                amount=-abs(order.discount_amount),
                country=country,
                tables=tables,
            )
        )
    return lines


def _extra_line(
    kind: LineKind,
    *,
    sku: str,
    description: str | None,
    amount: Decimal,
    country: str | None,
    tables: OrderTables,
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "kind": kind.value,
        "sku": sku,
        "description": description or kind.value.title(),
        "quantity": "1",
        "unitPrice": format(amount, "f"),
    }
    if tables.tax is not None:
        default = tables.tax.default(country)
        if default is not None:
            line["taxCode"] = default
    return line
