"""The mapping engine: rules over the default mapping, value maps, tax tables, default debtors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.registry import capabilities
from reconciler.canonical import Address, Customer, Order, OrderLine
from reconciler.errors import MappingError
from reconciler.mapping.expressions import render, text_of
from reconciler.mapping.rules import MappingSet, coerce, compile_flow, value_table
from reconciler.mapping.tables import DebtorTable, TaxTable
from reconciler.spec.models import DefaultDebtor, TaxCodeTable
from reconciler.spec.specset import SpecSet
from reconciler.spec.validate import validate_tree

ROOT = Path(__file__).resolve().parents[3]
TENANT = "bakkerij-jansen"


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    result = validate_tree(ROOT / "specs", capabilities=capabilities())
    assert result.valid
    return result.specs


def _order(**changes: object) -> Order:
    base = {
        "number": "1001",
        "branch": "2",
        "payment_method": "pin",
        "shipping_address": Address(country="BE", city="Gent"),
        "customer": Customer(email="jan@example.test", first_name="Jan", last_name="Peeters"),
        "lines": [OrderLine(sku="1006", quantity=Decimal(2), unit_price=Decimal("2.50"))],
    }
    base.update(changes)
    return Order.model_validate(base)


def _pos_mapping(specs: SpecSet) -> MappingSet:
    flow = next(f for f in specs.flows(TENANT) if f.name == "pos-orders")
    defaults = {"debtorEmail": "customer.email", "lines": "lines[].{sku: sku, qty: quantity}"}
    return compile_flow(specs, flow, defaults=defaults, default_origin="default mapping")


def test_rules_override_defaults_and_apply_lookups_templates(specs: SpecSet) -> None:
    """Spec rules are applied over the default mapping: lookup, template, custom field default."""
    desired = _pos_mapping(specs).map(_order().to_data(), key="1001")
    assert desired.fields["paymentMethod"] == "01"
    assert desired.fields["revenueAccount"] == "8010"
    assert desired.fields["reference"] == "POS-1001"
    assert desired.fields["remark"] == "Kassa 2, bon 1001"
    assert desired.fields["debtorEmail"] == "jan@example.test"
    assert desired.fields["lines"] == [{"sku": "1006", "qty": "2"}]
    assert desired.custom_fields == {"U3A1B2C3D4E5F60718293A4B5C6D7E8F9": "winkel"}
    assert desired.policies["remark"] == "create_only"


def test_value_map_fail_names_spec_file_line_and_record(specs: SpecSet) -> None:
    """A value missing from a value map with `otherwise: fail` fails the record, naming the
    rule's file and line, the value map and the record key."""
    with pytest.raises(MappingError) as caught:
        _pos_mapping(specs).map(_order(payment_method="bitcoin").to_data(), key="1001")
    text = str(caught.value)
    assert "record 1001" in text
    assert "paymentMethod" in text
    assert "specs/bakkerij-jansen/mappings.yaml:" in text
    assert "'bitcoin' is not in ValueMap 'payment-methods'" in text
    assert "otherwise: fail" in text


def test_value_map_default_and_case_folding(specs: SpecSet) -> None:
    """`otherwise: {default}` answers unknown values; keys match case-insensitively."""
    terms = value_table(specs, TENANT, "payment-terms")
    assert terms.lookup("DIRECT") == "0"
    assert terms.lookup("something-else") == "14"


def test_tax_code_by_country_and_rate_with_default(specs: SpecSet) -> None:
    """Tax code by country and rate; the country's default when no row matches; an unknown
    country fails with the table's location."""
    loaded = specs.find(TENANT, TaxCodeTable, "nl-be")
    assert loaded is not None
    table = TaxTable("nl-be", loaded.location, loaded.model.spec)
    assert table.code("NL", rate=Decimal("9")) == "2"
    assert table.code("BE", rate=Decimal("21.0")) == "5"
    assert table.code("BE", rate=Decimal("12")) == "5"
    with pytest.raises(MappingError, match="has no code for DE"):
        table.code("DE", rate=Decimal("19"))


def test_default_debtor_rules_in_order_with_reason(specs: SpecSet) -> None:
    """The first matching rule routes the order; the decision says which rule and why."""
    loaded = specs.find(TENANT, DefaultDebtor, "anonymous-sales")
    assert loaded is not None
    table = DebtorTable("anonymous-sales", loaded.location, loaded.model.spec)
    belgian = table.decide(country="BE", channel="webshop")
    assert belgian is not None
    assert belgian.debtor == "10001"
    assert "rules[0] (country=BE)" in belgian.reason
    routed = table.decide(country="NL", channel="webshop")
    assert routed is not None
    assert routed.debtor == "10002"
    plain = table.decide(country="NL")
    assert plain is not None
    assert plain.debtor == "10000"
    assert "the order has no customer" in plain.reason


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("12", "integer", 12),
        ("1.50", "decimal", Decimal("1.50")),
        ("ja", "boolean", True),
        (0, "boolean", False),
        ("2024-02-15T10:00:00", "date", "2024-02-15"),
        (Decimal("10"), "string", "10"),
    ],
)
def test_coercion(value: object, kind: str, expected: object) -> None:
    """Type coercion turns source values into the type a rule asks for."""
    assert coerce(value, kind) == expected


def test_coercion_failure_is_a_mapping_error() -> None:
    """A value that cannot be coerced fails with the value and the type in the message."""
    with pytest.raises(MappingError, match=r"'1\.5' cannot be read as integer"):
        coerce("1.5", "integer")


@given(st.dictionaries(st.sampled_from(["number", "branch", "x"]), st.text(max_size=8)))
def test_templates_never_raise_on_any_data(data: dict[str, str]) -> None:
    """A template renders any record: absent paths become empty text, never an exception."""
    out = render("POS-{number}/{branch}", data)
    assert out == f"POS-{text_of(data.get('number'))}/{text_of(data.get('branch'))}"
