"""The default mapping from canonical records to Visma.net target records, as data.

Per entity: target field (``models.VOCABULARY``) -> a JMESPath expression over the canonical
record's data (camelCase keys, the paths people write in specs), with what the flow's rules
added (``price``, ``taxCode``, ``debtorId``, ``branch``, ``paymentTerms``,
``shippingMethodCode``...). It covers the seed integration's datamapper defaults: customer name,
billing and shipping street, number, postal code, city and country, SKU, quantity and price on
order lines; product name, SKU, long and short description, price excl. or incl. tax (the flow's
``pricesIncludeTax`` picks ``price``), EAN/GTIN and currency. A spec's ``Mapping`` overrides or
extends these field by field; the engine evaluates them (``reconciler.mapping``), never eval.

Choices: Visma.net keeps one street line, so street, number and suffix are joined; one customer
name, so a company's name is the company and its main contact the person; a sales order's number
is koppel's reference (the source order number), since Visma.net finds a sales order only by its
number; ``customerRefNo`` carries the source's own reference.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity

_PERSON = "join(' ', [firstName, namePrefix, lastName][?@ != null])"
_STREET = "join(' ', [{a}.street, {a}.number, {a}.numberSuffix][?@ != null])"

DEFAULT_MAPPING: Mapping[Entity, Mapping[str, str]] = {
    Entity.customers: {
        "email": "email",
        "name": f"companyName || {_PERSON}",
        "contactName": f"companyName && {_PERSON}",
        "phone": "phone || mobile",
        "addressLine1": _STREET.format(a="billingAddress"),
        "postalCode": "billingAddress.postalCode",
        "city": "billingAddress.city",
        "country": "billingAddress.country",
        "deliveryAddressLine1": _STREET.format(a="shippingAddress"),
        "deliveryPostalCode": "shippingAddress.postalCode",
        "deliveryCity": "shippingAddress.city",
        "deliveryCountry": "shippingAddress.country",
        "vatRegistrationId": "vatNumber",
        "corporateId": "cocNumber",
        "currencyId": "currency",
        "customerClassId": "classificationCode || classification",
        "creditTermsId": "paymentTerms",
    },
    Entity.products: {
        "inventoryNumber": "sku",
        "description": "name || shortDescription",
        "longDescription": "longDescription || shortDescription",
        "defaultPrice": "price || priceExclTax",
        "vatCode": "taxCode",
        "itemClass": "group",
        "baseUnit": "unit",
        "ean": "ean",
        "currency": "currency",
        "status": "(active && 'Active') || 'Inactive'",
    },
    Entity.stock: {
        "inventoryNumber": "sku",
        "warehouse": "warehouse",
        # The flow's stock formula (available - reserved by default) when a flow computed it.
        "quantity": "quantity || available",
    },
    Entity.orders: {
        "orderType": "(orderType == 'invoice' && 'IN') || 'SO'",
        "orderNumber": "number",
        "customerRefNo": "reference || number",
        "customer": "debtorId",
        "customerEmail": "customer.email",
        "date": "date",
        "currency": "currency",
        "description": "remark",
        "branchNumber": "branch",
        "terms": "paymentTerms",
        "shipVia": "shippingMethodCode || shippingMethod",
        # Item, shipping and discount lines with a SKU; each SKU must be an inventory item.
        "lines": (
            "lines[?sku && kind != 'text'].{inventoryNumber: sku, quantity: quantity, "
            "unitPrice: unitPrice, lineDescription: description, taxCategory: taxCode, "
            "discountPercent: discountPercentage, discountAmount: discountAmount, uom: unit}"
        ),
    },
}
"""Per entity: Visma.net target field -> JMESPath over the canonical record's data."""
