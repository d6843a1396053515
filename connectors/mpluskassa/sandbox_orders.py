"""The MplusKASSA sandbox store, part two: orders, stock, service operations and seeding.

Extends ``sandbox_store.CatalogStore`` (products, relations). Rules, from the reference's result
enums: ``extOrderId`` is unique; every line's article must exist; a relation number must exist;
a payment needs a method (else …-PAYMENT-FAILED); the order is ``fullyPaid`` when its payments
cover ``totalInclAmount`` (computed from the lines when the caller sends none); a sales order
reserves stock of its stock articles. Stock mutations need a known branch and a stock article.

Seeding runs every seed record through the same operations a client calls, so a seed cannot
create a state the API could not (numbers unique, markers assigned).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from connectors.mpluskassa import soap
from connectors.mpluskassa.operations import OPERATIONS
from connectors.mpluskassa.sandbox_store import CatalogStore, StockRow, Wire, _stamp
from connectors.mpluskassa.translate import from_scaled, to_scaled

API_VERSION = (67, 1, 3)
"""The API version the reference WSDL was generated for."""


class SandboxStore(CatalogStore):
    """The whole sandbox installation."""

    # -- orders -----------------------------------------------------------------------------------
    def _place_order(self, order: Wire) -> tuple[str, str, Wire]:
        """Validate and store an order: (result suffix, message, info)."""
        ext = order.get("extOrderId")
        if ext and ext in self.ext_orders:
            return "EXT-ORDER-ID-ALREADY-EXISTS", f"extOrderId {ext} already exists", {}
        relation = order.get("relationNumber")
        if relation is not None and relation not in self.relations:
            return "FAILED", f"relation {relation} does not exist", {}
        lines = list((order.get("lineList") or {}).get("line", []))
        inclusive = order.get("vatMethod") != "VAT-METHOD-EXCLUSIVE"
        total = Decimal(0)
        for line in lines:
            article = self._article(line["articleNumber"])
            if article is None:
                return "FAILED", f"article {line['articleNumber']} does not exist", {}
            data = line.setdefault("data", {"quantity": 100, "decimalPlaces": 2})
            quantity = from_scaled(data["quantity"], data.get("decimalPlaces"))
            # A line without a price sells at the article's price, as the till would.
            price_name = "price" if inclusive else "priceExcl"
            data.setdefault(price_name, article.get("priceIncl" if inclusive else "priceExcl", 0))
            line_total = (Decimal(data[price_name]) * quantity).quantize(Decimal(1))
            data["totalInclAmount" if inclusive else "totalExclAmount"] = int(line_total)
            total += line_total
            line.setdefault("text", article.get("description"))
        payments = list((order.get("paymentList") or {}).get("payment", []))
        if any(not str(p.get("method", "")).strip() for p in payments):
            return "PAYMENT-FAILED", "a payment needs a method", {}
        amount_key = "totalInclAmount" if inclusive else "totalExclAmount"
        order.setdefault(amount_key, int(total))
        paid = sum(int(p["amount"]) for p in payments)
        order["prepaidAmount"] = paid
        order["fullyPaid"] = bool(payments) and paid >= int(order[amount_key])
        order_id = f"{len(self.orders) + 1:08d}-0000-4000-8000-{self.markers['order'] + 1:012d}"
        now = self._clock()
        order.update(
            orderId=order_id,
            entryTimestamp=_stamp(now),
            deliveryState="ORDER-DELIVERY-STATE-NOTHING",
            cancelState="ORDER-CANCEL-STATE-NOTHING",
            completeState="ORDER-COMPLETE-STATE-NOTHING",
            syncMarker=self._next("order"),
        )
        order.setdefault("orderType", "ORDER-TYPE-SALES-ORDER")
        order.setdefault("financialDate", {"day": now.day, "mon": now.month, "year": now.year})
        if relation is not None:
            order.setdefault("relationName", self.relations[relation].get("name"))
        self.orders[order_id] = order
        if ext:
            self.ext_orders[ext] = order_id
        self._reserve(lines)
        order_string = f"{now.year}-{len(self.orders):05d}"
        return "OK", "", {"orderId": order_id, "orderString": order_string}

    def _reserve(self, lines: list[Wire]) -> None:
        for line in lines:
            number = line["articleNumber"]
            article = self._article(number)
            if article is None or not article.get("stockArticle"):
                continue
            data = line["data"]
            row = self.stock.setdefault(number, StockRow())
            row.reserved += from_scaled(data["quantity"], data.get("decimalPlaces"))
            self._bump_stock(number, row)

    def op_createOrder(self, request: Wire) -> Wire:
        order = copy.deepcopy(request.get("order") or {})
        outcome, message, info = self._place_order(order)
        if outcome == "OK":
            info["orderQueued"] = False
        return {
            "result": f"CREATE-ORDER-RESULT-{outcome}",
            "info": info or {"orderId": "", "orderString": ""},
            "errorMessage": message,
        }

    def op_queueBranchOrder(self, request: Wire) -> Wire:
        order = copy.deepcopy(request.get("order") or {})
        info: Wire = {}
        if order.get("entryBranchNumber", 1) not in self.branches:
            outcome, message = "FAILED", "branch does not exist"
        else:
            outcome, message, info = self._place_order(order)
        if outcome == "PAYMENT-FAILED":
            outcome = "FAILED"  # QueueBranchOrderResult has no PAYMENT-FAILED value
        return {
            "result": f"QUEUE-BRANCH-ORDER-RESULT-{outcome}",
            "info": info or {"orderId": "", "orderString": ""},
            "errorMessage": message,
        }

    def op_findOrder(self, request: Wire) -> Wire:
        order_id = self.ext_orders.get(request["extOrderId"])
        if order_id is None:
            return {"result": "GET-ORDER-RESULT-NOT-FOUND"}
        return {"result": "GET-ORDER-RESULT-OK", "order": copy.deepcopy(self.orders[order_id])}

    def op_getOrders(self, request: Wire) -> Wire:
        query = request["request"]
        marker, limit = query.get("syncMarker"), query.get("syncMarkerLimit")
        wanted = set(query.get("orderIds", []))
        found = []
        for order in sorted(self.orders.values(), key=lambda o: o["syncMarker"]):
            if marker is not None and order["syncMarker"] <= marker:
                continue
            if wanted and order["orderId"] not in wanted:
                continue
            item = copy.deepcopy(order)
            if not query.get("includeLineList", False):
                item.pop("lineList", None)
            found.append(item)
            if limit and len(found) >= limit:
                break
        return {"orderList": {"order": found}}

    # -- stock ------------------------------------------------------------------------------------
    def _stock_entry(self, number: int, row: StockRow, branch: int) -> Wire:
        free, free_places = to_scaled(row.free)
        reserved, reserved_places = to_scaled(row.reserved)
        incoming, incoming_places = to_scaled(row.incoming)
        return {
            "branchNumber": branch,
            "articleNumber": number,
            "changeTimestamp": row.changed,
            "stockId": row.stock_id,
            "amountFree": free,
            "decimalPlacesFree": free_places,
            "amountReserved": reserved,
            "decimalPlacesReserved": reserved_places,
            "amountIncoming": incoming,
            "decimalPlacesIncoming": incoming_places,
            "isDayStockArticle": False,
        }

    def op_getStock(self, request: Wire) -> Wire:
        """Stock rows of stock articles; an empty article list means all of them (assumed),
        and ``stockId`` returns only rows changed after it (the reference's cursor reading)."""
        query = request["request"]
        branch = query["branchNumber"]
        if branch not in self.branches:
            return {"articleStocks": []}
        wanted = list(query["articleNumbers"].get("articleNumbers", [])) or sorted(self.stock)
        since = query.get("stockId")
        rows = []
        for number in wanted:
            row = self.stock.get(number)
            if row is None or (since is not None and row.stock_id <= since):
                continue
            rows.append(self._stock_entry(number, row, branch))
        return {"articleStocks": rows}

    def _mutate_stock(self, request: Wire, prefix: str, *, absolute: bool) -> Wire:
        query = request["request"]
        if query["branchNumber"] not in self.branches:
            return {"result": f"{prefix}-BRANCH-NOT-FOUND"}
        number = query["articleNumber"]
        article = self._article(number)
        if article is None:
            return {"result": f"{prefix}-ARTICLE-NOT-FOUND"}
        if not article.get("stockArticle"):
            return {"result": f"{prefix}-NO-STOCK-ARTICLE"}
        amount = from_scaled(
            query["amount" if absolute else "amountChanged"], query.get("decimalPlaces")
        )
        row = self.stock.setdefault(number, StockRow())
        row.free = amount if absolute else row.free + amount
        return {"result": f"{prefix}-OK", "stockId": self._bump_stock(number, row)}

    def op_updateStock(self, request: Wire) -> Wire:
        return self._mutate_stock(request, "UPDATE-STOCK-RESULT", absolute=False)

    def op_setStock(self, request: Wire) -> Wire:
        return self._mutate_stock(request, "SET-STOCK-RESULT", absolute=True)

    # -- service and master data -----------------------------------------------------------------
    def op_getCurrentSyncMarkers(self, request: Wire) -> Wire:
        return {
            "articleSyncMarker": self.markers["article"],
            "relationSyncMarker": self.markers["relation"],
            "employeeSyncMarker": 0,
            "invoiceSyncMarker": 0,
            "receiptSyncMarker": 0,
            "orderSyncMarker": self.markers["order"],
            "stockId": self.markers["stock"],
        }

    def op_getApiVersion(self, request: Wire) -> Wire:
        major, minor, revision = API_VERSION
        return {
            "majorNumber": major,
            "minorNumber": minor,
            "revisionNumber": revision,
            "inDebugMode": False,
        }

    def op_getVatGroupList(self, request: Wire) -> Wire:
        return {"vatGroup": copy.deepcopy(self.vat_groups)}

    # -- seeding ----------------------------------------------------------------------------------
    def load(self, seed: Mapping[str, Any]) -> None:
        """Fill the store from seed data (see ``connectors/mpluskassa/seed.json``)."""
        self.branches = {int(b) for b in seed.get("branches", [1])}
        self.vat_groups = [dict(group) for group in seed.get("vatGroups", [])]
        steps = [
            *(("createProduct", {"product": p}) for p in seed.get("products", [])),
            *(("createRelation", {"relation": r}) for r in seed.get("relations", [])),
        ]
        for operation, request in steps:
            self._seed(operation, request)
        for entry in seed.get("stock", []):
            amount, places = to_scaled(Decimal(str(entry["amount"])))
            request = {"branchNumber": min(self.branches), "articleNumber": entry["articleNumber"]}
            self._seed(
                "setStock", {"request": {**request, "amount": amount, "decimalPlaces": places}}
            )
        for order in seed.get("orders", []):
            self._seed("createOrder", {"order": {"orderId": "", **order}})

    def _seed(self, operation: str, request: Wire) -> None:
        # Through the codec and back, so a seed value of the wrong type fails as a request would.
        op = OPERATIONS[operation]
        element = etree.Element("seed")
        soap.encode_into(element, op.request, request)
        answer = self.handle(operation, soap.decode(element, op.request))
        if not str(answer.get("result", "-OK")).endswith("-OK"):
            message = answer.get("errorMessage") or answer["result"]
            raise ValueError(f"seed {operation} failed: {message}")
