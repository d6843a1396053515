"""Pure: target records -> eAccounting request bodies for POST and PUT.

A body starts from the object read when it updates one (PUT replaces the whole object, so what a
body leaves out would be reset) and applies the record's fields on top; unit, coding, labels and
articles arrive resolved to their ids by the connector. Amounts become JSON numbers, discounts
percentages -> fractions (0-1), country codes upper case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.eaccounting.models import WireRecord
from connectors.eaccounting.values import HUNDRED, number
from connectors.values import decimal, iso_date, text

READ_ONLY = (
    "TermsOfPayment",
    "ChangedUtc",
    "CreatedUtc",
    "ModifiedUtc",
    "LastInvoiceDate",
    "PayToAccountId",
    "IsFutureInvoiceDateAllowed",
    "CodingName",
    "UnitName",
    "UnitAbbreviation",
    "StockBalanceReserved",
    "StockBalanceAvailable",
    "StockValue",
)
"""Fields eAccounting computes: left out of the bodies koppel sends back."""


def base_of(wire: WireRecord) -> WireRecord:
    """The object read, as a body to send back: computed fields and nulls left out."""
    return {k: _no_nulls(v) for k, v in wire.items() if k not in READ_ONLY and v is not None}


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value if v is not None]
    return value


CUSTOMER_WIRE = {
    "customerNumber": "CustomerNumber",
    "email": "EmailAddress",
    "name": "Name",
    "isPrivatePerson": "IsPrivatePerson",
    "contactPersonName": "ContactPersonName",
    "contactPersonEmail": "ContactPersonEmail",
    "contactPersonPhone": "ContactPersonPhone",
    "phone": "Telephone",
    "mobile": "MobilePhone",
    "vatNumber": "VatNumber",
    "cocNumber": "CorporateIdentityNumber",
    "street": "InvoiceAddress1",
    "address2": "InvoiceAddress2",
    "postalCode": "InvoicePostalCode",
    "city": "InvoiceCity",
    "country": "InvoiceCountryCode",
    "deliveryName": "DeliveryCustomerName",
    "deliveryStreet": "DeliveryAddress1",
    "deliveryPostalCode": "DeliveryPostalCode",
    "deliveryCity": "DeliveryCity",
    "deliveryCountry": "DeliveryCountryCode",
    "currency": "CurrencyCode",
    "language": "SalesDocumentLanguage",
    "termsOfPaymentId": "TermsOfPaymentId",
    "active": "IsActive",
    "note": "Note",
}
ARTICLE_WIRE = {
    "sku": "Number",
    "name": "Name",
    "nameEnglish": "NameEnglish",
    "netPrice": "NetPrice",
    "grossPrice": "GrossPrice",
    "purchasePrice": "PurchasePrice",
    "active": "IsActive",
    "sellOnline": "SendToWebshop",
    "stockTracked": "IsStock",
    "stockBalance": "StockBalance",
    "stockLocation": "StockLocationReference",
}
ORDER_WIRE = {
    "reference": "YourReference",
    "ourReference": "OurReference",
    "customerId": "CustomerId",
    "deliveryDate": "DeliveryDate",
    "deliveryName": "DeliveryCustomerName",
    "deliveryStreet": "DeliveryAddress1",
    "deliveryPostalCode": "DeliveryPostalCode",
    "deliveryCity": "DeliveryCity",
    "deliveryCountry": "DeliveryCountryCode",
}
_NUMERIC = frozenset({"netPrice", "grossPrice", "purchasePrice", "stockBalance"})
_COUNTRY = frozenset({"country", "deliveryCountry"})


def _wire_value(name: str, value: Any) -> Any:
    if name in _NUMERIC:
        return number(value)
    if name in _COUNTRY and isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, Decimal):
        return number(value)
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja")
    return bool(value)


def customer_body(record: Mapping[str, Any], base: WireRecord | None = None) -> WireRecord:
    """A CustomerApi body: ``base`` (the object read, for a PUT) with the record applied."""
    body: WireRecord = dict(base or {"IsActive": True})
    for name, wire in CUSTOMER_WIRE.items():
        if name in record and record[name] is not None:
            value = record[name]
            if name in ("isPrivatePerson", "active"):
                value = _flag(value)
            body[wire] = _wire_value(name, value)
    body.setdefault("IsPrivatePerson", False)
    body.pop("TermsOfPayment", None)
    return body


def article_body(
    record: Mapping[str, Any],
    base: WireRecord | None = None,
    *,
    unit_id: str | None = None,
    coding_id: str | None = None,
    labels: Sequence[Mapping[str, Any]] | None = None,
) -> WireRecord:
    """An ArticleApi body; unit and coding arrive resolved to their ids, labels as the
    label objects (``ArticleLabelApi`` needs the Name beside the Id)."""
    body: WireRecord = dict(base or {"IsActive": True})
    for name, wire in ARTICLE_WIRE.items():
        if name in record and record[name] is not None:
            value = record[name]
            if name in ("active", "sellOnline", "stockTracked"):
                value = _flag(value)
            body[wire] = _wire_value(name, value)
    if record.get("ean"):
        body["Barcodes"] = [{"Barcode": str(record["ean"]), "BarcodeType": 0}]
    if unit_id:
        body["UnitId"] = unit_id
    if coding_id:
        body["CodingId"] = coding_id
    if labels is not None:
        body["ArticleLabels"] = [{"Id": label["Id"], "Name": label["Name"]} for label in labels]
    return body


def order_body(
    record: Mapping[str, Any],
    base: WireRecord | None = None,
    *,
    order_type: str,
    article_ids: Mapping[str, str],
    currency: str,
) -> WireRecord:
    """An OrderApi or CustomerInvoiceDraftApi body; ``article_ids`` maps SKUs to ArticleIds."""
    body: WireRecord = dict(base or {})
    for name, wire in ORDER_WIRE.items():
        if name in record and record[name] not in (None, ""):
            body[wire] = _wire_value(name, record[name])
    date = iso_date(record.get("orderDate"))
    body.setdefault("EuThirdParty", False)
    body.setdefault("RotReducedInvoicingType", 0)
    if order_type == "order":
        if date:
            body["OrderDate"] = date
        body.setdefault("OrderDate", dt.date.today().isoformat())
        body["CurrencyCode"] = str(record.get("currency") or body.get("CurrencyCode") or currency)
        status = record.get("status")
        body["Status"] = int(status) if status not in (None, "") else body.get("Status", 1)
        body.setdefault("ReverseChargeOnConstructionServices", False)
    elif date:
        body["InvoiceDate"] = date
    if "lines" in record:
        body["Rows"] = [
            _row(line, i, order_type=order_type, article_ids=article_ids)
            for i, line in enumerate(record.get("lines") or [], start=1)
        ]
    return body


def _row(
    line: Mapping[str, Any], index: int, *, order_type: str, article_ids: Mapping[str, str]
) -> WireRecord:
    sku = text(line.get("sku"))
    row: WireRecord = {"LineNumber": index, "IsTextRow": sku is None}
    if order_type == "order":
        row.update(IsWorkCost=False, EligibleForReverseChargeOnVat=False)
    else:
        row["ReversedConstructionServicesVatFree"] = False
    if line.get("description"):
        row["Text"] = str(line["description"])[:2000]
    if sku is None:
        return row
    row["ArticleId"] = article_ids[sku]
    row["Quantity"] = number(line.get("quantity", 1))
    if line.get("unitPrice") is not None:
        row["UnitPrice"] = number(line["unitPrice"])
    discount = decimal(line.get("discountPercentage"))
    if discount:
        row["DiscountPercentage"] = number(discount / HUNDRED)
    return row
