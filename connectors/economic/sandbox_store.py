"""The e-conomic sandbox's in-memory agreement: collections, e-conomic's own validation, and
the objects as e-conomic answers them (with ``self`` links built from the request's origin).

A seed (JSON, see ``seed.json``) names each collection by its path: ``customers`` (each may carry
its ``contacts``), ``products``, ``orders/drafts``, ``orders/sent``, ``orders/archived``,
``invoices/drafts``, ``invoices/booked``, and the master data ``vat-zones``,
``customer-groups``, ``payment-terms``, ``layouts``, ``units``, ``product-groups`` and
``accounts``; ``vatRates`` (zone number -> percentage) is the sandbox's own, for the VAT a draft
computes. Objects are stored in e-conomic's wire shape without their links.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from connectors.economic.models import DOCUMENT_NUMBER, MAX_PAGE_SIZE
from connectors.economic.query import WILDCARD, Condition, Expression, FilterSyntaxError, parse

DEFAULT_SEED = Path(__file__).with_name("seed.json")

Record = dict[str, Any]
Clock = Callable[[], dt.datetime]

KEYS: dict[str, str] = {
    "customers": "customerNumber",
    "products": "productNumber",
    "vat-zones": "vatZoneNumber",
    "customer-groups": "customerGroupNumber",
    "payment-terms": "paymentTermsNumber",
    "layouts": "layoutNumber",
    "units": "unitNumber",
    "product-groups": "productGroupNumber",
    "accounts": "accountNumber",
    **DOCUMENT_NUMBER,
}
"""Collection -> its key field."""

MASTER = ("vat-zones", "customer-groups", "payment-terms", "layouts", "units", "product-groups",
          "accounts")  # fmt: skip
DOCUMENTS = tuple(DOCUMENT_NUMBER)
DRAFTS = ("orders/drafts", "invoices/drafts")

FILTERABLE: dict[str, frozenset[str]] = {
    "customers": frozenset(
        [
            "address",
            "balance",
            "barred",
            "city",
            "corporateIdentificationNumber",
            "country",
            "creditLimit",
            "currency",
            "customerNumber",
            "ean",
            "email",
            "lastUpdated",
            "mobilePhone",
            "name",
            "publicEntryNumber",
            "telephoneAndFaxNumber",
            "vatNumber",
            "website",
            "zip",
            "customerGroup.customerGroupNumber",
        ]
    ),
    "products": frozenset(
        [
            "barCode",
            "barred",
            "costPrice",
            "description",
            "lastUpdated",
            "name",
            "productNumber",
            "recommendedPrice",
            "salesPrice",
            "productGroup.productGroupNumber",
        ]
    ),
    "contacts": frozenset(["customerContactNumber", "name", "email"]),
}
"""The fields ``filter=`` accepts per collection (the schemas' ``filterable`` marks)."""
_DOCUMENT_FILTERABLE = frozenset(
    [
        "date",
        "currency",
        "customer.customerNumber",
        "references.other",
        "recipient.name",
        "grossAmount",
        "netAmount",
    ]
)
OPERATOR_NAMES = ["$eq:", "$ne:", "$gt:", "$gte:", "$lt:", "$lte:", "$like:", "$and:", "$or:"]

REF_COLLECTIONS = {
    "customerGroup": ("customer-groups", "customerGroupNumber"),
    "paymentTerms": ("payment-terms", "paymentTermsNumber"),
    "vatZone": ("vat-zones", "vatZoneNumber"),
    "layout": ("layouts", "layoutNumber"),
    "productGroup": ("product-groups", "productGroupNumber"),
    "unit": ("units", "unitNumber"),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class EconomicError(Exception):
    """An answer in e-conomic's error shape."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        hint: str | None = None,
        errors: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.hint = message, status, code, hint
        self.errors = dict(errors or {})
        self.extra = dict(extra or {})

    def body(self) -> Record:
        data: Record = {"message": self.message}
        if self.code:
            data["errorCode"] = self.code
        if self.hint:
            data["developerHint"] = self.hint
        data["logId"] = str(uuid.uuid4())
        data["httpStatusCode"] = self.status
        if self.errors:
            data["errors"] = self.errors
        data.update(self.extra)
        return data


class Invalid:
    """Collects the properties a write gets wrong, as e-conomic's ``errors`` document."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: str, message: str, value: Any = None) -> None:
        node = self.errors
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        entry = node.setdefault(parts[-1], {})
        entry.setdefault("errors", []).append({"message": message, "value": value})

    def raise_if_any(self) -> None:
        count = sum(1 for _ in _leaves(self.errors))
        if count:
            noun = "error" if count == 1 else "errors"
            raise EconomicError(
                f"Validation failed. {count} {noun} found.",
                hint="Inspect validation errors and correct your request.",
                errors=self.errors,
            )


def _leaves(node: Mapping[str, Any]) -> Iterable[Any]:
    for key, value in node.items():
        if key == "errors" and isinstance(value, list):
            yield from value
        elif isinstance(value, Mapping):
            yield from _leaves(value)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class EconomicStore:
    """One agreement's data; every method is safe to call from several threads."""

    def __init__(
        self, seed: Path | Mapping[str, Any] | None = None, *, clock: Clock | None = None
    ) -> None:
        if seed is None:
            seed = DEFAULT_SEED
        data = json.loads(seed.read_text("utf-8")) if isinstance(seed, Path) else seed
        self.seed: Mapping[str, Any] = copy.deepcopy(dict(data))
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.lock = threading.RLock()
        self.tables: dict[str, dict[Any, Record]] = {name: {} for name in KEYS}
        self.contacts: dict[int, dict[int, Record]] = {}
        self.vat_rates = {int(k): Decimal(str(v)) for k, v in data.get("vatRates", {}).items()}
        for name in KEYS:
            for raw in data.get(name, []):
                record = copy.deepcopy(raw)
                contacts = record.pop("contacts", None)
                key = record[KEYS[name]]
                self.tables[name][key] = record
                if name == "customers":
                    self.contacts[int(key)] = {
                        int(c["customerContactNumber"]): {**c, "customer": {"customerNumber": key}}
                        for c in contacts or []
                    }
                if name in DOCUMENTS:
                    self._amounts(record)

    # -- reading --------------------------------------------------------------------------------
    def rows(self, collection: str, *, customer: int | None = None) -> list[Record]:
        with self.lock:
            if collection == "contacts":
                if customer not in self.contacts:
                    raise EconomicError("Customer not found.", status=404)
                rows = list(self.contacts[customer].values())
                key = "customerContactNumber"
            else:
                rows = list(self.tables[collection].values())
                key = KEYS[collection]
            return [copy.deepcopy(r) for r in sorted(rows, key=lambda r: _sort_key(r[key]))]

    def one(self, collection: str, key: Any) -> Record:
        with self.lock:
            record = self.tables[collection].get(_key(collection, key))
            if record is None:
                raise EconomicError("Resource not found.", status=404)
            return copy.deepcopy(record)

    def contact(self, customer: int, number: int) -> Record:
        with self.lock:
            found = self.contacts.get(customer, {}).get(number)
            if found is None:
                raise EconomicError("Resource not found.", status=404)
            return copy.deepcopy(found)

    # -- customers ------------------------------------------------------------------------------
    def save_customer(self, body: Any, *, number: int | None = None) -> Record:
        """POST (``number`` None) or PUT of a customer, after e-conomic's own validation."""
        with self.lock:
            record = self._object(body)
            invalid = Invalid()
            name = record.get("name")
            if not isinstance(name, str) or not name.strip():
                invalid.add("name", "Property is required.", name)
            elif len(name) > 255:
                invalid.add("name", "Length must be between 1 and 255.", name)
            currency = record.get("currency")
            if not isinstance(currency, str) or len(currency) != 3:
                invalid.add("currency", "Property is required and must be 3 characters.", currency)
            for field in ("customerGroup", "paymentTerms", "vatZone"):
                self._reference(record, field, invalid, required=True)
            self._reference(record, "layout", invalid, required=False)
            given = record.get("customerNumber", number)
            if number is not None and given not in (None, number):
                invalid.add("customerNumber", "The customer number cannot be changed.", given)
            if given is not None and (
                not isinstance(given, int) or isinstance(given, bool) or not 1 <= given <= 999999999
            ):
                invalid.add("customerNumber", "Must be an integer between 1 and 999999999.", given)
            for field in ("attention", "customerContact"):
                ref = record.get(field)
                contact = ref.get("customerContactNumber") if isinstance(ref, dict) else None
                if ref is not None and (
                    number is None or contact not in self.contacts.get(number, {})
                ):
                    invalid.add(
                        f"{field}.customerContactNumber", "Customer contact not found.", contact
                    )
            invalid.raise_if_any()
            table = self.tables["customers"]
            if number is None:
                if given is not None and given in table:
                    raise EconomicError(
                        "The entity cannot be created because the key already exists",
                        code="E06010",
                    )
                number = given if given is not None else max(table, default=0) + 1
                self.contacts[number] = {}
            elif number not in table:
                raise EconomicError("Resource not found.", status=404)
            record["customerNumber"] = number
            record.setdefault("barred", False)
            record["lastUpdated"] = _stamp(self.clock())
            for field in ("balance", "dueAmount"):
                record[field] = table.get(number, {}).get(field, 0.0)
            table[number] = record
            return copy.deepcopy(record)

    def save_contact(self, customer: int, body: Any, *, number: int | None = None) -> Record:
        with self.lock:
            if customer not in self.tables["customers"]:
                raise EconomicError("Customer not found.", status=404)
            record = self._object(body)
            invalid = Invalid()
            if not isinstance(record.get("name"), str) or not record["name"].strip():
                invalid.add("name", "Property is required.", record.get("name"))
            invalid.raise_if_any()
            contacts = self.contacts.setdefault(customer, {})
            if number is None:
                number = max(contacts, default=0) + 1
            elif number not in contacts:
                raise EconomicError("Resource not found.", status=404)
            record["customerContactNumber"] = number
            record["customer"] = {"customerNumber": customer}
            contacts[number] = record
            self._touch(customer)
            return copy.deepcopy(record)

    def _touch(self, customer: int) -> None:
        self.tables["customers"][customer]["lastUpdated"] = _stamp(self.clock())

    def delete(self, collection: str, key: Any) -> Record:
        with self.lock:
            found = self.tables[collection].pop(_key(collection, key), None)
            if found is None:
                raise EconomicError("Resource not found.", status=404)
            if collection == "customers":
                self.contacts.pop(int(key), None)
            return found

    # -- products -------------------------------------------------------------------------------
    def save_product(self, body: Any, *, number: str | None = None) -> Record:
        with self.lock:
            record = self._object(body)
            invalid = Invalid()
            given = record.get("productNumber", number)
            if not isinstance(given, str) or not given.strip():
                invalid.add("productNumber", "Property is required and must be a string.", given)
            elif len(given) > 25:
                invalid.add("productNumber", "Length must be between 1 and 25.", given)
            elif number is not None and given != number:
                invalid.add("productNumber", "The product number cannot be changed.", given)
            if not isinstance(record.get("name"), str) or not record["name"].strip():
                invalid.add("name", "Property is required.", record.get("name"))
            self._reference(record, "productGroup", invalid, required=True)
            self._reference(record, "unit", invalid, required=False)
            code = record.get("barCode")
            if code is not None and (not isinstance(code, str) or len(code) > 50):
                invalid.add("barCode", "Length must be at most 50.", code)
            for field in ("salesPrice", "costPrice", "recommendedPrice"):
                value = record.get(field)
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    invalid.add(field, "Must be a number.", value)
            invalid.raise_if_any()
            table = self.tables["products"]
            if number is None:
                if given in table:
                    raise EconomicError(
                        "The entity cannot be created because the key already exists",
                        code="E06010",
                    )
            elif number not in table:
                raise EconomicError("Resource not found.", status=404)
            record["productNumber"] = given
            record.setdefault("barred", False)
            record.pop("inventory", None)
            previous = table.get(given, {})
            if "inventory" in previous:
                record["inventory"] = previous["inventory"]
            record["lastUpdated"] = _stamp(self.clock())
            table[str(given)] = record
            return copy.deepcopy(record)

    # -- sales documents ------------------------------------------------------------------------
    def save_document(self, collection: str, body: Any, *, number: int | None = None) -> Record:
        """POST or PUT of a draft order or draft invoice (PUT replaces it, lines included)."""
        with self.lock:
            record = self._object(body)
            invalid = Invalid()
            currency = record.get("currency")
            if not isinstance(currency, str) or len(currency) != 3:
                invalid.add("currency", "Property is required and must be 3 characters.", currency)
            date = record.get("date")
            if not isinstance(date, str) or not _DATE.match(date):
                invalid.add("date", "Property is required and must be a date (YYYY-MM-DD).", date)
            customer = record.get("customer")
            customer_number = customer.get("customerNumber") if isinstance(customer, dict) else None
            if customer_number is None:
                invalid.add("customer.customerNumber", "Property is required.", None)
            elif customer_number not in self.tables["customers"]:
                invalid.add("customer.customerNumber", "Customer not found.", customer_number)
            self._reference(record, "layout", invalid, required=True)
            self._reference(record, "paymentTerms", invalid, required=True)
            recipient = record.get("recipient")
            if not isinstance(recipient, dict):
                invalid.add("recipient", "Property is required.", None)
            else:
                if not isinstance(recipient.get("name"), str) or not recipient["name"].strip():
                    invalid.add("recipient.name", "Property is required.", recipient.get("name"))
                self._reference(recipient, "vatZone", invalid, required=True, prefix="recipient.")
            lines = record.get("lines") or []
            if not isinstance(lines, list):
                invalid.add("lines", "Must be an array.", None)
                lines = []
            for index, line in enumerate(lines):
                self._line(line, index, invalid)
            invalid.raise_if_any()
            table = self.tables[collection]
            field = DOCUMENT_NUMBER[collection]
            if number is None:
                number = max((*self._numbers(collection), 0)) + 1
            elif number not in table:
                raise EconomicError("Resource not found.", status=404)
            record[field] = number
            self._amounts(record)
            table[number] = record
            return copy.deepcopy(record)

    def _numbers(self, collection: str) -> list[int]:
        """Numbers in use: an order keeps its number from draft to sent to archived."""
        family = [c for c in DOCUMENTS if c.split("/")[0] == collection.split("/", maxsplit=1)[0]]
        return [int(n) for c in family for n in self.tables[c]]

    def _line(self, line: Any, index: int, invalid: Invalid) -> None:
        where = f"lines.{index}"
        if not isinstance(line, dict):
            invalid.add(where, "Must be an object.", line)
            return
        product = line.get("product")
        if product is not None:
            sku = product.get("productNumber") if isinstance(product, dict) else None
            if sku not in self.tables["products"]:
                invalid.add(f"{where}.product.productNumber", "Product not found.", sku)
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            invalid.add(f"{where}.quantity", "Must be a number.", quantity)
        price = line.get("unitNetPrice")
        if price is not None and (isinstance(price, bool) or not isinstance(price, int | float)):
            invalid.add(f"{where}.unitNetPrice", "Must be a number.", price)

    def _amounts(self, doc: Record) -> None:
        """What e-conomic computes: line totals, net, VAT and gross amounts."""
        zone = int(doc["recipient"]["vatZone"]["vatZoneNumber"])
        rate = self.vat_rates.get(zone, Decimal(0))
        net = Decimal(0)
        for number, line in enumerate(doc.get("lines") or [], start=1):
            line.setdefault("lineNumber", number)
            line.setdefault("sortKey", number)
            product = self.tables["products"].get((line.get("product") or {}).get("productNumber"))
            if line.get("unitNetPrice") is None and product is not None:
                line["unitNetPrice"] = product.get("salesPrice", 0)
            quantity = Decimal(str(line.get("quantity", 1)))
            price = Decimal(str(line.get("unitNetPrice") or 0))
            discount = Decimal(str(line.get("discountPercentage") or 0))
            total = quantity * price * (1 - discount / 100)
            line["quantity"] = float(quantity)
            line["totalNetAmount"] = _money(total)
            line["vatRate"] = float(rate)
            line["vatAmount"] = _money(total * rate / 100)
            net += total
        vat = net * rate / 100
        doc["netAmount"] = _money(net)
        doc["vatAmount"] = _money(vat)
        doc["grossAmount"] = _money(net + vat)
        doc["roundingAmount"] = 0.0

    def book(self, body: Any) -> Record:
        """``POST /invoices/booked``: a draft becomes a booked invoice; the draft is gone."""
        with self.lock:
            record = self._object(body)
            ref = record.get("draftInvoice")
            number = ref.get("draftInvoiceNumber") if isinstance(ref, dict) else None
            draft = self.tables["invoices/drafts"].get(number)
            if draft is None:
                invalid = Invalid()
                invalid.add("draftInvoice.draftInvoiceNumber", "Draft invoice not found.", number)
                invalid.raise_if_any()
                raise AssertionError  # unreachable: raise_if_any raised
            booked_number = (
                record.get("bookWithNumber") or max((*self.tables["invoices/booked"], 0)) + 1
            )
            if booked_number in self.tables["invoices/booked"]:
                raise EconomicError(
                    "The entity cannot be created because the key already exists", code="E06010"
                )
            del self.tables["invoices/drafts"][number]
            booked = {k: v for k, v in draft.items() if k != "draftInvoiceNumber"}
            booked["bookedInvoiceNumber"] = booked_number
            booked["remainder"] = booked["grossAmount"]
            self.tables["invoices/booked"][booked_number] = booked
            return copy.deepcopy(booked)

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _object(body: Any) -> Record:
        if not isinstance(body, dict):
            raise EconomicError(
                "The request body could not be read as a JSON object.",
                hint="Send a JSON object with Content-Type: application/json.",
            )
        return {k: copy.deepcopy(v) for k, v in body.items() if k != "self"}

    def _reference(
        self, record: Record, field: str, invalid: Invalid, *, required: bool, prefix: str = ""
    ) -> None:
        collection, inner = REF_COLLECTIONS[field]
        ref = record.get(field)
        if ref is None:
            if required:
                invalid.add(f"{prefix}{field}", "Property is required.", None)
            return
        number = ref.get(inner) if isinstance(ref, dict) else None
        if number not in self.tables[collection]:
            invalid.add(f"{prefix}{field}.{inner}", f"{_title(field)} {number} not found.", number)
            return
        record[field] = {inner: number}


def _title(field: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", field).capitalize()


def _key(collection: str, key: Any) -> Any:
    if collection == "products":
        return str(key)
    try:
        return int(key)
    except (TypeError, ValueError):
        raise EconomicError("Resource not found.", status=404) from None


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))


# -- querying -----------------------------------------------------------------------------------
def filterable(collection: str) -> frozenset[str]:
    if collection in DOCUMENTS:
        return _DOCUMENT_FILTERABLE | {DOCUMENT_NUMBER[collection]}
    if collection in MASTER:
        return frozenset({KEYS[collection], "name"})
    return FILTERABLE.get(collection, frozenset())


def matcher(collection: str, text: str) -> Callable[[Record], bool]:
    """A predicate for ``filter=text``; 400 (listing what is allowed) when it cannot be used."""
    allowed = filterable(collection)
    try:
        expression = parse(text)
    except FilterSyntaxError as exc:
        raise _filter_error(f"The filter could not be parsed: {exc}.", allowed) from None
    fields = list(_fields(expression))
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise _filter_error(f"Filtering on '{unknown[0]}' is not allowed.", allowed)
    return lambda record: _evaluate(expression, record)


def _filter_error(message: str, allowed: frozenset[str]) -> EconomicError:
    return EconomicError(
        message,
        hint="Use the filter syntax field$operator:value with the allowed fields and operators.",
        extra={
            "allowedFilteringFields": sorted(allowed),
            "allowedFilteringOperators": OPERATOR_NAMES,
        },
    )


def _fields(expression: Expression) -> Iterable[str]:
    if isinstance(expression, Condition):
        yield expression.field
    else:
        for part in expression.parts:
            yield from _fields(part)


def _evaluate(expression: Expression, record: Record) -> bool:
    if not isinstance(expression, Condition):
        results = (_evaluate(p, record) for p in expression.parts)
        return all(results) if expression.op == "and" else any(results)
    actual: Any = record
    for part in expression.field.split("."):
        actual = actual.get(part) if isinstance(actual, dict) else None
    return _compare(expression.op, actual, expression.value)


def _compare(op: str, actual: Any, wanted: str | None) -> bool:
    if wanted is None:
        return (actual is None) == (op == "eq") if op in ("eq", "ne") else False
    if actual is None:
        return op == "ne"
    if op == "like":
        pattern = ".*".join(re.escape(p) for p in wanted.split(WILDCARD))
        return re.search(pattern, str(actual), re.IGNORECASE) is not None
    left: Any
    right: Any
    if isinstance(actual, bool):
        left, right = actual, wanted.lower() == "true"
    elif isinstance(actual, int | float):
        try:
            left, right = Decimal(str(actual)), Decimal(wanted)
        except ArithmeticError:
            return op == "ne"
    else:
        # Text compares without case, as e-conomic's database collation does.
        left, right = str(actual).lower(), wanted.lower()
    return bool(
        {
            "eq": left == right,
            "ne": left != right,
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[op]
    )


def page_bounds(params: Mapping[str, str]) -> tuple[int, int]:
    """``skippages`` and ``pagesize`` from a query, checked as e-conomic checks them."""
    try:
        skip = int(params.get("skippages", "0"))
        size = int(params.get("pagesize", "20"))
    except ValueError:
        raise EconomicError("skippages and pagesize must be whole numbers.") from None
    if skip < 0 or size < 1:
        raise EconomicError("skippages must be 0 or more and pagesize 1 or more.")
    if size > MAX_PAGE_SIZE:
        raise EconomicError(
            f"The pagesize {size} exceeds the maximum page size of {MAX_PAGE_SIZE}.",
            hint=f"Use a pagesize of at most {MAX_PAGE_SIZE}.",
        )
    return skip, size
