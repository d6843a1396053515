"""Pure AFAS translation: countries, dates, address lines, error classification, bodies."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.afas.bodies import debtor_body, sales_body
from connectors.afas.client import classify, filter_params, filter_value
from connectors.afas.mapping import apply_mapping
from connectors.afas.models import (
    Condition,
    Environment,
    Operator,
    WriteSettings,
    base_url,
    to_afas_country,
    to_iso_country,
)
from connectors.afas.translate import AMSTERDAM, parse_datetime, split_address
from reconciler.canonical import Address, Customer, Entity, LineKind, Order, OrderLine, Product
from reconciler.errors import (
    AuthenticationError,
    MappingError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)


def _response(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


@pytest.mark.parametrize(
    ("iso", "afas"), [("BE", "B"), ("DE", "D"), ("FI", "FIN"), ("NL", "NL"), ("GB", "GB")]
)
def test_country_codes_round_trip(iso: str, afas: str) -> None:
    """ISO codes become AFAS's vehicle codes and back; equal codes pass unchanged."""
    assert to_afas_country(iso) == afas
    assert to_iso_country(afas) == iso


def test_base_urls_per_environment() -> None:
    """Production, test and accept hosts follow AFAS's naming; participants are digits."""
    assert base_url("12345") == "https://12345.rest.afas.online/ProfitRestServices"
    assert "resttest" in base_url("12345", Environment.test)
    assert "restaccept" in base_url("12345", Environment.accept)
    with pytest.raises(ValueError, match="digits"):
        base_url("12345/../x")


def test_dates_are_amsterdam_time_and_filters_have_no_z() -> None:
    """The trailing Z is cosmetic: read as Amsterdam time; filter values never get a Z."""
    parsed = parse_datetime("2024-07-01T12:00:00Z")
    assert parsed == dt.datetime(2024, 7, 1, 12, tzinfo=AMSTERDAM)
    assert filter_value(dt.datetime(2024, 7, 1, 12, 0, 5, 99)) == "2024-07-01T12:00:05"
    assert filter_value(dt.date(2024, 7, 1)) == "2024-07-01T00:00:00"


def test_filter_lists_align_and_or() -> None:
    """AND conditions are joined by commas and OR groups by semicolons, in all three lists."""
    params = filter_params(
        [
            [Condition("A", Operator.equal, "1"), Condition("B", Operator.contains, "x")],
            [Condition("A", Operator.equal, "3")],
        ]
    )
    assert params == {"filterfieldids": "A,B;A", "filtervalues": "1,x;3", "operatortypes": "1,6;1"}


def test_address_lines_split() -> None:
    """AFAS's formatted address lines split into street, number, suffix, postcode and city."""
    assert split_address("Stationsstraat 1 A", "3511 AB  UTRECHT") == {
        "street": "Stationsstraat",
        "houseNumber": "1",
        "houseNumberSuffix": "A",
        "postalCode": "3511 AB",
        "city": "UTRECHT",
    }
    assert split_address("Meir 10", "2000  ANTWERPEN")["postalCode"] == "2000"


def test_classify_afas_errors() -> None:
    """500 + externalMessage is a rejection with its reference, except AFAS's transient ones."""
    body = {"externalMessage": "Bestaat niet.", "errorNumber": -1, "profitLogReference": "AB" * 16}
    rejected = classify(_response(500, body), "post FbSales")
    assert isinstance(rejected, RejectedError)
    assert rejected.reference == "AB" * 16
    locked = {
        **body,
        "externalMessage": "De boekingslayout is in gebruik door een andere gebruiker",
    }
    assert isinstance(classify(_response(500, locked), "post FiEntries"), UnavailableError)
    timeout = {**body, "externalMessage": "De maximale tijdsduur voor het uitvoeren is verstreken."}
    assert isinstance(classify(_response(500, timeout), "get"), UnavailableError)
    maintenance = classify(
        _response(503, {"error": {"message": "onderhoud"}, "retry_after": 7200}), "get"
    )
    assert isinstance(maintenance, UnavailableError)
    assert maintenance.delay == 7200
    assert isinstance(classify(_response(401), "get"), AuthenticationError)
    assert isinstance(classify(_response(403), "get"), AuthenticationError)
    assert isinstance(
        classify(_response(429, headers={"retry-after": "3"}), "get"), RateLimitedError
    )
    assert classify(_response(200, {}), "get") is None


def test_company_debtor_body_has_organisation_contact_and_address() -> None:
    """A company name makes KnSalesRelationOrg > KnOrganisation > address + KnContact > KnPerson."""
    record = {
        "email": "x@y.test",
        "companyName": "Y BV",
        "firstName": "A",
        "lastName": "B",
        "street": "Weg",
        "houseNumber": "4",
        "country": "DE",
        "debtorLedgerAccount": "1300",
    }
    root, body = debtor_body(record, WriteSettings(), today=dt.date(2024, 1, 1))
    assert root == "KnSalesRelationOrg"
    element = body[root]["Element"]
    assert element["Fields"] == {"IsDb": True, "CuId": "EUR", "ColA": "1300"}
    org = element["Objects"][0]["KnOrganisation"]["Element"][0]
    address, contact = org["Objects"]
    assert address["KnBasicAddressAdr"]["Element"][0]["Fields"]["CoId"] == "D"
    assert address["KnBasicAddressAdr"]["Element"][0]["Fields"]["HmNr"] == 4
    person = contact["KnContact"]["Element"][0]["Objects"][0]["KnPerson"]["Element"][0]
    assert person["Fields"]["LaNm"] == "B"


def test_person_debtor_body() -> None:
    """Without a company name the debtor is KnSalesRelationPer with the private e-mail."""
    root, body = debtor_body(
        {"email": "p@q.test", "lastName": "Q"}, WriteSettings(), today=dt.date(2024, 1, 1)
    )
    assert root == "KnSalesRelationPer"
    person = body[root]["Element"]["Objects"][0]["KnPerson"]["Element"][0]["Fields"]
    assert person["EmA2"] == "p@q.test"
    assert person["MatchPer"] == "7"


def test_sales_body_types_and_invoice_processing() -> None:
    """Lines carry numbers, not strings; an invoice is FbSales with order processing 2."""
    record = {
        "orderType": "invoice",
        "debtorId": "1",
        "administration": "1",
        "lines": [{"sku": "A", "quantity": Decimal("2"), "unitPrice": Decimal("1.25")}],
    }
    root, body = sales_body(record, WriteSettings())
    fields = body[root]["Element"]["Fields"]
    assert (root, fields["OrPr"], fields["Unit"]) == ("FbSales", "2", 1)
    line = body[root]["Element"]["Objects"][0]["FbSalesLines"]["Element"][0]["Fields"]
    assert line == {"VaIt": "2", "ItCd": "A", "BiUn": "STK", "QuUn": 2, "Upri": 1.25}


def test_default_mapping_covers_the_seed_fields() -> None:
    """Customer name and billing address, order SKU/quantity/price, product fields are mapped."""
    customer = Customer(
        email="c@d.test",
        company_name="C",
        billing_address=Address(
            street="S", number="1", postal_code="1000AA", city="X", country="BE"
        ),
    )
    assert apply_mapping(Entity.customers, customer) == {
        "email": "c@d.test",
        "companyName": "C",
        "street": "S",
        "houseNumber": "1",
        "postalCode": "1000AA",
        "city": "X",
        "country": "BE",
    }
    order = Order(
        number="9",
        shipping_address=Address(street="T", number="2", city="Y"),
        lines=[
            OrderLine(sku="A", quantity=Decimal(2), unit_price=Decimal("3.10")),
            OrderLine(kind=LineKind.shipping, description="Verzending", unit_price=Decimal(5)),
        ],
    )
    mapped = apply_mapping(Entity.orders, order)
    assert mapped["lines"] == [
        {"itemType": "2", "sku": "A", "quantity": Decimal(2), "unitPrice": Decimal("3.10")},
        {
            "itemType": "6",
            "description": "Verzending",
            "quantity": Decimal(1),
            "unitPrice": Decimal(5),
        },
    ]
    _, body = sales_body({**mapped, "debtorId": "1"}, WriteSettings(shipping_item="D012"))
    lines = body["FbSales"]["Element"]["Objects"][0]["FbSalesLines"]["Element"]
    assert lines[1]["Fields"] == {
        "VaIt": "6",
        "ItCd": "D012",
        "Ds": "Verzending",
        "BiUn": "*****",
        "QuUn": 1,
        "Upri": 5,
    }
    with pytest.raises(MappingError, match="shipping"):
        sales_body({**mapped, "debtorId": "1"}, WriteSettings())
    assert mapped["deliveryNote"] == "T 2 Y"
    product = Product(
        sku="P", name="N", long_description="L", ean="1", price_excl_tax=Decimal(1), currency="EUR"
    )
    assert apply_mapping(Entity.products, product)["extraDescription"] == "L"


def test_bad_mapping_expression_is_a_mapping_error() -> None:
    """A JMESPath syntax error names the field and expression instead of crashing."""
    with pytest.raises(MappingError, match=r"products\.sku"):
        apply_mapping(Entity.products, Product(sku="P"), {"sku": "sku[["})


@given(
    street=st.from_regex(r"[A-Z][a-z]{2,12}( [a-z]{2,8})?", fullmatch=True),
    house=st.integers(min_value=1, max_value=9999),
    suffix=st.sampled_from(["", "A", "bis", "2hg"]),
    digits=st.integers(min_value=1000, max_value=9999),
    letters=st.from_regex(r"[A-Z]{2}", fullmatch=True),
    city=st.from_regex(r"[A-Z][a-z]{2,10}", fullmatch=True),
)
def test_address_lines_round_trip(
    *, street: str, house: int, suffix: str, digits: int, letters: str, city: str
) -> None:
    """Address lines formatted the way AFAS prints them split back into their parts."""
    line1 = f"{street} {house}" + (f" {suffix}" if suffix else "")
    parts = split_address(line1, f"{digits}{letters}  {city.upper()}")
    assert parts["street"] == street
    assert parts["houseNumber"] == str(house)
    assert parts.get("houseNumberSuffix", "") == suffix
    assert parts["postalCode"] == f"{digits} {letters}"
    assert parts["city"] == city.upper()


@given(st.sampled_from(sorted({"NL", "BE", "DE", "FR", "AT", "ES", "IT", "LU", "US", "FI", "GB"})))
def test_every_known_country_round_trips(iso: str) -> None:
    """to_iso_country(to_afas_country(x)) == x for every country koppel translates."""
    assert to_iso_country(to_afas_country(iso)) == iso
