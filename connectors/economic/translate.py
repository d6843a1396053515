"""Pure translations between e-conomic's wire objects, canonical records and target records.

e-conomic knows no person/company flag and no first or last name on a customer. koppel's rule,
both ways: a customer with a customer contact (``attention`` or ``customerContact``), a company
registration number or a VAT number is a **company**, whose contact person is that customer
contact; any other customer is a **person**, whose name is split into first name, Dutch name
prefix ("van", "de" ...) and last name. The address is one line (street and number); it is
split on the first house number. The natural key is the e-mail: the first address of
``email`` (which may hold several), else the contact's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.economic.client import addresses
from connectors.economic.models import WireRecord, WriteSettings
from connectors.economic.vocabulary import EU_COUNTRIES, country_code, country_name
from connectors.values import text
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)
from reconciler.errors import RejectedError

TargetRecord = dict[str, Any]

PREFIXES = frozenset(
    {"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "in", "op", "von"}
)
"""Lower-case name particles that start a Dutch (or German) family name."""

_STREET = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+)\s*[-/,]?\s*(?P<suffix>.*?)\s*$")

STATUS = {
    "orders/drafts": OrderStatus.open,
    "orders/sent": OrderStatus.open,
    "orders/archived": OrderStatus.completed,
}


# -- small values --------------------------------------------------------------------------------
def decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    return Decimal(str(value))


def number_of(ref: object, field: str) -> int | None:
    """The number inside a reference object (``{"vatZoneNumber": 2, "self": ...}``)."""
    if isinstance(ref, Mapping) and ref.get(field) is not None:
        return int(ref[field])
    return None


def timestamp(value: object) -> dt.datetime | None:
    """``lastUpdated`` (``2024-01-15T10:00:00Z``) as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def split_street(line: str | None) -> tuple[str | None, str | None, str | None]:
    """``"Stationsstraat 1 A"`` -> street, number, suffix; a line without a number is all street."""
    if not line or not line.strip():
        return None, None, None
    match = _STREET.match(line.strip())
    if match is None:
        return line.strip(), None, None
    street = match["street"].strip().rstrip(",").strip()
    return street or None, match["number"], match["suffix"] or None


def street_line(address: Address | None) -> str | None:
    if address is None:
        return None
    parts = [p for p in (address.street, address.number, address.number_suffix) if p]
    return " ".join(parts) or None


def split_name(name: str | None) -> tuple[str | None, str | None, str | None]:
    """First name, name prefix and last name of a person's full name."""
    words = (name or "").split()
    if not words:
        return None, None, None
    if len(words) == 1:
        return None, None, words[0]
    first, rest = words[0], words[1:]
    prefix: list[str] = []
    while len(rest) > 1 and rest[0].lower() in PREFIXES:
        prefix.append(rest.pop(0))
    return first, " ".join(prefix) or None, " ".join(rest)


def full_name(first: str | None, prefix: str | None, last: str | None) -> str | None:
    return " ".join(p for p in (first, prefix, last) if p) or None


def ref_number(field: str, value: object) -> int:
    """A reference number (customer group, payment terms, VAT zone...) given as text or int;
    e-conomic numbers them, so anything else is refused with the field named."""
    raw = str(value).strip()
    if not raw.isdigit():
        raise RejectedError(
            f"{field} {value!r} is not an e-conomic number",
            system="e-conomic",
            operation="write",
            hint=f"map {field} to a number e-conomic shows (GET /{_COLLECTION.get(field, field)})",
        )
    return int(raw)


_COLLECTION = {
    "customerGroup": "customer-groups",
    "paymentTerms": "payment-terms",
    "vatZone": "vat-zones",
    "layout": "layouts",
    "productGroup": "product-groups",
    "unit": "units",
}


def vat_zone(country: str | None, settings: WriteSettings) -> int:
    """The VAT zone of a country (ISO): domestic, EU, else abroad."""
    code = (country or settings.home_country).upper()
    if code == settings.home_country.upper():
        return settings.domestic_zone
    return settings.eu_zone if code in EU_COUNTRIES else settings.abroad_zone


# -- customers -----------------------------------------------------------------------------------
def contact_number(row: WireRecord) -> int | None:
    """The customer contact that makes a customer a company, if any."""
    return number_of(row.get("attention"), "customerContactNumber") or number_of(
        row.get("customerContact"), "customerContactNumber"
    )


def is_company(row: WireRecord) -> bool:
    return bool(
        contact_number(row)
        or text(row.get("corporateIdentificationNumber"))
        or text(row.get("vatNumber"))
    )


def primary_email(row: WireRecord, contact: WireRecord | None = None) -> str | None:
    found = addresses(row.get("email")) or (addresses(contact.get("email")) if contact else [])
    return found[0] if found else None


def customer_from_wire(row: WireRecord, contact: WireRecord | None = None) -> Customer:
    """A canonical customer from an e-conomic customer and its contact person (companies)."""
    street, number, suffix = split_street(text(row.get("address")))
    billing = Address(
        street=street,
        number=number,
        number_suffix=suffix,
        postal_code=text(row.get("zip")),
        city=text(row.get("city")),
        country=country_code(text(row.get("country"))),
    )
    name = text(row.get("name"))
    if is_company(row):
        person = text(contact.get("name")) if contact else None
        first, prefix, last = split_name(person)
        company: str | None = name
    else:
        first, prefix, last = split_name(name)
        company = None
    group = number_of(row.get("customerGroup"), "customerGroupNumber")
    terms = number_of(row.get("paymentTerms"), "paymentTermsNumber")
    return Customer(
        email=primary_email(row, contact),
        source_id=str(row["customerNumber"]),
        company_name=company,
        first_name=first,
        name_prefix=prefix,
        last_name=last,
        phone=text(row.get("telephoneAndFaxNumber")) or (contact and text(contact.get("phone"))),
        mobile=text(row.get("mobilePhone")),
        vat_number=text(row.get("vatNumber")),
        coc_number=text(row.get("corporateIdentificationNumber")),
        currency=text(row.get("currency")),
        classification=None if group is None else str(group),
        billing_address=billing if billing.model_dump(exclude_none=True) else None,
        custom_fields={"paymentTerms": str(terms)} if terms is not None else {},
        modified_at=timestamp(row.get("lastUpdated")),
    )


CUSTOMER_TEXT = (
    "name",
    "address",
    "zip",
    "city",
    "currency",
    "corporateIdentificationNumber",
    "vatNumber",
    "telephoneAndFaxNumber",
    "mobilePhone",
    "website",
    "ean",
)
CUSTOMER_REFS = {
    "customerGroup": "customerGroupNumber",
    "paymentTerms": "paymentTermsNumber",
    "vatZone": "vatZoneNumber",
    "layout": "layoutNumber",
}


def customer_record(row: WireRecord, contact: WireRecord | None = None) -> TargetRecord:
    """The target record of an e-conomic customer (``vocabulary.VOCABULARY``)."""
    record: TargetRecord = {
        "email": primary_email(row, contact),
        "customerNumber": int(row["customerNumber"]),
    }
    for field in CUSTOMER_TEXT:
        record[field] = text(row.get(field))
    record["country"] = country_code(text(row.get("country")))
    for field, inner in CUSTOMER_REFS.items():
        record[field] = number_of(row.get(field), inner)
    record["barred"] = bool(row.get("barred", False))
    record["contact"] = text(contact.get("name")) if contact else None
    return {k: v for k, v in record.items() if v is not None}


def customer_body(
    record: Mapping[str, Any],
    settings: WriteSettings,
    *,
    base: WireRecord | None = None,
    fields: Sequence[str] | None = None,
) -> WireRecord:
    """A customer POST body, or (``base`` given) the PUT body replacing ``base`` with the named
    ``fields`` of ``record`` changed; e-conomic's PUT replaces the whole customer."""
    body: WireRecord = {} if base is None else _writable(base)
    names = list(record) if fields is None else list(fields)
    for field in names:
        if field in ("email", "contact", "customerNumber") and base is not None:
            continue
        value = record.get(field)
        if field in CUSTOMER_TEXT or field == "email":
            _set(body, field, None if value is None else str(value))
        elif field == "country":
            _set(body, "country", country_name(value))
        elif field in CUSTOMER_REFS:
            _set(
                body,
                field,
                None if value in (None, "") else {CUSTOMER_REFS[field]: ref_number(field, value)},
            )
        elif field == "barred":
            body["barred"] = bool(value)
        elif field == "customerNumber" and value not in (None, ""):
            body["customerNumber"] = int(value)
    if base is not None and "email" in names and record.get("email"):
        # The key: keep e-conomic's other addresses, put the wanted one first.
        others = [a for a in addresses(base.get("email")) if a != str(record["email"]).lower()]
        body["email"] = " ".join([str(record["email"]), *others])
    if base is None:
        body.setdefault("currency", settings.currency)
        body.setdefault("customerGroup", {"customerGroupNumber": settings.customer_group})
        body.setdefault("paymentTerms", {"paymentTermsNumber": settings.payment_terms})
        body.setdefault("vatZone", {"vatZoneNumber": vat_zone(record.get("country"), settings)})
    return body


def _set(body: WireRecord, field: str, value: Any) -> None:
    if value in (None, ""):
        body.pop(field, None)
    else:
        body[field] = value


_READ_ONLY = frozenset(
    {"self", "balance", "dueAmount", "lastUpdated", "contacts", "deliveryLocations", "invoices",
     "templates", "totals", "metaData"}
)  # fmt: skip


def _writable(row: WireRecord) -> WireRecord:
    """An object as read, without its read-only parts, ready to be PUT back."""
    return {k: v for k, v in row.items() if k not in _READ_ONLY}


# -- products ------------------------------------------------------------------------------------
def product_from_wire(row: WireRecord) -> Product:
    group = row.get("productGroup") or {}
    inventory = row.get("inventory") or {}
    unit = row.get("unit") or {}
    group_number = number_of(group, "productGroupNumber")
    return Product(
        sku=str(row["productNumber"]),
        source_id=str(row["productNumber"]),
        name=text(row.get("name")),
        long_description=text(row.get("description")),
        price_excl_tax=decimal(row.get("salesPrice")),
        cost_price=decimal(row.get("costPrice")),
        ean=text(row.get("barCode")),
        unit=text(unit.get("name")) if isinstance(unit, Mapping) else None,
        active=not bool(row.get("barred", False)),
        stock_tracked=group.get("inventoryEnabled") if isinstance(group, Mapping) else None,
        quantity=decimal(inventory.get("available")) if isinstance(inventory, Mapping) else None,
        group=None if group_number is None else str(group_number),
        modified_at=timestamp(row.get("lastUpdated")),
    )


PRODUCT_TEXT = ("name", "description", "barCode")
PRODUCT_MONEY = ("salesPrice", "costPrice", "recommendedPrice")
PRODUCT_REFS = {"productGroup": "productGroupNumber", "unit": "unitNumber"}


def product_record(row: WireRecord) -> TargetRecord:
    record: TargetRecord = {"sku": str(row["productNumber"])}
    for field in PRODUCT_TEXT:
        record[field] = text(row.get(field))
    for field in PRODUCT_MONEY:
        record[field] = decimal(row.get(field))
    for field, inner in PRODUCT_REFS.items():
        record[field] = number_of(row.get(field), inner)
    record["barred"] = bool(row.get("barred", False))
    return {k: v for k, v in record.items() if v is not None}


def product_body(
    record: Mapping[str, Any],
    settings: WriteSettings,
    *,
    base: WireRecord | None = None,
    fields: Sequence[str] | None = None,
) -> WireRecord:
    """A product POST body, or the PUT body replacing ``base`` with ``fields`` changed."""
    body: WireRecord = {} if base is None else _writable(base)
    body.pop("inventory", None)  # read only: the inventory module computes it
    for field in list(record) if fields is None else list(fields):
        value = record.get(field)
        if field in PRODUCT_TEXT:
            _set(body, field, None if value is None else str(value))
        elif field in PRODUCT_MONEY:
            _set(body, field, None if value in (None, "") else float(Decimal(str(value))))
        elif field in PRODUCT_REFS:
            _set(
                body,
                field,
                None if value in (None, "") else {PRODUCT_REFS[field]: ref_number(field, value)},
            )
        elif field == "barred":
            body["barred"] = bool(value)
        elif field == "sku" and base is None:
            body["productNumber"] = str(value)
    if base is None:
        body.setdefault("productGroup", {"productGroupNumber": settings.product_group})
    return body


# -- orders --------------------------------------------------------------------------------------
def _address(obj: object, name: str | None = None) -> Address | None:
    if not isinstance(obj, Mapping):
        return None
    street, number, suffix = split_street(text(obj.get("address")))
    address = Address(
        street=street,
        number=number,
        number_suffix=suffix,
        postal_code=text(obj.get("zip")),
        city=text(obj.get("city")),
        country=country_code(text(obj.get("country"))),
        name=name or text(obj.get("name")),
    )
    return address if address.model_dump(exclude_none=True) else None


def order_from_wire(doc: WireRecord, collection: str, customer: WireRecord | None = None) -> Order:
    """A canonical order from a draft, sent or archived order (with its lines) and its customer."""
    lines = []
    for line in sorted(doc.get("lines") or [], key=lambda x: int(x.get("lineNumber") or 0)):
        product = line.get("product") or {}
        sku = text(product.get("productNumber")) if isinstance(product, Mapping) else None
        lines.append(
            OrderLine(
                kind=LineKind.item if sku else LineKind.text,
                sku=sku,
                description=text(line.get("description")),
                quantity=decimal(line.get("quantity")) or Decimal(1),
                unit_price=decimal(line.get("unitNetPrice")),
                discount_percentage=decimal(line.get("discountPercentage")),
                unit=text((line.get("unit") or {}).get("name")),
            )
        )
    number = number_of(doc.get("customer"), "customerNumber")
    canonical_customer = (
        customer_from_wire(customer)
        if customer is not None
        else (Customer(source_id=str(number)) if number is not None else None)
    )
    notes = doc.get("notes") or {}
    terms = number_of(doc.get("paymentTerms"), "paymentTermsNumber")
    return Order(
        number=str(doc["orderNumber"]),
        source_id=str(doc["orderNumber"]),
        reference=text((doc.get("references") or {}).get("other")),
        date=dt.date.fromisoformat(doc["date"]) if doc.get("date") else None,
        status=STATUS.get(collection, OrderStatus.open),
        currency=text(doc.get("currency")),
        customer=canonical_customer,
        billing_address=_address(doc.get("recipient")),
        shipping_address=_address(doc.get("delivery")),
        lines=lines,
        payment_terms=None if terms is None else str(terms),
        total_excl_tax=decimal(doc.get("netAmount")),
        total_incl_tax=decimal(doc.get("grossAmount")),
        remark=text(notes.get("textLine1")),
    )


def order_record(doc: WireRecord, order_type: str) -> TargetRecord:
    """The target record of a sales document (draft order or invoice, sent, archived, booked)."""
    recipient = doc.get("recipient") or {}
    delivery = doc.get("delivery") or {}
    notes = doc.get("notes") or {}
    number = next(
        (doc[k] for k in ("orderNumber", "draftInvoiceNumber", "bookedInvoiceNumber") if k in doc),
        None,
    )
    record: TargetRecord = {
        "reference": text((doc.get("references") or {}).get("other")),
        "orderType": order_type,
        "number": None if number is None else str(number),
        "customerNumber": number_of(doc.get("customer"), "customerNumber"),
        "date": text(doc.get("date")),
        "currency": text(doc.get("currency")),
        "paymentTerms": number_of(doc.get("paymentTerms"), "paymentTermsNumber"),
        "layout": number_of(doc.get("layout"), "layoutNumber"),
        "recipientName": text(recipient.get("name")),
        "address": text(recipient.get("address")),
        "zip": text(recipient.get("zip")),
        "city": text(recipient.get("city")),
        "country": country_code(text(recipient.get("country"))),
        "vatZone": number_of(recipient.get("vatZone"), "vatZoneNumber"),
        "deliveryAddress": text(delivery.get("address")),
        "deliveryZip": text(delivery.get("zip")),
        "deliveryCity": text(delivery.get("city")),
        "deliveryCountry": country_code(text(delivery.get("country"))),
        "heading": text(notes.get("heading")),
        "remark": text(notes.get("textLine1")),
        "lines": [
            {
                k: v
                for k, v in {
                    "sku": text((line.get("product") or {}).get("productNumber")),
                    "description": text(line.get("description")),
                    "quantity": decimal(line.get("quantity")),
                    "unitNetPrice": decimal(line.get("unitNetPrice")),
                    "discountPercentage": decimal(line.get("discountPercentage")) or None,
                }.items()
                if v is not None
            }
            for line in sorted(doc.get("lines") or [], key=lambda x: int(x.get("lineNumber") or 0))
        ],
    }
    return {k: v for k, v in record.items() if v is not None}


def document_body(
    record: Mapping[str, Any],
    settings: WriteSettings,
    *,
    customer: WireRecord,
    today: dt.date,
) -> WireRecord:
    """A draft order or draft invoice POST body for ``record`` and its e-conomic customer."""
    country = record.get("country") or country_code(text(customer.get("country")))
    zone = record.get("vatZone") or number_of(customer.get("vatZone"), "vatZoneNumber")
    recipient: WireRecord = {
        "name": str(record.get("recipientName") or customer.get("name") or ""),
        "address": record.get("address") or text(customer.get("address")),
        "zip": record.get("zip") or text(customer.get("zip")),
        "city": record.get("city") or text(customer.get("city")),
        "country": country_name(country),
        "vatZone": {"vatZoneNumber": ref_number("vatZone", zone or vat_zone(country, settings))},
    }
    contact = contact_number(customer)
    if contact is not None:
        recipient["attention"] = {"customerContactNumber": contact}
    terms = record.get("paymentTerms") or number_of(
        customer.get("paymentTerms"), "paymentTermsNumber"
    )
    body: WireRecord = {
        "date": str(record.get("date") or today.isoformat()),
        "currency": str(record.get("currency") or customer.get("currency") or settings.currency),
        "customer": {"customerNumber": int(customer["customerNumber"])},
        "paymentTerms": {
            "paymentTermsNumber": ref_number("paymentTerms", terms or settings.payment_terms)
        },
        "layout": {"layoutNumber": ref_number("layout", record.get("layout") or settings.layout)},
        "recipient": {k: v for k, v in recipient.items() if v not in (None, "")},
        "references": {"other": str(record["reference"])},
    }
    delivery = {
        "address": record.get("deliveryAddress"),
        "zip": record.get("deliveryZip"),
        "city": record.get("deliveryCity"),
        "country": country_name(record.get("deliveryCountry")),
    }
    if any(delivery.values()):
        body["delivery"] = {k: v for k, v in delivery.items() if v}
    notes = {"heading": record.get("heading"), "textLine1": record.get("remark")}
    if any(notes.values()):
        body["notes"] = {k: str(v) for k, v in notes.items() if v}
    lines = []
    for index, line in enumerate(record.get("lines") or [], start=1):
        wire: WireRecord = {
            "lineNumber": index,
            "description": str(line.get("description") or line.get("sku") or ""),
            "quantity": float(Decimal(str(line.get("quantity", 1)))),
        }
        if line.get("sku"):
            wire["product"] = {"productNumber": str(line["sku"])}
        if line.get("unitNetPrice") is not None:
            wire["unitNetPrice"] = float(Decimal(str(line["unitNetPrice"])))
        if line.get("discountPercentage"):
            wire["discountPercentage"] = float(Decimal(str(line["discountPercentage"])))
        lines.append(wire)
    body["lines"] = lines
    return body
