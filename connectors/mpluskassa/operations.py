"""The MplusQapi operations koppel uses: for each, the request element's type and the response
element's name and type (the WSDL's input and output messages, ``mplusqapi.wsdl`` API v67).

Client and sandbox both dispatch on this table, so an operation is added in one place. Data only.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.mpluskassa.models import (
    API_VERSION,
    ARTICLE_STOCK,
    DATETIME,
    EMPTY,
    GET_ORDERS_REQUEST,
    GET_PRODUCTS_REQUEST,
    GET_RELATIONS_REQUEST,
    GET_STOCK_REQUEST,
    ORDER,
    ORDER_INFO,
    ORDER_LIST,
    PRODUCT,
    PRODUCT_LIST,
    QUEUE_INFO,
    RELATION,
    RELATION_LIST,
    SET_STOCK_REQUEST,
    SYNC_MARKERS,
    UPDATE_STOCK_REQUEST,
    VAT_GROUP,
    L,
    S,
    repeated,
    required,
)
from connectors.mpluskassa.soap import Complex, Field


def _wrap(name: str, *fields: Field) -> Complex:
    return Complex(name, fields)


def _result(name: str, *extra: Field, message_first: bool = False) -> Complex:
    message = required("errorMessage", S)
    if message_first:
        return Complex(name, (required("result", S), message, *extra))
    return Complex(name, (required("result", S), *extra, message))


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
            _wrap("getProducts", required("request", GET_PRODUCTS_REQUEST)),
            "GetProductsResponse",
            _wrap("GetProductsResponse", required("productList", PRODUCT_LIST)),
        ),
        Operation(
            "createProduct",
            _wrap("createProduct", required("product", PRODUCT)),
            "CreateProductResponse",
            _result(
                "CreateProductResponse",
                required("productNumber", L),
                repeated("articleNumbers", L),
                *_SYNC,
            ),
        ),
        Operation(
            "updateProduct",
            _wrap("updateProduct", required("product", PRODUCT)),
            "UpdateProductResponse",
            _result(
                "UpdateProductResponse",
                repeated("existingArticleNumbers", L),
                repeated("newArticleNumbers", L),
                *_SYNC,
            ),
        ),
        Operation(
            "getRelations",
            _wrap("getRelations", Field("request", GET_RELATIONS_REQUEST)),
            "GetRelationsResponse",
            _wrap("GetRelationsResponse", required("relationList", RELATION_LIST)),
        ),
        Operation(
            "findRelation",
            _wrap("findRelation", Field("relation", RELATION)),
            "FindRelationResponse",
            _wrap("FindRelationResponse", required("result", S), Field("relation", RELATION)),
        ),
        Operation(
            "createRelation",
            _wrap("createRelation", Field("relation", RELATION)),
            "CreateRelationResponse",
            _result("CreateRelationResponse", required("relationNumber", L), *_SYNC),
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
            _result("CreateOrderResponse", required("info", ORDER_INFO)),
        ),
        Operation(
            "queueBranchOrder",
            _wrap("queueBranchOrder", Field("order", ORDER)),
            "QueueBranchOrderResponse",
            _result("QueueBranchOrderResponse", required("info", QUEUE_INFO)),
        ),
        Operation(
            "findOrder",
            _wrap("findOrder", required("extOrderId", S)),
            "GetOrderResponse",
            _wrap("GetOrderResponse", required("result", S), Field("order", ORDER)),
        ),
        Operation(
            "getOrders",
            _wrap("getOrders", required("request", GET_ORDERS_REQUEST)),
            "GetOrdersResponse",
            _wrap("GetOrdersResponse", required("orderList", ORDER_LIST)),
        ),
        Operation(
            "getStock",
            _wrap("getStock", required("request", GET_STOCK_REQUEST)),
            "GetStockResponse",
            _wrap("GetStockResponse", repeated("articleStocks", ARTICLE_STOCK)),
        ),
        Operation(
            "updateStock",
            _wrap("updateStock", required("request", UPDATE_STOCK_REQUEST)),
            "UpdateStockResponse",
            _wrap("UpdateStockResponse", required("result", S), Field("stockId", L)),
        ),
        Operation(
            "setStock",
            _wrap("setStock", required("request", SET_STOCK_REQUEST)),
            "SetStockResponse",
            _wrap("SetStockResponse", required("result", S), Field("stockId", L)),
        ),
        Operation("getCurrentSyncMarkers", EMPTY, "getCurrentSyncMarkersResponse", SYNC_MARKERS),
        Operation("getApiVersion", EMPTY, "getApiVersionResponse", API_VERSION),
        Operation(
            "getVatGroupList",
            EMPTY,
            "getVatGroupListResponse",
            _wrap("getVatGroupListResponse", repeated("vatGroup", VAT_GROUP)),
        ),
    )
}
"""The operations koppel uses, by SOAPAction name (the WSDL declares 374)."""

READ_OPERATIONS = frozenset(
    {"getProducts", "getRelations", "findRelation", "findOrder", "getOrders", "getStock"}
    | {"getCurrentSyncMarkers", "getApiVersion", "getVatGroupList"}
)
"""Operations without side effects: safe to retry although every SOAP call is a POST."""
