"""Wire values every connector reads and writes the same way: text, decimals, JSON numbers, ISO
dates and UTC time stamps, and the flat address fields of koppel's target records. Pure; a
system's own formats (Twinfield's ``YYYYMMDD``, AFAS's Amsterdam local time) stay in its
package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reconciler.canonical import Address


def text(value: object) -> str | None:
    """A value as stripped text, or None when it is empty."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def decimal(value: object) -> Decimal | None:
    """A number as a Decimal; None for an absent, empty, boolean or unreadable value."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def number(value: object) -> int | float:
    """A JSON number for a body: exact integers stay integers."""
    amount = Decimal(str(value))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def iso_date(value: object) -> str | None:
    """``YYYY-MM-DD`` from a date, a datetime or an ISO string; None when there is none."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return None


def utc_datetime(value: object) -> dt.datetime | None:
    """An ISO 8601 time stamp as an aware datetime (one without a zone is UTC); None when it is
    absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def flat_address(record: Mapping[str, Any], *, name: str | None = None) -> Address:
    """The canonical address in a target record's flat fields (``street``, ``houseNumber``,
    ``houseNumberSuffix``, ``postalCode``, ``city``, ``country``)."""
    return Address(
        street=record.get("street"),
        number=record.get("houseNumber"),
        number_suffix=record.get("houseNumberSuffix"),
        postal_code=record.get("postalCode"),
        city=record.get("city"),
        country=record.get("country"),
        name=name,
    )
