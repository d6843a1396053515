"""Pure translation between eAccounting objects, canonical records and target records.

Three directions, no I/O:

* wire objects -> canonical records (eAccounting as a *source*): customers (a company with its
  contact person, or a private person), articles (features and free fields), orders (status from
  the order and, once invoiced, from its invoice's remaining amount);
* wire objects -> target records (``lookup``: what eAccounting has, in ``models.py`` terms);
* target records -> wire bodies for POST/PUT, on top of the object read (PUT replaces, so an
  update starts from the whole object).

Master data the translations need (units, codings, labels by id; terms of payment) is passed in
as a ``MasterData`` snapshot the connector loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.eaccounting.models import OrderStatus, WireRecord
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    Product,
)
from reconciler.canonical import OrderStatus as Status

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MasterData:
    """The company's master data by id, as the translations need it."""

    units: Mapping[str, WireRecord] = field(default_factory=dict)
    codings: Mapping[str, WireRecord] = field(default_factory=dict)
    labels: Mapping[str, WireRecord] = field(default_factory=dict)
    terms: Mapping[str, WireRecord] = field(default_factory=dict)

    def unit_code(self, unit_id: object) -> str | None:
        unit = self.units.get(str(unit_id).lower())
        return text((unit or {}).get("Code") or (unit or {}).get("Abbreviation"))

    def tax_rate(self, coding_id: object) -> Decimal | None:
        """The coding's VAT as a percentage (``VatRatePercent`` is a fraction: 0.21 = 21%)."""
        coding = self.codings.get(str(coding_id).lower())
        rate = decimal((coding or {}).get("VatRatePercent"))
        return None if rate is None else plain(rate * HUNDRED)

    def label_names(self, labels: object) -> list[str]:
        names = []
        for item in labels if isinstance(labels, list) else []:
            if not isinstance(item, dict):
                continue
            name = item.get("Name") or self.labels.get(str(item.get("Id")).lower(), {}).get("Name")
            if name:
                names.append(str(name))
        return sorted(names)


# -- values ----------------------------------------------------------------------------------


def text(value: object) -> str | None:
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def plain(value: Decimal) -> Decimal:
    """A decimal without trailing zeros and never in exponent form (``1E+1`` -> ``10``)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def number(value: object) -> int | float | None:
    """A JSON number for a body: exact integers stay integers."""
    amount = decimal(value)
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def parse_utc(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def date_text(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return None


def compact(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and not _empty(v)}


def _empty(value: object) -> bool:
    return isinstance(value, str | list) and len(value) == 0


_STREET = re.compile(r"^(?P<street>.*?\D)\s+(?P<number>\d+)\s*[-]?\s*(?P<suffix>\S.*)?$")


def split_street(line: object) -> dict[str, str]:
    """Street, house number and suffix from one address line ("Kerkstraat 33 bis")."""
    value = text(line)
    if value is None:
        return {}
    match = _STREET.match(value)
    if not match:
        return {"street": value}
    parts = {"street": match["street"].strip(), "number": match["number"]}
    if match["suffix"]:
        parts["number_suffix"] = match["suffix"].strip()
    return parts


def split_name(full: object) -> tuple[str | None, str | None]:
    """First name and the rest ("Piet van Dam" -> "Piet", "van Dam")."""
    value = text(full)
    if value is None:
        return None, None
    first, _, rest = value.partition(" ")
    return first, (rest.strip() or None)


def features_from_labels(names: Sequence[str]) -> dict[str, str]:
    """Labels as features: ``"kleur: rood"`` -> ``{"kleur": "rood"}``; a plain label is a flag
    (``"Waterdicht"`` -> ``{"Waterdicht": "true"}``)."""
    features: dict[str, str] = {}
    for name in names:
        key, sep, value = name.partition(":")
        if sep and key.strip() and value.strip():
            features[key.strip()] = value.strip()
        else:
            features[name.strip()] = "true"
    return features


def labels_from_features(features: Mapping[str, object]) -> list[str]:
    """The label names that carry these features (the inverse of ``features_from_labels``)."""
    names = []
    for key, value in features.items():
        flag = value is True or str(value).lower() == "true"
        names.append(str(key) if flag else f"{key}: {value}")
    return sorted(names)


# -- wire -> canonical -----------------------------------------------------------------------


def _address(wire: WireRecord, prefix: str, *, name: str | None = None) -> Address | None:
    parts = split_street(wire.get(f"{prefix}Address1"))
    address = Address(
        street=parts.get("street"),
        number=parts.get("number"),
        number_suffix=parts.get("number_suffix"),
        postal_code=text(wire.get(f"{prefix}PostalCode")),
        city=text(wire.get(f"{prefix}City")),
        country=text(wire.get(f"{prefix}CountryCode")),
        name=text(name),
    )
    return address if address.model_dump(exclude_none=True, exclude={"name"}) else None


def customer_from_wire(wire: WireRecord) -> Customer:
    person = bool(wire.get("IsPrivatePerson"))
    first, last = split_name(wire.get("Name") if person else wire.get("ContactPersonName"))
    terms = wire.get("TermsOfPayment")
    custom = compact(
        {
            "customerNumber": text(wire.get("CustomerNumber")),
            "paymentTerms": text(terms.get("Name")) if isinstance(terms, dict) else None,
            "note": text(wire.get("Note")),
        }
    )
    return Customer(
        email=text(wire.get("EmailAddress")),
        source_id=text(wire.get("CustomerNumber")) or text(wire.get("Id")),
        company_name=None if person else text(wire.get("Name")),
        first_name=first,
        last_name=last,
        phone=text(wire.get("Telephone")),
        mobile=text(wire.get("MobilePhone")),
        vat_number=text(wire.get("VatNumber")),
        coc_number=text(wire.get("CorporateIdentityNumber")),
        language=text(wire.get("SalesDocumentLanguage")),
        currency=text(wire.get("CurrencyCode")),
        billing_address=_address(wire, "Invoice"),
        shipping_address=_address(wire, "Delivery", name=wire.get("DeliveryCustomerName")),
        custom_fields=custom,
        modified_at=parse_utc(wire.get("ChangedUtc")),
    )


def _barcode(wire: WireRecord) -> str | None:
    for item in wire.get("Barcodes") or []:
        if isinstance(item, dict) and text(item.get("Barcode")):
            return text(item["Barcode"])
    return None


def product_from_wire(wire: WireRecord, master: MasterData, *, currency: str) -> Product:
    labels = master.label_names(wire.get("ArticleLabels"))
    custom = compact(
        {
            "sellOnline": wire.get("SendToWebshop"),
            "nameEnglish": text(wire.get("NameEnglish")),
            "stockLocation": text(wire.get("StockLocationReference")),
            "coding": text(wire.get("CodingName")),
            "labels": labels,
        }
    )
    return Product(
        sku=str(wire["Number"]),
        source_id=text(wire.get("Id")),
        name=text(wire.get("Name")),
        short_description=text(wire.get("Name")),
        price_excl_tax=decimal(wire.get("NetPrice")),
        price_incl_tax=decimal(wire.get("GrossPrice")),
        tax_rate=master.tax_rate(wire.get("CodingId")),
        cost_price=decimal(wire.get("PurchasePrice")),
        currency=currency,
        ean=_barcode(wire),
        unit=master.unit_code(wire.get("UnitId")) or text(wire.get("UnitAbbreviation")),
        active=bool(wire.get("IsActive", True)),
        stock_tracked=wire.get("IsStock") if isinstance(wire.get("IsStock"), bool) else None,
        quantity=decimal(wire.get("StockBalance")),
        features=features_from_labels(labels),
        custom_fields=custom,
        modified_at=parse_utc(wire.get("ChangedUtc")),
    )


def order_status(wire: WireRecord, invoice: WireRecord | None) -> tuple[Status, bool]:
    """The canonical status and whether it is paid: draft and ongoing orders are open, shipped
    ones shipped; an invoiced order is paid, partly paid or unpaid by its invoice's remaining
    amount, and completed when its invoice is not found."""
    try:
        status = OrderStatus(int(wire.get("Status") or 1))
    except ValueError:
        return Status.open, False
    if status in (OrderStatus.draft, OrderStatus.ongoing):
        return Status.open, False
    if status is OrderStatus.shipped:
        return Status.shipped, False
    if invoice is None:
        return Status.completed, False
    remaining = decimal(invoice.get("RemainingAmount")) or Decimal(0)
    total = decimal(invoice.get("TotalAmount")) or Decimal(0)
    if remaining <= 0:
        return Status.paid, True
    if remaining < total:
        return Status.partially_paid, False
    return Status.unpaid, False


def _line(row: WireRecord) -> OrderLine:
    discount = decimal(row.get("DiscountPercentage"))
    if row.get("IsTextRow"):
        return OrderLine(kind=LineKind.text, description=text(row.get("Text")), quantity=Decimal(0))
    return OrderLine(
        kind=LineKind.item,
        sku=text(row.get("ArticleNumber")),
        description=text(row.get("Text")),
        quantity=decimal(row.get("Quantity")) or Decimal(0),
        unit_price=decimal(row.get("UnitPrice")),
        discount_percentage=plain(discount * HUNDRED) if discount else None,
    )


def order_from_wire(
    wire: WireRecord, *, customer: Customer | None, invoice: WireRecord | None
) -> Order:
    status, paid = order_status(wire, invoice)
    amount, vat = decimal(wire.get("Amount")), decimal(wire.get("VatAmount"))
    lines = sorted(wire.get("Rows") or [], key=lambda r: int(r.get("LineNumber") or 0))
    custom = compact(
        {
            "orderId": text(wire.get("Id")),
            "ourReference": text(wire.get("OurReference")),
            "eaccountingStatus": wire.get("Status"),
            "invoiceNumber": text((invoice or {}).get("InvoiceNumber")),
        }
    )
    return Order(
        number=str(wire["Number"]),
        source_id=text(wire.get("Id")),
        reference=text(wire.get("YourReference")),
        date=dt.date.fromisoformat(str(wire["OrderDate"])[:10]) if wire.get("OrderDate") else None,
        status=status,
        paid=paid,
        currency=text(wire.get("CurrencyCode")),
        prices_include_tax=False,
        customer=customer,
        billing_address=_address(wire, "Invoice", name=wire.get("InvoiceCustomerName")),
        shipping_address=_address(wire, "Delivery", name=wire.get("DeliveryCustomerName")),
        lines=[_line(r) for r in lines],
        shipping_method=text(wire.get("DeliveryMethodCode") or wire.get("DeliveryMethodName")),
        total_excl_tax=amount,
        total_incl_tax=(amount + vat) if amount is not None and vat is not None else None,
        custom_fields=custom,
        modified_at=parse_utc(wire.get("ModifiedUtc")),
    )


# -- wire -> target records ------------------------------------------------------------------


def customer_record(wire: WireRecord) -> dict[str, Any]:
    terms = wire.get("TermsOfPayment")
    return compact(
        {
            "customerId": text(wire.get("Id")),
            "customerNumber": text(wire.get("CustomerNumber")),
            "email": text(wire.get("EmailAddress")),
            "name": text(wire.get("Name")),
            "isPrivatePerson": bool(wire.get("IsPrivatePerson")),
            "contactPersonName": text(wire.get("ContactPersonName")),
            "contactPersonEmail": text(wire.get("ContactPersonEmail")),
            "contactPersonPhone": text(wire.get("ContactPersonPhone")),
            "phone": text(wire.get("Telephone")),
            "mobile": text(wire.get("MobilePhone")),
            "vatNumber": text(wire.get("VatNumber")),
            "cocNumber": text(wire.get("CorporateIdentityNumber")),
            "street": text(wire.get("InvoiceAddress1")),
            "address2": text(wire.get("InvoiceAddress2")),
            "postalCode": text(wire.get("InvoicePostalCode")),
            "city": text(wire.get("InvoiceCity")),
            "country": text(wire.get("InvoiceCountryCode")),
            "deliveryName": text(wire.get("DeliveryCustomerName")),
            "deliveryStreet": text(wire.get("DeliveryAddress1")),
            "deliveryPostalCode": text(wire.get("DeliveryPostalCode")),
            "deliveryCity": text(wire.get("DeliveryCity")),
            "deliveryCountry": text(wire.get("DeliveryCountryCode")),
            "currency": text(wire.get("CurrencyCode")),
            "language": text(wire.get("SalesDocumentLanguage")),
            "paymentTerms": text(terms.get("Name")) if isinstance(terms, dict) else None,
            "termsOfPaymentId": text(wire.get("TermsOfPaymentId")),
            "active": bool(wire.get("IsActive", True)),
            "note": text(wire.get("Note")),
        }
    )


def article_record(wire: WireRecord, master: MasterData) -> dict[str, Any]:
    labels = master.label_names(wire.get("ArticleLabels"))
    record = compact(
        {
            "articleId": text(wire.get("Id")),
            "sku": text(wire.get("Number")),
            "name": text(wire.get("Name")),
            "nameEnglish": text(wire.get("NameEnglish")),
            "netPrice": decimal(wire.get("NetPrice")),
            "grossPrice": decimal(wire.get("GrossPrice")),
            "purchasePrice": decimal(wire.get("PurchasePrice")),
            "ean": _barcode(wire),
            "unit": master.unit_code(wire.get("UnitId")),
            "coding": text(wire.get("CodingName")),
            "active": bool(wire.get("IsActive", True)),
            "sellOnline": bool(wire.get("SendToWebshop")),
            "stockTracked": bool(wire.get("IsStock")),
            "stockBalance": decimal(wire.get("StockBalance")),
            "stockLocation": text(wire.get("StockLocationReference")),
        }
    )
    if labels:
        record["features"] = features_from_labels(labels)
    return record


def order_record(wire: WireRecord, *, order_type: str) -> dict[str, Any]:
    rows = sorted(wire.get("Rows") or [], key=lambda r: int(r.get("LineNumber") or 0))
    date = wire.get("OrderDate") if order_type == "order" else wire.get("InvoiceDate")
    return compact(
        {
            "orderType": order_type,
            "orderId": text(wire.get("Id")),
            "orderNumber": text(wire.get("Number")),
            "reference": text(wire.get("YourReference")),
            "ourReference": text(wire.get("OurReference")),
            "customerId": text(wire.get("CustomerId")),
            "orderDate": date_text(date),
            "deliveryDate": date_text(wire.get("DeliveryDate")),
            "currency": text(wire.get("CurrencyCode") or wire.get("InvoiceCurrencyCode")),
            "status": wire.get("Status") if order_type == "order" else None,
            "deliveryName": text(wire.get("DeliveryCustomerName")),
            "deliveryStreet": text(wire.get("DeliveryAddress1")),
            "deliveryPostalCode": text(wire.get("DeliveryPostalCode")),
            "deliveryCity": text(wire.get("DeliveryCity")),
            "deliveryCountry": text(wire.get("DeliveryCountryCode")),
            "lines": [_line_record(r) for r in rows],
        }
    )


def _line_record(row: WireRecord) -> dict[str, Any]:
    if row.get("IsTextRow"):
        return compact({"description": text(row.get("Text"))})
    discount = decimal(row.get("DiscountPercentage"))
    return compact(
        {
            "sku": text(row.get("ArticleNumber")),
            "description": text(row.get("Text")),
            "quantity": decimal(row.get("Quantity")),
            "unitPrice": decimal(row.get("UnitPrice")),
            "discountPercentage": plain(discount * HUNDRED) if discount else None,
        }
    )


# -- target records -> wire bodies -----------------------------------------------------------

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
    date = date_text(record.get("orderDate"))
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
