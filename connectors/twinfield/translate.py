"""Pure translation between Twinfield's XML documents, canonical records and target records.

Directions, no I/O:

* dimension (type DEB) -> canonical ``Customer`` (Twinfield as a source) and -> target record
  (``lookup``); target record -> ``<dimension>`` to send (create/update);
* sales transaction / final sales invoice -> canonical ``Order``; target record ->
  ``<transaction>`` to send; transaction -> target record (``lookup``);
* ``<vat>`` -> its current percentage; any answer -> its error messages.

Element names follow target-apis.md 3.4-3.7. Dates are ``YYYYMMDD``, periods ``YYYY/MM``,
amounts use a decimal point. A dimension is read as a *company* when it has a VAT or chamber of
commerce number or a contact line (``field1``), else as a *person* whose name is split into first
and last name: Twinfield has one name field, and the seed decides company or person debtor by
whether a company name is present.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from connectors.twinfield.models import WriteSettings
from connectors.values import flat_address, text
from reconciler.canonical import (
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)

Element = etree._Element

ORIGIN_INVOICE = "invoice"
"""The transaction header's ``origin`` of a transaction booked by the invoice module."""
CHANNEL_INVOICE = "invoice"
CHANNEL_JOURNAL = "journal"
"""``Order.channel`` of orders read from final sales invoices / from journal transactions, so a
flow can take one or the other (``filter.channels``)."""


# -- values ----------------------------------------------------------------------------------


def child(parent: Element, path: str) -> str | None:
    return text(parent.findtext(path))


def decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def amount(value: Decimal) -> str:
    """An amount as Twinfield writes it: two decimals, a decimal point."""
    return format(value.quantize(Decimal("0.01")), "f")


def parse_date(value: str | None) -> dt.date | None:
    if not value or not re.fullmatch(r"\d{8}", value):
        return None
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))


def date_text(value: object) -> str:
    """``YYYYMMDD`` from a date or an ISO date string."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    raw = str(value or "")[:10]
    return raw.replace("-", "")


def period_of(date: str) -> str:
    return f"{date[:4]}/{date[4:6]}"


def compact(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and v not in ("", [])}


def errors(document: Element) -> list[str]:
    """Every ``msg`` of an element marked ``msgtype="error"`` (3.7), in document order."""
    found = [str(e.get("msg")) for e in document.iter() if e.get("msgtype") == "error"]
    if not found and document.get("result") == "0":
        found = [str(document.get("msg") or "the document was not processed (result 0)")]
    return found


def _sub(parent: Element, name: str, value: object) -> None:
    if value is not None and value != "":
        etree.SubElement(parent, name).text = str(value)


# -- addresses -------------------------------------------------------------------------------

_STREET = re.compile(r"^(?P<street>.*\S)\s+(?P<number>\d+)\s*(?P<suffix>\D*)$")
"""The last house number on the line: ``Plein 1940 12a`` is number 12 with suffix ``a``."""


def split_street(line: str | None) -> dict[str, str]:
    """Street, house number and suffix from one street line (``Stationsstraat 1 A``)."""
    if not line:
        return {}
    match = _STREET.match(line)
    if not match:
        return {"street": line}
    parts = {"street": match["street"].strip(), "houseNumber": match["number"]}
    if match["suffix"].strip():
        parts["houseNumberSuffix"] = match["suffix"].strip()
    return parts


def street_line(record: Mapping[str, Any]) -> str | None:
    parts = [record.get("street"), record.get("houseNumber"), record.get("houseNumberSuffix")]
    return text(" ".join(str(p).strip() for p in parts if p not in (None, "")))


# -- dimensions ------------------------------------------------------------------------------


def _invoice_address(dimension: Element) -> Element | None:
    addresses = dimension.findall("addresses/address")
    for address in addresses:
        if address.get("type") == "invoice" and address.get("default") == "true":
            return address
    return next((a for a in addresses if a.get("type") == "invoice"), None) or next(
        iter(addresses), None
    )


def dimension_record(dimension: Element) -> dict[str, Any]:
    """A dimension as a customer target record."""
    address = _invoice_address(dimension)
    record: dict[str, Any] = {
        "code": child(dimension, "code"),
        "name": child(dimension, "name"),
        "website": child(dimension, "website"),
        "dueDays": child(dimension, "financials/duedays"),
        "vatCode": child(dimension, "financials/vatcode"),
        "classification": child(dimension, "creditmanagement/freetext1"),
    }
    if address is not None:
        email = child(address, "email")
        record.update(
            {
                "email": email.lower() if email else None,
                "contact": child(address, "field1"),
                "phone": child(address, "telephone"),
                "postalCode": child(address, "postcode"),
                "city": child(address, "city"),
                "country": child(address, "country"),
                "vatNumber": child(address, "field4"),
                "cocNumber": child(address, "field5"),
            }
        )
        record.update(split_street(child(address, "field2")))
    return compact(record)


def customer_from_dimension(dimension: Element) -> Customer:
    record = dimension_record(dimension)
    name = record.get("name") or ""
    company = any(record.get(k) for k in ("vatNumber", "cocNumber", "contact"))
    first = last = None
    contact = record.get("contact") if company else name
    if contact:
        head, _, tail = str(contact).partition(" ")
        first, last = (head, tail) if tail else (None, head)
    address = flat_address(record, name=name or None)
    return Customer(
        email=record.get("email"),
        source_id=record.get("code"),
        company_name=name if company and name else None,
        first_name=first,
        last_name=last,
        phone=record.get("phone"),
        vat_number=record.get("vatNumber"),
        coc_number=record.get("cocNumber"),
        classification=record.get("classification"),
        billing_address=address,
        custom_fields={"twinfieldCode": record.get("code")} if record.get("code") else {},
    )


def dimension_element(record: Mapping[str, Any], *, office: str) -> Element:
    """The ``<dimension>`` for a customer record; with ``code`` it updates that customer, without
    it Twinfield numbers a new one. The whole dimension is sent: Twinfield replaces addresses."""
    dimension = etree.Element("dimension")
    _sub(dimension, "office", office)
    _sub(dimension, "type", "DEB")
    _sub(dimension, "code", record.get("code"))
    _sub(dimension, "name", record.get("name"))
    _sub(dimension, "website", record.get("website"))
    financials = etree.SubElement(dimension, "financials")
    _sub(financials, "duedays", record.get("dueDays"))
    _sub(financials, "vatcode", record.get("vatCode"))
    if not len(financials):
        dimension.remove(financials)
    addresses = etree.SubElement(dimension, "addresses")
    address = etree.SubElement(addresses, "address", type="invoice", default="true")
    _sub(address, "name", record.get("name"))
    _sub(address, "country", record.get("country"))
    _sub(address, "city", record.get("city"))
    _sub(address, "postcode", record.get("postalCode"))
    _sub(address, "telephone", record.get("phone"))
    _sub(address, "email", record.get("email"))
    _sub(address, "field1", record.get("contact"))
    _sub(address, "field2", street_line(record))
    _sub(address, "field4", record.get("vatNumber"))
    _sub(address, "field5", record.get("cocNumber"))
    if record.get("classification"):
        credit = etree.SubElement(dimension, "creditmanagement")
        _sub(credit, "freetext1", record.get("classification"))
    return dimension


# -- articles --------------------------------------------------------------------------------


def product_from_article(article: Element, *, rates: Mapping[str, Decimal]) -> Product:
    """An article as a product: its code is the SKU, its first active price line the price
    (sub-articles are price lines of one product here, not variants)."""
    header = article.find("header")
    assert header is not None
    lines = [line for line in article.findall("lines/line") if line.get("status") != "deleted"]
    first = lines[0] if lines else None
    vat = child(header, "vatcode")
    return Product(
        sku=child(header, "code") or "",
        source_id=child(header, "code"),
        name=child(header, "name"),
        short_description=child(header, "shortname"),
        price_excl_tax=decimal(first.findtext("unitspriceexcl")) if first is not None else None,
        price_incl_tax=decimal(first.findtext("unitspriceinc")) if first is not None else None,
        tax_rate=rates.get(vat or ""),
        unit=child(header, "unitnamesingular"),
        active=bool(lines),
    )


# -- VAT -------------------------------------------------------------------------------------


def vat_rate(vat: Element, *, on: dt.date | None = None) -> Decimal | None:
    """The percentage of a ``<vat>`` valid on ``on`` (the latest one when not given)."""
    rates: list[tuple[str, Decimal]] = []
    for percentage in vat.findall("percentages/percentage"):
        value = decimal(percentage.findtext("percentage"))
        if value is not None:
            rates.append((child(percentage, "date") or "00000000", value))
    rates.sort()
    if on is not None:
        rates = [r for r in rates if r[0] <= on.strftime("%Y%m%d")] or rates[:1]
    return rates[-1][1].normalize() if rates else None


# -- transactions and invoices -> canonical ----------------------------------------------------


def transaction_lines(transaction: Element, kind: str) -> list[Element]:
    return [line for line in transaction.findall("lines/line") if line.get("type") == kind]


def _signed(line: Element) -> Decimal:
    value = decimal(line.findtext("value")) or Decimal(0)
    return -value if child(line, "debitcredit") == "debit" else value


def transaction_status(transaction: Element) -> tuple[OrderStatus, bool]:
    """Paid when the total line is matched (the receivable settled), else completed (booked)."""
    totals = transaction_lines(transaction, "total")
    matched = bool(totals) and all(child(t, "matchstatus") == "matched" for t in totals)
    return (OrderStatus.paid, True) if matched else (OrderStatus.completed, False)


def transaction_key(transaction: Element) -> str:
    """The natural key of a transaction: its invoice number, else journal and number."""
    header = transaction.find("header")
    assert header is not None
    invoice = child(header, "invoicenumber")
    return invoice or f"{child(header, 'code')}-{child(header, 'number')}"


def order_from_transaction(
    transaction: Element,
    *,
    customer: Customer | None,
    rates: Mapping[str, Decimal],
) -> Order:
    """A journal transaction (no invoice behind it) as an order: one line per detail line."""
    header = transaction.find("header")
    assert header is not None
    status, paid = transaction_status(transaction)
    lines = [
        OrderLine(
            kind=LineKind.item,
            description=child(line, "description"),
            quantity=Decimal(1),
            unit_price=_signed(line),
            tax_rate=rates.get(child(line, "vatcode") or ""),
        )
        for line in transaction_lines(transaction, "detail")
    ]
    totals = transaction_lines(transaction, "total")
    total = -sum((_signed(t) for t in totals), Decimal(0)) if totals else None
    return Order(
        number=transaction_key(transaction),
        source_id=f"{child(header, 'code')}/{child(header, 'number')}",
        date=parse_date(child(header, "date")),
        status=status,
        paid=paid,
        channel=CHANNEL_JOURNAL,
        currency=child(header, "currency"),
        customer=customer,
        billing_address=customer.billing_address if customer is not None else None,
        lines=lines,
        total_incl_tax=total,
        total_excl_tax=sum((line.unit_price or Decimal(0) for line in lines), Decimal(0)),
        remark=child(header, "freetext1"),
    )


def order_from_invoice(
    invoice: Element,
    *,
    transaction: Element,
    customer: Customer | None,
    rates: Mapping[str, Decimal],
) -> Order:
    """A final sales invoice as an order; paid or not is read from its booked transaction."""
    header = invoice.find("header")
    assert header is not None
    status, paid = transaction_status(transaction)
    lines = []
    for line in invoice.findall("lines/line"):
        article = child(line, "article")
        lines.append(
            OrderLine(
                kind=LineKind.item if article and article != "-" else LineKind.text,
                sku=article,
                description=child(line, "description"),
                quantity=decimal(line.findtext("quantity")) or Decimal(1),
                unit_price=decimal(line.findtext("unitspriceexcl")),
                tax_rate=rates.get(child(line, "vatcode") or ""),
            )
        )
    number = child(header, "invoicenumber") or transaction_key(transaction)
    return Order(
        number=number,
        source_id=f"{child(header, 'invoicetype')}/{number}",
        date=parse_date(child(header, "invoicedate")),
        status=status,
        paid=paid,
        channel=CHANNEL_INVOICE,
        currency=child(header, "currency"),
        customer=customer,
        # The invoice goes to the customer's invoice address (invoiceaddressnumber 1).
        billing_address=customer.billing_address if customer is not None else None,
        lines=lines,
        payment_method=child(header, "paymentmethod"),
        total_incl_tax=decimal(invoice.findtext("totals/valueinc")),
        total_excl_tax=decimal(invoice.findtext("totals/valueexcl")),
        remark=child(header, "headertext"),
    )


# -- orders as target records ------------------------------------------------------------------


def line_value(line: Mapping[str, Any]) -> Decimal:
    quantity = decimal(line.get("quantity")) or Decimal(1)
    price = decimal(line.get("unitPrice")) or Decimal(0)
    return (quantity * price).quantize(Decimal("0.01"))


def transaction_element(
    record: Mapping[str, Any],
    *,
    office: str,
    settings: WriteSettings,
    rates: Mapping[str, Decimal],
    today: dt.date,
) -> Element:
    """The ``<transaction>`` for an order record: a total line on the customer (incl. VAT),
    detail lines excl. VAT with their VAT code; Twinfield adds the VAT lines itself."""
    date = date_text(record.get("orderDate") or today)
    transaction = etree.Element(
        "transaction", destiny=settings.destiny, raisewarning="false", autobalancevat="true"
    )
    header = etree.SubElement(transaction, "header")
    _sub(header, "office", office)
    _sub(header, "code", record.get("journal") or settings.journal)
    _sub(header, "currency", record.get("currency") or "EUR")
    _sub(header, "date", date)
    _sub(header, "period", period_of(date))
    _sub(header, "invoicenumber", record.get("reference"))
    due = record.get("dueDate")
    if not due:
        start = parse_date(date) or today
        due = start + dt.timedelta(days=settings.due_days)
    _sub(header, "duedate", date_text(due))
    _sub(header, "freetext1", record.get("remark"))
    lines = etree.SubElement(transaction, "lines")
    details: list[tuple[Mapping[str, Any], Decimal, Decimal]] = []
    for line in record.get("lines") or []:
        value = line_value(line)
        rate = rates.get(str(line.get("vatCode") or ""), Decimal(0))
        details.append((line, value, (value * rate / 100).quantize(Decimal("0.01"))))
    total = sum((v + vat for _, v, vat in details), Decimal(0))
    head = etree.SubElement(lines, "line", type="total", id="1")
    _sub(head, "dim1", record.get("receivablesAccount") or settings.receivables_account)
    _sub(head, "dim2", record.get("customer"))
    _sub(head, "debitcredit", "debit" if total >= 0 else "credit")
    _sub(head, "value", amount(abs(total)))
    revenue = record.get("revenueAccount") or settings.revenue_account
    for i, (line, value, vat) in enumerate(details, start=2):
        detail = etree.SubElement(lines, "line", type="detail", id=str(i))
        _sub(detail, "dim1", line.get("account") or revenue)
        _sub(detail, "debitcredit", "credit" if value >= 0 else "debit")
        _sub(detail, "value", amount(abs(value)))
        _sub(detail, "vatcode", line.get("vatCode"))
        _sub(detail, "vatvalue", amount(abs(vat)) if line.get("vatCode") else None)
        _sub(detail, "description", line.get("description") or line.get("sku"))
    return transaction


def transaction_record(transaction: Element) -> dict[str, Any]:
    """A sales transaction as an order target record (what ``lookup`` answers)."""
    header = transaction.find("header")
    assert header is not None
    totals = transaction_lines(transaction, "total")
    details = transaction_lines(transaction, "detail")
    return compact(
        {
            "reference": child(header, "invoicenumber"),
            "orderType": "financialMutation",
            "journal": child(header, "code"),
            "number": child(header, "number"),
            "orderDate": _iso(child(header, "date")),
            "dueDate": _iso(child(header, "duedate")),
            "currency": child(header, "currency"),
            "remark": child(header, "freetext1"),
            "customer": child(totals[0], "dim2") if totals else None,
            "receivablesAccount": child(totals[0], "dim1") if totals else None,
            "lines": [
                compact(
                    {
                        "description": child(d, "description"),
                        "quantity": Decimal(1),
                        "unitPrice": _signed(d),
                        "vatCode": child(d, "vatcode"),
                        "account": child(d, "dim1"),
                    }
                )
                for d in details
            ],
        }
    )


def _iso(value: str | None) -> str | None:
    date = parse_date(value)
    return date.isoformat() if date else None


def codes(elements: Sequence[Element], name: str) -> list[str]:
    return [c for c in (child(e, name) for e in elements) if c]
