"""Pure translations of the e-conomic connector: names, addresses, countries, VAT zones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.economic import translate
from connectors.economic.connector import _bounded
from connectors.economic.models import WriteSettings
from connectors.economic.vocabulary import country_code, country_name
from reconciler.canonical import Address
from reconciler.errors import RejectedError


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("Stationsstraat 1", ("Stationsstraat", "1", None)),
        ("Stationsstraat 1 A", ("Stationsstraat", "1", "A")),
        ("Stationsstraat 12-bis", ("Stationsstraat", "12", "bis")),
        ("Nørregade 7, 2. th", ("Nørregade", "7", "2. th")),
        # The first number wins, also in a street named after a year (a known limit).
        ("Plein 1944 3", ("Plein", "1944", "3")),
        ("Postboks", ("Postboks", None, None)),
        ("", (None, None, None)),
    ],
)
def test_address_lines_split_on_the_house_number(line: str, parts: tuple[str | None, ...]) -> None:
    """One address line becomes street, number and suffix."""
    assert translate.split_street(line) == parts


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Lars Nielsen", ("Lars", None, "Nielsen")),
        ("Sanne de Vries", ("Sanne", "de", "Vries")),
        ("Pieter van den Berg", ("Pieter", "van den", "Berg")),
        ("Mette Holm Berg", ("Mette", None, "Holm Berg")),
        ("Cher", (None, None, "Cher")),
        ("Jan van", ("Jan", None, "van")),
    ],
)
def test_person_names_split_with_dutch_prefixes(name: str, parts: tuple[str | None, ...]) -> None:
    """First name, name prefix, last name; a lone particle is a last name."""
    assert translate.split_name(name) == parts


def test_countries_are_codes_in_and_names_out() -> None:
    """e-conomic's free-text countries read in English, Danish and Dutch; written in English."""
    assert [country_code(n) for n in ("Denmark", "Danmark", "Nederland", "dk", "Atlantis")] == [
        "DK",
        "DK",
        "NL",
        "DK",
        "Atlantis",
    ]
    assert country_name("nl") == "Netherlands"
    assert country_code(None) is None


def test_vat_zone_follows_the_country() -> None:
    """Domestic on the agreement's country, EU for a member state, abroad otherwise."""
    settings = WriteSettings()
    assert [translate.vat_zone(c, settings) for c in ("DK", "NL", "NO", None)] == [1, 2, 3, 1]
    assert translate.vat_zone("NL", WriteSettings(home_country="NL")) == 1


def test_a_customer_body_has_e_conomics_required_references() -> None:
    """A create without group, terms or zone gets the connection's defaults; a number given
    as text is written as a number; text that is no number is refused."""
    body = translate.customer_body(
        {"name": "A", "country": "SE", "paymentTerms": "2"}, WriteSettings(currency="EUR")
    )
    assert body == {
        "name": "A",
        "country": "Sweden",
        "paymentTerms": {"paymentTermsNumber": 2},
        "currency": "EUR",
        "customerGroup": {"customerGroupNumber": 1},
        "vatZone": {"vatZoneNumber": 2},
    }
    with pytest.raises(RejectedError, match="customerGroup 'retail'"):
        translate.customer_body({"name": "A", "customerGroup": "retail"}, WriteSettings())


def test_an_update_body_keeps_what_it_does_not_change() -> None:
    """The PUT body is the customer as read, minus read-only parts, with the named fields
    changed; a cleared field is dropped."""
    base = {
        "customerNumber": 7, "name": "A", "city": "X", "zip": "1", "balance": 10.0,
        "self": "https://restapi.e-conomic.com/customers/7", "lastUpdated": "2024-01-01T00:00:00Z",
        "vatZone": {"vatZoneNumber": 1, "self": "https://restapi.e-conomic.com/vat-zones/1"},
    }  # fmt: skip
    body = translate.customer_body(
        {"city": "Y", "zip": None, "name": "B"}, WriteSettings(), base=base, fields=["city", "zip"]
    )
    assert body == {
        "customerNumber": 7,
        "name": "A",
        "city": "Y",
        "vatZone": {"vatZoneNumber": 1, "self": "https://restapi.e-conomic.com/vat-zones/1"},
    }


def test_document_body_takes_the_customers_defaults() -> None:
    """An order without terms, zone or recipient gets them from its e-conomic customer."""
    customer = {
        "customerNumber": 102, "name": "Lars Nielsen", "currency": "DKK", "address": "Nørregade 7",
        "zip": "8000", "city": "Aarhus C", "country": "Denmark",
        "paymentTerms": {"paymentTermsNumber": 3}, "vatZone": {"vatZoneNumber": 1},
    }  # fmt: skip
    record = {"reference": "EA-1", "lines": [{"sku": "NK-1", "quantity": Decimal(2)}]}
    body = translate.document_body(
        record, WriteSettings(), customer=customer, today=dt.date(2024, 4, 1)
    )
    assert body["date"] == "2024-04-01"
    assert body["paymentTerms"] == {"paymentTermsNumber": 3}
    assert body["recipient"]["vatZone"] == {"vatZoneNumber": 1}
    assert body["recipient"]["country"] == "Denmark"
    assert body["references"] == {"other": "EA-1"}
    assert body["lines"] == [
        {
            "lineNumber": 1,
            "description": "NK-1",
            "quantity": 2.0,
            "product": {"productNumber": "NK-1"},
        }
    ]


def test_the_incremental_cursor_never_passes_the_servers_time() -> None:
    """A record stamped after the read began (edited during it) moves the cursor only to the
    start of the read, so the next read sees the edit."""
    start = dt.datetime(2024, 4, 1, 12, 0, tzinfo=dt.UTC)
    assert _bounded("2024-04-01T12:00:05Z", start) == "2024-04-01T12:00:00Z"
    assert _bounded("2024-03-01T08:15:00Z", start) == "2024-03-01T08:15:00Z"
    assert _bounded("2024-03-01T08:15:00Z", None) == "2024-03-01T08:15:00Z"


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåé", min_size=1, max_size=8)


@given(
    street=st.lists(_WORD, min_size=1, max_size=3).map(" ".join),
    number=st.integers(min_value=1, max_value=9999).map(str),
    suffix=st.one_of(st.none(), st.sampled_from(["A", "b", "2. th", "bis", "III"])),
)
def test_an_address_line_round_trips(street: str, number: str, suffix: str | None) -> None:
    """A street without digits, a number and a suffix, joined as koppel writes them, split back
    into the same parts."""
    line = translate.street_line(Address(street=street, number=number, number_suffix=suffix))
    assert translate.split_street(line) == (street, number, suffix)
