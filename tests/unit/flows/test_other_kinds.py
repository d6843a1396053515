"""Customers, products and stock flow rules from the seeds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.registry import capabilities
from reconciler.canonical import Address, Customer, Product, ProductType, StockLevel
from reconciler.errors import MappingError
from reconciler.flows.customers import CustomerTables, customer_data
from reconciler.flows.filters import customer_skip_reason, product_skip_reason
from reconciler.flows.products import check_sku, create_only_policies, product_data
from reconciler.flows.stock import quantity, stock_data
from reconciler.spec.models.flow import (
    CustomerFilter,
    ProductCondition,
    ProductFilter,
    ProductSettings,
    StockSettings,
)
from reconciler.spec.specset import SpecSet


def _customer_tables(specs: SpecSet, tenant: str = "radhaus-weber") -> CustomerTables:
    flow = next(f for f in specs.flows(tenant) if f.name == "customers")
    return CustomerTables.resolve(specs, flow)


def test_customer_gets_country_defaults_and_classification(example_specs: SpecSet) -> None:
    """Revenue account by country, default tax code per country, classification, cost center
    and unit, ledger account and terms are added to the customer's data."""
    customer = Customer(
        email="Max@Rad.test",
        company_name="Rad GmbH",
        classification="haendler",
        billing_address=Address(country="AT"),
    )
    data = customer_data(customer, _customer_tables(example_specs))
    assert data["email"] == "max@rad.test"
    assert data["isCompany"] is True
    assert data["revenueAccount"] == "8420"
    assert data["taxCode"] == "9"
    assert data["classificationCode"] == "B"
    assert data["costCenter"] == "200"
    assert data["debtorLedgerAccount"] == "1400"


def test_customers_without_email_are_skipped() -> None:
    """A customer without an e-mail cannot be matched, so it is skipped with that reason."""
    assert customer_skip_reason(Customer(first_name="A"), CustomerFilter()) is not None
    assert customer_skip_reason(Customer(email="a@b.test"), CustomerFilter()) is None


def test_custom_product_filters() -> None:
    """Custom filters: every condition must hold; inactive products are skipped by default."""
    spec = ProductFilter(
        custom=[
            ProductCondition(field="customFields.webshop", op="equals", value=True),
            ProductCondition(field="group", op="notIn", value=["900"]),
        ]
    )
    sold = Product(sku="1", group="100", custom_fields={"webshop": True})
    assert product_skip_reason(sold, spec) is None
    hidden = Product(sku="2", group="100", custom_fields={"webshop": False})
    assert "custom filter 0" in str(product_skip_reason(hidden, spec))
    assert "custom filter 1" in str(
        product_skip_reason(Product(sku="3", group="900", custom_fields={"webshop": True}), spec)
    )
    assert (
        product_skip_reason(Product(sku="4", active=False), ProductFilter()) == "it is not active"
    )


def test_create_only_fields_are_the_update_checkbox() -> None:
    """products.createOnly gives those fields the create_only write policy."""
    settings = ProductSettings(create_only=["longDescription"])
    assert create_only_policies(settings) == {"longDescription": "create_only"}


def test_mpluskassa_sku_rule_per_record() -> None:
    """A non-numeric SKU cannot become a MplusKASSA article number: the record fails with why."""
    rule = capabilities()["mpluskassa"].sku_rule
    check_sku(Product(sku="100045"), rule, title="MplusKASSA")
    with pytest.raises(MappingError, match="'A-100' cannot be an article number in MplusKASSA"):
        check_sku(Product(sku="A-100"), rule, title="MplusKASSA")


def test_prices_attributes_features_and_variants() -> None:
    """Prices are completed from the tax rate; only the configured attributes and features are
    kept; variants keep their parent."""
    settings = ProductSettings(attributes=["size"], features=["origin"], prices_include_tax=True)
    variant = Product(
        sku="101",
        parent_sku="100",
        type=ProductType.variant,
        price_excl_tax=Decimal("10.00"),
        tax_rate=Decimal(21),
        attributes={"size": "M", "internal": "x"},
        features={"origin": "NL"},
    )
    data = product_data(variant, settings)
    assert data["priceInclTax"] == "12.10"
    assert data["price"] == "12.10"
    assert data["attributes"] == {"size": "M"}
    assert data["features"] == {"origin": "NL"}
    assert data["parentSku"] == "100"


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("availableMinusReserved", "7"),
        ("available", "10"),
        ("physical", "12"),
        ("physicalMinusReserved", "9"),
    ],
)
def test_stock_formulas(formula: str, expected: str) -> None:
    """Available minus reservations by default; the other formulas by setting."""
    level = StockLevel(sku="1", available=Decimal(10), reserved=Decimal(3), physical=Decimal(12))
    assert quantity(level, formula) == Decimal(expected)
    data = stock_data(level, StockSettings(formula=formula, managed=False))  # type: ignore[arg-type]
    assert data["quantity"] == expected
    assert data["managed"] is False


def test_named_master_data_codes(example_specs: SpecSet) -> None:
    """The codes an orders flow names are collected by kind for the plan's master-data check."""
    from reconciler.flows.masterdata import named_codes

    flow = next(f for f in example_specs.flows("bakkerij-jansen") if f.name == "pos-orders")
    codes = named_codes(example_specs, flow)
    assert codes["vatCode"] == {"0", "1", "2", "5", "6"}
    assert codes["debtor"] == {"10000", "10001", "10002"}
    assert codes["ledgerAccount"] == {"1300", "8000", "8010"}
    assert codes["paymentCondition"] == {"0", "14"}
    assert codes["administration"] == {"1"}


def test_named_branch_of_an_orders_flow(example_specs: SpecSet) -> None:
    """The branch an orders flow adds (Visma.net's BranchId) is checked as master data."""
    from reconciler.flows.masterdata import named_codes

    flow = next(f for f in example_specs.flows("noordkaap-outdoor") if f.name == "sales-orders")
    codes = named_codes(example_specs, flow)
    assert codes["branch"] == {"1"}
    assert codes["paymentCondition"] == {"30D"}
