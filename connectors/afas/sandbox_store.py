"""The AFAS sandbox's in-memory Profit environment: GetConnector views and GetConnector queries.

The store keeps debtors, articles, stock, sales documents and journal entries in the shape the
UpdateConnectors write them (AFAS field codes), and renders each standard GetConnector from them
with its published columns, so what a client writes is what it reads back. Query semantics
follow AFAS's documentation: ``skip``/``take`` (default 100, ``-1/-1`` = all), ``orderbyfieldids``
with ``-`` for descending, the three filter lists with ``,`` = AND and ``;`` = OR, operator codes
1-15, no ``Z`` in date filter values, unknown columns -> "Connector-veld '…' niet gevonden"
(``sandbox_query.py``). The UpdateConnector side lives in ``sandbox_updates.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PER_RECORD = {
    "Profit_Debtor": "debtors",
    "Profit_Article": "articles",
    "Profit_Salesorders": "orders",
    "Profit_SalesorderLines": "orders",
}
"""GetConnectors whose rows are rendered per stored record (the store's collection), so each
record's rows can be kept until it changes."""
DEFAULT_SEED = Path(__file__).with_name("sandbox_seed.json")

STRING, DECIMAL, INTEGER, BOOLEAN, DATE = "string", "decimal", "int", "boolean", "date"
S, N, INT, B, D = STRING, DECIMAL, INTEGER, BOOLEAN, DATE  # short names for the table below
COLUMNS: Mapping[str, list[tuple[str, str]]] = {
    "Profit_Debtor": [
        ("DebtorId", S), ("DebtorName", S), ("BcCo", S), ("SearchName", S), ("AdressLine1", S),
        ("AdressLine3", S), ("AdressLine4", S), ("TelNr", S), ("Email", S), ("IBAN", S),
        ("VatNr", S), ("ChOfCommNr", S), ("CollectAccount", S), ("PayCon", S), ("VatDuty", S),
        ("Blocked", B), ("CreditLimit", N), ("CurrencyId", S), ("AutoPayment", B),
        ("CreateDate", D), ("ModifiedDate", D),
    ],
    "Profit_Article": [
        ("ItemCode", S), ("Description", S), ("ExtraDescription", S), ("UnitId", S),
        ("Factor", INT), ("ArtGroup", S), ("Blocked", B), ("Barcode", S), ("VATGroup", S),
        ("ItemSortCode", S), ("ItemTypeCode", S), ("Stock", B), ("BitDecimals", INT),
        ("PriceGroup", S), ("StockCode", S), ("StockDimId1", S), ("StockDimId2", S),
        ("CreateDate", D), ("ModifiedDate", D),
    ],
    "Profit_Salesorders": [
        ("Ordersoort", S), ("OrderNumber", S), ("Status", S), ("OrderDate", D), ("DebtorId", S),
        ("CurrencyId", S), ("CustomerReference", S), ("Gross", N), ("Discount", N),
        ("TotalAmount", N), ("VAT", N), ("Quantity", N), ("InvoiceTotal", N),
    ],
    "Profit_SalesorderLines": [
        ("OrderNumber", S), ("Status", S), ("OrderDate", D), ("DebtorId", S), ("CurrencyId", S),
        ("CustomerReference", S), ("SeqNo", INT), ("LineStatusCode", S), ("LineGuid", S),
        ("ItemTypeCode", S), ("ItemCodeId", S), ("Description", S), ("UnitId", S),
        ("PiecePerUnit", N), ("PricePerUnit", N), ("AmtRowDiscount", N), ("PriceNet", N),
        ("AmtTotal", N), ("CreateDate", D), ("ModifiedDate", D),
    ],
    "Profit_Stock_per_Warehouse": [
        ("Basisartikeltype_code", S), ("Item_code", S), ("In_stock", N), ("Unit", S),
        ("Stock_level_code", S),
    ],
    "Profit_VAT_code": [
        ("VatCode", S), ("Description", S), ("AccountNr", S), ("VatPerc", N), ("VatDuty", S),
        ("Blocked", B), ("VatMethod", S), ("VatType", S),
    ],
    "Profit_Administrations": [("AdminId", INT), ("AdminNm", S), ("AdminCd", S)],
    "Profit_Debtor_Invoices": [
        ("UnitId", INT), ("DebtorId", S), ("InvoiceNr", S), ("NookPieceDate", D), ("ExpDate", D),
        ("CurrencyId", S), ("AmtInvoice", N), ("AmtInvoiceCurr", N), ("Balance", N),
        ("BalanceCurr", N), ("Description", S),
    ],
}  # fmt: skip
"""Each standard GetConnector's published columns and their types (AFAS's OpenAPI specs)."""

ORDER_KINDS = {"FbSales": "Verkooporder", "FbSalesQuotation": "Offerte",
               "FbDirectInvoice": "Directe factuur"}  # fmt: skip


class AfasError(Exception):
    """A functional error the sandbox answers in AFAS's shape (500 unless said otherwise)."""

    def __init__(self, message: str, *, number: int = -2147180996, status: int = 500) -> None:
        super().__init__(message)
        self.message, self.number, self.status = message, number, status

    def body(self) -> dict[str, Any]:
        return {
            "externalMessage": self.message,
            "errorNumber": self.number,
            "profitLogReference": uuid.uuid4().hex.upper(),
        }


def not_found(label: str) -> AfasError:
    return AfasError(f"De ingevulde waarde bij '{label}' bestaat niet.", number=-2147220469)


def afas_time(value: dt.datetime) -> str:
    """How GetConnectors print a date-time: Amsterdam local time with a cosmetic Z."""
    return value.replace(microsecond=0).isoformat() + "Z"


class ProfitStore:
    """One emulated Profit environment; thread-safe, all writes maintain ``ModifiedDate``."""

    def __init__(
        self,
        seed: Path | Mapping[str, Any] | None,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        data: Mapping[str, Any]
        if seed is None:
            seed = DEFAULT_SEED
        self.seed = seed
        data = json.loads(seed.read_text("utf-8")) if isinstance(seed, Path) else seed
        self.clock = clock
        self._clock = clock or (lambda: dt.datetime.now(AMSTERDAM).replace(tzinfo=None))
        self._last = dt.datetime.min
        self.lock = threading.RLock()
        self.version = str(data.get("profitVersion", "22.22.5"))
        self.environment = str(data.get("environment", "O12345AA"))
        self.administrations = [dict(r) for r in data.get("administrations", [])]
        self.vat_codes = [dict(r) for r in data.get("vatCodes", [])]
        self.warehouses = set(data.get("warehouses", ["01"]))
        self.debtors = {str(d["DbId"]): dict(d) for d in data.get("debtors", [])}
        self.articles = {str(a["ItCd"]): dict(a) for a in data.get("articles", [])}
        self.stock: dict[tuple[str, str], Decimal] = {
            (str(s["ItCd"]), str(s.get("War", "01"))): Decimal(str(s["quantity"]))
            for s in data.get("stock", [])
        }
        self.orders = {str(o["OrNu"]): dict(o) for o in data.get("orders", [])}
        self.entries: list[dict[str, Any]] = []
        # A tenant's own GetConnectors: a copy of a standard one with renamed columns, e.g.
        # {"Weber_Debtors": {"from": "Profit_Debtor", "rename": {"Email": "MailWork"}}}.
        self.custom_connectors: dict[str, tuple[str, dict[str, str]]] = {
            str(name): (
                str(spec["from"]),
                {str(k): str(v) for k, v in spec.get("rename", {}).items()},
            )
            for name, spec in data.get("getConnectors", {}).items()
            if spec.get("from") in COLUMNS
        }
        self.counters = {
            "DbId": max([int(k) for k in self.debtors if k.isdigit()] or [10000]),
            "BcCo": max([int(d["BcCo"]) for d in self.debtors.values() if "BcCo" in d] or [100000]),
            "OrNu": max([int(k) for k in self.orders if k.isdigit()] or [60000000]),
            "EnNo": 48000,
        }
        self.writes = 0
        """Counts writes (``sandbox_updates.apply``): a GetConnector view computed at one
        version is reused for the next pages of the same query until a write."""
        self.views: dict[tuple[object, ...], list[dict[str, Any]]] = {}
        self._memo: dict[str, dict[str, tuple[object, list[dict[str, Any]]]]] = {}
        """GetConnector -> record key -> (the record's ModifiedDate, its rendered rows)."""

    # -- bookkeeping -----------------------------------------------------------------------
    def next_number(self, name: str) -> str:
        self.counters[name] += 1
        return str(self.counters[name])

    def touch(self) -> str:
        """A modification time that never goes back, so incremental reads see every write."""
        now = self._clock().replace(microsecond=0)
        if now <= self._last:
            now = self._last + dt.timedelta(seconds=1)
        self._last = now
        return afas_time(now)

    # -- GetConnector views ----------------------------------------------------------------
    def columns(self, connector: str) -> list[tuple[str, str]]:
        """A GetConnector's columns and their types (a custom one's renamed)."""
        if connector in self.custom_connectors:
            base, rename = self.custom_connectors[connector]
            return [(rename.get(name, name), kind) for name, kind in COLUMNS[base]]
        return list(COLUMNS.get(connector, []))

    def rows(self, connector: str) -> list[dict[str, Any]]:
        if connector in self.custom_connectors:
            base, rename = self.custom_connectors[connector]
            return [{rename.get(k, k): v for k, v in row.items()} for row in self.rows(base)]
        with self.lock:
            collection = PER_RECORD.get(connector)
            if collection is not None:
                return self._rendered(connector, getattr(self, collection))
            render = getattr(self, "_rows_" + connector.lower(), None)
            if render is None or connector not in COLUMNS:
                raise AfasError(
                    "GetConnector niet ondersteund voor deze app of de gebruiker is niet "
                    "geautoriseerd.",
                    status=401,
                )
            names = [name for name, _ in COLUMNS[connector]]
            return [{name: row.get(name) for name in names} for row in render()]

    def _rendered(
        self, connector: str, records: Mapping[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The rows of a GetConnector with rows per stored record, each record rendered once
        per version: its ``ModifiedDate``, which every write moves (a record without one is
        rendered every time). Rendering every order for every look-up made a look-up's cost
        grow with the store, where Profit answers from an index."""
        render: Callable[[dict[str, Any]], list[dict[str, Any]]] = getattr(
            self, "_record_" + connector.lower()
        )
        names = [name for name, _ in COLUMNS[connector]]
        memo = self._memo.setdefault(connector, {})
        out: list[dict[str, Any]] = []
        for key, record in records.items():
            stamp = record.get("ModifiedDate")
            hit = memo.get(key)
            if hit is None or stamp is None or hit[0] != stamp:
                rows = [{name: row.get(name) for name in names} for row in render(record)]
                hit = memo[key] = (stamp, rows)
            out.extend(hit[1])
        return out

    def _record_profit_debtor(self, d: dict[str, Any]) -> list[dict[str, Any]]:
        address = d.get("address") or {}
        number = " ".join(str(p) for p in (address.get("HmNr"), address.get("HmAd")) if p)
        zip_code = address.get("ZpCd") or ""
        return [
            {
                "DebtorId": d["DbId"],
                "DebtorName": d.get("Nm"),
                "BcCo": d.get("BcCo"),
                "SearchName": (d.get("SeNm") or str(d.get("Nm") or "")[:10].upper()) or None,
                "AdressLine1": " ".join(p for p in (address.get("Ad"), number) if p) or None,
                "AdressLine3": f"{zip_code}  {str(address.get('Rs') or '').upper()}".strip()
                or None,
                "AdressLine4": None if address.get("CoId", "NL") == "NL" else address["CoId"],
                "TelNr": d.get("TeNr"),
                "Email": d.get("EmAd"),
                "VatNr": d.get("VaId"),
                "ChOfCommNr": d.get("CcNr"),
                "CollectAccount": d.get("ColA"),
                "PayCon": d.get("PaCd"),
                "VatDuty": d.get("VaDu"),
                "Blocked": bool(d.get("Bl", False)),
                "CreditLimit": _num(d.get("Krli", 0)),
                "CurrencyId": d.get("CuId"),
                "AutoPayment": bool(d.get("AuPa", False)),
                "CreateDate": d.get("CreateDate"),
                "ModifiedDate": d.get("ModifiedDate"),
            }
        ]

    def _record_profit_article(self, a: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "ItemCode": a["ItCd"],
                "Description": a.get("Ds"),
                "ExtraDescription": a.get("DsEx"),
                "UnitId": a.get("BiUn"),
                "Factor": 1,
                "ArtGroup": a.get("Grp"),
                "Blocked": bool(a.get("Bl", False)),
                "Barcode": a.get("BaCo"),
                "VATGroup": a.get("VaRc"),
                "ItemTypeCode": "A",
                "Stock": bool(a.get("BiSt", True)),
                "BitDecimals": int(a.get("BiDc", 0)),
                "PriceGroup": a.get("PrGr"),
                "CreateDate": a.get("CreateDate"),
                "ModifiedDate": a.get("ModifiedDate"),
            }
        ]

    def _record_profit_salesorders(self, o: dict[str, Any]) -> list[dict[str, Any]]:
        lines = o.get("lines", [])
        gross = sum((_line_total(line) for line in lines), Decimal(0))
        return [
            {
                "Ordersoort": ORDER_KINDS.get(o.get("kind", "FbSales"), "Verkooporder"),
                **_order_head(o),
                "Gross": _num(gross),
                "Discount": 0,
                "TotalAmount": _num(gross),
                "VAT": 0,
                "Quantity": _num(sum((Decimal(str(x.get("QuUn", 0))) for x in lines), Decimal(0))),
                "InvoiceTotal": _num(gross),
            }
        ]

    def _record_profit_salesorderlines(self, o: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for seq, line in enumerate(o.get("lines", []), start=1):
            total = _line_total(line)
            out.append(
                {
                    **_order_head(o),
                    "SeqNo": seq,
                    "LineStatusCode": "0",
                    "LineGuid": line.get("GuLi"),
                    "ItemTypeCode": str(line.get("VaIt")),
                    "ItemCodeId": line.get("ItCd"),
                    "Description": line.get("Ds"),
                    "UnitId": line.get("BiUn"),
                    "PiecePerUnit": _num(line.get("QuUn", 0)),
                    "PricePerUnit": _num(line.get("Upri", 0)),
                    "AmtRowDiscount": 0,
                    "PriceNet": _num(line.get("Upri", 0)),
                    "AmtTotal": _num(total),
                    "CreateDate": o.get("CreateDate"),
                    "ModifiedDate": o.get("ModifiedDate"),
                }
            )
        return out

    def _rows_profit_stock_per_warehouse(self) -> list[dict[str, Any]]:
        totals: dict[str, Decimal] = {}
        for (item, _warehouse), quantity in self.stock.items():
            totals[item] = totals.get(item, Decimal(0)) + quantity
        return [
            {
                "Basisartikeltype_code": "A",
                "Item_code": item,
                "In_stock": _num(quantity),
                "Unit": self.articles.get(item, {}).get("BiUn"),
                "Stock_level_code": None,
            }
            for item, quantity in totals.items()
        ]

    def _rows_profit_vat_code(self) -> list[dict[str, Any]]:
        return self.vat_codes

    def _rows_profit_administrations(self) -> list[dict[str, Any]]:
        return self.administrations

    def _rows_profit_debtor_invoices(self) -> list[dict[str, Any]]:
        """The open items the journal entries' debtor lines (``VaAs`` 2) made, one per line."""
        out = []
        for entry in self.entries:
            for line in entry.get("lines", []):
                if str(line.get("VaAs")) != "2":
                    continue
                amount = Decimal(str(line.get("AmDe") or 0)) - Decimal(str(line.get("AmCr") or 0))
                out.append(
                    {
                        "UnitId": int(entry.get("UnId") or 1),
                        "DebtorId": str(line["AcNr"]),
                        "InvoiceNr": str(line.get("InId") or f"V{entry['EnNo']}"),
                        "NookPieceDate": f"{line.get('BpDa') or line.get('EnDa')}T00:00:00Z",
                        "ExpDate": f"{line['DaEx']}T00:00:00Z" if line.get("DaEx") else None,
                        "CurrencyId": line.get("CuId") or "EUR",
                        "AmtInvoice": _num(amount),
                        "AmtInvoiceCurr": _num(amount),
                        "Balance": _num(amount),
                        "BalanceCurr": _num(amount),
                        "Description": line.get("Ds"),
                    }
                )
        return out


def _order_head(o: Mapping[str, Any]) -> dict[str, Any]:
    """The header columns an order's rows share in Profit_Salesorders and its lines."""
    return {
        "OrderNumber": o["OrNu"],
        "Status": o.get("Status", "Open"),
        "OrderDate": f"{o['OrDa']}T00:00:00Z" if o.get("OrDa") else None,
        "DebtorId": o.get("DbId"),
        "CurrencyId": o.get("CuId", "EUR"),
        "CustomerReference": o.get("RfCs"),
    }


def _num(value: object) -> int | float:
    amount = Decimal(str(value))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _line_total(line: Mapping[str, Any]) -> Decimal:
    return Decimal(str(line.get("QuUn", 0))) * Decimal(str(line.get("Upri", 0)))
