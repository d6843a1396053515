"""The default mapping from canonical records to Twinfield target records, as data.

Per entity: target field (``models.py`` vocabulary) -> a JMESPath expression over the canonical
record's ``to_data()`` (camelCase keys). It covers the seed integration's datamapper defaults:
customer name, billing (else shipping) street, number, postal code, city and country; on order
lines the SKU, quantity and price (with each line's tax code from the flow's table). Twinfield
keeps one name per customer: the company name, else the person's name; the person of a company
becomes the address's contact line. A spec may replace any expression.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity

_PERSON = "join(' ', [firstName, namePrefix, lastName][?@ != null])"

DEFAULT_MAPPING: Mapping[Entity, Mapping[str, str]] = {
    Entity.customers: {
        "email": "email",
        "name": f"companyName || {_PERSON}",
        "contact": f"companyName && {_PERSON}",
        "phone": "phone || mobile",
        "vatNumber": "vatNumber",
        "cocNumber": "cocNumber",
        "street": "billingAddress.street || shippingAddress.street",
        "houseNumber": "billingAddress.number || shippingAddress.number",
        "houseNumberSuffix": "billingAddress.numberSuffix || shippingAddress.numberSuffix",
        "postalCode": "billingAddress.postalCode || shippingAddress.postalCode",
        "city": "billingAddress.city || shippingAddress.city",
        "country": "billingAddress.country || shippingAddress.country",
        "classification": "classificationCode",
        # Added by a flow's settings and tables (reconciler.flows), when it has them:
        "vatCode": "taxCode",
        "dueDays": "paymentTerms",
    },
    Entity.orders: {
        "reference": "number",
        "orderType": "orderType",
        "journal": "journal",
        "customer": "debtorId",
        "customerEmail": "customer.email",
        "orderDate": "date",
        "currency": "currency",
        "receivablesAccount": "debtorLedgerAccount",
        "revenueAccount": "revenueAccount",
        "remark": "remark",
        "lines": (
            "lines[?kind=='item' || kind=='shipping'].{sku: sku, description: description, "
            "quantity: quantity, unitPrice: unitPrice, vatCode: taxCode}"
        ),
    },
}
"""Target field -> JMESPath over the canonical record, per entity."""
