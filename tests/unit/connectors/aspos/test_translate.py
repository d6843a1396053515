"""Pure AsPos translation: wire records <-> canonical and target records, and contract renames."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connectors.aspos.contract import Contract
from connectors.aspos.translate import (
    customer_to_canonical,
    order_to_canonical,
    target_to_customer,
    target_to_order,
    wire_time,
)
from reconciler.canonical import LineKind, OrderStatus


def test_a_receipt_without_an_address_is_taxed_in_its_country_of_sale() -> None:
    order = order_to_canonical({"id": 1, "number": "1-1", "country": "de", "lines": []})
    assert order.country == "DE"
    assert order.billing_address is not None
    assert order.billing_address.street is None
    shipped = order_to_canonical(
        {"id": 2, "country": "DE", "shippingAddress": {"country": "NL"}, "lines": []}
    )
    assert shipped.country == "NL"
    assert shipped.billing_address is None


def test_paid_follows_the_status_or_payments_covering_the_total() -> None:
    base = {"id": 1, "lines": [], "totalInclTax": Decimal("20.00")}
    assert order_to_canonical({**base, "status": "completed"}).paid
    covered = order_to_canonical(
        {**base, "status": "open", "payments": [{"method": "bar", "amount": Decimal(20)}]}
    )
    assert covered.paid
    assert covered.status is OrderStatus.open
    assert covered.payment_method == "bar"  # from the payment when the order names none
    assert not order_to_canonical({**base, "status": "open"}).paid
    assert order_to_canonical({**base, "status": "weird"}).status is OrderStatus.open


def test_line_types_and_the_cashier() -> None:
    order = order_to_canonical(
        {
            "id": 1,
            "cashier": "Anna",
            "lines": [
                {"type": "article", "sku": 100, "quantity": 2},
                {"type": "shipping", "unitPrice": 4.95},
                {"type": "discount", "unitPrice": -1},
                {"type": "text", "description": "Danke"},
            ],
        }
    )
    assert [line.kind for line in order.lines] == [
        LineKind.item,
        LineKind.shipping,
        LineKind.discount,
        LineKind.text,
    ]
    assert order.lines[0].sku == "100"
    assert order.lines[1].unit_price == Decimal("4.95")
    assert order.custom_fields == {"cashier": "Anna"}
    assert order.number == "1"  # no number: the id


def test_a_person_is_no_company_whatever_its_company_field_says() -> None:
    person = customer_to_canonical({"id": 7, "type": "person", "companyName": "x", "lastName": "Y"})
    assert not person.is_company
    assert person.source_id == "7"


def test_a_partial_customer_update_sends_only_its_fields() -> None:
    record = {"email": "A@B.test", "companyName": "Firma", "city": "Wien", "country": "at"}
    assert target_to_customer(record, ["city"]) == {"billingAddress": {"city": "Wien"}}
    full = target_to_customer(record)
    assert full["type"] == "company"
    assert full["email"] == "a@b.test"
    assert full["billingAddress"] == {"city": "Wien", "country": "AT"}
    assert target_to_customer({"lastName": "P"}, ["companyName"]) == {"type": "person"}


def test_an_order_for_the_wire_numbers_lines_and_keeps_decimals() -> None:
    wire = target_to_order(
        {
            "reference": 60000001,
            "date": "2026-11-23T00:00:00",
            "lines": [{"sku": "A", "quantity": "2", "unitPrice": "1.10"}, {"type": "text"}],
            "payments": [{"method": "bar", "amount": "2.20"}, {"method": "bar"}],
        },
        customer_id="1001",
        store="1",
    )
    assert wire["externalReference"] == "60000001"
    assert wire["date"] == "2026-11-23"
    assert wire["lines"][0] == {
        "lineNo": 1,
        "sku": "A",
        "type": "article",
        "quantity": Decimal(2),
        "unitPrice": Decimal("1.10"),
    }
    assert wire["lines"][1] == {"lineNo": 2, "type": "text", "quantity": Decimal(1)}
    assert wire["payments"] == [{"method": "bar", "amount": Decimal("2.20")}]
    assert (wire["type"], wire["store"], wire["customerId"]) == ("order", "1", "1001")


def test_times_on_the_wire_are_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    assert wire_time(dt.datetime(2026, 12, 1, 10, 0, 5, 123, tzinfo=berlin)) == (
        "2026-12-01T09:00:05Z"
    )


def test_contract_renames_lists_of_nested_records() -> None:
    contract = Contract(fields={"orders": {"lines": "positionen"}, "lines": {"sku": "artikel"}})
    vendor = contract.to_vendor("orders", {"lines": [{"sku": "A"}, "odd"], "id": 1})
    assert vendor == {"positionen": [{"artikel": "A"}, "odd"], "id": 1}
    assert contract.from_vendor("orders", vendor) == {"lines": [{"sku": "A"}, "odd"], "id": 1}
    assert contract.vendor_name("lines", "sku") == "artikel"
