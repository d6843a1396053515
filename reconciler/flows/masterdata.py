"""The target codes a flow's specs name, by kind of master data, pure.

``koppel plan`` asks the target whether each exists (where the target exposes that master data),
so a tax code or ledger account that does not exist is found before any record is written.
Kinds: ``vatCode``, ``ledgerAccount``, ``paymentCondition``, ``debtor``, ``warehouse``,
``branch``, ``customerClass``, ``administration``.
"""

from __future__ import annotations

from collections import defaultdict

from reconciler.spec.models import DefaultDebtor, Flow, TaxCodeTable, ValueMap
from reconciler.spec.models.flow import CustomersFlowSpec, OrdersFlowSpec, ProductsFlowSpec
from reconciler.spec.models.tables import Otherwise
from reconciler.spec.specset import Loaded, SpecSet

# Which value-map roles hold which kind of master data.
_ROLE_KINDS = {
    "revenue_account": "ledgerAccount",
    "payment_terms": "paymentCondition",
    "classification": "customerClass",
}


def named_codes(specs: SpecSet, flow: Loaded[Flow]) -> dict[str, set[str]]:
    """Kind -> the codes the flow's settings and tables name in its target."""
    tenant = str(flow.model.metadata.tenant)
    spec = flow.model.spec
    codes: dict[str, set[str]] = defaultdict(set)

    def table(name: str | None) -> None:
        loaded = specs.find(tenant, TaxCodeTable, name) if name else None
        if loaded is not None:
            codes["vatCode"].update(row.code for row in loaded.model.spec.rows)
            codes["vatCode"].update(loaded.model.spec.default_per_country.values())

    def values(role: str, name: str | None) -> None:
        kind = _ROLE_KINDS.get(role)
        loaded = specs.find(tenant, ValueMap, name) if name else None
        if kind is None or loaded is None:
            return
        codes[kind].update(str(v) for v in loaded.model.spec.entries.values())
        otherwise = loaded.model.spec.otherwise
        if isinstance(otherwise, Otherwise):
            codes[kind].add(str(otherwise.default))

    def add(kind: str, value: object) -> None:
        if value not in (None, ""):
            codes[kind].add(str(value))

    if isinstance(spec, OrdersFlowSpec):
        settings = spec.orders
        add("administration", settings.administration)
        add("ledgerAccount", settings.debtor_ledger_account)
        add("paymentCondition", settings.payment_terms)
        add("warehouse", settings.warehouse)
        add("branch", settings.branch)
        table(settings.tax_codes)
        for role, name in settings.value_maps:
            values(role, name)
        debtors = specs.find(tenant, DefaultDebtor, settings.default_debtor or "")
        if debtors is not None:
            add("debtor", debtors.model.spec.debtor)
            for rule in debtors.model.spec.rules:
                add("debtor", rule.debtor)
    elif isinstance(spec, CustomersFlowSpec):
        settings_c = spec.customers
        add("ledgerAccount", settings_c.debtor_ledger_account)
        add("paymentCondition", settings_c.payment_terms)
        table(settings_c.tax_codes)
        for role, name in settings_c.value_maps:
            values(role, name)
    elif isinstance(spec, ProductsFlowSpec):
        table(spec.products.tax_codes)
    return {kind: found for kind, found in codes.items() if found}
