"""Pure translation of eAccounting objects into canonical records and target records.

Two directions, no I/O:

* wire objects -> canonical records (eAccounting as a *source*): customers (a company with its
  contact person, or a private person), articles (features and free fields), orders (status from
  the order and, once invoiced, from its invoice's remaining amount);
* wire objects -> target records (``lookup``: what eAccounting has, in ``models.py`` terms).

Target records -> request bodies is ``bodies.py``. Master data the translations need (units,
codings, labels by id) comes as a ``values.MasterData`` snapshot the connector loaded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from connectors.eaccounting.models import OrderStatus, WireRecord
from connectors.eaccounting.values import (
    HUNDRED,
    MasterData,
    compact,
    features_from_labels,
    plain,
    split_name,
    split_street,
)
from connectors.values import decimal, iso_date, text, utc_datetime
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    Product,
)
from reconciler.canonical import OrderStatus as Status

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
        modified_at=utc_datetime(wire.get("ChangedUtc")),
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
        modified_at=utc_datetime(wire.get("ChangedUtc")),
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
        modified_at=utc_datetime(wire.get("ModifiedUtc")),
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
            "orderDate": iso_date(date),
            "deliveryDate": iso_date(wire.get("DeliveryDate")),
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
