"""The bare baseline of the reconcile benchmark: the minimal HTTP calls of an initial sync, with
httpx at koppel's concurrency (per connection: the flow's 8, or fewer where koppel's client for
that system sends fewer at once, as its AFAS client does), and nothing else: no look-ups, no
state, no mapping engine.

Products: page through AFAS ``Profit_Article`` (100 rows a page, ordered by item code, as koppel
reads it), then send one MplusKASSA ``createProduct`` per article (its code and description put
into the envelope directly). Orders: page through MplusKASSA ``getOrders`` and ``getRelations``
(100 a page), then insert each customer once as an AFAS debtor (``KnSalesRelationPer``) and each
order as an AFAS invoice (``FbSales``) on its customer's new debtor number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from bench.reconcile_pass import IDENT, SECRET, TOKEN
from connectors.afas.client import DEFAULT_SETTINGS as AFAS_SETTINGS
from connectors.afas.client import token_header
from connectors.mpluskassa import soap
from connectors.mpluskassa.client import DEFAULT_SETTINGS as MPLUS_SETTINGS
from connectors.mpluskassa.operations import OPERATIONS
from reconciler.passes.context import FlowContext

PAGE = 100
CONCURRENCY = FlowContext.concurrency
"""koppel's default: FlowContext.concurrency records written at once."""
AFAS_CONCURRENCY = min(CONCURRENCY, AFAS_SETTINGS.concurrency)
"""Requests in flight on the AFAS connection: koppel's AFAS client sends at most its
``concurrency`` (AFAS asks for about five parallel calls) whatever the flow's is, so the
baseline writes to AFAS at that concurrency too: the same concurrency, as the benchmark asks."""
KASSA_CONCURRENCY = min(CONCURRENCY, MPLUS_SETTINGS.concurrency)


async def fan_out(
    items: Sequence[Any], job: Callable[[Any], Awaitable[None]], *, concurrency: int
) -> None:
    """Run ``job`` on every item, ``concurrency`` at a time."""
    queue = iter(items)

    async def worker() -> None:
        for item in queue:
            await job(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


def _afas(url: str) -> httpx.AsyncClient:
    headers = {"Authorization": token_header(TOKEN), "Accept": "application/json"}
    return httpx.AsyncClient(
        base_url=f"{url}/ProfitRestServices",
        headers=headers,
        limits=_limits(AFAS_CONCURRENCY),
        timeout=60,
    )


def _kassa(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url + "/",
        params={"ident": IDENT, "secret": SECRET},
        limits=_limits(KASSA_CONCURRENCY),
        timeout=60,
    )


async def _soap(http: httpx.AsyncClient, operation: str, data: dict[str, Any]) -> dict[str, Any]:
    op = OPERATIONS[operation]
    body = soap.envelope(operation, op.request, data)
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": operation}
    response = await http.post("", content=body, headers=headers)
    response.raise_for_status()
    return soap.decode(soap.body_element(response.content), op.response)


Rows = list[dict[str, Any]]


async def _sync_pages(
    http: httpx.AsyncClient,
    operation: str,
    request: dict[str, Any],
    items: Callable[[dict[str, Any]], Rows],
) -> Rows:
    rows: list[dict[str, Any]] = []
    marker = 0
    while True:
        answer = await _soap(http, operation, {"request": {**request, "syncMarker": marker,
                                                           "syncMarkerLimit": PAGE}})  # fmt: skip
        page = items(answer)
        rows.extend(page)
        if len(page) < PAGE:
            return rows
        marker = max(int(item["syncMarker"]) for item in page)


async def products(afas_url: str, kassa_url: str) -> tuple[int, float]:
    """Copy every AFAS article into MplusKASSA; (records, seconds)."""
    started = time.perf_counter()
    async with _afas(afas_url) as afas, _kassa(kassa_url) as kassa:
        rows: list[dict[str, Any]] = []
        while True:
            params = {"skip": str(len(rows)), "take": str(PAGE), "orderbyfieldids": "ItemCode"}
            response = await afas.get("/connectors/Profit_Article", params=params)
            response.raise_for_status()
            page = response.json()["rows"]
            rows.extend(page)
            if len(page) < PAGE:
                break

        async def create(row: dict[str, Any]) -> None:
            article = {"articleNumber": int(row["ItemCode"]), "description": row["Description"],
                       "vatCode": 2, "active": True}  # fmt: skip
            product = {"description": row["Description"], "articleList": {"article": [article]}}
            await _soap(kassa, "createProduct", {"product": product})

        await fan_out(rows, create, concurrency=KASSA_CONCURRENCY)
    return len(rows), time.perf_counter() - started


async def orders(afas_url: str, kassa_url: str) -> tuple[int, int, float]:
    """Copy every till order and its customer into AFAS; (orders, customers, seconds)."""
    started = time.perf_counter()
    async with _afas(afas_url) as afas, _kassa(kassa_url) as kassa:
        sales = await _sync_pages(
            kassa,
            "getOrders",
            {"articlePluNumbers": {}, "articleBarcodes": {}, "orderIds": [],
             "includeLineList": True},
            lambda answer: list(answer["orderList"].get("order", [])),
        )  # fmt: skip
        relations = await _sync_pages(
            kassa,
            "getRelations",
            {"relationNumbers": []},
            lambda answer: list(answer["relationList"].get("relation", [])),
        )
        debtors: dict[int, str] = {}

        async def customer(relation: dict[str, Any]) -> None:
            person = {"Element": [{"Fields": {"PadAdr": False, "AutoNum": True, "MatchPer": "7",
                                              "LaNm": relation["name"],
                                              "EmA2": relation["email"]}}]}  # fmt: skip
            body = {"KnSalesRelationPer": {"Element": {
                "Fields": {"IsDb": True, "CuId": "EUR", "ColA": "1300"},
                "Objects": [{"KnPerson": person}]}}}  # fmt: skip
            response = await afas.post("/connectors/KnSalesRelationPer", json=body)
            response.raise_for_status()
            keys = response.json()["results"]["KnSalesRelationPer"]
            debtors[int(relation["relationNumber"])] = str(keys["DbId"])

        async def invoice(sale: dict[str, Any]) -> None:
            lines = [
                {"Fields": {"VaIt": "2", "ItCd": str(line["articleNumber"]), "BiUn": "STK",
                            "QuUn": line["data"]["quantity"] / 100}}
                for line in sale["lineList"]["line"]
            ]  # fmt: skip
            fields = {"DbId": debtors[int(sale["relationNumber"])], "RfCs": sale["extOrderId"],
                      "Unit": 1, "War": "01", "OrPr": "2"}  # fmt: skip
            objects = [{"FbSalesLines": {"Element": lines}}]
            body = {"FbSales": {"Element": {"Fields": fields, "Objects": objects}}}
            response = await afas.post("/connectors/FbSales", json=body)
            response.raise_for_status()
            response.json()

        await fan_out(relations, customer, concurrency=AFAS_CONCURRENCY)
        await fan_out(sales, invoice, concurrency=AFAS_CONCURRENCY)
    return len(sales), len(relations), time.perf_counter() - started
