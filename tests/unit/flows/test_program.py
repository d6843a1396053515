"""A compiled flow: filter, kind rules, mapping and key rules from record to desired record."""

from __future__ import annotations

from decimal import Decimal

from connectors.registry import capabilities
from reconciler.canonical import Address, Customer, Entity, Order, OrderLine, OrderStatus, Product
from reconciler.flows.program import Desire, Dropped, FlowProgram, compile_program
from reconciler.spec.specset import SpecSet

DEFAULTS = {
    Entity.orders: {
        "reference": "number",
        "debtorId": "debtorId",
        "paymentMethod": "paymentMethodCode",
        "lines": "lines[].{sku: sku, quantity: quantity, taxCode: taxCode}",
    },
    Entity.customers: {
        "email": "email",
        "name": "companyName || lastName",
        "ledger": "debtorLedgerAccount",
    },
    Entity.products: {
        "sku": "sku",
        "description": "name",
        "extraText": "longDescription",
        "priceIncl": "priceInclTax",
    },
}


def _program(specs: SpecSet, name: str, target: str) -> FlowProgram:
    flow = next(f for f in specs.flows("bakkerij-jansen") if f.name == name)
    return compile_program(specs, flow, target=capabilities()[target], defaults=DEFAULTS)


def _order(**changes: object) -> Order:
    base: dict[str, object] = {
        "number": "1001",
        "status": OrderStatus.paid,
        "payment_method": "pin",
        "shipping_address": Address(country="NL"),
        "customer": Customer(email="a@b.test", company_name="B BV", last_name="Bakker"),
        "lines": [OrderLine(sku="1006", quantity=Decimal(2), tax_rate=Decimal(9))],
    }
    base.update(changes)
    return Order.model_validate(base)


def test_order_desire_has_mapped_fields_customer_and_skus(example_specs: SpecSet) -> None:
    """An order becomes its desired target record, the customer's desired record and the SKUs
    that must exist; spec rules override the defaults."""
    desire = _program(example_specs, "pos-orders", "afas-profit").desire(_order())
    assert isinstance(desire, Desire)
    assert desire.fields["reference"] == "POS-1001"
    assert desire.fields["paymentMethod"] == "01"
    assert desire.fields["lines"] == [{"sku": "1006", "quantity": "2", "taxCode": "2"}]
    assert desire.customer == {"email": "a@b.test", "name": "B BV", "ledger": "1300"}
    assert desire.skus == ("1006",)
    assert desire.debtor is not None
    assert desire.debtor.company


def test_anonymous_order_carries_the_default_debtor(example_specs: SpecSet) -> None:
    """Without a customer the desired order names the default debtor and no customer."""
    desire = _program(example_specs, "pos-orders", "afas-profit").desire(_order(customer=None))
    assert isinstance(desire, Desire)
    assert desire.fields["debtorId"] == "10000"
    assert desire.customer is None


def test_filtered_and_failing_records_are_dropped_with_reasons(example_specs: SpecSet) -> None:
    """An unpaid order is skipped; an unmappable one fails; both say why."""
    program = _program(example_specs, "pos-orders", "afas-profit")
    skipped = program.desire(_order(status=OrderStatus.unpaid))
    assert isinstance(skipped, Dropped)
    assert skipped.kind == "skip"
    failed = program.desire(_order(payment_method="bitcoin"))
    assert isinstance(failed, Dropped)
    assert failed.kind == "fail"
    assert "payment-methods" in failed.reason


def test_fingerprint_follows_the_desired_content(example_specs: SpecSet) -> None:
    """Equal source data gives an equal fingerprint; a change that reaches the target changes it."""
    program = _program(example_specs, "pos-orders", "afas-profit")
    first, again = program.desire(_order()), program.desire(_order())
    changed = program.desire(_order(payment_method="cash"))
    assert isinstance(first, Desire)
    assert isinstance(again, Desire)
    assert isinstance(changed, Desire)
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != changed.fingerprint


def test_products_to_mpluskassa(example_specs: SpecSet) -> None:
    """Create-only fields get their policy; a non-numeric SKU fails per record; the custom
    filter skips cost items (group 900)."""
    program = _program(example_specs, "products", "mpluskassa")
    sold = {"webshop": True}
    desire = program.desire(
        Product(
            sku="100045",
            name="Brood",
            long_description="Vers",
            price_incl_tax=Decimal("2.50"),
            custom_fields=sold,
        )
    )
    assert isinstance(desire, Desire)
    assert desire.policies["longDescription"] == "create_only"
    assert desire.policies["extraText"] == "create_only"
    bad = program.desire(Product(sku="A-100", name="Taart", custom_fields=sold))
    assert isinstance(bad, Dropped)
    assert bad.kind == "fail"
    assert "numbers" in bad.reason
    hidden = program.desire(Product(sku="100046", name="Verzending", group="900"))
    assert isinstance(hidden, Dropped)
    assert hidden.kind == "skip"
