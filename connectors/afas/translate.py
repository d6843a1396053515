"""Pure translation between AFAS rows/bodies, target records and canonical records.

Three directions, no I/O:

* GetConnector rows -> canonical records (AFAS as a *source*);
* GetConnector rows -> target records (``lookup``: what AFAS has, in koppel's AFAS vocabulary);
* target records -> UpdateConnector bodies (AFAS as a *target*).

Rows use logical column names resolved through ``GetConnectorSettings.columns`` so a tenant's
custom GetConnector works unchanged. Bodies follow the shapes of AFAS's OpenAPI specification:
``Objects`` as a list of single-key objects, sub-object ``Element`` as a list, numbers as
numbers and booleans as booleans. AFAS dates end in a cosmetic ``Z`` but are Amsterdam local
time; they are read as such.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from connectors.afas.models import ItemType, WriteSettings, to_afas_country, to_iso_country
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderType,
    Product,
    StockLevel,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Row = Mapping[str, Any]
Columns = Mapping[str, str]

ROOTS: Mapping[OrderType, tuple[str, str]] = {
    OrderType.order: ("FbSales", "FbSalesLines"),
    OrderType.invoice: ("FbSales", "FbSalesLines"),
    OrderType.quotation: ("FbSalesQuotation", "FbSalesQuotationLines"),
    OrderType.direct_invoice: ("FbDirectInvoice", "FbDirectInvoiceLines"),
}
"""Order type -> (UpdateConnector, lines sub-object). ``invoice`` is an FbSales order with order
processing 2 (packing slip and invoice), so AFAS invoices it when the order is processed."""

INVOICE_PROCESSING = "2"
ORDER_KINDS: Mapping[str, OrderType] = {
    "verkooporder": OrderType.order,
    "offerte": OrderType.quotation,
    "directe factuur": OrderType.direct_invoice,
}
"""``Profit_Salesorders.Ordersoort`` (lower case) -> order type."""


# -- values ----------------------------------------------------------------------------------


def parse_datetime(value: object) -> dt.datetime | None:
    """An AFAS date-time; the trailing Z is cosmetic, the time is Amsterdam's."""
    if not isinstance(value, str) or not value:
        return None
    text = value.rstrip("Z")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=AMSTERDAM) if parsed.tzinfo is None else parsed


def afas_datetime(value: dt.datetime) -> str:
    """A date-time as AFAS filters want it: Amsterdam local time, no zone suffix."""
    if value.tzinfo is not None:
        value = value.astimezone(AMSTERDAM)
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def decimal(value: object) -> Decimal | None:
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


def _date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return None


def _get(row: Row, columns: Columns, logical: str) -> Any:
    column = columns.get(logical)
    return row.get(column) if column else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _compact(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and v != ""}


_STREET = re.compile(r"^(?P<street>.*?\D)\s+(?P<number>\d+)\s*(?P<suffix>.*)$")
_POSTAL = re.compile(r"^(?P<postal>\d{4}\s?[A-Za-z]{2}|\d{4,5}|[A-Z0-9-]{3,10})\s+(?P<city>.+)$")


def split_address(line1: object, line3: object) -> dict[str, str]:
    """Street, number and suffix from ``AdressLine1``; postcode and city from ``AdressLine3``.

    AFAS formats these lines itself ("Stadsring 69", "3811 HN  AMERSFOORT", city upper case);
    the split is a best effort, and the city comes back as AFAS wrote it.
    """
    parts: dict[str, str] = {}
    street = _text(line1)
    if street:
        match = _STREET.match(street)
        if match:
            parts["street"] = match["street"].strip()
            parts["houseNumber"] = match["number"]
            if match["suffix"].strip():
                parts["houseNumberSuffix"] = match["suffix"].strip()
        else:
            parts["street"] = street
    place = _text(line3)
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
    text = value.strip().upper()
    match = re.fullmatch(r"(\d{4})\s*([A-Z]{2})", text)
    return f"{match[1]} {match[2]}" if match else text


# -- rows -> canonical -----------------------------------------------------------------------


def customer_from_row(row: Row, columns: Columns) -> Customer:
    record = debtor_record(row, columns)
    first, last = record.get("firstName"), record.get("lastName")
    company = record.get("companyName")
    if company is None and first is None and last is None:
        # Profit_Debtor does not say organisation or person; its name is all there is.
        company = record.get("name")
    address = Address(
        street=record.get("street"),
        number=record.get("houseNumber"),
        number_suffix=record.get("houseNumberSuffix"),
        postal_code=record.get("postalCode"),
        city=record.get("city"),
        country=record.get("country"),
    )
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
    header: Row, lines: Sequence[Row], header_columns: Columns, line_columns: Columns
) -> Order:
    record = order_record(header, lines, header_columns, line_columns)
    modified = [parse_datetime(_get(line, line_columns, "modified")) for line in lines]
    return Order(
        number=str(record["orderNumber"]),
        source_id=str(record["orderNumber"]),
        reference=record.get("reference"),
        date=dt.date.fromisoformat(record["orderDate"]) if record.get("orderDate") else None,
        currency=record.get("currency"),
        customer=Customer(source_id=record["debtorId"]) if record.get("debtorId") else None,
        lines=[
            OrderLine(
                kind=LineKind.item if line.get("itemType") == ItemType.article else LineKind.text,
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
        name: _text(_get(row, columns, name))
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
    country = _text(_get(row, columns, "country"))
    record["country"] = to_iso_country(country) if country else None
    return _compact(record)


def article_record(row: Row, columns: Columns) -> dict[str, Any]:
    record: dict[str, Any] = {
        name: _text(_get(row, columns, name))
        for name in ["sku", "description", "extraDescription", "unit", "group", "ean", "vatGroup"]
    }
    for flag in ("blocked", "trackStock"):
        value = _get(row, columns, flag)
        record[flag] = bool(value) if value is not None else None
    record["salesPrice"] = decimal(_get(row, columns, "salesPrice"))
    return _compact(record)


def stock_record(row: Row, columns: Columns) -> dict[str, Any]:
    return _compact(
        {
            "sku": _text(_get(row, columns, "sku")),
            "warehouse": _text(_get(row, columns, "warehouse")),
            "quantity": decimal(_get(row, columns, "quantity")) or Decimal(0),
            "unit": _text(_get(row, columns, "unit")),
        }
    )


def order_record(
    header: Row, lines: Sequence[Row], header_columns: Columns, line_columns: Columns
) -> dict[str, Any]:
    kind = str(_get(header, header_columns, "orderType") or "").strip().lower()
    record: dict[str, Any] = {
        "orderNumber": _text(_get(header, header_columns, "orderNumber")),
        "orderType": ORDER_KINDS[kind].value if kind in ORDER_KINDS else None,
        "reference": _text(_get(header, header_columns, "reference")),
        "debtorId": _text(_get(header, header_columns, "debtorId")),
        "orderDate": _date(_get(header, header_columns, "orderDate")),
        "currency": _text(_get(header, header_columns, "currency")),
    }
    ordered = sorted(lines, key=lambda line: int(_get(line, line_columns, "sequence") or 0))
    record["lines"] = [
        _compact(
            {
                "itemType": _text(_get(line, line_columns, "itemType")),
                "sku": _text(_get(line, line_columns, "sku")),
                "description": _text(_get(line, line_columns, "description")),
                "quantity": decimal(_get(line, line_columns, "quantity")),
                "unit": _text(_get(line, line_columns, "unit")),
                "unitPrice": decimal(_get(line, line_columns, "unitPrice")),
            }
        )
        for line in ordered
    ]
    return _compact(record)


# -- target records -> UpdateConnector bodies ------------------------------------------------


def _element(
    fields: Mapping[str, Any], objects: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"Fields": _compact(fields)}
    if objects:
        element["Objects"] = objects
    return element


def _sub(name: str, *elements: dict[str, Any]) -> dict[str, Any]:
    return {name: {"Element": list(elements)}}


def _address(record: Mapping[str, Any], today: dt.date) -> dict[str, Any] | None:
    if not any(record.get(k) for k in ("street", "postalCode", "city", "country")):
        return None
    number_text = str(record.get("houseNumber") or "").strip()
    return _sub(
        "KnBasicAddressAdr",
        _element(
            {
                "CoId": to_afas_country(str(record.get("country") or "NL")),
                "PbAd": False,
                "Ad": record.get("street"),
                "HmNr": int(number_text) if number_text.isdigit() else None,
                "HmAd": record.get("houseNumberSuffix"),
                "ZpCd": record.get("postalCode"),
                "Rs": record.get("city"),
                "BeginDate": today.isoformat(),
                "ResZip": False,
            }
        ),
    )


def debtor_body(
    record: Mapping[str, Any], settings: WriteSettings, *, today: dt.date, update: bool = False
) -> tuple[str, dict[str, Any]]:
    """(UpdateConnector, body) for a debtor: an organisation with its contact, or a person.

    On update the existing organisation/person is matched on its number (``relationCode``,
    match strategy 0); on insert AFAS numbers a new one (strategy 6/7: always insert).
    """
    relation_fields = {
        # The PUT schema wants the key among the fields; an insert chooses it by @DbId.
        "DbId": record.get("debtorId") if update else None,
        "IsDb": True,
        "CuId": record.get("currency") or (None if update else settings.currency),
        "PaCd": record.get("paymentCondition"),
        "VaDu": record.get("vatDuty"),
        "ColA": record.get("debtorLedgerAccount"),
        "InPv": record.get("invoiceMethod"),
        "LgId": record.get("language"),
        "VaId": record.get("vatNumber"),
    }
    matching = {"AutoNum": False, "BcCo": record.get("relationCode")} if update else {}
    address = _address(record, today)
    person_fields = {
        "PadAdr": True,
        "AutoNum": True,
        "FiNm": record.get("firstName"),
        "In": record.get("initials"),
        "Is": record.get("namePrefix"),
        "LaNm": record.get("lastName"),
        "ViGe": record.get("gender"),
        "AddToPortal": False,
    }
    company = _text(record.get("companyName"))
    if company:
        root = "KnSalesRelationOrg"
        contact_person = {**person_fields, "PadAdr": False, "MatchPer": "7"}
        contact_person["EmAd"] = record.get("email")
        contact = _element(
            {"PadAdr": False, "ViKc": "PRS", "EmAd": record.get("email")},
            [_sub("KnPerson", _element(contact_person))],
        )
        has_person = record.get("firstName") or record.get("lastName")
        org = _element(
            {
                "PadAdr": True,
                "AutoNum": True,
                "MatchOga": "0" if update else "6",
                "Nm": company,
                "EmAd": record.get("email"),
                "TeNr": record.get("phone"),
                "CcNr": record.get("cocNumber"),
                **matching,
            },
            [
                o
                for o in (
                    address,
                    _sub("KnContact", contact) if has_person and not update else None,
                )
                if o
            ],
        )
        objects = [_sub("KnOrganisation", org)]
    else:
        root = "KnSalesRelationPer"
        person = _element(
            {
                **person_fields,
                "MatchPer": "0" if update else "7",
                "EmA2": record.get("email"),
                "TeN2": record.get("phone"),
                "MbN2": record.get("mobile"),
                **matching,
            },
            [address] if address else None,
        )
        objects = [_sub("KnPerson", person)]
    element: dict[str, Any] = _element(relation_fields, objects)
    if record.get("debtorId"):
        element = {"@DbId": str(record["debtorId"]), **element}
    return root, {root: {"Element": element}}


def sales_body(record: Mapping[str, Any], settings: WriteSettings) -> tuple[str, dict[str, Any]]:
    """(UpdateConnector, body) for an order, quotation, invoice or direct invoice."""
    order_type = OrderType(record.get("orderType") or OrderType.order)
    if order_type is OrderType.financial_mutation:
        return entries_body(record, settings)
    root, lines_root = ROOTS[order_type]
    administration = record.get("administration") or settings.administration
    fields: dict[str, Any] = {
        "OrNu": record.get("orderNumber"),
        "DbId": record.get("debtorId"),
        "OrDa": _date(record.get("orderDate")),
        "RfCs": record.get("reference"),
        "CuId": record.get("currency"),
        "Unit": int(administration) if administration is not None else None,
        "War": record.get("warehouse") or settings.warehouse,
        "PaCd": record.get("paymentCondition"),
        "PaTp": record.get("paymentMethod"),
        "VaDu": record.get("vatDuty"),
        "InVa": record.get("pricesIncludeTax"),
        "Re": record.get("remark"),
        "ExAd": record.get("deliveryNote"),
    }
    if order_type is OrderType.invoice:
        fields["OrPr"] = INVOICE_PROCESSING
    lines = [_line(line, settings) for line in record.get("lines") or []]
    return root, {
        root: {"Element": _element(fields, [_sub(lines_root, *lines)] if lines else None)}
    }


def _line(line: Mapping[str, Any], settings: WriteSettings) -> dict[str, Any]:
    item_type = str(line.get("itemType") or (ItemType.article if line.get("sku") else "3"))
    is_article = item_type == ItemType.article
    return _element(
        {
            "VaIt": item_type,
            "ItCd": line.get("sku") or "T",
            "Ds": line.get("description"),
            "BiUn": line.get("unit") or (settings.unit if is_article else "*****"),
            "QuUn": number(line.get("quantity", 1)),
            "Upri": number(line["unitPrice"]) if line.get("unitPrice") is not None else None,
            "VaRc": line.get("vatCode"),
            "PRDc": number(line["discountPercentage"])
            if line.get("discountPercentage") is not None
            else None,
            "War": line.get("warehouse"),
        }
    )


def entries_body(record: Mapping[str, Any], settings: WriteSettings) -> tuple[str, dict[str, Any]]:
    """(``FiEntries``, body with root ``FiEntryPar``) for a financial mutation."""
    date = _date(record.get("orderDate")) or ""
    year = int(record.get("year") or date[:4])
    period = int(record.get("period") or date[5:7])
    administration = record.get("administration") or settings.administration
    entries = [
        _element(
            {
                "VaAs": str(entry.get("accountType", "1")),
                "AcNr": str(entry["account"]),
                "EnDa": _date(entry.get("date")) or date,
                "BpDa": _date(entry.get("date")) or date,
                "BpNr": record.get("reference"),
                "InId": entry.get("invoiceNumber"),
                "Ds": entry.get("description"),
                "AmDe": number(entry.get("debit") or 0),
                "AmCr": number(entry.get("credit") or 0),
                "VaId": entry.get("vatCode"),
                "DaEx": _date(entry.get("dueDate")),
            }
        )
        for entry in record.get("entries") or []
    ]
    fields = {
        "Year": year,
        "Peri": period,
        "UnId": int(administration) if administration is not None else None,
        "JoCo": str(record.get("journal") or settings.journal),
    }
    body = {"FiEntryPar": {"Element": _element(fields, [_sub("FiEntries", *entries)])}}
    return "FiEntries", body


def article_body(
    record: Mapping[str, Any], settings: WriteSettings, *, update: bool = False
) -> dict[str, Any]:
    """An FbItemArticle body; an insert fills the group and unit AFAS requires."""
    ean = _text(record.get("ean"))
    fields = {
        "ItCd": record.get("sku"),
        "Ds": record.get("description"),
        "DsEx": record.get("extraDescription"),
        "Grp": record.get("group") or (None if update else settings.article_group),
        "BiUn": record.get("unit") or (None if update else settings.unit),
        "BiSt": record.get("trackStock"),
        "VaRc": record.get("vatGroup"),
        "SaPrice": number(record["salesPrice"]) if record.get("salesPrice") is not None else None,
        "CoPrice": number(record["costPrice"]) if record.get("costPrice") is not None else None,
        "DatPri": _date(record.get("priceDate")),
        "VaBc": ("3" if len(ean) == 13 else "0") if ean else None,
        "BaCo": ean,
        "Bl": record.get("blocked"),
    }
    return {"FbItemArticle": {"Element": _element(fields)}}


def stock_mutation_body(
    sku: str,
    delta: Decimal,
    settings: WriteSettings,
    *,
    unit: str | None,
    warehouse: str | None,
    today: dt.date,
) -> dict[str, Any]:
    """The FbStockMutation that moves stock by ``delta`` (receipt if positive, else issue)."""
    quantity = number(abs(delta))
    fields = {
        "VaOt": settings.stock_in_type if delta > 0 else settings.stock_out_type,
        "ReId": settings.stock_reason,
        "Da": today.isoformat(),
        "Ds": "koppel stock reconciliation",
        "VaIt": ItemType.article.value,
        "ItCd": sku,
        "War": warehouse or settings.stock_warehouse,
        "Loc": settings.stock_location,
        "BiUn": unit or settings.unit,
        "QuUn": quantity,
        "Qu": quantity,
    }
    element = {"Fields": {k: v for k, v in fields.items() if v is not None}}
    return {"FbStockMutation": {"Element": element}}
