"""The default mapping from canonical records to MplusKASSA target records, as data.

Per entity: target field (``vocabulary.VOCABULARY``) -> a JMESPath expression over the canonical
record's ``to_data()`` dict (camelCase keys, the paths people write in specs). It covers the seed
integration's datamapper defaults: customer name, billing and shipping street, number, postal
code, city and country, SKU, quantity and price on orders; product name, SKU, long and short
description, price excl. and incl. tax, quantity, EAN/GTIN and currency. A spec's ``Mapping``
overrides or extends these field by field.

``map_record`` applies a mapping: expressions are compiled once with the ``jmespath`` library
(never eval), empty results are left out, and money and quantities come back as ``Decimal``
(``to_data()`` renders them as strings). Pure: no I/O.

Choices: MplusKASSA keeps one address line, so street, number and suffix are joined with spaces;
one name, so a company's name is the company and its contact the person; a stock amount is the
canonical ``available`` (a flow's stock formula, e.g. minus reservations, is applied before).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from reconciler.canonical import Entity
from reconciler.mapping.expressions import read

_PERSON = "join(' ', [{p}firstName, {p}namePrefix, {p}lastName][?@ != null])"
_STREET = "join(' ', [{a}.street, {a}.number, {a}.numberSuffix][?@ != null])"


def _order_address(address: str) -> str:
    return (
        f"{address} && {{name: customer.companyName || {_PERSON.format(p='customer.')}, "
        f"contact: customer.companyName && {_PERSON.format(p='customer.')}, "
        f"address: {_STREET.format(a=address)}, zipcode: {address}.postalCode, "
        f"city: {address}.city, country: {address}.country, companyName: customer.companyName}}"
    )


DEFAULT_MAPPING: dict[Entity, dict[str, str]] = {
    Entity.products: {
        "sku": "sku",
        "extArticleId": "sourceId",
        "description": "name",
        "extraText": "longDescription",
        "displayText": "shortDescription",
        "priceExcl": "priceExclTax",
        "priceIncl": "priceInclTax",
        "purchasePrice": "costPrice",
        "barcode": "ean",
        "unit": "unit",
        "colour": "attributes.colour",
        "size": "attributes.size",
        "active": "active",
        "stockArticle": "stockTracked",
        "quantity": "quantity",
        "currency": "currency",
    },
    Entity.customers: {
        "email": "email",
        "extRelationId": "sourceId",
        "name": f"companyName || {_PERSON.format(p='')}",
        "companyName": "companyName",
        "contact": f"companyName && {_PERSON.format(p='')}",
        "address": _STREET.format(a="billingAddress"),
        "zipcode": "billingAddress.postalCode",
        "city": "billingAddress.city",
        "country": "billingAddress.country",
        "deliveryAddress": _STREET.format(a="shippingAddress"),
        "deliveryZipcode": "shippingAddress.postalCode",
        "deliveryCity": "shippingAddress.city",
        "deliveryCountry": "shippingAddress.country",
        "telephone": "phone",
        "mobile": "mobile",
        "vatNumber": "vatNumber",
        "commerceNumber": "cocNumber",
    },
    Entity.stock: {
        "sku": "sku",
        # The flow's stock formula (available - reserved by default) when a flow computed it.
        "amount": "quantity || available",
        "managed": "managed",
    },
    Entity.orders: {
        "number": "number",
        "reference": "reference",
        "date": "date",
        "email": "customer.email",
        "invoiceAddress": _order_address("billingAddress"),
        "deliveryAddress": _order_address("shippingAddress"),
        "pricesIncludeTax": "pricesIncludeTax",
        # Shipping and discount lines carry the till's own (numeric) article numbers from the
        # flow's settings; validation checks them against MplusKASSA's key rule.
        "lines": "lines[?kind != 'text' && sku].{sku: sku, text: description, quantity: quantity, "
        "price: unitPrice, discountPercentage: discountPercentage}",
        "payments": "payments[].{method: method, amount: amount, reference: reference}",
        "paymentMethod": "paymentMethodCode || paymentMethod",
        "deliveryMethod": "shippingMethodCode || shippingMethod",
        "relationNumber": "debtorId",
        "totalIncl": "totalInclTax",
    },
}
"""Per entity: MplusKASSA target field -> JMESPath over the canonical record's data."""

DECIMAL_FIELDS = frozenset(
    {"priceIncl", "priceExcl", "purchasePrice", "quantity", "amount", "totalIncl", "price"}
)
"""Fields (also inside order lines and payments) that hold money or quantities."""


def _clean(value: Any) -> Any:
    """Drop empty results (None, ""), recursively; turn money and quantities into Decimal."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = _clean(item)
            if cleaned is None:
                continue
            out[key] = Decimal(str(cleaned)) if key in DECIMAL_FIELDS else cleaned
        return out or None
    if isinstance(value, list):
        return [c for c in (_clean(item) for item in value) if c is not None]
    if value == "":
        return None
    return value


def map_record(
    entity: Entity, data: Mapping[str, Any], mapping: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The target record for one canonical record's ``to_data()`` under ``mapping``."""
    rules = DEFAULT_MAPPING[entity] if mapping is None else mapping
    raw = {field: read(dict(data), expression) for field, expression in rules.items()}
    record = _clean(raw)
    return dict(record) if isinstance(record, dict) else {}
