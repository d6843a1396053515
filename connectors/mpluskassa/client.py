"""The MplusQapi wire client: SOAP 1.1 calls over the shared pooled HTTP client.

Every call is ``POST {endpoint}/?ident=…&secret=…`` with ``SOAPAction: <operation>`` and a
document/literal envelope in ``urn:mplusqapi`` (``soap.py``, ``models.py``). The credentials travel
in the query string, so they are registered with ``connectors.errors.SECRETS`` when the client is
built: every log line, error message and repr that could show the URL is masked.

How answers become errors (``classify`` and ``_check``):

* HTTP 200 with a ``*-RESULT-OK`` result: success;
* HTTP 200 with a ``…-NOT-FOUND`` result: ``NotFoundError``; any other non-OK result (FAILED,
  ALREADY-TAKEN, NOT-ALLOWED, NO-STOCK-ARTICLE…): ``RejectedError`` with MplusKASSA's
  ``errorMessage``, never retried;
* HTTP 500 with a SOAP Fault: ``Client.Authentication…`` → ``AuthenticationError``, other
  ``Client…`` → ``RejectedError``, ``Server…`` → ``UnavailableError`` (transient);
* 429, 503, timeouts and dropped connections: transient, retried by ``connectors.http``. Reads are
  marked idempotent although every SOAP call is a POST; writes are retried only when the request
  certainly did not arrive.

Returned payloads are wire dicts (element names, cents, scaled integers); ``connector.py`` turns
them into canonical records and target records.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from connectors.errors import SECRETS, classify_status
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from connectors.mpluskassa import soap
from connectors.mpluskassa.operations import OPERATIONS, READ_OPERATIONS
from connectors.mpluskassa.translate import to_scaled
from reconciler.errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
    RejectedError,
    UnavailableError,
)

SYSTEM = "mpluskassa"
logger = logging.getLogger("koppel.mpluskassa")
WireRecord = soap.WireRecord

DEFAULT_SETTINGS = ClientSettings(timeout=600.0, connect_timeout=30.0, concurrency=8)
"""MplusKASSA's own clients wait 30 s to connect and 600 s for an answer (large product lists)."""


def fault_error(fault: soap.Fault, *, operation: str, status: int | None) -> ConnectorError:
    """The koppel error for a SOAP Fault, by the dotted faultcode's first parts."""
    message = SECRETS.mask(fault.message or fault.code)
    reason = f"SOAP fault {fault.code}: {message}"
    if fault.code.startswith("Client.Authentication"):
        return AuthenticationError(
            reason,
            system=SYSTEM,
            operation=operation,
            status=status,
            hint="check the ident and secret of the MplusKASSA connection (the API port is "
            "customer specific too)",
        )
    if fault.code == "Client" or fault.code.startswith("Client."):
        return RejectedError(reason, system=SYSTEM, operation=operation, status=status)
    if fault.code == "Server" or fault.code.startswith("Server."):
        return UnavailableError(reason, system=SYSTEM, operation=operation, status=status)
    return ProtocolError(
        f"SOAP fault with an unknown code: {reason}",
        system=SYSTEM,
        operation=operation,
        status=status,
    )


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """The connectors.http classifier: HTTP status and SOAP Faults; result enums come later."""
    status = response.status_code
    if status == 200:
        return None
    if status == 500:
        try:
            fault = soap.read_fault(soap.body_element(response.content))
        except soap.SoapDecodeError:
            fault = None
        if fault is not None:
            return fault_error(fault, operation=operation, status=status)
    error = classify_status(response, system=SYSTEM, operation=operation)
    if error is None:  # a 1xx/2xx/3xx other than 200: MplusKASSA never answers so
        return ProtocolError(
            f"unexpected HTTP status {status}", system=SYSTEM, operation=operation, status=status
        )
    return error


@dataclass(frozen=True)
class SyncPage:
    """One batch of a syncMarker-paged list and where the next batch starts."""

    items: list[WireRecord]
    marker: int
    """The highest syncMarker seen (the request's marker when the batch is empty)."""
    more: bool
    """True when the batch was full, so another call may return more."""


def _check(operation: str, answer: WireRecord, ok: str) -> WireRecord:
    result = str(answer.get("result", ""))
    if result == ok:
        return answer
    message = SECRETS.mask(str(answer.get("errorMessage") or "").strip())
    reason = f"{result}: {message}" if message else result
    if result.endswith("-NOT-FOUND"):
        raise NotFoundError(reason, system=SYSTEM, operation=operation)
    raise RejectedError(reason, system=SYSTEM, operation=operation)


def _sync_page(items: list[WireRecord], marker: int, limit: int) -> SyncPage:
    highest = max((int(item.get("syncMarker", 0)) for item in items), default=marker)
    return SyncPage(items=items, marker=max(highest, marker), more=len(items) >= limit)


class MplusClient:
    """One MplusKASSA connection: endpoint, credentials, branch, and its pooled HTTP client."""

    def __init__(
        self,
        *,
        endpoint: str,
        ident: str,
        secret: str,
        branch_number: int = 1,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.branch_number = branch_number
        self._http = HttpClient(
            system=SYSTEM,
            base_url=endpoint.rstrip("/") + "/",
            classifier=classify,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            params={"ident": ident, "secret": secret},
            secrets=(ident, secret),
            settings=settings or DEFAULT_SETTINGS,
            transport=transport,
            observer=observer,
            sleep=sleep,
            rng=rng,
        )

    def __repr__(self) -> str:
        return f"<MplusClient {self._http!r}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> MplusClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the one call -------------------------------------------------------------------------
    async def call(self, operation: str, data: Mapping[str, Any] | None = None) -> WireRecord:
        """Send one operation's request element and return its decoded response element."""
        op = OPERATIONS[operation]
        body = soap.envelope(operation, op.request, data or {})
        started = time.perf_counter()
        response = await self._http.send(
            "POST",
            "",
            operation=operation,
            idempotent=operation in READ_OPERATIONS,
            content=body,
            headers={"SOAPAction": operation},
        )
        try:
            element = soap.body_element(response.content)
            fault = soap.read_fault(element)
            if fault is not None:
                raise fault_error(fault, operation=operation, status=response.status_code)
            name = soap.operation_name(element)
            if name != op.response_element:
                raise soap.SoapDecodeError(f"expected {op.response_element}, got {name}")
            answer = soap.decode(element, op.response)
        except soap.SoapDecodeError as exc:
            raise ProtocolError(
                SECRETS.mask(str(exc)), system=SYSTEM, operation=operation, status=200
            ) from exc
        # Operation, outcome and time only: never the URL (it carries the credentials).
        logger.debug(
            "%s %s in %.3fs",
            operation,
            answer.get("result", "answered"),
            time.perf_counter() - started,
        )
        return answer

    # -- service and master data --------------------------------------------------------------
    async def get_api_version(self) -> WireRecord:
        """Version numbers; the cheap connectivity and credential check."""
        return await self.call("getApiVersion")

    async def get_current_sync_markers(self) -> WireRecord:
        return await self.call("getCurrentSyncMarkers")

    async def get_vat_groups(self) -> list[WireRecord]:
        answer = await self.call("getVatGroupList")
        return list(answer.get("vatGroup", []))

    # -- products -------------------------------------------------------------------------------
    async def get_products(
        self,
        *,
        sync_marker: int = 0,
        limit: int = 100,
        article_numbers: Iterable[int] = (),
        product_numbers: Iterable[int] = (),
        only_active: bool | None = None,
    ) -> SyncPage:
        """Products (with their articles) changed after ``sync_marker``, at most ``limit``."""
        request: dict[str, Any] = {
            "articleNumbers": list(article_numbers),
            "pluNumbers": {},
            "onlyActive": only_active,
            "syncMarker": sync_marker,
            "syncMarkerLimit": limit,
            "productNumbers": list(product_numbers),
        }
        answer = await self.call("getProducts", {"request": request})
        items = list(answer["productList"].get("product", []))
        return _sync_page(items, sync_marker, limit)

    async def create_product(self, product: Mapping[str, Any]) -> WireRecord:
        """Create a product with its articles; answers productNumber and articleNumbers."""
        answer = await self.call("createProduct", {"product": product})
        return _check("createProduct", answer, "CREATE-PRODUCT-RESULT-OK")

    async def update_product(self, product: Mapping[str, Any]) -> WireRecord:
        """Update a product by productNumber; articles with unknown numbers are added."""
        answer = await self.call("updateProduct", {"product": product})
        return _check("updateProduct", answer, "UPDATE-PRODUCT-RESULT-OK")

    # -- relations ------------------------------------------------------------------------------
    async def get_relations(
        self, *, sync_marker: int = 0, limit: int = 100, relation_numbers: Iterable[int] = ()
    ) -> SyncPage:
        request = {
            "relationNumbers": list(relation_numbers),
            "syncMarker": sync_marker,
            "syncMarkerLimit": limit,
        }
        answer = await self.call("getRelations", {"request": request})
        items = list(answer["relationList"].get("relation", []))
        return _sync_page(items, sync_marker, limit)

    async def find_relation(
        self, *, email: str | None = None, ext_relation_id: str | None = None
    ) -> WireRecord | None:
        """The relation with this e-mail address or external id, or None."""
        if not email and not ext_relation_id:
            raise ValueError("find_relation needs an email or an ext_relation_id")
        example = {"email": email, "extRelationId": ext_relation_id}
        answer = await self.call("findRelation", {"relation": example})
        if answer["result"] == "FIND-RELATION-RESULT-NOT-FOUND":
            return None
        _check("findRelation", answer, "FIND-RELATION-RESULT-OK")
        relation: WireRecord | None = answer.get("relation")
        return relation

    async def create_relation(self, relation: Mapping[str, Any]) -> WireRecord:
        answer = await self.call("createRelation", {"relation": relation})
        return _check("createRelation", answer, "CREATE-RELATION-RESULT-OK")

    async def update_relation(self, relation: Mapping[str, Any]) -> WireRecord:
        answer = await self.call("updateRelation", {"relation": relation})
        return _check("updateRelation", answer, "UPDATE-RELATION-RESULT-OK")

    # -- orders ---------------------------------------------------------------------------------
    async def create_order(self, order: Mapping[str, Any]) -> WireRecord:
        """Create an order; answers info{orderId, orderString}. extOrderId must be unique."""
        answer = await self.call("createOrder", {"order": {"orderId": "", **order}})
        info: WireRecord = _check("createOrder", answer, "CREATE-ORDER-RESULT-OK")["info"]
        return info

    async def queue_branch_order(self, order: Mapping[str, Any]) -> WireRecord:
        """Queue an order for a branch to process instead of creating it at once."""
        answer = await self.call("queueBranchOrder", {"order": {"orderId": "", **order}})
        info: WireRecord = _check("queueBranchOrder", answer, "QUEUE-BRANCH-ORDER-RESULT-OK")[
            "info"
        ]
        return info

    async def find_order(self, ext_order_id: str) -> WireRecord | None:
        """The order with this extOrderId (koppel's idempotency key), or None."""
        answer = await self.call("findOrder", {"extOrderId": ext_order_id})
        if answer["result"] == "GET-ORDER-RESULT-NOT-FOUND":
            return None
        order: WireRecord | None = _check("findOrder", answer, "GET-ORDER-RESULT-OK").get("order")
        return order

    async def get_orders(
        self,
        *,
        sync_marker: int = 0,
        limit: int = 100,
        order_ids: Sequence[str] = (),
        include_lines: bool = True,
    ) -> SyncPage:
        request = {
            "syncMarker": sync_marker,
            "syncMarkerLimit": limit,
            "articlePluNumbers": {},
            "articleBarcodes": {},
            "orderIds": list(order_ids),
            "includeLineList": include_lines,
        }
        answer = await self.call("getOrders", {"request": request})
        items = list(answer["orderList"].get("order", []))
        return _sync_page(items, sync_marker, limit)

    # -- stock ----------------------------------------------------------------------------------
    async def get_stock(
        self, article_numbers: Iterable[int] = (), *, stock_id: int | None = None
    ) -> list[WireRecord]:
        """Stock of the articles in this connection's branch (changed after ``stock_id``)."""
        request = {
            "branchNumber": self.branch_number,
            "articleNumbers": {"articleNumbers": list(article_numbers)},
            "stockId": stock_id,
        }
        answer = await self.call("getStock", {"request": request})
        return list(answer.get("articleStocks", []))

    async def update_stock(
        self, article_number: int, change: Decimal, *, reference: str | None = None
    ) -> int | None:
        """Change the stock by ``change`` (relative); returns the new stockId."""
        amount, places = to_scaled(change)
        request = {
            "branchNumber": self.branch_number,
            "articleNumber": article_number,
            "amountChanged": amount,
            "decimalPlaces": places,
            "reference": reference,
        }
        answer = await self.call("updateStock", {"request": request})
        stock_id: int | None = _check("updateStock", answer, "UPDATE-STOCK-RESULT-OK").get(
            "stockId"
        )
        return stock_id

    async def set_stock(
        self, article_number: int, amount: Decimal, *, reference: str | None = None
    ) -> int | None:
        """Set the stock to ``amount`` (absolute); returns the new stockId."""
        scaled, places = to_scaled(amount)
        request = {
            "branchNumber": self.branch_number,
            "articleNumber": article_number,
            "amount": scaled,
            "decimalPlaces": places,
            "reference": reference,
        }
        answer = await self.call("setStock", {"request": request})
        stock_id: int | None = _check("setStock", answer, "SET-STOCK-RESULT-OK").get("stockId")
        return stock_id
