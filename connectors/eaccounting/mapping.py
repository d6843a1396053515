"""The default mapping from canonical records to eAccounting target records, as data.

Per entity: target field (``models.py`` vocabulary) -> a JMESPath expression over the canonical
record's ``to_data()`` (camelCase keys). It covers the seed integration's datamapper defaults:
customer name, billing and shipping street, number, postal code, city and country, SKU,
quantity and price on order lines; product name, SKU, descriptions, prices excl. and incl. tax,
EAN and currency. A spec's ``Mapping`` overrides or extends these field by field.

Choices: eAccounting keeps one address line, so street, number and suffix go on it ("Kerkstraat
33bis"); a company is ``Name`` with its contact in ``ContactPerson*``, a person is a private
customer named by first, prefix and last name; an article's features become its labels
("kleur: rood"); the quantity is the article's stock balance; articles have no currency of
their own, so ``currency`` is only checked against the company's; eAccounting has no
description field on articles beyond ``Name``, so a long description is not mapped; an order's
number is written as ``YourReference``, the key koppel finds it by again. ``map_record``
evaluates a mapping (never ``eval``); pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from reconciler.canonical import Entity
from reconciler.mapping.expressions import read

_PERSON = "join(' ', [{p}firstName, {p}namePrefix, {p}lastName][?@ != null])"
_LINE = (
    "join(' ', [{a}.street, join('', [{a}.number, {a}.numberSuffix][?@ != null])]"
    "[?@ != null && @ != ''])"
)


def _street(*addresses: str) -> str:
    return " || ".join(_LINE.format(a=a) for a in addresses)


DEFAULT_MAPPING: Mapping[Entity, Mapping[str, str]] = {
    Entity.customers: {
        "email": "email",
        "name": f"companyName || {_PERSON.format(p='')}",
        "isPrivatePerson": "!companyName",
        "contactPersonName": f"companyName && {_PERSON.format(p='')}",
        "contactPersonEmail": "companyName && email",
        "phone": "phone",
        "mobile": "mobile",
        "vatNumber": "vatNumber",
        "cocNumber": "cocNumber",
        "street": _street("billingAddress", "shippingAddress"),
        "postalCode": "billingAddress.postalCode || shippingAddress.postalCode",
        "city": "billingAddress.city || shippingAddress.city",
        "country": "billingAddress.country || shippingAddress.country",
        "deliveryName": "billingAddress && shippingAddress.name",
        "deliveryStreet": f"billingAddress && ({_street('shippingAddress')})",
        "deliveryPostalCode": "billingAddress && shippingAddress.postalCode",
        "deliveryCity": "billingAddress && shippingAddress.city",
        "deliveryCountry": "billingAddress && shippingAddress.country",
        "currency": "currency",
        "language": "language",
        # Added by a flow's settings (reconciler.flows), when it has them:
        "paymentTerms": "paymentTerms",
    },
    Entity.products: {
        "sku": "sku",
        "name": "name || shortDescription",
        "nameEnglish": "customFields.nameEnglish",
        "netPrice": "priceExclTax",
        "grossPrice": "priceInclTax",
        "purchasePrice": "costPrice",
        "taxRate": "taxRate",
        "ean": "ean",
        "unit": "unit",
        "active": "active",
        "sellOnline": "customFields.sellOnline",
        "stockTracked": "stockTracked",
        "stockBalance": "quantity",
        "currency": "currency",
        "features": "features",
    },
    Entity.orders: {
        "orderType": "orderType",
        "reference": "number",
        "ourReference": "reference",
        "customerId": "customerId",
        "customerEmail": "customer.email",
        "orderDate": "date",
        "currency": "currency",
        "deliveryName": (
            f"shippingAddress && (shippingAddress.name || customer.companyName || "
            f"{_PERSON.format(p='customer.')})"
        ),
        "deliveryStreet": _street("shippingAddress"),
        "deliveryPostalCode": "shippingAddress.postalCode",
        "deliveryCity": "shippingAddress.city",
        "deliveryCountry": "shippingAddress.country",
        # Items and shipping costs are article rows, text lines text rows; an order-level
        # discount is a line when the flow's discounts mode says so.
        "lines": (
            "lines[?kind=='item' || kind=='shipping' || kind=='text'].{sku: sku, "
            "description: description, quantity: quantity, unitPrice: unitPrice, "
            "discountPercentage: discountPercentage}"
        ),
    },
}
"""Per entity: eAccounting target field -> JMESPath over the canonical record's data."""

DECIMAL_FIELDS = frozenset(
    {
        "netPrice",
        "grossPrice",
        "purchasePrice",
        "taxRate",
        "stockBalance",
        "quantity",
        "unitPrice",
        "discountPercentage",
    }
)
"""Fields (also inside order lines) that hold money, rates or quantities."""


def _clean(value: Any, key: str = "") -> Any:
    """Drop empty results (None, "", empty lists), recursively; amounts become Decimal."""
    if isinstance(value, dict):
        out = {k: c for k, v in value.items() if (c := _clean(v, k)) is not None}
        return out or None
    if isinstance(value, list):
        items = [c for c in (_clean(item) for item in value) if c is not None]
        return items or None
    if value == "":
        return None
    if (
        key in DECIMAL_FIELDS
        and isinstance(value, str | int | float)
        and not isinstance(value, bool)
    ):
        return Decimal(str(value))
    return value


def map_record(
    entity: Entity, data: Mapping[str, Any], mapping: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The target record for one canonical record's ``to_data()`` under ``mapping``."""
    rules = DEFAULT_MAPPING[entity] if mapping is None else mapping
    record = {}
    for field, expression in rules.items():
        value = _clean(read(dict(data), expression), field)
        if value is not None:
            record[field] = value
    return record
