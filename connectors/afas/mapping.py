"""The default mapping from canonical records to AFAS target records, as data.

For each entity: target field (``models.py`` vocabulary) -> JMESPath expression over the
canonical record's ``to_data()`` (camelCase keys). It covers what integrators expect mapped out of
the box: customer name, billing and shipping street, number, postal code, city and country, SKU,
quantity and price on order lines; product name, SKU, long and short description, price,
quantity, EAN and currency. A spec may replace any expression; ``apply_mapping`` evaluates them
with the ``jmespath`` library (never ``eval``) and does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import jmespath

from reconciler.canonical import CanonicalRecord, Entity
from reconciler.errors import MappingError
from reconciler.mapping.expressions import read

_SHIPPING = (
    "join(' ', [shippingAddress.street, shippingAddress.number, shippingAddress.numberSuffix, "
    "shippingAddress.postalCode, shippingAddress.city, shippingAddress.country][?@ != null])"
)

DEFAULT_MAPPING: Mapping[Entity, Mapping[str, str]] = {
    Entity.customers: {
        "email": "email",
        "companyName": "companyName",
        "firstName": "firstName",
        "namePrefix": "namePrefix",
        "lastName": "lastName",
        "phone": "phone",
        "mobile": "mobile",
        "vatNumber": "vatNumber",
        "cocNumber": "cocNumber",
        "language": "language",
        "currency": "currency",
        "street": "billingAddress.street || shippingAddress.street",
        "houseNumber": "billingAddress.number || shippingAddress.number",
        "houseNumberSuffix": "billingAddress.numberSuffix || shippingAddress.numberSuffix",
        "postalCode": "billingAddress.postalCode || shippingAddress.postalCode",
        "city": "billingAddress.city || shippingAddress.city",
        "country": "billingAddress.country || shippingAddress.country",
        # Added by a flow's settings and tables (reconciler.flows), when it has them:
        "debtorLedgerAccount": "debtorLedgerAccount",
        "paymentCondition": "paymentTerms",
    },
    Entity.products: {
        "sku": "sku",
        "description": "name || shortDescription",
        "extraDescription": "longDescription || shortDescription",
        "salesPrice": "priceExclTax",
        "costPrice": "costPrice",
        "ean": "ean",
        "unit": "unit",
        "group": "group",
        "trackStock": "stockTracked",
        "blocked": "!active",
    },
    Entity.stock: {
        "sku": "sku",
        "warehouse": "warehouse",
        # The flow's stock formula (available - reserved by default) when a flow computed it.
        "quantity": "quantity || available",
    },
    Entity.orders: {
        "reference": "number",
        "orderType": "orderType",
        "debtorId": "debtorId",
        "administration": "administration",
        "warehouse": "warehouse",
        "journal": "journal",
        "customerEmail": "customer.email",
        "orderDate": "date",
        "currency": "currency",
        "pricesIncludeTax": "pricesIncludeTax",
        "paymentMethod": "paymentMethodCode || paymentMethod",
        "paymentCondition": "paymentTerms",
        "remark": "remark",
        "deliveryNote": _SHIPPING,
        "revenueAccount": "revenueAccount",
        "costCenter": "costCenter",
        "costUnit": "costUnit",
        # Items are article lines (VaIt 2), shipping a costs line (VaIt 6, item code from the
        # connection's WriteSettings.shipping_item); discount and text lines are not mapped.
        "lines": (
            "lines[?kind=='item' || kind=='shipping'].{itemType: (kind=='shipping' && '6') || '2', "
            "sku: sku, description: description, quantity: quantity, unitPrice: unitPrice, "
            "discountPercentage: discountPercentage, vatCode: taxCode}"
        ),
    },
}
"""Target field -> JMESPath over the canonical record, per entity."""

NUMERIC = frozenset(
    {"quantity", "unitPrice", "salesPrice", "costPrice", "discountPercentage", "debit", "credit"}
)
"""Fields that hold amounts: canonical data carries them as strings, targets as ``Decimal``."""


def apply_mapping(
    entity: Entity, record: CanonicalRecord, mapping: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The target record for ``record``: each field's expression evaluated, empty ones left out."""
    data = record.to_data()
    rules = DEFAULT_MAPPING[entity] if mapping is None else mapping
    target: dict[str, Any] = {}
    for field, expression in rules.items():
        try:
            value = read(data, expression)
        except jmespath.exceptions.JMESPathError as exc:
            raise MappingError(
                f"the mapping of {entity.value}.{field} ({expression!r}) failed: {exc}",
                hint="fix the JMESPath expression in the flow's mapping",
            ) from exc
        if value is None or value in ("", []):
            continue
        target[field] = _amounts(field, value)
    return target


def _amounts(field: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_amounts(field, item) for item in value]
    if isinstance(value, dict):
        return {k: _amounts(k, v) for k, v in value.items() if v is not None}
    if field in NUMERIC and isinstance(value, str | int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value
