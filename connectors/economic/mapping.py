"""The default mapping from canonical records to e-conomic target records, as data.

Per entity: target field (``vocabulary.VOCABULARY``) -> a JMESPath expression over the canonical
record's data (camelCase keys, the paths people write in specs); a spec's ``Mapping`` overrides
or extends these field by field. It covers the seed integration's datamapper defaults: customer
name, billing and delivery street, number, postal code, city and country, SKU, quantity and
price on order lines; product name, SKU, long and short description, price excl. tax, EAN and
currency.

Choices: e-conomic keeps one address line, so street, number and suffix are joined with spaces;
one name, so a company's name is the company and its contact the person (created as the
customer's contact); an order's reference is the source order number (koppel finds the order
again by it); a price incl. tax has no place of its own (``salesPrice`` is excl. VAT).
"""

from __future__ import annotations

from reconciler.canonical import Entity

_PERSON = "join(' ', [{p}firstName, {p}namePrefix, {p}lastName][?@ != null])"
_STREET = "join(' ', [{a}.street, {a}.number, {a}.numberSuffix][?@ != null])"
_BILLING = "(billingAddress || shippingAddress)"

DEFAULT_MAPPING: dict[Entity, dict[str, str]] = {
    Entity.customers: {
        "email": "email",
        "name": f"companyName || {_PERSON.format(p='')}",
        "contact": f"companyName && {_PERSON.format(p='')}",
        "address": _STREET.format(a=_BILLING),
        "zip": f"{_BILLING}.postalCode",
        "city": f"{_BILLING}.city",
        "country": f"{_BILLING}.country",
        "currency": "currency",
        "corporateIdentificationNumber": "cocNumber",
        "vatNumber": "vatNumber",
        "telephoneAndFaxNumber": "phone",
        "mobilePhone": "mobile",
        # Added by a flow's settings (reconciler.flows), when it has them: a number.
        "paymentTerms": "paymentTerms",
    },
    Entity.products: {
        "sku": "sku",
        "name": "name || shortDescription",
        "description": "longDescription || shortDescription",
        "salesPrice": "priceExclTax",
        "costPrice": "costPrice",
        "barCode": "ean",
        "barred": "!active",
        "currency": "currency",
    },
    Entity.orders: {
        "reference": "number",
        "orderType": "orderType",
        "customerNumber": "debtorId",
        "customerEmail": "customer.email",
        "date": "date",
        "currency": "currency",
        "paymentTerms": "paymentTerms",
        "recipientName": (
            f"billingAddress.name || customer.companyName || {_PERSON.format(p='customer.')}"
        ),
        "address": _STREET.format(a="billingAddress"),
        "zip": "billingAddress.postalCode",
        "city": "billingAddress.city",
        "country": "billingAddress.country",
        "deliveryAddress": _STREET.format(a="shippingAddress"),
        "deliveryZip": "shippingAddress.postalCode",
        "deliveryCity": "shippingAddress.city",
        "deliveryCountry": "shippingAddress.country",
        "heading": "reference || number",
        "remark": "remark",
        # Item and shipping-cost lines (the flow gives shipping its SKU); text lines are left out.
        "lines": (
            "lines[?kind=='item' || kind=='shipping'].{sku: sku, description: description, "
            "quantity: quantity, unitNetPrice: unitPrice, discountPercentage: discountPercentage}"
        ),
    },
}
"""Per entity: e-conomic target field -> JMESPath over the canonical record's data."""
