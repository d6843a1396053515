"""Pure translations of the eAccounting connector: wire <-> canonical <-> target records."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.eaccounting import bodies, translate, values
from connectors.eaccounting.mapping import map_record
from reconciler.canonical import Address, Customer, Entity, OrderStatus, Product


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("Stationsstraat 1A", {"street": "Stationsstraat", "number": "1", "number_suffix": "A"}),
        ("Kerkstraat 33 bis", {"street": "Kerkstraat", "number": "33", "number_suffix": "bis"}),
        ("Van Baerlestraat 12-3", {"street": "Van Baerlestraat", "number": "12",
                                   "number_suffix": "3"}),
        ("Postbus", {"street": "Postbus"}),
        ("", {}),
    ],
)  # fmt: skip
def test_split_street(line: str, parts: dict[str, str]) -> None:
    """One address line becomes street, number and suffix where it has them."""
    assert values.split_street(line) == parts


def test_features_and_labels_are_inverse() -> None:
    """'name: value' labels are features; a plain label is a flag; and back again."""
    names = ["Waterdicht", "kleur: rood", "merk: Noordkaap"]
    features = values.features_from_labels(names)
    assert features == {"Waterdicht": "true", "kleur": "rood", "merk": "Noordkaap"}
    assert values.labels_from_features(features) == names


@pytest.mark.parametrize(
    ("status", "invoice", "expected"),
    [
        (1, None, (OrderStatus.open, False)),
        (2, None, (OrderStatus.open, False)),
        (3, None, (OrderStatus.shipped, False)),
        (4, None, (OrderStatus.completed, False)),
        (4, {"TotalAmount": 100, "RemainingAmount": 0}, (OrderStatus.paid, True)),
        (4, {"TotalAmount": 100, "RemainingAmount": 40}, (OrderStatus.partially_paid, False)),
        (4, {"TotalAmount": 100, "RemainingAmount": 100}, (OrderStatus.unpaid, False)),
        (9, None, (OrderStatus.open, False)),
    ],
)
def test_order_status(status: int, invoice: dict[str, int] | None, expected: object) -> None:
    """Order status and payment: from the order, and once invoiced from its invoice."""
    assert translate.order_status({"Status": status}, invoice) == expected


def test_plain_decimals_never_use_exponents() -> None:
    """10% stays 10, not 1E+1, in canonical records and target records alike."""
    assert str(values.plain(Decimal("0.1") * 100)) == "10"
    assert str(values.plain(Decimal("0.2500"))) == "0.25"


def test_company_maps_to_a_customer_with_contact_and_back() -> None:
    """The default mapping of a company and the wire object read back give the same company."""
    company = Customer(
        email="info@acme.test", company_name="Acme BV", first_name="Jan", last_name="Jansen",
        billing_address=Address(street="Stationsstraat", number="1", number_suffix="A",
                                postal_code="3511 AB", city="Utrecht", country="nl"),
    )  # fmt: skip
    record = map_record(Entity.customers, company.to_data())
    body = bodies.customer_body({**record, "termsOfPaymentId": "t-1"})
    assert body["IsPrivatePerson"] is False
    assert body["InvoiceCountryCode"] == "NL"
    assert body["ContactPersonName"] == "Jan Jansen"
    back = translate.customer_from_wire({**body, "Id": "c-1", "CustomerNumber": "7"})
    assert back.company_name == "Acme BV"
    assert (back.first_name, back.last_name) == ("Jan", "Jansen")
    assert back.billing_address is not None
    assert back.billing_address.number_suffix == "A"


def test_article_body_turns_amounts_into_json_numbers() -> None:
    """Prices from the mapping (Decimal or text) are JSON numbers; the EAN a barcode."""
    product = Product(sku="NK-1", name="Haring", price_excl_tax=Decimal("2.50"), ean="871")
    record = map_record(Entity.products, product.to_data())
    body = bodies.article_body(record, unit_id="u", coding_id="c")
    assert body == {
        "IsActive": True, "Number": "NK-1", "Name": "Haring", "NetPrice": 2.5,
        "Barcodes": [{"Barcode": "871", "BarcodeType": 0}], "UnitId": "u", "CodingId": "c",
    }  # fmt: skip


def test_order_body_rows() -> None:
    """Article rows carry the ArticleId, quantity, price and the discount as a fraction; a
    line without SKU is a text row; an order gets status draft and the company currency."""
    record = {
        "reference": "WEB-1",
        "customerId": "c-1",
        "orderDate": "2024-05-01",
        "lines": [
            {"sku": "A", "quantity": "2", "unitPrice": "9.95", "discountPercentage": "15"},
            {"description": "Bedankt"},
        ],
    }
    body = bodies.order_body(record, order_type="order", article_ids={"A": "a-1"},
                                currency="EUR")  # fmt: skip
    assert body["Status"] == 1
    assert body["CurrencyCode"] == "EUR"
    assert body["Rows"][0] == {
        "LineNumber": 1, "IsTextRow": False, "IsWorkCost": False,
        "EligibleForReverseChargeOnVat": False, "ArticleId": "a-1", "Quantity": 2,
        "UnitPrice": 9.95, "DiscountPercentage": 0.15,
    }  # fmt: skip
    assert body["Rows"][1]["IsTextRow"] is True
    draft = bodies.order_body(record, order_type="invoice", article_ids={"A": "a-1"},
                                 currency="EUR")  # fmt: skip
    assert "Status" not in draft
    assert draft["InvoiceDate"] == "2024-05-01"
    assert draft["Rows"][0]["ReversedConstructionServicesVatFree"] is False
