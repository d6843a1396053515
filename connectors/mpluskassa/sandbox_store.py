"""The MplusKASSA sandbox's in-memory installation: products/articles, relations, orders, stock,
VAT groups, and the business rules MplusKASSA answers with result enums.

``sandbox.py`` does the SOAP half (auth, envelopes, faults); this module gets decoded request
dicts and returns response dicts, so the rules can be read and tested without HTTP. Rules follow
the reference (target-apis.md section 2, the WSDL's result enums):

* every product, relation and order change takes the next value of its own sync counter as the
  item's ``syncMarker``, so ``syncMarker``/``syncMarkerLimit`` paging and incremental reads work;
  stock changes take the next ``stockId`` the same way;
* numbers supplied by the caller must be unique (…-ALREADY-TAKEN), else they are assigned;
* ``extOrderId`` is unique (…-EXT-ORDER-ID-ALREADY-EXISTS); an order line's article must exist
  (…-FAILED); a sales order reserves stock of its stock articles;
* setStock/updateStock on an article with ``stockArticle=false`` answer …-NO-STOCK-ARTICLE;
* updateProduct merges: elements present in the request overwrite, absent ones stay (assumed:
  the reference does not say, and a merge is what makes a partial update safe).
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Wire = dict[str, Any]
Clock = Callable[[], dt.datetime]
FIRST_ARTICLE_NUMBER = 100000
"""Assigned article numbers start here: an arbitrary choice, clear of small hand-made numbers."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> Wire:
    offset = moment.utcoffset() or dt.timedelta(0)
    return {
        "sec": moment.second,
        "min": moment.minute,
        "hour": moment.hour,
        "day": moment.day,
        "mon": moment.month,
        "year": moment.year,
        "isdst": False,
        "timezone": int(offset.total_seconds() // 60),
    }


def _articles(product: Mapping[str, Any]) -> list[Wire]:
    return list((product.get("articleList") or {}).get("article", []))


@dataclass
class StockRow:
    free: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    incoming: Decimal = Decimal(0)
    stock_id: int = 0
    changed: Wire | None = None


class CatalogStore:
    """One installation's data, with the product and relation operations (dict in, dict out).

    ``sandbox_orders.SandboxStore`` adds orders, stock and the service operations.
    """

    def __init__(self, *, clock: Clock = _utcnow) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.branches: set[int] = {1}
        self.vat_groups: list[Wire] = []
        self.products: dict[int, Wire] = {}
        self.article_product: dict[int, int] = {}
        self.relations: dict[int, Wire] = {}
        self.orders: dict[str, Wire] = {}
        self.ext_orders: dict[str, str] = {}
        self.stock: dict[int, StockRow] = {}
        self.markers = {"article": 0, "relation": 0, "order": 0, "stock": 0}
        self._highest: dict[str, int] = {}
        """Highest number handed out or stored, per kind: the next one without a max() over
        the whole store, which made every create slower than the one before."""

    # -- plumbing ---------------------------------------------------------------------------------
    def handle(self, operation: str, request: Wire) -> Wire:
        """Run one operation; the caller has checked that it is one koppel's subset knows."""
        handler: Callable[[Wire], Wire] = getattr(self, f"op_{operation}")
        with self._lock:
            return handler(request)

    def _new_number(self, kind: str, used: Iterable[int], floor: int) -> int:
        """The number after the highest one in ``used`` (the till numbers in sequence)."""
        highest = self._highest.get(kind)
        if highest is None:
            highest = max([floor, *used])
        self._highest[kind] = highest + 1
        return highest + 1

    def _taken(self, kind: str, number: int) -> None:
        """``number`` was stored as given: numbers handed out later come after it."""
        if kind in self._highest:
            self._highest[kind] = max(self._highest[kind], number)

    def _next(self, counter: str) -> int:
        self.markers[counter] += 1
        return self.markers[counter]

    def _article(self, number: int) -> Wire | None:
        product_number = self.article_product.get(number)
        if product_number is None:
            return None
        for article in _articles(self.products[product_number]):
            if article["articleNumber"] == number:
                return article
        return None

    def _touch_article(self, product: Wire, article: Wire, *, created: bool) -> None:
        now = _stamp(self._clock())
        article["syncMarker"] = product["syncMarker"] = self._next("article")
        article["changeTimestamp"] = now
        if created:
            article["createTimestamp"] = now
        vat = self._vat_percentage(article.get("vatCode"))
        if vat is not None:
            article["vatPercentage"] = vat
        if article.get("stockArticle"):
            self.stock.setdefault(article["articleNumber"], StockRow())

    def _vat_percentage(self, code: int | None) -> int | None:
        for group in self.vat_groups:
            if group["vatCode"] == code:
                return int(group["vatPercentage"])
        return None

    def _bump_stock(self, number: int, row: StockRow) -> int:
        row.stock_id = self._next("stock")
        row.changed = _stamp(self._clock())
        self.stock[number] = row
        return row.stock_id

    # -- products ---------------------------------------------------------------------------------
    def op_getProducts(self, request: Wire) -> Wire:
        query = request["request"]
        marker = query.get("syncMarker")
        limit = query.get("syncMarkerLimit")
        wanted_articles = set(query.get("articleNumbers", []))
        wanted_products = set(query.get("productNumbers", []))
        candidates: Iterable[Wire] = self.products.values()
        if wanted_articles or wanted_products:
            # A look-up by number answers from the indexes, as the real server's database does,
            # instead of sorting the whole catalogue for every call.
            numbers = wanted_products or {
                self.article_product[n] for n in wanted_articles if n in self.article_product
            }
            candidates = [self.products[n] for n in numbers if n in self.products]
        found = []
        for product in sorted(candidates, key=lambda p: p["syncMarker"]):
            if marker is not None and product["syncMarker"] <= marker:
                continue
            if wanted_products and product["productNumber"] not in wanted_products:
                continue
            numbers = {a["articleNumber"] for a in _articles(product)}
            if wanted_articles and not numbers & wanted_articles:
                continue
            item = copy.deepcopy(product)
            if query.get("onlyActive"):
                active = [a for a in _articles(item) if a.get("active", True)]
                if not active:
                    continue
                item["articleList"] = {"article": active}
            found.append(item)
            if limit and len(found) >= limit:
                break
        return {"productList": {"product": found}}

    def _check_new_articles(self, articles: Iterable[Wire]) -> str | None:
        seen: set[int] = set()
        for article in articles:
            number = article.get("articleNumber")
            if number is None:
                continue
            if number in self.article_product or number in seen:
                return f"article number {number} is already taken"
            seen.add(number)
        return None

    def _assign_article_number(self) -> int:
        return self._new_number("article", self.article_product, FIRST_ARTICLE_NUMBER - 1)

    def _add_article(self, product: Wire, article: Wire) -> int:
        article = dict(article)
        if article.get("articleNumber") is None:
            article["articleNumber"] = self._assign_article_number()
        article.setdefault("active", True)
        article.setdefault("stockArticle", True)  # assumed default: retail articles keep stock
        product.setdefault("articleList", {}).setdefault("article", []).append(article)
        self.article_product[article["articleNumber"]] = product["productNumber"]
        self._taken("article", int(article["articleNumber"]))
        self._touch_article(product, article, created=True)
        return int(article["articleNumber"])

    def op_createProduct(self, request: Wire) -> Wire:
        product = dict(request["product"])
        articles = _articles(product)

        def failed(result: str, message: str) -> Wire:
            return {"result": result, "productNumber": 0, "errorMessage": message}

        if not articles:
            return failed("CREATE-PRODUCT-RESULT-FAILED", "a product needs at least one article")
        number = product.get("productNumber")
        if number is not None and number in self.products:
            return failed(
                "CREATE-PRODUCT-RESULT-FAILED-PRODUCT-NUMBER-ALREADY-TAKEN",
                f"product number {number} is already taken",
            )
        taken = self._check_new_articles(articles)
        if taken:
            return failed("CREATE-PRODUCT-RESULT-FAILED-ARTICLE-NUMBER-ALREADY-TAKEN", taken)
        unknown = self._unknown_vat(articles)
        if unknown:
            return failed("CREATE-PRODUCT-RESULT-FAILED", unknown)
        if number is None:
            number = self._new_number("product", self.products, 0)
        self._taken("product", number)
        product["productNumber"] = number
        product["articleList"] = {"article": []}
        product["syncMarker"] = 0
        self.products[number] = product
        numbers = [self._add_article(product, article) for article in articles]
        return {
            "result": "CREATE-PRODUCT-RESULT-OK",
            "productNumber": number,
            "articleNumbers": numbers,
            "changeTimestamp": _stamp(self._clock()),
            "syncMarker": product["syncMarker"],
            "errorMessage": "",
        }

    def _unknown_vat(self, articles: Iterable[Wire]) -> str | None:
        known = {group["vatCode"] for group in self.vat_groups}
        for article in articles:
            code = article.get("vatCode")
            if code is not None and known and code not in known:
                return f"vatCode {code} does not exist"
        return None

    def op_updateProduct(self, request: Wire) -> Wire:
        change = request["product"]
        number = change.get("productNumber")

        def answer(result: str, message: str = "", **extra: Any) -> Wire:
            return {"result": result, **extra, "errorMessage": message}

        product = self.products.get(number) if number is not None else None
        if product is None:
            return answer("UPDATE-PRODUCT-RESULT-NOT-FOUND", f"product {number} does not exist")
        incoming = _articles(change)
        for article in incoming:
            owner = self.article_product.get(article.get("articleNumber", -1))
            if owner is not None and owner != number:
                return answer(
                    "UPDATE-PRODUCT-RESULT-NOT-ALLOWED",
                    f"article {article['articleNumber']} belongs to product {owner}",
                )
        unknown = self._unknown_vat(incoming)
        if unknown:
            return answer("UPDATE-PRODUCT-RESULT-FAILED", unknown)
        for name in ("description", "extraText", "groupNumbers"):
            if name in change:
                product[name] = change[name]
        existing, new = [], []
        for article in incoming:
            current = self._article(article.get("articleNumber", -1))
            if current is None:
                new.append(self._add_article(product, article))
                continue
            current.update({k: v for k, v in article.items() if k != "syncMarker"})
            self._touch_article(product, current, created=False)
            existing.append(current["articleNumber"])
        if not incoming:
            product["syncMarker"] = self._next("article")
        return answer(
            "UPDATE-PRODUCT-RESULT-OK",
            existingArticleNumbers=existing,
            newArticleNumbers=new,
            changeTimestamp=_stamp(self._clock()),
            syncMarker=product["syncMarker"],
        )

    # -- relations --------------------------------------------------------------------------------
    def op_getRelations(self, request: Wire) -> Wire:
        query = request.get("request") or {}
        marker, limit = query.get("syncMarker"), query.get("syncMarkerLimit")
        wanted = set(query.get("relationNumbers", []))
        found = []
        for relation in sorted(self.relations.values(), key=lambda r: r["syncMarker"]):
            if marker is not None and relation["syncMarker"] <= marker:
                continue
            if wanted and relation["relationNumber"] not in wanted:
                continue
            found.append(copy.deepcopy(relation))
            if limit and len(found) >= limit:
                break
        return {"relationList": {"relation": found}}

    def op_findRelation(self, request: Wire) -> Wire:
        """Every example field given must match; e-mail case-insensitively (assumed)."""
        example = {
            k: v
            for k, v in (request.get("relation") or {}).items()
            if k in ("relationNumber", "extRelationId", "email", "relationCode") and v != ""
        }
        if example:
            for number in sorted(self.relations):
                relation = self.relations[number]
                if all(_same(k, relation.get(k), v) for k, v in example.items()):
                    return {"result": "FIND-RELATION-RESULT-OK", "relation": dict(relation)}
        return {"result": "FIND-RELATION-RESULT-NOT-FOUND"}

    def _touch_relation(self, relation: Wire, *, created: bool) -> None:
        now = _stamp(self._clock())
        relation["syncMarker"] = self._next("relation")
        relation["changeTimestamp"] = now
        if created:
            relation["createTimestamp"] = now

    def op_createRelation(self, request: Wire) -> Wire:
        relation = dict(request.get("relation") or {})
        number = relation.get("relationNumber")

        def failed(result: str, message: str) -> Wire:
            return {"result": result, "relationNumber": 0, "errorMessage": message}

        if number is not None and number in self.relations:
            return failed(
                "CREATE-RELATION-RESULT-FAILED-RELATION-NUMBER-ALREADY-TAKEN",
                f"relation number {number} is already taken",
            )
        if not (relation.get("name") or relation.get("companyName")):
            return failed("CREATE-RELATION-RESULT-FAILED", "a relation needs a name")
        if number is None:
            number = self._new_number("relation", self.relations, 0)
        self._taken("relation", number)
        relation["relationNumber"] = number
        relation.setdefault("active", True)
        self.relations[number] = relation
        self._touch_relation(relation, created=True)
        return {
            "result": "CREATE-RELATION-RESULT-OK",
            "relationNumber": number,
            "changeTimestamp": relation["changeTimestamp"],
            "syncMarker": relation["syncMarker"],
            "errorMessage": "",
        }

    def op_updateRelation(self, request: Wire) -> Wire:
        change = request.get("relation") or {}
        relation = self.relations.get(change.get("relationNumber", -1))
        if relation is None:
            number = change.get("relationNumber")
            return {
                "result": "UPDATE-RELATION-RESULT-NOT-FOUND",
                "errorMessage": f"relation {number} does not exist",
            }
        relation.update({k: v for k, v in change.items() if k != "syncMarker"})
        self._touch_relation(relation, created=False)
        return {
            "result": "UPDATE-RELATION-RESULT-OK",
            "errorMessage": "",
            "changeTimestamp": relation["changeTimestamp"],
            "syncMarker": relation["syncMarker"],
        }


def _same(name: str, actual: Any, wanted: Any) -> bool:
    if name == "email":
        return str(actual or "").strip().lower() == str(wanted).strip().lower()
    return bool(actual == wanted)
