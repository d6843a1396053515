"""The Twinfield sandbox's data and its ProcessXml/Finder semantics, in memory.

One store holds offices, VAT codes, journals, customers (dimensions of type DEB), sales
transactions and sales invoices, seeded from JSON (``seed.json`` shows the shape). The handlers
answer the inner XML documents of ``ProcessXmlString`` (target-apis.md 3.3-3.7): ``read``,
``list``, ``dimensions``, ``transactions`` and browse ``columns``; and the Finder's ``Search``
(3.6). Business errors are answered the way Twinfield does: HTTP 200, ``result="0"`` on the
object and ``msgtype="error"`` with ``msg`` on the offending element. A final sales invoice is
booked as a transaction with ``origin`` ``invoice`` in the sales journal, as the invoice module
does. No I/O happens here.
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from lxml import etree

from connectors.twinfield import soap
from connectors.twinfield.translate import (
    ORIGIN_INVOICE,
    amount,
    child,
    decimal,
    dimension_element,
    dimension_record,
    line_value,
    period_of,
)

Element = etree._Element
STAMP = "%Y%m%d%H%M%S"


class Refused(Exception):
    """An access problem answered as a SOAP Fault (not a business error)."""


def _error(element: Element, message: str) -> Element:
    element.set("msgtype", "error")
    element.set("msg", message)
    return element


def _sub(parent: Element, name: str, value: object) -> Element:
    node = etree.SubElement(parent, name)
    if value is not None:
        node.text = str(value)
    return node


class TwinfieldStore:
    """The sandbox's data. ``clock`` gives the modification time stamps (tests set it)."""

    def __init__(self, seed: Mapping[str, Any], *, clock: Any = None) -> None:
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
        self.offices: dict[str, str] = {o["code"]: o["name"] for o in seed.get("offices", [])}
        self.vat: dict[str, dict[str, Any]] = {v["code"]: dict(v) for v in seed.get("vat", [])}
        self.journals: set[str] = set(seed.get("journals", ["VRK"]))
        self.invoice_types: set[str] = set(seed.get("invoiceTypes", ["FACTUUR"]))
        self.dimensions: dict[tuple[str, str], dict[str, Any]] = {}
        self.transactions: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.invoices: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._next: dict[str, int] = {}
        office = next(iter(self.offices), "")
        self.articles: dict[tuple[str, str], dict[str, Any]] = {}
        for art in seed.get("articles", []):
            record = copy.deepcopy(art)
            record.setdefault("modified", self._stamp())
            self.articles[(str(art.get("office", office)), str(art["code"]))] = record
        for dim in seed.get("dimensions", []):
            record = {k: str(v) for k, v in dim.items() if k not in ("office", "modified")}
            where = str(dim.get("office", office))
            self.dimensions[(where, record["code"])] = {
                **record,
                "modified": dim.get("modified") or self._stamp(),
            }
        for invoice in seed.get("salesInvoices", []):
            self._add_invoice(copy.deepcopy(invoice), office)
        for seeded in seed.get("transactions", []):
            trs = copy.deepcopy(seeded)
            trs.setdefault("office", office)
            trs.setdefault("modified", self._stamp())
            trs["number"] = str(trs.get("number") or self._number(trs["code"]))
            self.transactions[(trs["office"], trs["code"], trs["number"])] = trs

    # -- helpers -----------------------------------------------------------------------------
    def _stamp(self) -> str:
        now: dt.datetime = self.clock()
        return now.strftime(STAMP)

    def _number(self, series: str, start: int = 1) -> str:
        current = self._next.get(series, start - 1) + 1
        self._next[series] = current
        return str(current)

    def next_customer_code(self, office: str) -> str:
        used = [int(c) for (o, c) in self.dimensions if o == office and c.isdigit()]
        return str(max([999, *used]) + 1)

    def _add_invoice(self, invoice: dict[str, Any], office: str) -> None:
        invoice.setdefault("office", office)
        invoice.setdefault("invoicetype", "FACTUUR")
        invoice["invoicenumber"] = str(invoice["invoicenumber"])
        key = (invoice["office"], invoice["invoicetype"], invoice["invoicenumber"])
        self.invoices[key] = invoice
        if invoice.get("status") == "final":
            self._book_invoice(invoice)

    def _rate(self, code: str | None) -> Decimal:
        if not code or code not in self.vat:
            return Decimal(0)
        return Decimal(str(self.vat[code]["percentage"]))

    def _book_invoice(self, invoice: dict[str, Any]) -> None:
        """The transaction the invoice module books for a final invoice."""
        excl = vat = Decimal(0)
        details = []
        for line in invoice.get("lines", []):
            value = line_value(
                {"quantity": line.get("quantity"), "unitPrice": line.get("unitspriceexcl")}
            )
            tax = (value * self._rate(line.get("vatcode")) / 100).quantize(Decimal("0.01"))
            excl, vat = excl + value, vat + tax
            details.append(
                {
                    "type": "detail",
                    "dim1": line.get("dim1", "8000"),
                    "debitcredit": "credit",
                    "value": amount(value),
                    "vatcode": line.get("vatcode"),
                    "vatvalue": amount(tax),
                    "description": line.get("description"),
                }
            )
        total = {
            "type": "total",
            "dim1": "1300",
            "dim2": invoice["customer"],
            "debitcredit": "debit",
            "value": amount(excl + vat),
            "matchstatus": "matched" if invoice.get("paid") else "available",
        }
        number = str(invoice.get("transactionNumber") or self._number("VRK"))
        trs = {
            "office": invoice["office"],
            "code": "VRK",
            "number": number,
            "origin": ORIGIN_INVOICE,
            "date": invoice["invoicedate"],
            "invoicenumber": invoice["invoicenumber"],
            "currency": invoice.get("currency", "EUR"),
            "modified": invoice.get("modified") or self._stamp(),
            "lines": [total, *details],
        }
        self.transactions[(trs["office"], "VRK", number)] = trs
        invoice["totals"] = {"valueexcl": amount(excl), "valueinc": amount(excl + vat)}

    def _office(self, document: Element, header_office: str) -> str:
        office = child(document, "office") or header_office
        if office != header_office:
            raise _Answer(
                _error(
                    copy.deepcopy(document),
                    f"Administratie {office} komt niet overeen met de CompanyCode van de header.",
                )
            )
        return office

    # -- ProcessXml --------------------------------------------------------------------------
    def process(self, document: Element, *, office: str) -> Element:
        """The answer document to one request document."""
        handlers = {
            "read": self._read,
            "list": self._list,
            "dimensions": self._dimensions,
            "dimension": self._dimensions,
            "transactions": self._transactions,
            "transaction": self._transactions,
            "columns": self._browse,
        }
        handler = handlers.get(document.tag)
        if handler is None:
            answer = copy.deepcopy(document)
            answer.set("result", "0")
            return _error(answer, f"Het document <{document.tag}> wordt niet ondersteund.")
        try:
            return handler(document, office)
        except _Answer as answer:
            answer.element.set("result", "0")
            return answer.element

    def _read(self, document: Element, office: str) -> Element:
        office = self._office(document, office)
        kind = child(document, "type")
        code = child(document, "code") or ""
        if kind == "dimensions":
            record = self.dimensions.get((office, code))
            if record is None or child(document, "dimtype") != "DEB":
                raise _missing("dimension", "code", code, f"Dimensie {code} bestaat niet.")
            return self.dimension_xml(office, record)
        if kind == "transaction":
            number = child(document, "number") or ""
            trs = self.transactions.get((office, code, number))
            if trs is None:
                raise _missing(
                    "transaction", "number", number, f"Boeking {code} {number} bestaat niet."
                )
            return self.transaction_xml(trs)
        if kind == "salesinvoice":
            number = child(document, "invoicenumber") or ""
            invoice = self.invoices.get((office, code, number))
            if invoice is None:
                raise _missing(
                    "salesinvoice", "invoicenumber", number, f"Factuur {number} bestaat niet."
                )
            return self.invoice_xml(invoice)
        if kind == "article":
            article = self.articles.get((office, code))
            if article is None:
                raise _missing("article", "code", code, f"Artikel {code} bestaat niet.")
            return self.article_xml(office, article)
        if kind == "vat":
            vat = self.vat.get(code)
            if vat is None:
                raise _missing("vat", "code", code, f"Btw-code {code} bestaat niet.")
            return self.vat_xml(vat)
        answer = copy.deepcopy(document)
        raise _Answer(_error(answer, f"Het type {kind!r} wordt niet ondersteund."))

    def _list(self, document: Element, office: str) -> Element:
        kind = child(document, "type")
        if kind == "offices":
            answer = etree.Element("offices", result="1")
            for code, name in sorted(self.offices.items()):
                etree.SubElement(answer, "office", name=name, shortname="").text = code
            return answer
        office = self._office(document, office)
        if kind != "dimensions" or child(document, "dimtype") != "DEB":
            raise _Answer(_error(copy.deepcopy(document), f"Lijst {kind!r} niet ondersteund."))
        answer = etree.Element("dimensions", office=office, type="DEB", result="1")
        for (where, code), record in sorted(self.dimensions.items()):
            if where == office:
                node = etree.SubElement(answer, "dimension", name=record.get("name", ""))
                node.set("shortname", "")
                node.text = code
        return answer

    # -- dimensions --------------------------------------------------------------------------
    def dimension_xml(self, office: str, record: Mapping[str, Any]) -> Element:
        element = dimension_element(record, office=office)
        element.set("status", str(record.get("status", "active")))
        element.set("result", "1")
        office_node = element.find("office")
        if office_node is not None:
            office_node.set("name", self.offices.get(office, ""))
        type_node = element.find("type")
        if type_node is not None:
            type_node.set("name", "Debiteuren")
        _sub(element, "behaviour", "normal")
        _sub(element, "inuse", "true" if self._in_use(office, record["code"]) else "false")
        _sub(element, "modified", record.get("modified"))
        for i, address in enumerate(element.findall("addresses/address"), start=1):
            address.set("id", str(i))
        return element

    def _in_use(self, office: str, code: str) -> bool:
        return any(
            t["office"] == office and any(line.get("dim2") == code for line in t["lines"])
            for t in self.transactions.values()
        )

    def _dimensions(self, document: Element, office: str) -> Element:
        return _each(document, "dimension", lambda item: self._dimension(item, office))

    def _dimension(self, item: Element, office: str) -> Element:
        echo = copy.deepcopy(item)
        echo.set("result", "0")
        where = child(item, "office") or ""
        if where != office:
            node = echo.find("office")
            return _error(
                node if node is not None else echo, "Administratie ontbreekt of is onjuist."
            )
        if child(item, "type") != "DEB":
            node = echo.find("type")
            return _error(
                node if node is not None else echo, "Alleen dimensietype DEB is hier mogelijk."
            )
        name = child(item, "name")
        if not name:
            return _error(echo, "Naam is verplicht.")
        vat = child(item, "financials/vatcode")
        if vat and vat not in self.vat:
            node = echo.find("financials/vatcode")
            assert node is not None
            return _error(node, f"Btw-code {vat} bestaat niet.")
        for address in echo.findall("addresses/address"):
            country = child(address, "country")
            if country is not None and len(country) != 2:
                node = address.find("country")
                assert node is not None
                return _error(node, f"Land {country} is geen geldige landcode.")
            email = child(address, "email")
            if email is not None and "@" not in email:
                node = address.find("email")
                assert node is not None
                return _error(node, f"E-mailadres {email} is ongeldig.")
        code = child(item, "code") or self.next_customer_code(office)
        if not code.isalnum() or len(code) > 16:
            node = echo.find("code")
            return _error(node if node is not None else echo, f"Code {code} is ongeldig.")
        record = dimension_record(item)
        record.pop("code", None)
        stored = {**record, "code": code, "status": item.get("status", "active")}
        stored["modified"] = self._stamp()
        self.dimensions[(office, code)] = stored
        return self.dimension_xml(office, stored)

    # -- transactions ------------------------------------------------------------------------
    def transaction_xml(self, trs: Mapping[str, Any]) -> Element:
        element = etree.Element("transaction", location=str(trs.get("destiny", "temporary")))
        element.set("result", "1")
        header = etree.SubElement(element, "header")
        for name in ("office", "code", "number", "currency", "date"):
            _sub(header, name, trs.get(name))
        _sub(header, "period", period_of(str(trs["date"])))
        for name in ("invoicenumber", "duedate", "origin", "freetext1", "modified"):
            if trs.get(name) is not None:
                _sub(header, "modificationdate" if name == "modified" else name, trs[name])
        lines = etree.SubElement(element, "lines")
        for i, line in enumerate(trs["lines"], start=1):
            node = etree.SubElement(lines, "line", type=str(line["type"]), id=str(i))
            for name in ("dim1", "dim2", "debitcredit", "value", "vatcode", "vatvalue"):
                if line.get(name) is not None:
                    _sub(node, name, line[name])
            if line.get("description") is not None:
                _sub(node, "description", line["description"])
            if line["type"] == "total":
                _sub(node, "matchstatus", line.get("matchstatus", "available"))
        return element

    def _transactions(self, document: Element, office: str) -> Element:
        return _each(document, "transaction", lambda item: self._transaction(item, office))

    def _transaction(self, item: Element, office: str) -> Element:
        echo = copy.deepcopy(item)
        echo.set("result", "0")
        header = echo.find("header")
        if header is None:
            return _error(echo, "De boeking heeft geen header.")
        if child(header, "office") != office:
            return _error(header, "Administratie ontbreekt of is onjuist.")
        code = child(header, "code") or ""
        if code not in self.journals:
            node = header.find("code")
            return _error(node if node is not None else header, f"Dagboek {code} bestaat niet.")
        date = child(header, "date") or ""
        if len(date) != 8 or not date.isdigit():
            return _error(header, f"Boekdatum {date!r} is ongeldig (JJJJMMDD).")
        lines = echo.findall("lines/line")
        totals = [line for line in lines if line.get("type") == "total"]
        if len(totals) != 1:
            return _error(echo, "Een boeking heeft precies één totaalregel.")
        customer = child(totals[0], "dim2") or ""
        if (office, customer) not in self.dimensions:
            node = totals[0].find("dim2")
            return _error(
                node if node is not None else totals[0], f"Relatie {customer} bestaat niet."
            )
        stored_lines: list[dict[str, Any]] = []
        balance = Decimal(0)
        for line in lines:
            value = decimal(line.findtext("value"))
            if value is None:
                return _error(line, "Bedrag ontbreekt of is ongeldig.")
            sign = 1 if child(line, "debitcredit") == "debit" else -1
            vat_code = child(line, "vatcode")
            entry: dict[str, Any] = {
                "type": line.get("type"),
                "dim1": child(line, "dim1"),
                "dim2": child(line, "dim2"),
                "debitcredit": child(line, "debitcredit"),
                "value": amount(value),
                "description": child(line, "description"),
            }
            balance += sign * value
            if vat_code:
                if vat_code not in self.vat:
                    node = line.find("vatcode")
                    assert node is not None
                    return _error(node, f"Btw-code {vat_code} bestaat niet.")
                vat = (value * self._rate(vat_code) / 100).quantize(Decimal("0.01"))
                entry.update(vatcode=vat_code, vatvalue=amount(vat))
                balance += sign * vat
            if line.get("type") == "total":
                entry["matchstatus"] = "available"
            stored_lines.append({k: v for k, v in entry.items() if v is not None})
        if balance != 0:
            return _error(echo, f"De boeking is niet in balans (verschil {amount(balance)}).")
        number = self._number(code, start=1)
        while (office, code, number) in self.transactions:
            number = self._number(code)
        trs = {
            "office": office,
            "code": code,
            "number": number,
            "destiny": item.get("destiny", "temporary"),
            "date": date,
            "currency": child(header, "currency") or "EUR",
            "invoicenumber": child(header, "invoicenumber"),
            "duedate": child(header, "duedate"),
            "freetext1": child(header, "freetext1"),
            "origin": "import",
            "modified": self._stamp(),
            "lines": stored_lines,
        }
        self.transactions[(office, code, number)] = trs
        return self.transaction_xml(trs)

    # -- invoices and VAT --------------------------------------------------------------------
    def invoice_xml(self, invoice: Mapping[str, Any]) -> Element:
        element = etree.Element("salesinvoice", result="1")
        header = etree.SubElement(element, "header")
        for name in (
            "office",
            "invoicetype",
            "invoicenumber",
            "invoicedate",
            "customer",
            "status",
            "currency",
            "paymentmethod",
            "headertext",
        ):
            if invoice.get(name) is not None:
                _sub(header, name, invoice[name])
        _sub(header, "period", period_of(str(invoice["invoicedate"])))
        lines = etree.SubElement(element, "lines")
        for i, line in enumerate(invoice.get("lines", []), start=1):
            node = etree.SubElement(lines, "line", id=str(i))
            for name in ("article", "subarticle", "quantity", "units", "description"):
                if line.get(name) is not None:
                    _sub(node, name, line[name])
            _sub(node, "unitspriceexcl", line.get("unitspriceexcl"))
            _sub(node, "vatcode", line.get("vatcode"))
            value = line_value(
                {"quantity": line.get("quantity"), "unitPrice": line.get("unitspriceexcl")}
            )
            vat = (value * self._rate(line.get("vatcode")) / 100).quantize(Decimal("0.01"))
            _sub(node, "valueexcl", amount(value))
            _sub(node, "vatvalue", amount(vat))
            _sub(node, "valueinc", amount(value + vat))
        totals = invoice.get("totals")
        if totals:
            node = etree.SubElement(element, "totals")
            _sub(node, "valueexcl", totals["valueexcl"])
            _sub(node, "valueinc", totals["valueinc"])
        return element

    def article_xml(self, office: str, article: Mapping[str, Any]) -> Element:
        """An article with its price lines (sub-articles); prices incl. VAT are computed."""
        element = etree.Element("article", result="1")
        header = etree.SubElement(element, "header")
        _sub(header, "office", office)
        _sub(header, "code", article["code"])
        _sub(header, "type", "articles")
        _sub(header, "name", article.get("name"))
        _sub(header, "shortname", article.get("shortname"))
        _sub(header, "unitnamesingular", article.get("unit", "stuk"))
        _sub(header, "vatcode", article.get("vatcode"))
        _sub(header, "modified", article.get("modified"))
        lines = etree.SubElement(element, "lines")
        rate = self._rate(article.get("vatcode"))
        for i, line in enumerate(article.get("lines", []), start=1):
            node = etree.SubElement(lines, "line", id=str(i), status=line.get("status", "active"))
            excl = Decimal(str(line["unitspriceexcl"]))
            _sub(node, "unitspriceexcl", amount(excl))
            _sub(node, "unitspriceinc", amount(excl * (100 + rate) / 100))
            _sub(node, "units", line.get("units", "1"))
            _sub(node, "name", line.get("name"))
            _sub(node, "subcode", line.get("subcode", str(i)))
            _sub(node, "freetext1", line.get("freetext1"))
        return element

    def vat_xml(self, vat: Mapping[str, Any]) -> Element:
        element = etree.Element("vat", result="1")
        _sub(element, "code", vat["code"])
        _sub(element, "name", vat.get("name", vat["code"]))
        _sub(element, "type", vat.get("type", "sales"))
        percentages = etree.SubElement(element, "percentages")
        node = etree.SubElement(percentages, "percentage")
        _sub(node, "date", vat.get("since", "20190101"))
        _sub(node, "percentage", format(Decimal(str(vat["percentage"])), "f"))
        return element

    # -- browse ------------------------------------------------------------------------------
    BROWSE_FIELDS: ClassVar[dict[str, tuple[str, str]]] = {
        "fin.trs.head.office": ("Administratie", "String"),
        "fin.trs.head.code": ("Dagboek", "String"),
        "fin.trs.head.number": ("Boekstuknummer", "Value"),
        "fin.trs.head.date": ("Boekdatum", "Date"),
        "fin.trs.head.yearperiod": ("Jaar/periode", "String"),
        "fin.trs.head.modified": ("Wijzigingsdatum", "DateTime"),
        "fin.trs.head.origin": ("Herkomst", "String"),
        "fin.trs.line.invnumber": ("Factuurnummer", "String"),
        "fin.trs.line.dim2": ("Relatie", "String"),
        "fin.trs.line.matchstatus": ("Betaalstatus", "String"),
        "fin.trs.line.valuesigned": ("Bedrag", "Decimal"),
    }

    def _cells(self, trs: Mapping[str, Any], line: Mapping[str, Any]) -> dict[str, str]:
        return {
            "fin.trs.head.office": trs["office"],
            "fin.trs.head.code": trs["code"],
            "fin.trs.head.number": trs["number"],
            "fin.trs.head.date": trs["date"],
            "fin.trs.head.yearperiod": period_of(trs["date"]),
            "fin.trs.head.modified": trs["modified"],
            "fin.trs.head.origin": trs.get("origin", "import"),
            "fin.trs.line.invnumber": trs.get("invoicenumber") or "",
            "fin.trs.line.dim2": line.get("dim2") or "",
            "fin.trs.line.matchstatus": line.get("matchstatus", "notmatchable"),
            "fin.trs.line.valuesigned": (
                ("-" if line.get("debitcredit") == "credit" else "") + str(line["value"])
            ),
        }

    def _browse(self, document: Element, office: str) -> Element:
        code = document.get("code")
        if code != "000":
            raise _Answer(_error(copy.deepcopy(document), f"Browsecode {code} bestaat niet."))
        columns = []
        for column in document.findall("column"):
            field = child(column, "field") or ""
            if field not in self.BROWSE_FIELDS:
                raise _Answer(_error(copy.deepcopy(document), f"Veld {field} bestaat niet."))
            columns.append(
                (
                    field,
                    child(column, "operator") or "none",
                    child(column, "from"),
                    child(column, "to"),
                )
            )
        if not any(f == "fin.trs.head.office" and op == "equal" for f, op, _, _ in columns):
            raise _Answer(
                _error(copy.deepcopy(document), "Filter op fin.trs.head.office is verplicht.")
            )
        rows = []
        for key in sorted(
            self.transactions, key=lambda k: (k[1], int(k[2]) if k[2].isdigit() else 0)
        ):
            trs = self.transactions[key]
            for i, line in enumerate(trs["lines"], start=1):
                cells = self._cells(trs, line)
                if all(_holds(cells[f], op, low, high) for f, op, low, high in columns):
                    rows.append((trs, i, cells))
        answer = etree.Element("browse", office=office, code="000", result="1")
        answer.set("first", "1" if rows else "0")
        answer.set("last", str(len(rows)))
        answer.set("total", str(len(rows)))
        th = etree.SubElement(answer, "th")
        for field, *_ in columns:
            label, kind = self.BROWSE_FIELDS[field]
            etree.SubElement(th, "td", label=label, type=kind).text = field
        for trs, line_id, cells in rows:
            tr = etree.SubElement(answer, "tr")
            for field, *_ in columns:
                etree.SubElement(tr, "td", field=field).text = cells[field]
            key_node = etree.SubElement(tr, "key")
            _sub(key_node, "office", trs["office"])
            _sub(key_node, "code", trs["code"])
            _sub(key_node, "number", trs["number"])
            _sub(key_node, "line", line_id)
        return answer

    # -- Finder ------------------------------------------------------------------------------
    def search(self, request: soap.SearchRequest, *, office: str) -> soap.SearchResult:
        options = dict(request.options)
        if request.first_row < 1 or request.max_rows < 1:
            return _finder_error("ParameterTooSmall", "firstRow en maxRows beginnen bij 1.")
        if request.type == "VAT":
            rows = [(c, str(v.get("name", c))) for c, v in sorted(self.vat.items())]
            rows = [r for r in rows if _matches(request.pattern, r, request.field)]
        elif request.type == "ART":
            since = options.get("modifiedsince")
            rows = [
                (code, str(art.get("name", "")))
                for (where, code), art in sorted(self.articles.items())
                if where == office and (since is None or str(art["modified"]) >= since)
            ]
            rows = [r for r in rows if _matches(request.pattern, r, request.field)]
        elif request.type == "DIM":
            if options.get("dimtype") != "DEB":
                return _finder_error("OptionMandatory", "Optie dimtype=DEB is verplicht.")
            since = options.get("modifiedsince")
            if since is not None and (len(since) != 14 or not since.isdigit()):
                return _finder_error(
                    "InvalidDateTimeOptionValue", "modifiedsince is JJJJMMDDUUMMSS."
                )
            rows = []
            for (where, code), record in sorted(self.dimensions.items()):
                if where != office or record.get("status", "active") == "deleted":
                    continue
                if since is not None and str(record["modified"]) < since:
                    continue
                lines = (
                    record.get("email"),
                    record.get("street"),
                    record.get("city"),
                    record.get("postalCode"),
                )
                if _matches(request.pattern, (code, record.get("name", ""), *lines), request.field):
                    rows.append((code, str(record.get("name", ""))))
        else:
            return _finder_error("InvalidFinderType", f"Finder type {request.type} bestaat niet.")
        page = rows[request.first_row - 1 : request.first_row - 1 + request.max_rows]
        return soap.SearchResult((), len(rows), ("Code", "Naam"), tuple(page))


class _Answer(Exception):
    def __init__(self, element: Element) -> None:
        super().__init__(element.get("msg"))
        self.element = element


def _missing(root: str, name: str, value: str, message: str) -> _Answer:
    element = etree.Element(root, result="0")
    node = etree.SubElement(element, name)
    node.text = value
    _error(node, message)
    return _Answer(element)


def _finder_error(code: str, text: str) -> soap.SearchResult:
    return soap.SearchResult((soap.Message("Error", text, code),), 0, (), ())


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _matches(pattern: str, values: tuple[Any, ...], field: int) -> bool:
    """Finder ``field``: 0 code or name, 1 code, 2 name, 4 address (e-mail, street, city...)."""
    pattern = pattern or "*"
    chosen = {0: values[:2], 1: values[:1], 2: values[1:2]}.get(field, values[2:])
    return any(_like(pattern, str(v)) for v in chosen if v)


def _holds(value: str, operator: str, low: str | None, high: str | None) -> bool:
    if operator == "equal":
        return value == (low or "")
    if operator == "between":
        return (low is None or value >= low) and (high is None or value <= high)
    if operator == "like":
        return _like(low or "*", value)
    return True


def _each(document: Element, tag: str, process: Callable[[Element], Element]) -> Element:
    """Process one ``<tag>`` or each of a ``<tags>`` batch; the echo of the one, or the batch
    with its result 0 when any item failed (as ProcessXml answers)."""
    items = [document] if document.tag == tag else document.findall(tag)
    answer = etree.Element(f"{tag}s", result="1")
    for item in items:
        echoed = process(item)
        answer.append(echoed)
        if echoed.get("result") == "0":
            answer.set("result", "0")
    return answer if document.tag == f"{tag}s" else answer[0]
