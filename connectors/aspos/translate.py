"""Pure translation between AsPos wire records (in koppel's contract names, ``contract.py``),
koppel's canonical records and the connector's target records (``vocabulary.py``).

Units on the wire: money, quantities and rates are JSON numbers (read as ``Decimal``), dates are
ISO dates, times ISO 8601 with an offset, countries ISO 3166-1 alpha-2. A customer is of type
``company`` when it has a company name (its first and last name are its contact), else
``person``. An order's ``lines`` carry a ``type``: ``article``, ``shipping``, ``discount`` or
``text``. No I/O happens here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from connectors.aspos.vocabulary import ADDRESS_FIELDS
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    StockLevel,
)

WireRecord = dict[str, Any]
TargetRecord = dict[str, Any]

STATUSES: Mapping[str, OrderStatus] = {
    "open": OrderStatus.open,
    "unpaid": OrderStatus.unpaid,
    "partiallyPaid": OrderStatus.partially_paid,
    "paid": OrderStatus.paid,
    "shipped": OrderStatus.shipped,
    "completed": OrderStatus.completed,
    "cancelled": OrderStatus.cancelled,
}
"""AsPos order status -> canonical (the contract uses the canonical words)."""

LINE_TYPES: Mapping[str, LineKind] = {
    "article": LineKind.item,
    "shipping": LineKind.shipping,
    "discount": LineKind.discount,
    "text": LineKind.text,
}
WIRE_LINE_TYPES: Mapping[LineKind, str] = {kind: name for name, kind in LINE_TYPES.items()}
_SHIPPING_PREFIX = "shipping"


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v not in ("", {})}


def decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def wire_time(value: dt.datetime) -> str:
    """An ISO 8601 UTC time as the contract writes it (``2026-12-01T10:00:00Z``)."""
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _country(value: Any) -> str | None:
    return str(value).strip().upper() if value else None


# -- addresses --------------------------------------------------------------------------------
def address_to_canonical(address: Mapping[str, Any] | None) -> Address | None:
    if not address:
        return None
    return Address(
        street=address.get("street"),
        number=_text(address.get("houseNumber")),
        number_suffix=address.get("houseNumberSuffix"),
        postal_code=address.get("postalCode"),
        city=address.get("city"),
        country=_country(address.get("country")),
        name=address.get("name"),
    )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _flat_address(address: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    address = address or {}
    out = {}
    for name in ADDRESS_FIELDS:
        if prefix and name == "houseNumberSuffix":
            continue
        key = prefix + name[0].upper() + name[1:] if prefix else name
        value = address.get(name)
        out[key] = _country(value) if name == "country" else _text(value)
    return out


def _wire_address(record: Mapping[str, Any], prefix: str = "") -> WireRecord | None:
    out = {}
    for name in ADDRESS_FIELDS:
        key = prefix + name[0].upper() + name[1:] if prefix else name
        if key in record and record[key] not in (None, ""):
            value = record[key]
            out[name] = _country(value) if name == "country" else str(value)
    return out or None


def _address_dict(value: Mapping[str, Any] | None) -> WireRecord | None:
    """An order target record's address dict as a wire address (same field names)."""
    if not value:
        return None
    out = {k: value.get(k) for k in ("name", *ADDRESS_FIELDS)}
    if out.get("country"):
        out["country"] = _country(out["country"])
    if out.get("houseNumber") is not None:
        out["houseNumber"] = str(out["houseNumber"])
    return compact(out) or None


# -- customers --------------------------------------------------------------------------------
def customer_to_canonical(wire: Mapping[str, Any]) -> Customer:
    return Customer(
        email=wire.get("email"),
        source_id=_text(wire.get("id")),
        company_name=wire.get("companyName") if wire.get("type") != "person" else None,
        first_name=wire.get("firstName"),
        last_name=wire.get("lastName"),
        phone=wire.get("phone"),
        mobile=wire.get("mobile"),
        vat_number=wire.get("vatNumber"),
        coc_number=wire.get("cocNumber"),
        language=wire.get("language"),
        classification=wire.get("classification"),
        billing_address=address_to_canonical(wire.get("billingAddress")),
        shipping_address=address_to_canonical(wire.get("shippingAddress")),
        custom_fields=dict(wire.get("customFields") or {}),
        modified_at=parse_time(wire.get("modifiedAt")),
    )


_CUSTOMER_PLAIN = (
    "email",
    "companyName",
    "firstName",
    "lastName",
    "phone",
    "mobile",
    "vatNumber",
    "cocNumber",
    "language",
    "classification",
)


def customer_to_target(wire: Mapping[str, Any]) -> TargetRecord:
    record: TargetRecord = {name: wire.get(name) for name in _CUSTOMER_PLAIN}
    record["customerId"] = _text(wire.get("id"))
    record["customerNumber"] = _text(wire.get("number"))
    record.update(_flat_address(wire.get("billingAddress")))
    record.update(_flat_address(wire.get("shippingAddress"), _SHIPPING_PREFIX))
    record["customFields"] = dict(wire.get("customFields") or {}) or None
    return compact(record)


def target_to_customer(
    record: Mapping[str, Any], fields: Iterable[str] | None = None
) -> WireRecord:
    """The wire customer for a create (all fields) or an update (only ``fields``)."""
    wanted = set(record) if fields is None else set(fields)
    wire: WireRecord = {n: record.get(n) for n in _CUSTOMER_PLAIN if n in wanted}
    if fields is None or "companyName" in wanted:
        wire["type"] = "company" if str(record.get("companyName") or "").strip() else "person"
    subset = {k: v for k, v in record.items() if k in wanted}
    billing = _wire_address(subset)
    shipping = _wire_address(subset, _SHIPPING_PREFIX)
    if billing:
        wire["billingAddress"] = billing
    if shipping:
        wire["shippingAddress"] = shipping
    if "customFields" in wanted and record.get("customFields") is not None:
        wire["customFields"] = {str(k): v for k, v in dict(record["customFields"]).items()}
    if wire.get("email"):
        wire["email"] = str(wire["email"]).strip().lower()
    return {k: v for k, v in wire.items() if v is not None}


# -- articles ---------------------------------------------------------------------------------
_ARTICLE_TEXT = ("sku", "name", "description", "shortDescription", "ean", "currency", "unit")
_ARTICLE_MONEY = ("priceExclTax", "priceInclTax", "taxRate", "costPrice")
_ARTICLE_FLAGS = ("active", "stockManaged")


def article_to_canonical(wire: Mapping[str, Any]) -> Product:
    return Product(
        sku=str(wire["sku"]),
        source_id=_text(wire.get("id")),
        name=wire.get("name"),
        short_description=wire.get("shortDescription"),
        long_description=wire.get("description"),
        price_excl_tax=decimal(wire.get("priceExclTax")),
        price_incl_tax=decimal(wire.get("priceInclTax")),
        tax_rate=decimal(wire.get("taxRate")),
        cost_price=decimal(wire.get("costPrice")),
        currency=wire.get("currency"),
        ean=wire.get("ean"),
        unit=wire.get("unit"),
        active=bool(wire.get("active", True)),
        stock_tracked=wire.get("stockManaged"),
        group=_text(wire.get("group")),
        modified_at=parse_time(wire.get("modifiedAt")),
    )


def article_to_target(wire: Mapping[str, Any]) -> TargetRecord:
    record: TargetRecord = {name: wire.get(name) for name in _ARTICLE_TEXT}
    record.update({name: decimal(wire.get(name)) for name in _ARTICLE_MONEY})
    record.update({name: wire.get(name) for name in _ARTICLE_FLAGS})
    record["group"] = _text(wire.get("group"))
    record["articleId"] = _text(wire.get("id"))
    return compact(record)


def target_to_article(record: Mapping[str, Any], fields: Iterable[str] | None = None) -> WireRecord:
    wanted = set(record) if fields is None else set(fields)
    wire: WireRecord = {}
    for name in (*_ARTICLE_TEXT, "group", *_ARTICLE_FLAGS):
        if name in wanted and record.get(name) is not None:
            value = record[name]
            wire[name] = value if isinstance(value, bool) else str(value)
    for name in _ARTICLE_MONEY:
        if name in wanted and record.get(name) is not None:
            wire[name] = Decimal(str(record[name]))
    return wire


# -- stock ------------------------------------------------------------------------------------
def stock_to_canonical(wire: Mapping[str, Any]) -> StockLevel:
    return StockLevel(
        sku=str(wire["sku"]),
        available=decimal(wire.get("available")) or Decimal(0),
        reserved=decimal(wire.get("reserved")) or Decimal(0),
        managed=wire.get("managed"),
        modified_at=parse_time(wire.get("modifiedAt")),
    )


def stock_to_target(wire: Mapping[str, Any]) -> TargetRecord:
    return compact(
        {
            "sku": str(wire["sku"]),
            "quantity": decimal(wire.get("available")) or Decimal(0),
            "reserved": decimal(wire.get("reserved")),
            "managed": wire.get("managed"),
        }
    )


def target_to_stock(record: Mapping[str, Any], fields: Iterable[str]) -> WireRecord:
    wanted = set(fields)
    wire: WireRecord = {}
    if "quantity" in wanted and record.get("quantity") is not None:
        wire["available"] = Decimal(str(record["quantity"]))
    if "managed" in wanted and record.get("managed") is not None:
        wire["managed"] = bool(record["managed"])
    return wire


# -- orders -----------------------------------------------------------------------------------
def order_status(wire: Mapping[str, Any]) -> OrderStatus:
    return STATUSES.get(str(wire.get("status") or "open"), OrderStatus.open)


def order_to_canonical(wire: Mapping[str, Any], customer: Customer | None = None) -> Order:
    """A wire order as a canonical Order; ``customer`` is its customer when the caller fetched
    it (orders carry only ``customerId``)."""
    customer_id = _text(wire.get("customerId"))
    if customer is None and customer_id:
        customer = Customer(source_id=customer_id)
    status = order_status(wire)
    payments = [
        Payment(
            method=str(p["method"]),
            amount=decimal(p.get("amount")) or Decimal(0),
            reference=p.get("reference"),
        )
        for p in wire.get("payments") or []
    ]
    total = decimal(wire.get("totalInclTax"))
    paid_amount = sum((p.amount for p in payments), Decimal(0))
    paid = status in (OrderStatus.paid, OrderStatus.completed) or (
        total is not None and total > 0 and paid_amount >= total
    )
    billing = address_to_canonical(wire.get("billingAddress"))
    shipping = address_to_canonical(wire.get("shippingAddress"))
    if billing is None and shipping is None and wire.get("country"):
        # A till receipt without a customer address is taxed in the country of sale.
        billing = Address(country=_country(wire["country"]))
    custom = dict(wire.get("customFields") or {})
    if wire.get("cashier"):
        custom.setdefault("cashier", wire["cashier"])
    return Order(
        number=str(wire.get("number") or wire["id"]),
        source_id=_text(wire.get("id")),
        reference=wire.get("externalReference"),
        date=dt.date.fromisoformat(str(wire["date"])[:10]) if wire.get("date") else None,
        status=status,
        paid=paid,
        channel=wire.get("channel"),
        branch=_text(wire.get("store")),
        currency=wire.get("currency"),
        prices_include_tax=bool(wire.get("pricesIncludeTax", True)),
        customer=customer,
        billing_address=billing,
        shipping_address=shipping,
        lines=[_line_to_canonical(line) for line in wire.get("lines") or []],
        shipping_method=wire.get("shippingMethod"),
        shipping_costs=decimal(wire.get("shippingCosts")),
        payment_method=wire.get("paymentMethod") or (payments[0].method if payments else None),
        payment_terms=wire.get("paymentTerms"),
        payments=payments,
        discount_amount=decimal(wire.get("discountAmount")),
        total_incl_tax=total,
        total_excl_tax=decimal(wire.get("totalExclTax")),
        remark=wire.get("remark"),
        custom_fields=custom,
        modified_at=parse_time(wire.get("modifiedAt")),
    )


def _line_to_canonical(line: Mapping[str, Any]) -> OrderLine:
    return OrderLine(
        kind=LINE_TYPES.get(str(line.get("type") or "article"), LineKind.item),
        sku=_text(line.get("sku")),
        description=line.get("description"),
        quantity=decimal(line.get("quantity")) or Decimal(1),
        unit_price=decimal(line.get("unitPrice")),
        tax_rate=decimal(line.get("taxRate")),
        discount_amount=decimal(line.get("discountAmount")),
        discount_percentage=decimal(line.get("discountPercentage")),
        unit=line.get("unit"),
    )


_ORDER_PLAIN = (
    "type",
    "date",
    "channel",
    "status",
    "currency",
    "shippingMethod",
    "paymentMethod",
    "paymentTerms",
    "remark",
)
_LINE_FIELDS = ("type", "sku", "description")
_LINE_NUMBERS = ("quantity", "unitPrice", "taxRate", "discountPercentage", "discountAmount")


def order_to_target(wire: Mapping[str, Any]) -> TargetRecord:
    """A wire order in the order vocabulary (what ``lookup`` returns)."""
    record: TargetRecord = {name: wire.get(name) for name in _ORDER_PLAIN}
    record.update(
        {
            "reference": wire.get("externalReference"),
            "number": _text(wire.get("number")),
            "orderId": _text(wire.get("id")),
            "customerId": _text(wire.get("customerId")),
            "pricesIncludeTax": wire.get("pricesIncludeTax"),
            "billingAddress": _address_dict(wire.get("billingAddress")),
            "shippingAddress": _address_dict(wire.get("shippingAddress")),
            "lines": [_line_record(line) for line in wire.get("lines") or []],
            "payments": [
                compact(
                    {
                        "method": p.get("method"),
                        "amount": decimal(p.get("amount")),
                        "reference": p.get("reference"),
                    }
                )
                for p in wire.get("payments") or []
            ],
            "shippingCosts": decimal(wire.get("shippingCosts")),
            "totalInclTax": decimal(wire.get("totalInclTax")),
            "customFields": dict(wire.get("customFields") or {}) or None,
        }
    )
    return compact({k: v for k, v in record.items() if v != []})


def _line_record(line: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {name: _text(line.get(name)) for name in _LINE_FIELDS}
    record.update({name: decimal(line.get(name)) for name in _LINE_NUMBERS})
    return compact(record)


def target_to_order(
    record: Mapping[str, Any], *, customer_id: str | None, store: str | None
) -> WireRecord:
    """The wire order for ``POST orders`` (AsPos assigns ``id`` and ``number``)."""
    lines: list[WireRecord] = []
    for index, line in enumerate(record.get("lines") or [], start=1):
        wire_line: WireRecord = {"lineNo": index}
        for name in _LINE_FIELDS:
            if line.get(name) not in (None, ""):
                wire_line[name] = str(line[name])
        wire_line.setdefault("type", "article")
        for name in _LINE_NUMBERS:
            if line.get(name) is not None:
                wire_line[name] = Decimal(str(line[name]))
        wire_line.setdefault("quantity", Decimal(1))
        lines.append(wire_line)
    payments = [
        compact(
            {
                "method": str(p["method"]),
                "amount": Decimal(str(p["amount"])),
                "reference": p.get("reference"),
            }
        )
        for p in record.get("payments") or []
        if p.get("method") is not None and p.get("amount") is not None
    ]
    wire: WireRecord = {name: record.get(name) for name in _ORDER_PLAIN}
    wire.update(
        {
            "type": record.get("type") or "order",
            "externalReference": str(record["reference"]),
            "store": store,
            "customerId": customer_id,
            "pricesIncludeTax": bool(record.get("pricesIncludeTax", True)),
            "billingAddress": _address_dict(record.get("billingAddress")),
            "shippingAddress": _address_dict(record.get("shippingAddress")),
            "lines": lines,
            "payments": payments or None,
            "shippingCosts": decimal(record.get("shippingCosts")),
            "totalInclTax": decimal(record.get("totalInclTax")),
            "customFields": dict(record.get("customFields") or {}) or None,
        }
    )
    if wire.get("date") is not None:
        wire["date"] = str(wire["date"])[:10]
    return compact(wire)
