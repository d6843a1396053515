"""The wire values every connector shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connectors.values import decimal, flat_address, iso_date, number, text, utc_datetime


def test_text_strips_and_empty_is_none() -> None:
    assert text("  Bakker  ") == "Bakker"
    assert text("   ") is None
    assert text(None) is None
    assert text(12) == "12"


def test_decimal_reads_numbers_and_refuses_the_rest() -> None:
    assert decimal("12.50") == Decimal("12.50")
    assert decimal(3) == Decimal(3)
    assert decimal("") is None
    assert decimal(True) is None
    assert decimal("twelve") is None


def test_number_keeps_integers_integral() -> None:
    assert number(Decimal("12.00")) == 12
    assert isinstance(number(Decimal("12.00")), int)
    assert number("12.5") == 12.5


def test_iso_date_from_dates_datetimes_and_strings() -> None:
    assert iso_date(dt.date(2026, 12, 1)) == "2026-12-01"
    assert iso_date(dt.datetime(2026, 12, 1, 23, 5)) == "2026-12-01"
    assert iso_date("2026-12-01T10:00:00Z") == "2026-12-01"
    assert iso_date("") is None


def test_utc_datetime_reads_zones_and_takes_naive_as_utc() -> None:
    assert utc_datetime("2026-12-01T10:00:00Z") == dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    naive = utc_datetime("2026-12-01T10:00:00")
    assert naive is not None
    assert naive.tzinfo is dt.UTC
    assert utc_datetime("not a time") is None
    assert utc_datetime(None) is None


def test_flat_address_reads_the_target_records_address_fields() -> None:
    """The flat fields AFAS and Twinfield records share become one canonical address."""
    record = {
        "street": "Dorpsstraat",
        "houseNumber": "12",
        "houseNumberSuffix": "a",
        "postalCode": "1135 AB",
        "city": "Edam",
        "country": "NL",
        "email": "not@an.address",
    }
    address = flat_address(record, name="Bakkerij Jansen")
    assert (address.street, address.number, address.number_suffix) == ("Dorpsstraat", "12", "a")
    assert (address.postal_code, address.city, address.country) == ("1135 AB", "Edam", "NL")
    assert address.name == "Bakkerij Jansen"
    assert not flat_address({}).to_data()
