"""MplusKASSA wire payloads and koppel's target-record vocabulary for it.

Two things live here, both data:

* the wire types: for every complex type koppel sends or reads, the ordered subset of its WSDL
  ``xsd:sequence`` (element names, ``xsd:long``/``xsd:int`` numbers, required elements), and the
  table of operations with their request and response elements (``mplusqapi.wsdl``, API v67);
* ``VOCABULARY``: the fields of the flat *target records* the connector accepts and returns per
  entity, in canonical conventions (Decimal money and quantities, ISO country codes). The
  connector converts them to cents and scaled integers on the wire.

Nothing here does N/O; the codec that reads these descriptors is ``soap.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.mpluskassa.soap import Complex, Field, Kind
from reconciler.canonical import Entity

L, N, B, S = Kind.LONG, Kind.INT, Kind.BOOL, Kind.STR


def _req(name: str, kind: Kind | Complex) -> Field:
    return Field(name, kind, required=True)


def _many(name: str, kind: Kind | Complex) -> Field:
    return Field(name, kind, many=True)


def _opt(*names_and_kinds: tuple[str, Kind | Complex]) -> tuple[Field, ...]:
    return tuple(Field(name, kind) for name, kind in names_and_kinds)


# -- shared structures ----------------------------------------------------------------------------
DATE = Complex("SoapMplusDate", (_req("day", N), _req("mon", N), _req("year", N)))
DATETIME = Complex(
    "SoapMplusDateTime",
    (
        *(_req(n, N) for n in ("sec", "min", "hour", "day", "mon", "year")),
        _req("isdst", B),
        _req("timezone", N),
    ),
)
TEXT = Complex("Text", (_req("text", S),))
TEXT_LIST = Complex("TextList", (_many("text", TEXT),))
EMPTY = Complex("(empty)", ())

# -- products and articles ------------------------------------------------------------------------
ARTICLE = Complex(
    "Article",
    _opt(
        ("articleNumber", L),
        ("extArticleId", S),
        ("pluNumber", S),
        ("syncMarker", L),
        ("changeTimestamp", DATETIME),
        ("createTimestamp", DATETIME),
        ("active", B),
        ("description", S),
        ("colour", S),
        ("size", S),
        ("invoiceText", S),
        ("receiptText", S),
        ("displayText", S),
        ("barcode", S),
        ("brandName", S),
        ("extraText", S),
        ("turnoverGroup", N),
        ("vatCode", N),
        ("vatPercentage", N),
        ("purchasePrice", L),
        ("priceIncl", L),
        ("priceExcl", L),
        ("unit", S),
        ("webshop", B),
        ("stockArticle", B),
        ("discontinued", B),
    ),
)
ARTICLE_LIST = Complex("ArticleList", (_many("article", ARTICLE),))
PRODUCT = Complex(
    "Product",
    (
        *_opt(("productNumber", L), ("syncMarker", L), ("description", S), ("extraText", S)),
        Field("articleList", ARTICLE_LIST),
        _many("groupNumbers", N),
    ),
)
PRODUCT_LIST = Complex("ProductList", (_many("product", PRODUCT),))
GET_PRODUCTS_REQUEST = Complex(
    "GetProductsRequest",
    (
        _many("articleNumbers", L),
        _many("groupNumbers", N),
        _req("pluNumbers", TEXT_LIST),
        *_opt(("onlyWebshop", B), ("onlyActive", B), ("syncMarker", L), ("syncMarkerLimit", N)),
        _many("productNumbers", L),
    ),
)

# -- relations ------------------------------------------------------------------------------------
RELATION = Complex(
    "Relation",
    _opt(
        ("relationNumber", L),
        ("extRelationId", S),
        ("syncMarker", L),
        ("createTimestamp", DATETIME),
        ("changeTimestamp", DATETIME),
        ("active", B),
        ("name", S),
        ("address", S),
        ("zipcode", S),
        ("city", S),
        ("country", S),
        ("deliveryAddress", S),
        ("deliveryZipcode", S),
        ("deliveryCity", S),
        ("deliveryCountry", S),
        ("contact", S),
        ("telephone", S),
        ("mobile", S),
        ("email", S),
        ("website", S),
        ("relationCode", S),
        ("vatNumber", S),
        ("commerceNumber", S),
        ("extraText", S),
        ("companyName", S),
    ),
)
RELATION_LIST = Complex("RelationList", (_many("relation", RELATION),))
GET_RELATIONS_REQUEST = Complex(
    "GetRelationsRequest",
    (
        _many("relationNumbers", L),
        *_opt(("categoryId", N), ("syncMarker", L), ("syncMarkerLimit", N)),
    ),
)

# -- orders ---------------------------------------------------------------------------------------
ADDRESS = Complex(
    "Address",
    _opt(
        ("name", S),
        ("contact", S),
        ("address", S),
        ("zipcode", S),
        ("city", S),
        ("country", S),
        ("companyName", S),
    ),
)
LINE_DATA = Complex(
    "LineData",
    (
        _req("quantity", L),
        *_opt(
            ("decimalPlaces", N),
            ("price", L),
            ("priceExcl", L),
            ("turnoverGroup", N),
            ("vatCode", N),
            ("vatPercentage", N),
            ("discountPercentage", N),
            ("discountAmount", L),
            ("totalInclAmount", L),
            ("totalExclAmount", L),
        ),
    ),
)
LINE = Complex(
    "Line",
    (
        Field("lineId", S),
        _req("articleNumber", L),
        *_opt(("pluNumber", S), ("text", S), ("data", LINE_DATA), ("sequenceNumber", N)),
    ),
)
LINE_LIST = Complex("LineList", (_many("line", LINE),))
PAYMENT = Complex(
    "Payment",
    (
        _req("method", S),
        Field("description", S),
        _req("amount", L),
        Field("externalPaymentId", S),
    ),
)
PAYMENT_LIST = Complex("PaymentList", (_many("payment", PAYMENT),))
ORDER = Complex(
    "Order",
    (
        _req("orderId", S),
        *_opt(
            ("extOrderId", S),
            ("syncMarker", L),
            ("orderType", S),
            ("entryBranchNumber", N),
            ("entryTimestamp", DATETIME),
            ("relationNumber", L),
            ("relationName", S),
            ("deliveryAddress", ADDRESS),
            ("invoiceAddress", ADDRESS),
            ("financialDate", DATE),
            ("financialBranchNumber", N),
            ("reference", S),
            ("totalInclAmount", L),
            ("totalExclAmount", L),
            ("vatMethod", S),
            ("deliveryMethod", S),
            ("paymentMethod", S),
            ("prepaidAmount", L),
            ("fullyPaid", B),
            ("deliveryState", S),
            ("cancelState", S),
            ("completeState", S),
            ("lineList", LINE_LIST),
            ("paymentList", PAYMENT_LIST),
        ),
    ),
)
ORDER_LIST = Complex("OrderList", (_many("order", ORDER),))
GET_ORDERS_REQUEST = Complex(
    "GetOrdersRequest",
    (
        *_opt(("syncMarker", L), ("syncMarkerLimit", N)),
        _many("relationNumbers", L),
        _many("articleNumbers", L),
        _req("articlePluNumbers", TEXT_LIST),
        _req("articleBarcodes", TEXT_LIST),
        _many("orderIds", S),
        Field("includeLineList", B),
    ),
)
ORDER_INFO = Complex(
    "CreateOrderInfo", (_req("orderId", S), _req("orderString", S), Field("orderQueued", B))
)
QUEUE_INFO = Complex("QueueBranchOrderInfo", (_req("orderId", S), _req("orderString", S)))

# -- stock ----------------------------------------------------------------------------------------
ARTICLE_NUMBER_LIST = Complex("ArticleNumberList", (_many("articleNumbers", L),))
GET_STOCK_REQUEST = Complex(
    "GetStockRequest",
    (_req("branchNumber", N), _req("articleNumbers", ARTICLE_NUMBER_LIST), Field("stockId", L)),
)
ARTICLE_STOCK = Complex(
    "ArticleStock",
    (
        Field("branchNumber", N),
        _req("articleNumber", L),
        Field("changeTimestamp", DATETIME),
        _req("stockId", L),
        _req("amountFree", L),
        Field("decimalPlacesFree", N),
        _req("amountReserved", L),
        Field("decimalPlacesReserved", N),
        _req("amountIncoming", L),
        Field("decimalPlacesIncoming", N),
        _req("isDayStockArticle", B),
    ),
)


def _stock_request(name: str, amount: str) -> Complex:
    return Complex(
        name,
        (
            _req("branchNumber", N),
            _req("articleNumber", L),
            _req(amount, L),
            *_opt(("decimalPlaces", N), ("employeeNumber", L), ("reference", S)),
        ),
    )


UPDATE_STOCK_REQUEST = _stock_request("UpdateStockRequest", "amountChanged")
SET_STOCK_REQUEST = _stock_request("SetStockRequest", "amount")

# -- master data and service ----------------------------------------------------------------------
VAT_GROUP = Complex(
    "VatGroup",
    (
        *_opt(("branchNumber", N), ("countryIso3", S)),
        _req("vatCode", N),
        _req("vatPercentage", L),
    ),
)
SYNC_MARKERS = Complex(
    "getCurrentSyncMarkersResponse",
    (
        _req("articleSyncMarker", L),
        _req("relationSyncMarker", L),
        _req("employeeSyncMarker", L),
        _req("invoiceSyncMarker", L),
        _req("receiptSyncMarker", L),
        _req("orderSyncMarker", L),
        Field("stockId", L),
    ),
)
API_VERSION = Complex(
    "getApiVersionResponse",
    # inDebugMode is required too; it comes after the optional service fields koppel skips.
    (
        _req("majorNumber", N),
        _req("minorNumber", N),
        _req("revisionNumber", N),
        _req("inDebugMode", B),
    ),
)


def _wrap(name: str, *fields: Field) -> Complex:
    return Complex(name, fields)


def _result(name: str, *extra: Field, message_first: bool = False) -> Complex:
    message = _req("errorMessage", S)
    if message_first:
        return Complex(name, (_req("result", S), message, *extra))
    return Complex(name, (_req("result", S), *extra, message))


@dataclass(frozen=True)
class Operation:
    """One MplusQapi operation: its request element's type, response element and type."""

    name: str
    request: Complex
    response_element: str
    response: Complex


_SYNC = (Field("changeTimestamp", DATETIME), Field("syncMarker", L))

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "getProducts",
            _wrap("getProducts", _req("request", GET_PRODUCTS_REQUEST)),
            "GetProductsResponse",
            _wrap("GetProductsResponse", _req("productList", PRODUCT_LIST)),
        ),
        Operation(
            "createProduct",
            _wrap("createProduct", _req("product", PRODUCT)),
            "CreateProductResponse",
            _result(
                "CreateProductResponse",
                _req("productNumber", L),
                _many("articleNumbers", L),
                *_SYNC,
            ),
        ),
        Operation(
            "updateProduct",
            _wrap("updateProduct", _req("product", PRODUCT)),
            "UpdateProductResponse",
            _result(
                "UpdateProductResponse",
                _many("existingArticleNumbers", L),
                _many("newArticleNumbers", L),
                *_SYNC,
            ),
        ),
        Operation(
            "getRelations",
            _wrap("getRelations", Field("request", GET_RELATIONS_REQUEST)),
            "GetRelationsResponse",
            _wrap("GetRelationsResponse", _req("relationList", RELATION_LIST)),
        ),
        Operation(
            "findRelation",
            _wrap("findRelation", Field("relation", RELATION)),
            "FindRelationResponse",
            _wrap("FindRelationResponse", _req("result", S), Field("relation", RELATION)),
        ),
        Operation(
            "createRelation",
            _wrap("createRelation", Field("relation", RELATION)),
            "CreateRelationResponse",
            _result("CreateRelationResponse", _req("relationNumber", L), *_SYNC),
        ),
        Operation(
            "updateRelation",
            _wrap("updateRelation", Field("relation", RELATION)),
            "UpdateRelationResponse",
            _result("UpdateRelationResponse", *_SYNC, message_first=True),
        ),
        Operation(
            "createOrder",
            _wrap("createOrder", Field("order", ORDER)),
            "CreateOrderResponse",
            _result("CreateOrderResponse", _req("info", ORDER_INFO)),
        ),
        Operation(
            "queueBranchOrder",
            _wrap("queueBranchOrder", Field("order", ORDER)),
            "QueueBranchOrderResponse",
            _result("QueueBranchOrderResponse", _req("info", QUEUE_INFO)),
        ),
        Operation(
            "findOrder",
            _wrap("findOrder", _req("extOrderId", S)),
            "GetOrderResponse",
            _wrap("GetOrderResponse", _req("result", S), Field("order", ORDER)),
        ),
        Operation(
            "getOrders",
            _wrap("getOrders", _req("request", GET_ORDERS_REQUEST)),
            "GetOrdersResponse",
            _wrap("GetOrdersResponse", _req("orderList", ORDER_LIST)),
        ),
        Operation(
            "getStock",
            _wrap("getStock", _req("request", GET_STOCK_REQUEST)),
            "GetStockResponse",
            _wrap("GetStockResponse", _many("articleStocks", ARTICLE_STOCK)),
        ),
        Operation(
            "updateStock",
            _wrap("updateStock", _req("request", UPDATE_STOCK_REQUEST)),
            "UpdateStockResponse",
            _wrap("UpdateStockResponse", _req("result", S), Field("stockId", L)),
        ),
        Operation(
            "setStock",
            _wrap("setStock", _req("request", SET_STOCK_REQUEST)),
            "SetStockResponse",
            _wrap("SetStockResponse", _req("result", S), Field("stockId", L)),
        ),
        Operation("getCurrentSyncMarkers", EMPTY, "getCurrentSyncMarkersResponse", SYNC_MARKERS),
        Operation("getApiVersion", EMPTY, "getApiVersionResponse", API_VERSION),
        Operation(
            "getVatGroupList",
            EMPTY,
            "getVatGroupListResponse",
            _wrap("getVatGroupListResponse", _many("vatGroup", VAT_GROUP)),
        ),
    )
}
"""The operations koppel uses, by SOAPAction name (the WSDL declares 374)."""

READ_OPERATIONS = frozenset(
    {"getProducts", "getRelations", "findRelation", "findOrder", "getOrders", "getStock"}
    | {"getCurrentSyncMarkers", "getApiVersion", "getVatGroupList"}
)
"""Operations without side effects: safe to retry although every SOAP call is a POST."""

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
