"""The AsPos connector's target-record vocabulary: the fields of the flat records it accepts
(``create``/``update``) and returns (``lookup``) per entity.

Values follow canonical conventions (``Decimal`` money and quantities, ISO country codes, ISO
dates); ``translate.py`` turns them into the wire records of the contract (``contract.py``).
Data only.
"""

from __future__ import annotations

from reconciler.canonical import Entity

ADDRESS_FIELDS = ("street", "houseNumber", "houseNumberSuffix", "postalCode", "city", "country")
"""The fields of a wire address (``billingAddress``/``shippingAddress``)."""

VOCABULARY: dict[Entity, dict[str, str]] = {
    Entity.customers: {
        "email": "natural key (found with ?email=)",
        "customerId": "AsPos's id, assigned on create (read only)",
        "customerNumber": "AsPos's customer number (read only)",
        "companyName": "company name; with one the customer is of type company",
        "firstName": "first name (of the contact person of a company)",
        "lastName": "last name",
        "phone": "phone",
        "mobile": "mobile phone",
        "vatNumber": "VAT number (Steuernummer)",
        "cocNumber": "chamber of commerce number",
        "language": "language code",
        "classification": "customer class",
        "street": "billing street",
        "houseNumber": "billing house number",
        "houseNumberSuffix": "billing house number suffix",
        "postalCode": "billing postal code",
        "city": "billing city",
        "country": "billing country, ISO 3166-1 alpha-2",
        "shippingStreet": "shipping street",
        "shippingHouseNumber": "shipping house number",
        "shippingPostalCode": "shipping postal code",
        "shippingCity": "shipping city",
        "shippingCountry": "shipping country, ISO 3166-1 alpha-2",
        "customFields": "dict of the customer's custom fields",
    },
    Entity.products: {
        "sku": "natural key: the article's SKU",
        "articleId": "AsPos's id (read only)",
        "name": "article name",
        "description": "long description",
        "shortDescription": "short description",
        "ean": "EAN/GTIN barcode",
        "priceExclTax": "sales price excl. tax, Decimal",
        "priceInclTax": "sales price incl. tax, Decimal",
        "taxRate": "tax rate in percent, Decimal",
        "costPrice": "purchase price, Decimal",
        "currency": "price currency",
        "unit": "unit of sale",
        "group": "article group",
        "active": "sellable",
        "stockManaged": "whether AsPos keeps stock for the article",
    },
    Entity.stock: {
        "sku": "natural key: the article's SKU",
        "quantity": "available stock in the connection's store, Decimal, set absolutely",
        "reserved": "reserved stock (read only)",
        "managed": "whether AsPos keeps stock for the article in this store",
    },
    Entity.orders: {
        "reference": "natural key, sent as externalReference (unique per store; idempotency)",
        "number": "AsPos's own order number (read only)",
        "orderId": "AsPos's id (read only)",
        "type": "receipt or order (koppel writes orders)",
        "date": "order date, ISO date",
        "customerId": "the customer's AsPos id (takes precedence over email)",
        "email": "customer e-mail; resolved to customerId with ?email=",
        "channel": "sales channel",
        "status": "open, paid, completed, cancelled",
        "pricesIncludeTax": "line prices include tax",
        "currency": "currency",
        "billingAddress": "dict: name, street, houseNumber, houseNumberSuffix, postalCode, city, "
        "country",
        "shippingAddress": "dict, same fields as billingAddress",
        "lines": "list of dicts: type (article, shipping, discount, text), sku, description, "
        "quantity, unitPrice, taxRate, discountPercentage, discountAmount",
        "shippingMethod": "shipping method code",
        "shippingCosts": "shipping costs, Decimal",
        "paymentMethod": "payment method code",
        "paymentTerms": "payment terms code",
        "payments": "list of dicts: method, amount (Decimal), reference",
        "totalInclTax": "order total incl. tax, Decimal",
        "remark": "remark",
        "customFields": "dict of the order's custom fields",
    },
}
"""Target-record fields per entity: what a mapping may produce and ``lookup`` returns."""

READ_ONLY: dict[Entity, frozenset[str]] = {
    Entity.customers: frozenset({"customerId", "customerNumber"}),
    Entity.products: frozenset({"articleId"}),
    Entity.stock: frozenset({"reserved"}),
    Entity.orders: frozenset({"number", "orderId"}),
}
