"""MplusKASSA wire payloads and koppel's target-record vocabulary for it.

Data only:

* the wire types: for every complex type koppel sends or reads, the ordered subset of its WSDL
  ``xsd:sequence`` (element names, ``xsd:long``/``xsd:int`` numbers, required elements)
  (``mplusqapi.wsdl``, API v67); the operations built from them are in ``operations.py``;
* the target-record vocabulary (the flat records the connector accepts and returns) is in
  ``vocabulary.py``.

Nothing here does N/O; the codec that reads these descriptors is ``soap.py``.
"""

from __future__ import annotations

from connectors.mpluskassa.soap import Complex, Field, Kind

L, N, B, S = Kind.LONG, Kind.INT, Kind.BOOL, Kind.STR


def required(name: str, kind: Kind | Complex) -> Field:
    return Field(name, kind, required=True)


def repeated(name: str, kind: Kind | Complex) -> Field:
    return Field(name, kind, many=True)


def optional(*names_and_kinds: tuple[str, Kind | Complex]) -> tuple[Field, ...]:
    return tuple(Field(name, kind) for name, kind in names_and_kinds)


# -- shared structures ----------------------------------------------------------------------------
DATE = Complex("SoapMplusDate", (required("day", N), required("mon", N), required("year", N)))
DATETIME = Complex(
    "SoapMplusDateTime",
    (
        *(required(n, N) for n in ("sec", "min", "hour", "day", "mon", "year")),
        required("isdst", B),
        required("timezone", N),
    ),
)
TEXT = Complex("Text", (required("text", S),))
TEXT_LIST = Complex("TextList", (repeated("text", TEXT),))
EMPTY = Complex("(empty)", ())

# -- products and articles ------------------------------------------------------------------------
ARTICLE = Complex(
    "Article",
    optional(
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
    unread=frozenset({"createTimestamp"}),  # a quarter of a product page's elements
)
ARTICLE_LIST = Complex("ArticleList", (repeated("article", ARTICLE),))
PRODUCT = Complex(
    "Product",
    (
        *optional(("productNumber", L), ("syncMarker", L), ("description", S), ("extraText", S)),
        Field("articleList", ARTICLE_LIST),
        repeated("groupNumbers", N),
    ),
)
PRODUCT_LIST = Complex("ProductList", (repeated("product", PRODUCT),))
GET_PRODUCTS_REQUEST = Complex(
    "GetProductsRequest",
    (
        repeated("articleNumbers", L),
        repeated("groupNumbers", N),
        required("pluNumbers", TEXT_LIST),
        *optional(("onlyWebshop", B), ("onlyActive", B), ("syncMarker", L), ("syncMarkerLimit", N)),
        repeated("productNumbers", L),
    ),
)

# -- relations ------------------------------------------------------------------------------------
RELATION = Complex(
    "Relation",
    optional(
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
    unread=frozenset({"createTimestamp"}),
)
RELATION_LIST = Complex("RelationList", (repeated("relation", RELATION),))
GET_RELATIONS_REQUEST = Complex(
    "GetRelationsRequest",
    (
        repeated("relationNumbers", L),
        *optional(("categoryId", N), ("syncMarker", L), ("syncMarkerLimit", N)),
    ),
)

# -- orders ---------------------------------------------------------------------------------------
ADDRESS = Complex(
    "Address",
    optional(
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
        required("quantity", L),
        *optional(
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
        required("articleNumber", L),
        *optional(("pluNumber", S), ("text", S), ("data", LINE_DATA), ("sequenceNumber", N)),
    ),
)
LINE_LIST = Complex("LineList", (repeated("line", LINE),))
PAYMENT = Complex(
    "Payment",
    (
        required("method", S),
        Field("description", S),
        required("amount", L),
        Field("externalPaymentId", S),
    ),
)
PAYMENT_LIST = Complex("PaymentList", (repeated("payment", PAYMENT),))
ORDER = Complex(
    "Order",
    (
        required("orderId", S),
        *optional(
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
ORDER_LIST = Complex("OrderList", (repeated("order", ORDER),))
GET_ORDERS_REQUEST = Complex(
    "GetOrdersRequest",
    (
        *optional(("syncMarker", L), ("syncMarkerLimit", N)),
        repeated("relationNumbers", L),
        repeated("articleNumbers", L),
        required("articlePluNumbers", TEXT_LIST),
        required("articleBarcodes", TEXT_LIST),
        repeated("orderIds", S),
        Field("includeLineList", B),
    ),
)
ORDER_INFO = Complex(
    "CreateOrderInfo", (required("orderId", S), required("orderString", S), Field("orderQueued", B))
)
QUEUE_INFO = Complex("QueueBranchOrderInfo", (required("orderId", S), required("orderString", S)))

# -- stock ----------------------------------------------------------------------------------------
ARTICLE_NUMBER_LIST = Complex("ArticleNumberList", (repeated("articleNumbers", L),))
GET_STOCK_REQUEST = Complex(
    "GetStockRequest",
    (
        required("branchNumber", N),
        required("articleNumbers", ARTICLE_NUMBER_LIST),
        Field("stockId", L),
    ),
)
ARTICLE_STOCK = Complex(
    "ArticleStock",
    (
        Field("branchNumber", N),
        required("articleNumber", L),
        Field("changeTimestamp", DATETIME),
        required("stockId", L),
        required("amountFree", L),
        Field("decimalPlacesFree", N),
        required("amountReserved", L),
        Field("decimalPlacesReserved", N),
        required("amountIncoming", L),
        Field("decimalPlacesIncoming", N),
        required("isDayStockArticle", B),
    ),
)


def _stock_request(name: str, amount: str) -> Complex:
    return Complex(
        name,
        (
            required("branchNumber", N),
            required("articleNumber", L),
            required(amount, L),
            *optional(("decimalPlaces", N), ("employeeNumber", L), ("reference", S)),
        ),
    )


UPDATE_STOCK_REQUEST = _stock_request("UpdateStockRequest", "amountChanged")
SET_STOCK_REQUEST = _stock_request("SetStockRequest", "amount")

# -- master data and service ----------------------------------------------------------------------
VAT_GROUP = Complex(
    "VatGroup",
    (
        *optional(("branchNumber", N), ("countryIso3", S)),
        required("vatCode", N),
        required("vatPercentage", L),
    ),
)
SYNC_MARKERS = Complex(
    "getCurrentSyncMarkersResponse",
    (
        required("articleSyncMarker", L),
        required("relationSyncMarker", L),
        required("employeeSyncMarker", L),
        required("invoiceSyncMarker", L),
        required("receiptSyncMarker", L),
        required("orderSyncMarker", L),
        Field("stockId", L),
    ),
)
API_VERSION = Complex(
    "getApiVersionResponse",
    # inDebugMode is required too; it comes after the optional service fields koppel skips.
    (
        required("majorNumber", N),
        required("minorNumber", N),
        required("revisionNumber", N),
        required("inDebugMode", B),
    ),
)
