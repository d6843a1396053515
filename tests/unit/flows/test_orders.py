"""Orders-flow rules from the seeds, one test per rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciler.canonical import Address, Customer, LineKind, Order, OrderLine, OrderStatus
from reconciler.errors import MappingError
from reconciler.flows.filters import order_skip_reason
from reconciler.flows.orders import OrderTables, debtor_plan, missing_skus, order_data
from reconciler.spec.models.flow import OrderFilter, OrdersFlowSpec
from reconciler.spec.specset import SpecSet


def _tables(specs: SpecSet, name: str = "pos-orders") -> OrderTables:
    flow = next(f for f in specs.flows("bakkerij-jansen") if f.name == name)
    return OrderTables.resolve(specs, flow)


def _order(**changes: object) -> Order:
    base: dict[str, object] = {
        "number": "1001",
        "status": OrderStatus.paid,
        "payment_method": "pin",
        "branch": "1",
        "shipping_address": Address(
            street="Markt", number="1", postal_code="1011 AB", city="Amsterdam", country="NL"
        ),
        "customer": Customer(
            email="Info@Bakker.test",
            company_name="Bakker BV",
            first_name="Anna",
            last_name="Bakker",
        ),
        "lines": [
            OrderLine(
                sku="1006", quantity=Decimal(2), unit_price=Decimal("2.50"), tax_rate=Decimal(9)
            ),
            OrderLine(
                sku="2001", quantity=Decimal(1), unit_price=Decimal("10"), tax_rate=Decimal(21)
            ),
        ],
    }
    base.update(changes)
    return Order.model_validate(base)


def test_only_orders_in_the_configured_statuses() -> None:
    """An order outside the flow's statuses is skipped with the reason (e.g. only paid)."""
    only_paid = OrderFilter(status=[OrderStatus.paid])
    assert order_skip_reason(_order(), only_paid) is None
    reason = order_skip_reason(_order(status=OrderStatus.unpaid), only_paid)
    assert reason is not None
    assert "unpaid" in reason


def test_company_customer_is_matched_by_email_as_company(example_specs: SpecSet) -> None:
    """A company name makes a company debtor with its contact, matched by (lower-cased) e-mail."""
    plan = debtor_plan(_order(), _tables(example_specs))
    assert plan.default is None
    assert plan.email == "info@bakker.test"
    assert plan.company
    assert "company debtor" in plan.reason


def test_person_customer_without_company(example_specs: SpecSet) -> None:
    """Without a company name the customer becomes a person debtor."""
    order = _order(customer=Customer(email="piet@example.test", first_name="Piet"))
    plan = debtor_plan(order, _tables(example_specs))
    assert not plan.company
    assert "person debtor" in plan.reason


def test_customer_update_follows_the_flow_setting(example_specs: SpecSet) -> None:
    """pos-orders creates missing customers but does not update existing ones."""
    plan = debtor_plan(_order(), _tables(example_specs))
    assert plan.create
    assert not plan.update


def test_anonymous_sale_goes_to_the_default_debtor_by_rule(example_specs: SpecSet) -> None:
    """No customer: the default debtor, routed by country, with the rule in the reason."""
    anonymous = _order(customer=None, shipping_address=Address(country="BE", city="Gent"))
    plan = debtor_plan(anonymous, _tables(example_specs))
    assert plan.default is not None
    assert plan.default.debtor == "10001"
    assert "the order has no customer" in plan.reason
    assert "rules[0]" in plan.reason
    nl = debtor_plan(_order(customer=None), _tables(example_specs))
    assert nl.default is not None
    assert nl.default.debtor == "10000"


def test_customer_without_email_goes_to_the_default_debtor(example_specs: SpecSet) -> None:
    """A customer that cannot be matched (no e-mail) is booked on the default debtor."""
    plan = debtor_plan(_order(customer=Customer(first_name="Kees")), _tables(example_specs))
    assert plan.default is not None
    assert "no e-mail" in plan.reason


def test_no_default_debtor_configured_fails_clearly(example_specs: SpecSet) -> None:
    """Without a default debtor, an anonymous order fails naming the setting to add."""
    tables = _tables(example_specs)
    bare = OrderTables(settings=tables.settings)
    with pytest.raises(MappingError, match=r"orders\.defaultDebtor"):
        debtor_plan(_order(customer=None), bare)


def test_every_product_must_exist(example_specs: SpecSet) -> None:
    """The SKUs missing from the target are named, in order, so the order can fail clearly."""
    assert missing_skus(_order(), ["1006"]) == ["2001"]
    assert missing_skus(_order(), ["1006", "2001"]) == []


def test_missing_data_is_added_from_the_settings(example_specs: SpecSet) -> None:
    """Administration, debtor ledger account, payment terms, warehouse and order type are added;
    payment method and revenue account are looked up."""
    data = order_data(_order(), _tables(example_specs))
    assert data["orderType"] == "invoice"
    assert data["administration"] == "1"
    assert data["debtorLedgerAccount"] == "1300"
    assert data["paymentTerms"] == "14"
    assert data["warehouse"] == "01"
    assert data["paymentMethodCode"] == "01"
    assert data["revenueAccount"] == "8000"


def test_tax_code_per_country_and_rate(example_specs: SpecSet) -> None:
    """Each line gets the tax code for the order's country and the line's rate."""
    data = order_data(_order(), _tables(example_specs))
    assert [line["taxCode"] for line in data["lines"]] == ["2", "1"]
    belgian = order_data(_order(shipping_address=Address(country="BE")), _tables(example_specs))
    assert [line["taxCode"] for line in belgian["lines"]] == ["5", "5"]


def test_shipping_costs_become_a_line(example_specs: SpecSet) -> None:
    """Shipping costs become a line with the configured item code and the country's tax code."""
    data = order_data(
        _order(shipping_costs=Decimal("4.95"), shipping_method="postnl"),
        _tables(example_specs, "webshop-orders"),
    )
    shipping = data["lines"][-1]
    assert shipping["kind"] == LineKind.shipping.value
    assert shipping["sku"] == "9999"
    assert shipping["unitPrice"] == "4.95"
    assert data["shippingMethodCode"] == "POSTNL"


def test_order_status_is_mapped_where_the_flow_writes_it(example_specs: SpecSet) -> None:
    """With writeStatus the canonical status is translated through the order-status map."""
    data = order_data(_order(), _tables(example_specs, "webshop-orders"))
    assert data["statusCode"] == "ORDER-PAID"


def test_unknown_payment_method_fails_the_record(example_specs: SpecSet) -> None:
    """A payment method the value map does not know (otherwise: fail) fails the order."""
    with pytest.raises(MappingError, match="'bitcoin' is not in ValueMap 'payment-methods'"):
        order_data(_order(payment_method="bitcoin"), _tables(example_specs))


def test_order_discount_line_and_line_discounts(example_specs: SpecSet) -> None:
    """An order-level discount becomes a negative line when discounts.mode is order; it needs
    a discount SKU."""
    flow = next(f for f in example_specs.flows("bakkerij-jansen") if f.name == "pos-orders")
    assert isinstance(flow.model.spec, OrdersFlowSpec)
    tables = _tables(example_specs)
    order_mode = tables.settings.discounts.model_copy(update={"mode": "order", "sku": "8888"})
    settings = tables.settings.model_copy(update={"discounts": order_mode})
    data = order_data(
        _order(discount_amount=Decimal("3")), OrderTables(settings=settings, tax=tables.tax)
    )
    assert data["lines"][-1]["unitPrice"] == "-3"
    no_sku = settings.model_copy(update={"discounts": order_mode.model_copy(update={"sku": None})})
    with pytest.raises(MappingError, match="discount line"):
        order_data(_order(discount_amount=Decimal("3")), OrderTables(settings=no_sku))
