"""Customers, pure: upsert by e-mail, company or person, and what the flow adds.

A customer with a company name becomes a company debtor with the person as its contact; without
one, a person debtor. Added from the flow: debtor ledger account, payment terms, the default tax
code of the customer's country (from the tax table), revenue account by country, classification,
cost center and cost unit (constants, or value maps by country).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.canonical import Customer
from reconciler.mapping.rules import value_table
from reconciler.mapping.tables import TaxTable, ValueTable
from reconciler.spec.models import Flow, TaxCodeTable
from reconciler.spec.models.flow import CustomerSettings, CustomersFlowSpec
from reconciler.spec.specset import Loaded, SpecSet


@dataclass(frozen=True)
class CustomerTables:
    settings: CustomerSettings
    tax: TaxTable | None = None
    classification: ValueTable | None = None
    revenue_account: ValueTable | None = None
    cost_center: ValueTable | None = None
    cost_unit: ValueTable | None = None
    payment_terms: ValueTable | None = None

    @classmethod
    def resolve(cls, specs: SpecSet, flow: Loaded[Flow]) -> CustomerTables:
        spec = flow.model.spec
        if not isinstance(spec, CustomersFlowSpec):
            raise TypeError(f"flow {flow.name!r} is not a customers flow")
        tenant = str(flow.model.metadata.tenant)
        settings = spec.customers
        maps = {role: value_table(specs, tenant, n) for role, n in settings.value_maps if n}
        tax = specs.find(tenant, TaxCodeTable, settings.tax_codes) if settings.tax_codes else None
        return cls(
            settings=settings,
            tax=TaxTable(tax.name, tax.location, tax.model.spec) if tax else None,
            **maps,
        )


def customer_data(customer: Customer, tables: CustomerTables) -> dict[str, Any]:
    """The customer's data for its mapping: the canonical record plus what the flow adds."""
    settings = tables.settings
    data = customer.to_data()
    country = customer.billing_address.country if customer.billing_address else None
    data["email"] = customer.key
    data["isCompany"] = customer.is_company
    data["displayName"] = customer.display_name
    data["country"] = country
    for name, value in (
        ("debtorLedgerAccount", settings.debtor_ledger_account),
        ("paymentTerms", settings.payment_terms),
        ("costCenter", settings.cost_center),
        ("costUnit", settings.cost_unit),
    ):
        if value is not None:
            data[name] = value
    if tables.tax is not None:
        default = tables.tax.default(country)
        if default is not None:
            data["taxCode"] = default
    for name, table, key in (
        ("revenueAccount", tables.revenue_account, country),
        ("classificationCode", tables.classification, customer.classification),
        ("costCenter", tables.cost_center, country),
        ("costUnit", tables.cost_unit, country),
    ):
        if table is not None and key:
            data[name] = table.lookup(key)
    return data
