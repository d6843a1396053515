"""Pure translation of GetConnector rows, and the value conventions shared with ``bodies.py``.

Two directions, no I/O:

* GetConnector rows -> canonical records (AFAS as a *source*);
* GetConnector rows -> target records (``lookup``: what AFAS has, in koppel's AFAS vocabulary).

Rows are read by logical column names resolved through ``GetConnectorSettings.columns``, so a
tenant's custom GetConnector works unchanged. AFAS dates end in a cosmetic ``Z`` but are
Amsterdam local time; they are read as such. Target records -> UpdateConnector bodies is
``bodies.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.afas.models import ItemType, to_iso_country
from connectors.values import decimal, flat_address, iso_date, text
from reconciler.canonical import (
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderType,
    Product,
    StockLevel,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Row = Mapping[str, Any]
Columns = Mapping[str, str]

ORDER_KINDS: Mapping[str, OrderType] = {
    "verkooporder": OrderType.order,
    "offerte": OrderType.quotation,
    "directe factuur": OrderType.direct_invoice,
}
"""``Profit_Salesorders.Ordersoort`` (lower case) -> order type."""


ORDER_STATUSES: Mapping[str, OrderStatus] = {
    "geleverd": OrderStatus.completed,
    "gefactureerd": OrderStatus.completed,
    "afgehandeld": OrderStatus.completed,
    "delivered": OrderStatus.completed,
    "invoiced": OrderStatus.completed,
    "completed": OrderStatus.completed,
    "geannuleerd": OrderStatus.cancelled,
    "cancelled": OrderStatus.cancelled,
}
"""``Profit_Salesorders.Status`` (lower case) -> order status; any other (``Open``,
``Gedeeltelijk geleverd``) reads as open. AFAS publishes the column, not its values: these are
the statuses its order screens show (an assumption, see connectors/afas/README.md)."""


LINE_KINDS: Mapping[str, LineKind] = {
    ItemType.article.value: LineKind.item,
    ItemType.work.value: LineKind.item,
    ItemType.costs.value: LineKind.shipping,
}
"""FbSalesLines ``VaIt`` -> canonical line kind; everything else reads as text."""


# -- values ----------------------------------------------------------------------------------


def parse_datetime(value: object) -> dt.datetime | None:
    """An AFAS date-time; the trailing Z is cosmetic, the time is Amsterdam's."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=AMSTERDAM) if parsed.tzinfo is None else parsed


def afas_datetime(value: dt.datetime) -> str:
    """A date-time as AFAS filters want it: Amsterdam local time, no zone suffix."""
    if value.tzinfo is not None:
        value = value.astimezone(AMSTERDAM)
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def _get(row: Row, columns: Columns, logical: str) -> Any:
    column = columns.get(logical)
    return row.get(column) if column else None


def compact(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without empty values: AFAS reads an empty string as "clear this field"."""
    return {k: v for k, v in record.items() if v is not None and v != ""}


_STREET = re.compile(r"^(?P<street>.*?\D)\s+(?P<number>\d+)\s*(?P<suffix>.*)$")
_POSTAL = re.compile(r"^(?P<postal>\d{4}\s?[A-Za-z]{2}|\d{4,5}|[A-Z0-9-]{3,10})\s+(?P<city>.+)$")


def split_address(line1: object, line3: object) -> dict[str, str]:
    """Street, number and suffix from ``AdressLine1``; postcode and city from ``AdressLine3``.

    AFAS formats these lines itself ("Stadsring 69", "3811 HN  AMERSFOORT", city upper case);
    the split is a best effort, and the city comes back as AFAS wrote it.
    """
    parts: dict[str, str] = {}
    street = text(line1)
    if street:
        match = _STREET.match(street)
        if match:
            parts["street"] = match["street"].strip()
            parts["houseNumber"] = match["number"]
            if match["suffix"].strip():
                parts["houseNumberSuffix"] = match["suffix"].strip()
        else:
            parts["street"] = street
    place = text(line3)
    if place:
        match = _POSTAL.match(place)
        if match:
            parts["postalCode"] = normalise_postal_code(match["postal"])
            parts["city"] = match["city"].strip()
        else:
            parts["city"] = place
    return parts


def normalise_postal_code(value: str) -> str:
    """Dutch postcodes the way AFAS stores them: ``1234AB`` -> ``1234 AB``."""
    code = value.strip().upper()
    match = re.fullmatch(r"(\d{4})\s*([A-Z]{2})", code)
    return f"{match[1]} {match[2]}" if match else code


# -- rows -> canonical -----------------------------------------------------------------------


def customer_from_row(row: Row, columns: Columns) -> Customer:
    record = debtor_record(row, columns)
    first, last = record.get("firstName"), record.get("lastName")
    company = record.get("companyName")
    if company is None and first is None and last is None:
        # Profit_Debtor does not say organisation or person; its name is all there is.
        company = record.get("name")
    address = flat_address(record)
    return Customer(
        email=record.get("email"),
        source_id=record.get("debtorId"),
        company_name=company,
        first_name=first,
        last_name=last,
        phone=record.get("phone"),
        vat_number=record.get("vatNumber"),
        coc_number=record.get("cocNumber"),
        currency=record.get("currency"),
        billing_address=address if address.to_data() else None,
        modified_at=parse_datetime(_get(row, columns, "modified")),
    )


def product_from_row(row: Row, columns: Columns) -> Product:
    record = article_record(row, columns)
    return Product(
        sku=str(record["sku"]),
        source_id=str(record["sku"]),
        name=record.get("description"),
        short_description=record.get("description"),
        long_description=record.get("extraDescription"),
        price_excl_tax=record.get("salesPrice"),
        ean=record.get("ean"),
        unit=record.get("unit"),
        group=record.get("group"),
        active=not record.get("blocked", False),
        stock_tracked=record.get("trackStock"),
        modified_at=parse_datetime(_get(row, columns, "modified")),
    )


def stock_from_row(row: Row, columns: Columns) -> StockLevel:
    record = stock_record(row, columns)
    return StockLevel(
        sku=str(record["sku"]),
        warehouse=record.get("warehouse"),
        available=record.get("quantity", Decimal(0)),
        physical=record.get("quantity"),
        modified_at=parse_datetime(_get(row, columns, "modified")),
    )


def order_from_rows(
    header: Row,
    lines: Sequence[Row],
    header_columns: Columns,
    line_columns: Columns,
    customer: Customer | None = None,
) -> Order:
    """A sales document as a canonical Order; ``customer`` is its debtor when the caller read
    it. A direct invoice is a sale already delivered and invoiced, so it reads as completed."""
    record = order_record(header, lines, header_columns, line_columns)
    status = str(_get(header, header_columns, "status") or "").strip().lower()
    modified = [parse_datetime(_get(line, line_columns, "modified")) for line in lines]
    invoiced = record.get("orderType") == OrderType.direct_invoice.value
    if customer is None and record.get("debtorId"):
        customer = Customer(source_id=record["debtorId"])
    return Order(
        number=str(record["orderNumber"]),
        source_id=str(record["orderNumber"]),
        reference=record.get("reference"),
        date=dt.date.fromisoformat(record["orderDate"]) if record.get("orderDate") else None,
        status=OrderStatus.completed if invoiced else ORDER_STATUSES.get(status, OrderStatus.open),
        currency=record.get("currency"),
        customer=customer,
        billing_address=customer.billing_address if customer is not None else None,
        lines=[
            OrderLine(
                kind=LINE_KINDS.get(str(line.get("itemType")), LineKind.text),
                sku=line.get("sku"),
                description=line.get("description"),
                quantity=line.get("quantity", Decimal(1)),
                unit_price=line.get("unitPrice"),
                unit=line.get("unit"),
            )
            for line in record.get("lines", [])
        ],
        total_excl_tax=decimal(_get(header, header_columns, "totalExclTax")),
        total_incl_tax=decimal(_get(header, header_columns, "totalInclTax")),
        modified_at=max((m for m in modified if m is not None), default=None),
    )


# -- rows -> target records ------------------------------------------------------------------


def debtor_record(row: Row, columns: Columns) -> dict[str, Any]:
    record: dict[str, Any] = {
        name: text(_get(row, columns, name))
        for name in [
            "debtorId",
            "email",
            "name",
            "phone",
            "vatNumber",
            "cocNumber",
            "debtorLedgerAccount",
            "paymentCondition",
            "vatDuty",
            "currency",
            "companyName",
            "firstName",
            "lastName",
            "relationCode",
        ]
    }
    record.update(
        split_address(_get(row, columns, "addressLine1"), _get(row, columns, "addressLine3"))
    )
    country = text(_get(row, columns, "country"))
    if (
        country is None
        and "addressLine4" in columns
        and (record.get("street") or record.get("city"))
    ):
        # AFAS prints the country line only for a foreign address: none means domestic, which
        # is NL as in bodies._address (an AFAS administration is Dutch unless it says so).
        country = text(_get(row, columns, "addressLine4")) or "NL"
    record["country"] = to_iso_country(country) if country else None
    return compact(record)


def article_record(row: Row, columns: Columns) -> dict[str, Any]:
    record: dict[str, Any] = {
        name: text(_get(row, columns, name))
        for name in ["sku", "description", "extraDescription", "unit", "group", "ean", "vatGroup"]
    }
    for flag in ("blocked", "trackStock"):
        value = _get(row, columns, flag)
        record[flag] = bool(value) if value is not None else None
    record["salesPrice"] = decimal(_get(row, columns, "salesPrice"))
    return compact(record)


def stock_record(row: Row, columns: Columns) -> dict[str, Any]:
    return compact(
        {
            "sku": text(_get(row, columns, "sku")),
            "warehouse": text(_get(row, columns, "warehouse")),
            "quantity": decimal(_get(row, columns, "quantity")) or Decimal(0),
            "unit": text(_get(row, columns, "unit")),
        }
    )


def order_record(
    header: Row, lines: Sequence[Row], header_columns: Columns, line_columns: Columns
) -> dict[str, Any]:
    kind = str(_get(header, header_columns, "orderType") or "").strip().lower()
    record: dict[str, Any] = {
        "orderNumber": text(_get(header, header_columns, "orderNumber")),
        "orderType": ORDER_KINDS[kind].value if kind in ORDER_KINDS else None,
        "reference": text(_get(header, header_columns, "reference")),
        "debtorId": text(_get(header, header_columns, "debtorId")),
        "orderDate": iso_date(_get(header, header_columns, "orderDate")),
        "currency": text(_get(header, header_columns, "currency")),
    }
    ordered = sorted(lines, key=lambda line: int(_get(line, line_columns, "sequence") or 0))
    record["lines"] = [
        compact(
            {
                "itemType": text(_get(line, line_columns, "itemType")),
                "sku": text(_get(line, line_columns, "sku")),
                "description": text(_get(line, line_columns, "description")),
                "quantity": decimal(_get(line, line_columns, "quantity")),
                "unit": text(_get(line, line_columns, "unit")),
                "unitPrice": decimal(_get(line, line_columns, "unitPrice")),
            }
        )
        for line in ordered
    ]
    return compact(record)


def booking_record(row: Row, columns: Columns) -> dict[str, Any]:
    """A financial mutation as an order target record, from its debtor line's open item
    (``Profit_Debtor_Invoices``): enough to know it exists and on which debtor."""
    administration = _get(row, columns, "administration")
    return compact(
        {
            "orderType": OrderType.financial_mutation.value,
            "reference": text(_get(row, columns, "invoiceNumber")),
            "debtorId": text(_get(row, columns, "debtorId")),
            "administration": int(administration) if administration is not None else None,
            "orderDate": iso_date(_get(row, columns, "date")),
        }
    )
