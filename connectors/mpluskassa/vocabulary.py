"""The MplusKASSA connector's target-record vocabulary: the fields of the flat records it accepts
(``create``/``update``) and returns (``lookup``) per entity.

Values follow canonical conventions (Decimal money and quantities, ISO country codes, ISO dates);
the connector converts them to cents and scaled integers on the wire. Mappings (``mapping.py``
and the specs' own) produce records in this vocabulary, and spec validation can check field
names against it. Data only.
"""

from __future__ import annotations

from reconciler.canonical import Entity

VOCABULARY: dict[Entity, dict[str, str]] = {
    Entity.products: {
        "sku": "natural key; must be numeric: it becomes the article's articleNumber (xsd:long)",
        "extArticleId": "the source system's own item code (any string, e.g. an ERP SKU A-100)",
        "productNumber": "the product (article group) to add this article to; assigned if absent",
        "productDescription": "the product's description (defaults to description on create)",
        "description": "article description (the name shown on the till)",
        "extraText": "long description",
        "displayText": "short description (customer display)",
        "priceIncl": "sales price incl. VAT, Decimal (cents on the wire)",
        "priceExcl": "sales price excl. VAT, Decimal (cents on the wire)",
        "purchasePrice": "purchase price, Decimal (cents on the wire)",
        "vatCode": "VAT code (int), see getVatGroupList",
        "turnoverGroup": "turnover group (int)",
        "barcode": "EAN/GTIN",
        "unit": "unit of sale",
        "colour": "variant colour",
        "size": "variant size",
        "stockArticle": "whether MplusKASSA keeps stock for the article (managed)",
        "active": "active article",
        "webshop": "shown in the webshop",
        "groupNumbers": "article group numbers (list of int) of the product",
        "quantity": "free stock, Decimal; written with setStock after the article is saved",
        "currency": "checked against the connection's currency (articles carry none)",
    },
    Entity.customers: {
        "email": "natural key (found with findRelation)",
        "relationNumber": "MplusKASSA's number, assigned on create when absent",
        "extRelationId": "the source system's own customer id",
        "name": "company name for a company, else the person's full name",
        "companyName": "company name (a company relation when present)",
        "contact": "contact person of a company",
        "address": "billing street and house number, one line",
        "zipcode": "billing postal code",
        "city": "billing city",
        "country": "billing country, ISO 3166-1 alpha-2",
        "deliveryAddress": "shipping street and house number, one line",
        "deliveryZipcode": "shipping postal code",
        "deliveryCity": "shipping city",
        "deliveryCountry": "shipping country, ISO 3166-1 alpha-2",
        "telephone": "phone",
        "mobile": "mobile phone",
        "vatNumber": "VAT number",
        "commerceNumber": "chamber of commerce number",
        "active": "active relation",
    },
    Entity.stock: {
        "sku": "natural key: the numeric article number",
        "amount": "free stock, Decimal, set absolutely (setStock)",
        "reserved": "reserved stock, Decimal (read only)",
        "managed": "whether stock is kept for the article (the article's stockArticle)",
    },
    Entity.orders: {
        "number": "natural key, sent as extOrderId (MplusKASSA's idempotency handle)",
        "orderId": "MplusKASSA's own id (read only)",
        "reference": "order reference",
        "date": "financial date, ISO date",
        "email": "customer e-mail; resolved to relationNumber with findRelation",
        "relationNumber": "the customer's relation number (takes precedence over email)",
        "invoiceAddress": "dict: name, contact, address, zipcode, city, country, companyName",
        "deliveryAddress": "dict, same fields as invoiceAddress",
        "pricesIncludeTax": "line prices include VAT (vatMethod INCLUSIVE) or not (EXCLUSIVE)",
        "lines": "list of dicts: sku, text, quantity (Decimal), price (Decimal), vatCode, "
        "discountPercentage",
        "payments": "list of dicts: method, amount (Decimal), reference",
        "paymentMethod": "payment method code",
        "deliveryMethod": "shipping method code",
        "totalIncl": "order total incl. VAT, Decimal",
        "paid": "fully paid (read only: derived from the payments)",
    },
}
"""Target-record fields per entity: what a mapping may produce and ``lookup`` returns."""

UPDATABLE_PRODUCT_FIELDS = frozenset(VOCABULARY[Entity.products]) - {"sku", "productNumber"}
"""updateProduct sends the product number and the article identified by its number with only the
fields being updated; elements left out are left alone by MplusKASSA. The article number itself
cannot change (it is the key) and moving an article to another product is not an update."""
