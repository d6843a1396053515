"""Pure translations: cents, scaled quantities, dates, addresses, the SKU rule, round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mpluskassa import translate as t
from connectors.mpluskassa.orders import order_to_target, target_to_order
from reconciler.errors import RejectedError


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_cents_round_trip(amount: Decimal) -> None:
    """Any amount with two decimals survives to_cents/from_cents exactly."""
    assert t.from_cents(t.to_cents(amount)) == amount


def test_cents_round_half_up() -> None:
    """A third decimal is rounded half up, as a till would: 0.005 -> 1 cent."""
    assert t.to_cents(Decimal("0.005")) == 1
    assert t.to_cents(Decimal("19.95")) == 1995
    assert t.from_cents(None) is None


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False))
def test_scaled_quantities_round_trip(amount: Decimal) -> None:
    """(amount, places) with the fewest places needed reads back to the same value."""
    scaled, places = t.to_scaled(amount)
    assert t.from_scaled(scaled, places) == amount
    assert 0 <= places <= 6


def test_scaled_defaults_and_examples() -> None:
    """1.5 -> (15, 1); 200 -> (200, 0); absent decimal places mean 2, as MplusKASSA's client."""
    assert t.to_scaled(Decimal("1.50")) == (15, 1)
    assert t.to_scaled(Decimal(200)) == (200, 0)
    assert t.from_scaled(150, None) == Decimal("1.5")


def test_dates() -> None:
    """ISO dates and SoapMplusDate structures convert both ways; timezone is minutes east."""
    assert t.date_to_wire("2026-02-01") == {"day": 1, "mon": 2, "year": 2026}
    assert t.date_from_wire({"day": 1, "mon": 2, "year": 2026}) == dt.date(2026, 2, 1)
    moment = t.datetime_from_wire(
        {
            "sec": 5,
            "min": 4,
            "hour": 3,
            "day": 2,
            "mon": 1,
            "year": 2026,
            "isdst": False,
            "timezone": 60,
        }
    )
    assert moment is not None
    assert moment.utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Dorpsstraat 12", ("Dorpsstraat", "12", None)),
        ("Kerkweg 3 a", ("Kerkweg", "3", "a")),
        ("Laan 1940-1945 7bis", ("Laan 1940-1945", "7", "bis")),
        ("Marktplein", ("Marktplein", None, None)),
        ("", (None, None, None)),
    ],
)
def test_split_street(line: str, expected: tuple) -> None:
    """One MplusKASSA address line splits into street, house number and suffix."""
    assert t.split_street(line) == expected


def test_sku_rule() -> None:
    """Digits become the article number; anything else is rejected naming the SKU."""
    assert t.article_number("100045", operation="x") == 100045
    for bad in ("A-100", "12.5", "", "1" * 19):
        with pytest.raises(RejectedError, match="is not numeric"):
            t.article_number(bad, operation="createProduct")


def test_product_target_record_to_wire_and_back() -> None:
    """A product record becomes one wire article (cents, int codes) and reads back equal."""
    record = {
        "sku": "200001",
        "description": "Tea",
        "priceIncl": Decimal("3.95"),
        "vatCode": "2",
        "stockArticle": True,
        "groupNumbers": ["20"],
    }
    product = t.target_to_product(record, operation="createProduct")
    article = product["articleList"]["article"][0]
    assert (article["articleNumber"], article["priceIncl"], article["vatCode"]) == (200001, 395, 2)
    back = t.article_to_target({**product, "productNumber": 9}, article)
    assert back["priceIncl"] == Decimal("3.95")
    assert back["groupNumbers"] == [20]
    assert back["productDescription"] == "Tea"


def test_relation_translation() -> None:
    """Countries are upper-cased on the way in; a company's contact splits into first/last."""
    wire = t.target_to_relation(
        {"name": "ACME", "companyName": "ACME", "contact": "Jan de Vries", "country": "nl"}
    )
    assert wire["country"] == "NL"
    customer = t.relation_to_customer({**wire, "relationNumber": 5})
    assert (customer.first_name, customer.last_name, customer.source_id) == ("Jan", "de Vries", "5")


def test_order_record_to_wire_and_back() -> None:
    """An order record becomes a wire Order (cents, scaled quantities, whole percentages) and
    reads back as the same record."""
    record = {
        "number": "N-1",
        "date": "2026-03-04",
        "pricesIncludeTax": True,
        "lines": [
            {
                "sku": "100300",
                "quantity": Decimal("1.5"),
                "price": Decimal("1.95"),
                "discountPercentage": Decimal("10"),
            }
        ],
        "payments": [{"method": "PIN", "amount": Decimal("2.63")}],
        "totalIncl": Decimal("2.63"),
    }
    wire = target_to_order(record, relation_number=3, branch_number=1)
    line = wire["lineList"]["line"][0]
    assert line["data"] == {
        "quantity": 15,
        "decimalPlaces": 1,
        "discountPercentage": 10,
        "price": 195,
    }
    assert wire["paymentList"]["payment"][0]["amount"] == 263
    back = order_to_target({**wire, "fullyPaid": True})
    assert back["lines"][0] == {
        "sku": "100300",
        "quantity": Decimal("1.5"),
        "price": Decimal("1.95"),
        "discountPercentage": 10,
    }
    assert (back["number"], back["date"], back["paid"], back["relationNumber"]) == (
        "N-1",
        "2026-03-04",
        True,
        3,
    )
