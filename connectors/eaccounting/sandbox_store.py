"""The eAccounting sandbox's in-memory company: its objects, and the API's own validation.

Objects are kept in the wire shape (``CustomerApi``, ``ArticleApi``, ``OrderApi``,
``CustomerInvoiceDraftApi``, ``CustomerInvoiceApi`` and the master data), keyed by GUID. Writes
are checked the way the API checks them: required fields, lengths, enums and ranges from the
Swagger definitions, references to master data (terms of payment, units, article account
codings, labels, customers, articles) that must exist, unique customer and article numbers; a
failure is an ``ApiError`` with eAccounting's 400 body. PUT replaces the whole object, so what a
body leaves out is reset. The store fills in what eAccounting computes: ids, numbers, names of
referenced master data, totals, ``ChangedUtc``/``ModifiedUtc``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from connectors.eaccounting.sandbox_rules import (
    BOOLEANS,
    FIELDS,
    MAX_LENGTHS,
    NUMBERS,
    REQUIRED,
    ROW_REQUIRED,
)

DEFAULT_SEED = Path(__file__).with_name("sandbox_seed.json")
VALIDATION = 4000
"""The sandbox's ErrorCode for a model validation failure (Visma publishes codes by family)."""
NOT_FOUND = 4004

COLLECTIONS = {
    "customers": "customers",
    "articles": "articles",
    "orders": "orders",
    "customerinvoicedrafts": "customerInvoiceDrafts",
    "customerinvoices": "customerInvoices",
    "vatcodes": "vatCodes",
    "termsofpayments": "termsOfPayments",
    "units": "units",
    "articleaccountcodings": "articleAccountCodings",
    "articlelabels": "articleLabels",
}
"""URL segment -> the seed's key for that collection."""

CENT = Decimal("0.01")


class ApiError(Exception):
    """An error the sandbox answers in eAccounting's shape (400 unless said otherwise)."""

    def __init__(
        self,
        message: str,
        *,
        code: int = VALIDATION,
        status: int = 400,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status
        self.errors = errors or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ErrorCode": self.code,
            "DeveloperErrorMessage": self.message,
            "ErrorId": uuid.uuid4().hex,
        }
        if self.errors:
            body["Errors"] = self.errors
        return body


def invalid(field: str, code: str, message: str) -> dict[str, str]:
    return {"Field": field, "ErrorCode": code, "Message": message, "Key": field}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """A date-time as eAccounting writes it: UTC, to the second, with a Z."""
    return moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


class CompanyStore:
    """One eAccounting company in memory; every method is thread-safe."""

    def __init__(
        self,
        seed: Path | Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        if seed is None:
            seed = DEFAULT_SEED
        data = json.loads(seed.read_text("utf-8")) if isinstance(seed, Path) else seed
        self.seed: Mapping[str, Any] = copy.deepcopy(dict(data))
        self.clock = clock
        self._lock = threading.RLock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        for segment, key in COLLECTIONS.items():
            rows = [copy.deepcopy(r) for r in self.seed.get(key, [])]
            self.objects[segment] = {str(r["Id"]).lower(): r for r in rows}
        self.company_currency = str(self.seed.get("companyCurrency", "EUR"))
        self.invoice_number = 1 + max(
            (int(r.get("InvoiceNumber") or 0) for r in self.objects["customerinvoices"].values()),
            default=0,
        )
        for segment in ("customers", "articles", "orders", "customerinvoicedrafts"):
            for row in self.objects[segment].values():
                self._complete(segment, row, created=None)

    def now(self) -> dt.datetime:
        return self.clock()

    # -- reading ---------------------------------------------------------------------------
    def rows(self, segment: str) -> list[dict[str, Any]]:
        """The collection's objects as the API renders them, in creation order."""
        with self._lock:
            return [self.render(segment, r) for r in self.objects[segment].values()]

    def get(self, segment: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            row = self.objects[segment].get(object_id.lower())
            if row is None:
                raise ApiError(
                    f"No {segment[:-1]} found with id {object_id}", code=NOT_FOUND, status=404
                )
            return self.render(segment, row)

    def render(self, segment: str, row: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(row))
        for name in FIELDS.get(segment, ()):
            out.setdefault(name, None)
        if segment == "customers":
            terms = self.objects["termsofpayments"].get(str(row.get("TermsOfPaymentId")).lower())
            out["TermsOfPayment"] = copy.deepcopy(terms)
        if segment == "articles":
            labels = self.objects["articlelabels"]
            out["ArticleLabels"] = [
                copy.deepcopy(labels.get(str(item.get("Id")).lower(), item))
                for item in row.get("ArticleLabels") or []
                if isinstance(item, dict)
            ]
        return out

    # -- writing ---------------------------------------------------------------------------
    def create(self, segment: str, body: Any) -> dict[str, Any]:
        with self._lock:
            row = self._validated(segment, body, current_id=None)
            row["Id"] = str(uuid.uuid4())
            self._complete(segment, row, created=self.now())
            self.objects[segment][row["Id"]] = row
            return self.render(segment, row)

    def replace(self, segment: str, object_id: str, body: Any) -> dict[str, Any]:
        with self._lock:
            old = self.objects[segment].get(object_id.lower())
            if old is None:
                raise ApiError(
                    f"No {segment[:-1]} found with id {object_id}", code=NOT_FOUND, status=404
                )
            row = self._validated(segment, body, current_id=old["Id"])
            row["Id"] = old["Id"]
            for kept in ("CreatedUtc", "Number", "CustomerNumber"):
                if kept in old and not row.get(kept):
                    row[kept] = old[kept]
            self._complete(segment, row, created=None, changed=self.now())
            self.objects[segment][row["Id"]] = row
            return self.render(segment, row)

    def convert_order(self, object_id: str) -> dict[str, Any]:
        """``POST /orders/{id}/convert``: a booked customer invoice; the order is invoiced."""
        with self._lock:
            order = self.objects["orders"].get(object_id.lower())
            if order is None:
                raise ApiError(f"No order found with id {object_id}", code=NOT_FOUND, status=404)
            if order.get("Status") == 4:
                raise ApiError("The order is already invoiced", code=4028)
            total = Decimal(str(order.get("Amount") or 0)) + Decimal(
                str(order.get("VatAmount") or 0)
            )
            now = self.now()
            invoice = {
                "Id": str(uuid.uuid4()),
                "CustomerId": order["CustomerId"],
                "CreatedFromOrderId": order["Id"],
                "InvoiceNumber": self.invoice_number,
                "InvoiceDate": stamp(now)[:10],
                "CurrencyCode": order.get("CurrencyCode"),
                "TotalAmount": _money(total),
                "TotalVatAmount": order.get("VatAmount"),
                "RemainingAmount": _money(total),
                "YourReference": order.get("YourReference"),
                "EuThirdParty": order.get("EuThirdParty", False),
                "RotReducedInvoicingType": 0,
                "Rows": [],
                "CreatedUtc": stamp(now),
                "ModifiedUtc": stamp(now),
            }
            self.invoice_number += 1
            self.objects["customerinvoices"][invoice["Id"]] = invoice
            order["Status"] = 4
            order["ModifiedUtc"] = stamp(now)
            return copy.deepcopy(invoice)

    # -- validation ------------------------------------------------------------------------
    def _validated(self, segment: str, body: Any, *, current_id: str | None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError("The request body is not a JSON object")
        row = {k: copy.deepcopy(v) for k, v in body.items() if v is not None}
        errors: list[dict[str, str]] = []
        for name in REQUIRED.get(segment, ()):
            if row.get(name) in (None, ""):
                errors.append(invalid(name, "Required", f"The {name} field is required."))
        for name, limit in MAX_LENGTHS.get(segment, {}).items():
            value = row.get(name)
            if isinstance(value, str) and len(value) > limit:
                errors.append(
                    invalid(name, "MaxLength", f"{name} can be at most {limit} characters long.")
                )
        errors.extend(_types(row, ""))
        check = getattr(self, f"_check_{segment}", None)
        if check is not None:
            errors.extend(check(row, current_id))
        if errors:
            raise ApiError("The request is invalid", errors=errors)
        return row

    def _exists(self, segment: str, value: object) -> bool:
        return isinstance(value, str) and value.lower() in self.objects[segment]

    def _check_customers(self, row: dict[str, Any], current_id: str | None) -> list[dict[str, str]]:
        errors = []
        if row.get("TermsOfPaymentId") and not self._exists(
            "termsofpayments", row["TermsOfPaymentId"]
        ):
            errors.append(
                invalid("TermsOfPaymentId", "NotFound", "The terms of payment does not exist.")
            )
        number = row.get("CustomerNumber")
        if number and any(
            c.get("CustomerNumber") == number and c["Id"] != current_id
            for c in self.objects["customers"].values()
        ):
            errors.append(
                invalid("CustomerNumber", "Duplicate", f"Customer number {number} already exists.")
            )
        discount = row.get("DiscountPercentage")
        if isinstance(discount, int | float) and not 0 <= discount <= 1:
            errors.append(invalid("DiscountPercentage", "Range", "must be between 0 and 1."))
        return errors

    def _check_articles(self, row: dict[str, Any], current_id: str | None) -> list[dict[str, str]]:
        errors = []
        if row.get("UnitId") and not self._exists("units", row["UnitId"]):
            errors.append(invalid("UnitId", "NotFound", "The unit does not exist."))
        coding = row.get("CodingId")
        if coding and not self._exists("articleaccountcodings", coding):
            errors.append(
                invalid("CodingId", "NotFound", "The article account coding (VAT) does not exist.")
            )
        number = str(row.get("Number") or "")
        if number and any(
            str(a.get("Number") or "").lower() == number.lower() and a["Id"] != current_id
            for a in self.objects["articles"].values()
        ):
            errors.append(invalid("Number", "Duplicate", f"Article number {number} is in use."))
        for name in ("NetPrice", "GrossPrice"):
            value = row.get(name)
            if isinstance(value, int | float) and not 0 <= value <= 10_000_000:
                errors.append(invalid(name, "Range", f"{name} must be between 0 and 10000000."))
        for label in row.get("ArticleLabels") or []:
            if not isinstance(label, dict) or not self._exists("articlelabels", label.get("Id")):
                errors.append(invalid("ArticleLabels", "NotFound", "The label does not exist."))
        return errors

    def _check_orders(self, row: dict[str, Any], current_id: str | None) -> list[dict[str, str]]:
        errors = self._check_document(row, "orders")
        status = row.get("Status")
        if status is not None and status not in (1, 2, 3, 4):
            errors.append(invalid("Status", "Enum", "Status must be 1, 2, 3 or 4."))
        return errors

    def _check_customerinvoicedrafts(
        self, row: dict[str, Any], current_id: str | None
    ) -> list[dict[str, str]]:
        return self._check_document(row, "customerinvoicedrafts")

    def _check_document(self, row: dict[str, Any], segment: str) -> list[dict[str, str]]:
        errors = []
        if row.get("CustomerId") and not self._exists("customers", row["CustomerId"]):
            errors.append(invalid("CustomerId", "NotFound", "The customer does not exist."))
        if row.get("RotReducedInvoicingType") not in (None, 0, 1, 2):
            errors.append(invalid("RotReducedInvoicingType", "Enum", "must be 0, 1 or 2."))
        rows = row.get("Rows") or []
        if not isinstance(rows, list):
            return [*errors, invalid("Rows", "Type", "Rows must be a list.")]
        for i, line in enumerate(rows):
            where = f"Rows[{i}]"
            if not isinstance(line, dict):
                errors.append(invalid(where, "Type", "A row must be an object."))
                continue
            for name in ROW_REQUIRED[segment]:
                if line.get(name) is None:
                    errors.append(invalid(f"{where}.{name}", "Required", f"{name} is required."))
            errors.extend(_types(line, f"{where}."))
            if not line.get("IsTextRow"):
                if not line.get("ArticleId"):
                    errors.append(
                        invalid(f"{where}.ArticleId", "Required", "ArticleId is required.")
                    )
                elif not self._exists("articles", line["ArticleId"]):
                    errors.append(
                        invalid(f"{where}.ArticleId", "NotFound", "The article does not exist.")
                    )
            discount = line.get("DiscountPercentage")
            if isinstance(discount, int | float) and not 0 <= discount <= 1:
                errors.append(
                    invalid(f"{where}.DiscountPercentage", "Range", "must be between 0 and 1.")
                )
        return errors

    # -- computed fields -------------------------------------------------------------------
    def _complete(
        self,
        segment: str,
        row: dict[str, Any],
        *,
        created: dt.datetime | None,
        changed: dt.datetime | None = None,
    ) -> None:
        moment = changed or created
        if segment == "customers":
            if not row.get("CustomerNumber"):
                row["CustomerNumber"] = str(self._next_number("customers", "CustomerNumber"))
            if moment is not None:
                row["ChangedUtc"] = stamp(moment)
        elif segment == "articles":
            unit = self.objects["units"].get(str(row.get("UnitId")).lower(), {})
            coding = self.objects["articleaccountcodings"].get(str(row.get("CodingId")).lower())
            row["UnitName"], row["UnitAbbreviation"] = unit.get("Name"), unit.get("Abbreviation")
            row["CodingName"] = (coding or {}).get("Name")
            balance = row.get("StockBalance") or 0
            row.setdefault("StockBalanceReserved", 0)
            row["StockBalanceAvailable"] = balance - (row.get("StockBalanceReserved") or 0)
            if created is not None:
                row["CreatedUtc"] = stamp(created)
            if moment is not None:
                row["ChangedUtc"] = stamp(moment)
        elif segment in ("orders", "customerinvoicedrafts"):
            self._complete_document(segment, row)
            if created is not None:
                row["CreatedUtc"] = stamp(created)
            if segment == "orders":
                if not row.get("Number"):
                    row["Number"] = self._next_number("orders", "Number")
                if moment is not None:
                    row["ModifiedUtc"] = stamp(moment)

    def _next_number(self, segment: str, field: str) -> int:
        numbers = [
            int(str(r.get(field)))
            for r in self.objects[segment].values()
            if str(r.get(field) or "").isdigit()
        ]
        return max(numbers, default=999 if segment == "orders" else 0) + 1

    def _complete_document(self, segment: str, row: dict[str, Any]) -> None:
        customer = self.objects["customers"].get(str(row.get("CustomerId")).lower(), {})
        row["CustomerIsPrivatePerson"] = bool(customer.get("IsPrivatePerson"))
        row["InvoiceCustomerName"] = customer.get("Name")
        for name in ("InvoiceAddress1", "InvoiceCity", "InvoicePostalCode", "InvoiceCountryCode"):
            if segment == "customerinvoicedrafts" or not row.get(name):
                row[name] = customer.get(name)
        net = vat = Decimal(0)
        for number, line in enumerate(row.get("Rows") or [], start=1):
            line.setdefault("LineNumber", number)
            if line.get("IsTextRow"):
                continue
            article = self.objects["articles"].get(str(line.get("ArticleId")).lower(), {})
            line["ArticleNumber"] = article.get("Number")
            line.setdefault("Text", article.get("Name"))
            if line.get("UnitPrice") is None:
                line["UnitPrice"] = article.get("NetPrice")
            coding = self.objects["articleaccountcodings"].get(
                str(article.get("CodingId")).lower(), {}
            )
            rate = Decimal(str(coding.get("VatRatePercent") or 0))
            amount = (
                Decimal(str(line.get("Quantity") or 0))
                * Decimal(str(line.get("UnitPrice") or 0))
                * (1 - Decimal(str(line.get("DiscountPercentage") or 0)))
            )
            net += amount
            vat += amount * rate
            if segment == "customerinvoicedrafts":
                line["VatRateId"] = coding.get("Id")
        if segment == "orders":
            row["Amount"], row["VatAmount"], row["RoundingsAmount"] = _money(net), _money(vat), 0
        else:
            row["TotalAmount"], row["TotalVatAmount"] = _money(net + vat), _money(vat)
            row["TotalRoundings"] = 0
            row["CustomerNumber"] = customer.get("CustomerNumber")
            row["InvoiceCurrencyCode"] = customer.get("CurrencyCode") or self.company_currency
            row["IncludesVat"] = bool(customer.get("IsPrivatePerson"))


def _types(row: Mapping[str, Any], prefix: str) -> list[dict[str, str]]:
    errors = []
    for name, value in row.items():
        if name in BOOLEANS and not isinstance(value, bool):
            errors.append(invalid(prefix + name, "Type", f"{name} must be true or false."))
        if name in NUMBERS and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors.append(invalid(prefix + name, "Type", f"{name} must be a number."))
    return errors
