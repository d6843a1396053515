"""The AsPos sandbox's in-memory installation: stores, master data, customers, articles, stock
per store and orders, in koppel's contract names (``contract.py``), with the contract's rules.

Every write stamps ``modifiedAt`` (UTC, whole seconds, strictly increasing, so incremental reads
see every write) and is validated whole before anything changes. Validation problems raise
``ApiError`` with the contract's error body; the HTTP front (``sandbox.py``) renders them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Record = dict[str, Any]
COUNTRY = re.compile(r"^[A-Z]{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_TYPES = ("company", "person")
ORDER_TYPES = ("receipt", "order")
STATUSES = ("open", "unpaid", "partiallyPaid", "paid", "shipped", "completed", "cancelled")
LINE_TYPES = ("article", "shipping", "discount", "text")
FILTERS: Mapping[str, tuple[str, ...]] = {
    "customers": ("id", "email", "number"),
    "articles": ("id", "sku", "ean"),
    "stock": ("sku",),
    "orders": ("id", "number", "externalReference", "store", "status", "customerId", "channel"),
}
"""The fields each list endpoint filters by (comma-separated values: any of them)."""


class ApiError(Exception):
    """An answer in the contract's error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = list(details)
        self.headers = dict(headers or {})

    def body(self) -> Record:
        error: Record = {
            "code": self.code,
            "message": self.message,
            "requestId": uuid.uuid4().hex[:16],
        }
        if self.details:
            error["details"] = [{"field": f, "message": m} for f, m in self.details]
        return {"error": error}


def invalid(details: list[tuple[str, str]]) -> ApiError:
    return ApiError(422, "validation_failed", "the request is not valid", details)


def _decimal(value: Any, field: str, problems: list[tuple[str, str]]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append((field, "must be a number"))
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        problems.append((field, "must be a number"))
        return None


def _text(value: Any, field: str, problems: list[tuple[str, str]]) -> None:
    if value is not None and not isinstance(value, str):
        problems.append((field, "must be a string"))


def _check_address(value: Any, field: str, problems: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        problems.append((field, "must be an object"))
        return
    country = value.get("country")
    if country is not None and not COUNTRY.match(str(country)):
        problems.append((f"{field}.country", "must be an ISO 3166-1 alpha-2 code"))


class AsposStore:
    """One emulated AsPos installation; thread-safe."""

    def __init__(
        self, seed: Mapping[str, Any], *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.stores = {str(s["id"]): dict(s) for s in seed.get("stores", [{"id": "1"}])}
        self.tax_rates = [dict(r) for r in seed.get("taxRates", [])]
        self.payment_methods = [dict(r) for r in seed.get("paymentMethods", [])]
        self.customers = {int(c["id"]): dict(c) for c in seed.get("customers", [])}
        self.articles = {int(a["id"]): dict(a) for a in seed.get("articles", [])}
        self.stock: dict[tuple[str, str], Record] = {
            (str(s["store"]), str(s["sku"])): dict(s) for s in seed.get("stock", [])
        }
        self.orders = {int(o["id"]): dict(o) for o in seed.get("orders", [])}
        self._ids = {
            "customers": max(self.customers, default=1000),
            "articles": max(self.articles, default=5000),
            "orders": max(self.orders, default=70000),
        }
        self.writes: list[tuple[str, str]] = []
        """(operation, key) of every write, in order: what tests assert on."""

    # -- bookkeeping -------------------------------------------------------------------------
    def touch(self) -> str:
        now = self._clock().astimezone(dt.UTC).replace(microsecond=0)
        if now <= self._last:
            now = self._last + dt.timedelta(seconds=1)
        self._last = now
        return now.isoformat().replace("+00:00", "Z")

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # -- lists -------------------------------------------------------------------------------
    def rows(self, kind: str, store: str | None = None) -> list[Record]:
        with self.lock:
            if kind == "customers":
                return [dict(c) for c in self.customers.values()]
            if kind == "articles":
                return [dict(a) for a in self.articles.values()]
            if kind == "orders":
                return [dict(o) for o in self.orders.values()]
            if kind == "stock":
                assert store is not None
                return self._stock_rows(store)
            if kind == "tax_rates":
                return [dict(r) for r in self.tax_rates]
            if kind == "payment_methods":
                return [dict(r) for r in self.payment_methods]
            if kind == "stores":
                return [dict(s) for s in self.stores.values()]
        raise KeyError(kind)

    def _stock_rows(self, store: str) -> list[Record]:
        self.require_store(store)
        rows = []
        for article in self.articles.values():
            sku = str(article["sku"])
            row = self.stock.get((store, sku))
            rows.append(
                {
                    "sku": sku,
                    "store": store,
                    "available": (row or {}).get("available", 0),
                    "reserved": (row or {}).get("reserved", 0),
                    "managed": bool((row or {}).get("managed", article.get("stockManaged", True))),
                    "modifiedAt": (row or {}).get("modifiedAt") or article.get("modifiedAt"),
                }
            )
        return rows

    def require_store(self, store: str) -> None:
        if store not in self.stores:
            raise ApiError(404, "not_found", f"no store {store}")

    # -- customers ---------------------------------------------------------------------------
    def _customer_problems(
        self, data: Mapping[str, Any], *, existing: Record | None
    ) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        merged = {**(existing or {}), **data}
        kind = merged.get("type") or ("company" if merged.get("companyName") else "person")
        if kind not in CUSTOMER_TYPES:
            problems.append(("type", "must be company or person"))
        if kind == "company" and not str(merged.get("companyName") or "").strip():
            problems.append(("companyName", "is required for a company"))
        if kind == "person" and not (merged.get("firstName") or merged.get("lastName")):
            problems.append(("lastName", "a person needs a first or last name"))
        email = data.get("email")
        if email is not None and not EMAIL.match(str(email)):
            problems.append(("email", "is not an e-mail address"))
        for name in ("companyName", "firstName", "lastName", "phone", "vatNumber", "language"):
            _text(data.get(name), name, problems)
        for name in ("billingAddress", "shippingAddress"):
            _check_address(data.get(name), name, problems)
        custom = data.get("customFields")
        if custom is not None and not isinstance(custom, dict):
            problems.append(("customFields", "must be an object"))
        return problems

    def _email_taken(self, email: Any, *, other_than: int | None) -> bool:
        if not email:
            return False
        wanted = str(email).strip().lower()
        return any(
            str(c.get("email") or "").lower() == wanted and cid != other_than
            for cid, c in self.customers.items()
        )

    def create_customer(self, data: Mapping[str, Any]) -> Record:
        with self.lock:
            problems = self._customer_problems(data, existing=None)
            if problems:
                raise invalid(problems)
            if self._email_taken(data.get("email"), other_than=None):
                raise ApiError(409, "duplicate", f"a customer with e-mail {data['email']} exists")
            cid = self._next("customers")
            now = self.touch()
            record = {
                **{k: v for k, v in data.items() if k not in ("id", "number")},
                "id": cid,
                "number": f"K{cid}",
                "type": data.get("type") or ("company" if data.get("companyName") else "person"),
                "createdAt": now,
                "modifiedAt": now,
            }
            if record.get("email"):
                record["email"] = str(record["email"]).strip().lower()
            self.customers[cid] = record
            self.writes.append(("create customer", str(record.get("email") or cid)))
            return dict(record)

    def customer(self, cid: str) -> Record:
        with self.lock:
            found = self.customers.get(int(cid)) if cid.isdigit() else None
            if found is None:
                raise ApiError(404, "not_found", f"no customer {cid}")
            return dict(found)

    def update_customer(self, cid: str, data: Mapping[str, Any]) -> Record:
        with self.lock:
            existing = self.customer(cid)
            problems = self._customer_problems(data, existing=existing)
            if problems:
                raise invalid(problems)
            if self._email_taken(data.get("email"), other_than=int(cid)):
                raise ApiError(409, "duplicate", f"a customer with e-mail {data['email']} exists")
            change = {k: v for k, v in data.items() if k not in ("id", "number", "createdAt")}
            for name in ("billingAddress", "shippingAddress", "customFields"):
                if isinstance(change.get(name), dict):  # a PATCH merges nested objects
                    change[name] = {**(existing.get(name) or {}), **change[name]}
            record = {**existing, **change, "modifiedAt": self.touch()}
            self.customers[int(cid)] = record
            self.writes.append(("update customer", str(record.get("email") or cid)))
            return dict(record)

    # -- articles ----------------------------------------------------------------------------
    def _article_problems(
        self, data: Mapping[str, Any], *, creating: bool
    ) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if creating and not str(data.get("sku") or "").strip():
            problems.append(("sku", "is required"))
        for name in ("priceExclTax", "priceInclTax", "costPrice", "taxRate"):
            amount = _decimal(data.get(name), name, problems)
            if amount is not None and amount < 0:
                problems.append((name, "must not be negative"))
        ean = data.get("ean")
        if ean is not None and not re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", str(ean)):
            problems.append(("ean", "must be 8, 12, 13 or 14 digits"))
        for name in ("active", "stockManaged"):
            if data.get(name) is not None and not isinstance(data[name], bool):
                problems.append((name, "must be true or false"))
        return problems

    def article_by_sku(self, sku: str) -> Record | None:
        return next((a for a in self.articles.values() if str(a["sku"]) == sku), None)

    def create_article(self, data: Mapping[str, Any]) -> Record:
        with self.lock:
            problems = self._article_problems(data, creating=True)
            if problems:
                raise invalid(problems)
            if self.article_by_sku(str(data["sku"])) is not None:
                raise ApiError(409, "duplicate", f"an article with SKU {data['sku']} exists")
            aid = self._next("articles")
            now = self.touch()
            record = {
                "active": True,
                "stockManaged": True,
                **{k: v for k, v in data.items() if k != "id"},
                "id": aid,
                "createdAt": now,
                "modifiedAt": now,
            }
            self.articles[aid] = record
            self.writes.append(("create article", str(record["sku"])))
            return dict(record)

    def article(self, aid: str) -> Record:
        with self.lock:
            found = self.articles.get(int(aid)) if aid.isdigit() else None
            if found is None:
                raise ApiError(404, "not_found", f"no article {aid}")
            return dict(found)

    def update_article(self, aid: str, data: Mapping[str, Any]) -> Record:
        with self.lock:
            existing = self.article(aid)
            problems = self._article_problems(data, creating=False)
            if "sku" in data and str(data["sku"]) != str(existing["sku"]):
                problems.append(("sku", "cannot be changed"))
            if problems:
                raise invalid(problems)
            record = {**existing, **data, "id": existing["id"], "modifiedAt": self.touch()}
            self.articles[int(aid)] = record
            self.writes.append(("update article", str(record["sku"])))
            return dict(record)

    # -- stock -------------------------------------------------------------------------------
    def set_stock(self, store: str, sku: str, data: Mapping[str, Any]) -> Record:
        with self.lock:
            self.require_store(store)
            article = self.article_by_sku(sku)
            if article is None:
                raise ApiError(404, "not_found", f"no article with SKU {sku}")
            problems: list[tuple[str, str]] = []
            available = _decimal(data.get("available"), "available", problems)
            managed = data.get("managed")
            if managed is not None and not isinstance(managed, bool):
                problems.append(("managed", "must be true or false"))
            if available is None and managed is None:
                problems.append(("available", "give available and/or managed"))
            if problems:
                raise invalid(problems)
            row = self.stock.setdefault(
                (store, sku),
                {"store": store, "sku": sku, "available": 0, "reserved": 0},
            )
            if available is not None:
                row["available"] = available
            if managed is not None:
                row["managed"] = managed
            row["modifiedAt"] = self.touch()
            self.writes.append(("set stock", f"{sku}@{store}"))
            return next(r for r in self._stock_rows(store) if r["sku"] == sku)

    # -- orders ------------------------------------------------------------------------------
    def _order_problems(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if not str(data.get("externalReference") or "").strip():
            problems.append(("externalReference", "is required"))
        store = str(data.get("store") or "")
        if store not in self.stores:
            problems.append(("store", f"no store {store or '(none)'}"))
        if data.get("type", "order") not in ORDER_TYPES:
            problems.append(("type", "must be receipt or order"))
        if data.get("status", "open") not in STATUSES:
            problems.append(("status", f"must be one of {', '.join(STATUSES)}"))
        customer = data.get("customerId")
        if customer is not None and (
            not str(customer).isdigit() or int(str(customer)) not in self.customers
        ):
            problems.append(("customerId", f"no customer {customer}"))
        if data.get("date") is not None:
            try:
                dt.date.fromisoformat(str(data["date"]))
            except ValueError:
                problems.append(("date", "must be an ISO date"))
        for name in ("billingAddress", "shippingAddress"):
            _check_address(data.get(name), name, problems)
        lines = data.get("lines")
        if not isinstance(lines, list) or not lines:
            problems.append(("lines", "an order needs at least one line"))
            lines = []
        for i, line in enumerate(lines):
            where = f"lines[{i}]"
            if not isinstance(line, dict):
                problems.append((where, "must be an object"))
                continue
            kind = line.get("type", "article")
            if kind not in LINE_TYPES:
                problems.append((f"{where}.type", f"must be one of {', '.join(LINE_TYPES)}"))
            if kind == "article":
                sku = str(line.get("sku") or "")
                if self.article_by_sku(sku) is None:
                    problems.append((f"{where}.sku", f"no article with SKU {sku or '(none)'}"))
            for name in ("quantity", "unitPrice", "taxRate", "discountPercentage"):
                _decimal(line.get(name), f"{where}.{name}", problems)
        methods = {str(m["code"]) for m in self.payment_methods}
        for i, payment in enumerate(data.get("payments") or []):
            if str(payment.get("method")) not in methods:
                problems.append((f"payments[{i}].method", f"unknown payment method"
                                 f" {payment.get('method')}"))  # fmt: skip
            _decimal(payment.get("amount"), f"payments[{i}].amount", problems)
        method = data.get("paymentMethod")
        if method is not None and str(method) not in methods:
            problems.append(("paymentMethod", f"unknown payment method {method}"))
        return problems

    def create_order(self, data: Mapping[str, Any]) -> Record:
        with self.lock:
            problems = self._order_problems(data)
            if problems:
                raise invalid(problems)
            reference, store = str(data["externalReference"]), str(data["store"])
            for existing in self.orders.values():
                if (
                    str(existing.get("externalReference")) == reference
                    and str(existing.get("store")) == store
                ):
                    raise ApiError(
                        409,
                        "duplicate",
                        f"order {existing['number']} in store {store} already has "
                        f"externalReference {reference}",
                    )
            oid = self._next("orders")
            now = self.touch()
            record = {
                "type": "order",
                "status": "open",
                "pricesIncludeTax": True,
                "currency": "EUR",
                **{k: v for k, v in data.items() if k not in ("id", "number")},
                "id": oid,
                "number": f"{store}-{oid}",
                "createdAt": now,
                "modifiedAt": now,
            }
            record.setdefault("date", now[:10])
            record.setdefault("country", self.stores[store].get("country"))
            if record.get("totalInclTax") is None and record["pricesIncludeTax"]:
                record["totalInclTax"] = sum(
                    (
                        Decimal(str(line.get("quantity", 1)))
                        * Decimal(str(line.get("unitPrice", 0)))
                        for line in record["lines"]
                    ),
                    Decimal(0),
                )
            self.orders[oid] = record
            self.writes.append(("create order", reference))
            return dict(record)

    def order(self, oid: str) -> Record:
        with self.lock:
            found = self.orders.get(int(oid)) if oid.isdigit() else None
            if found is None:
                raise ApiError(404, "not_found", f"no order {oid}")
            return dict(found)
