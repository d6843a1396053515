"""The default mapping from canonical records to AsPos target records, as data.

Per entity: target field (``vocabulary.VOCABULARY``) -> a JMESPath expression over the canonical
record's ``to_data()`` (camelCase keys, the paths people write in specs). It covers the seed
integration's datamapper defaults: customer name, billing and shipping street, number, postal
code, city and country, SKU, quantity and price on orders; product name, SKU, long and short
description, prices excl. and incl. tax, EAN and currency. A spec's ``Mapping`` overrides or
extends these field by field. Data only: the engine evaluates the expressions.
"""

from __future__ import annotations

from reconciler.canonical import Entity


def _order_address(address: str) -> str:
    return (
        f"{address} && {{name: {address}.name || customer.companyName || "
        "join(' ', [customer.firstName, customer.lastName][?@ != null]), "
        f"street: {address}.street, houseNumber: {address}.number, "
        f"houseNumberSuffix: {address}.numberSuffix, postalCode: {address}.postalCode, "
        f"city: {address}.city, country: {address}.country}}"
    )


DEFAULT_MAPPING: dict[Entity, dict[str, str]] = {
    Entity.customers: {
        "email": "email",
        "companyName": "companyName",
        "firstName": "firstName",
        "lastName": "join(' ', [namePrefix, lastName][?@ != null])",
        "phone": "phone",
        "mobile": "mobile",
        "vatNumber": "vatNumber",
        "cocNumber": "cocNumber",
        "language": "language",
        "classification": "classification",
        "street": "billingAddress.street",
        "houseNumber": "billingAddress.number",
        "houseNumberSuffix": "billingAddress.numberSuffix",
        "postalCode": "billingAddress.postalCode",
        "city": "billingAddress.city",
        "country": "billingAddress.country",
        "shippingStreet": "shippingAddress.street",
        "shippingHouseNumber": "shippingAddress.number",
        "shippingPostalCode": "shippingAddress.postalCode",
        "shippingCity": "shippingAddress.city",
        "shippingCountry": "shippingAddress.country",
    },
    Entity.products: {
        "sku": "sku",
        "name": "name",
        "description": "longDescription",
        "shortDescription": "shortDescription",
        "ean": "ean",
        "priceExclTax": "priceExclTax",
        "priceInclTax": "priceInclTax",
        "taxRate": "taxRate",
        "costPrice": "costPrice",
        "currency": "currency",
        "unit": "unit",
        "group": "group",
        "active": "active",
        "stockManaged": "stockTracked",
    },
    Entity.stock: {
        "sku": "sku",
        # The flow's stock formula (available - reserved by default) when a flow computed it.
        "quantity": "quantity || available",
        "managed": "managed",
    },
    Entity.orders: {
        "reference": "number",
        "date": "date",
        "email": "customer.email",
        "customerId": "debtorId",
        "channel": "channel",
        "status": "status",
        "currency": "currency",
        "pricesIncludeTax": "pricesIncludeTax",
        "billingAddress": _order_address("billingAddress"),
        "shippingAddress": _order_address("shippingAddress"),
        "lines": "lines[?kind != 'text' || description].{type: (kind == 'shipping' && 'shipping')"
        " || (kind == 'discount' && 'discount') || (kind == 'text' && 'text') || 'article', "
        "sku: sku, description: description, quantity: quantity, unitPrice: unitPrice, "
        "taxRate: taxRate, discountPercentage: discountPercentage, "
        "discountAmount: discountAmount}",
        "shippingMethod": "shippingMethodCode || shippingMethod",
        "shippingCosts": "shippingCosts",
        "paymentMethod": "paymentMethodCode || paymentMethod",
        "paymentTerms": "paymentTerms",
        "payments": "payments[].{method: method, amount: amount, reference: reference}",
        "totalInclTax": "totalInclTax",
        "remark": "remark",
    },
}
"""Per entity: AsPos target field -> JMESPath over the canonical record's data."""
