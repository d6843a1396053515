"""The Twinfield connector: ``connectors.base.Connector`` over ``TwinfieldClient``.

As a source:

* products are the office's articles, listed through the Finder (type ``ART``, incrementally
  with ``modifiedsince``) and read one by one;
* customers are the office's dimensions of type DEB, listed through the Finder (type ``DIM``,
  option ``dimtype=DEB``; incrementally with ``modifiedsince``) and read one by one;
* orders are the office's sales: the sales journals' transactions, listed through browse ``000``
  (incrementally on ``fin.trs.head.modified``). A transaction the invoice module booked
  (``origin`` ``invoice``) is read as its final sales invoice (channel ``invoice``, with articles
  and quantities); any other as a journal sale (channel ``journal``, one line per detail line).
  Paid means the receivable is matched. The order's customer is read from its dimension, so the
  order carries the customer's e-mail.

The cursor is the moment the previous read started, in Twinfield's ``YYYYMMDDHHMMSS``, less a
margin for clock skew; re-reading a few records is harmless (fingerprints make them no-ops).

As a target: customers are looked up by e-mail (Finder on address, then confirmed on the read
dimension) and created or updated as whole dimensions; orders are written as sales transactions
(financial mutations) in a sales journal with the reference as invoice number, and found again
by that number through browse. VAT percentages come from Twinfield's own ``<vat>`` codes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from connectors.base import CustomerLink, MasterDataCheck, Page, TargetRecord, WriteResult
from connectors.twinfield import translate
from connectors.twinfield.capabilities import CAPABILITIES
from connectors.twinfield.client import SYSTEM, TwinfieldClient
from connectors.twinfield.models import ReadSettings, WriteSettings
from connectors.twinfield.tuning import COMPARISON
from reconciler.canonical import CanonicalRecord, Customer, Entity, OrderType
from reconciler.errors import NotFoundError, ProtocolError, RejectedError

STAMP = "%Y%m%d%H%M%S"
SKEW = dt.timedelta(minutes=5)
"""How far back an incremental read reaches before the previous read's start."""
FUTURE = "99991231235959"
READ_CONCURRENCY = 4


class TwinfieldConnector:
    """One Twinfield office in both roles."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="code", order_field="customer")
    key_fields: ClassVar[Mapping[str, str]] = {"customers": "email", "orders": "reference"}

    def __init__(
        self,
        client: TwinfieldClient,
        *,
        read: ReadSettings | None = None,
        write: WriteSettings | None = None,
        page_size: int = 100,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.client = client
        self.reading = read or ReadSettings()
        self.writing = write or WriteSettings()
        self.page_size = page_size
        self._now = now
        self._today = today
        self._rates: dict[str, Decimal | None] = {}
        self._gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- source ------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        since = None if full or cursor is None else json.loads(cursor).get("since")
        started = (self._now().astimezone(dt.UTC) - SKEW).strftime(STAMP)
        if entity is Entity.customers:
            async for page in self._read_customers(since, started):
                yield page
            return
        if entity is Entity.orders:
            async for page in self._read_orders(since, started):
                yield page
            return
        if entity is Entity.products:
            async for page in self._read_products(since, started):
                yield page
            return
        raise NotFoundError(
            f"Twinfield is not read as a source of {entity.value} by koppel",
            system=SYSTEM,
            operation=f"read {entity.value}",
        )

    async def _read_customers(
        self, since: str | None, started: str
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        options = [("dimtype", "DEB")]
        if since:
            options.append(("modifiedsince", since))
        pending: list[CanonicalRecord] | None = None
        async for rows in self.client.iter_search("DIM", options=options, page_size=self.page_size):
            if pending is not None:
                yield Page(pending, None)
            found = await self._dimensions([row[0] for row in rows])
            pending = [translate.customer_from_dimension(d) for d in found.values()]
        # Only the last page moves the cursor: a resumed read starts over (they are cheap).
        yield Page(pending or [], _cursor(started))

    async def _read_products(
        self, since: str | None, started: str
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        options = [("modifiedsince", since)] if since else []
        pending: list[CanonicalRecord] | None = None
        async for rows in self.client.iter_search("ART", options=options, page_size=self.page_size):
            if pending is not None:
                yield Page(pending, None)
            articles = await asyncio.gather(*(self._article(row[0]) for row in rows))
            found = [a for a in articles if a is not None]
            rates = await self._rate_table(
                [c for a in found if (c := translate.child(a, "header/vatcode"))]
            )
            pending = [translate.product_from_article(a, rates=rates) for a in found]
        yield Page(pending or [], _cursor(started))

    async def _article(self, code: str) -> Any:
        async with self._gate:
            return await self.client.read("article", code=code)

    async def _dimensions(self, codes: Sequence[str]) -> dict[str, Any]:
        async def one(code: str) -> tuple[str, Any]:
            async with self._gate:
                return code, await self.client.read("dimensions", dimtype="DEB", code=code)

        pairs = await asyncio.gather(*(one(c) for c in dict.fromkeys(codes)))
        return {code: element for code, element in pairs if element is not None}

    async def _read_orders(
        self, since: str | None, started: str
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        columns: list[tuple[str, str, str | None, str | None]] = [
            ("fin.trs.head.office", "equal", self.client.office, None),
            ("fin.trs.head.number", "none", None, None),
            ("fin.trs.line.invnumber", "none", None, None),
        ]
        if since:
            columns.append(("fin.trs.head.modified", "between", since, FUTURE))
        # Browse answers a row per transaction line; the keys name each transaction once.
        keys: dict[tuple[str, str], None] = {}
        for journal in self.reading.sales_journals:
            rows = await self.client.browse(
                "000", [*columns, ("fin.trs.head.code", "equal", journal, None)]
            )
            for row in rows:
                keys.setdefault((row.code, row.number), None)
        ordered = sorted(keys.items(), key=lambda kv: (kv[0][0], _number_key(kv[0][1])))
        customers: dict[str, asyncio.Task[Customer | None]] = {}
        for start in range(0, len(ordered), self.page_size):
            chunk = ordered[start : start + self.page_size]
            orders = await asyncio.gather(
                *(self._order(code, number, customers) for (code, number), _ in chunk)
            )
            last = start + self.page_size >= len(ordered)
            yield Page([o for o in orders if o is not None], _cursor(started) if last else None)
        if not ordered:
            yield Page([], _cursor(started))

    async def _order(
        self, code: str, number: str, customers: dict[str, asyncio.Task[Customer | None]]
    ) -> CanonicalRecord | None:
        async with self._gate:
            transaction = await self.client.read("transaction", code=code, number=number)
        if transaction is None:
            return None
        totals = translate.transaction_lines(transaction, "total")
        customer_code = translate.child(totals[0], "dim2") if totals else None
        # Each customer is read once per read, however many sales it has.
        key = customer_code or ""
        if key not in customers:
            customers[key] = asyncio.ensure_future(self._customer(customer_code))
        customer = await customers[key]
        header = transaction.find("header")
        assert header is not None
        rates = await self._rate_table(
            translate.codes(transaction.findall("lines/line"), "vatcode")
        )
        if translate.child(header, "origin") == translate.ORIGIN_INVOICE:
            number_text = translate.child(header, "invoicenumber") or ""
            async with self._gate:
                invoice = await self.client.read(
                    "salesinvoice", code=self.reading.invoice_type, invoicenumber=number_text
                )
            if invoice is not None:
                rates.update(
                    await self._rate_table(
                        translate.codes(invoice.findall("lines/line"), "vatcode")
                    )
                )
                return translate.order_from_invoice(
                    invoice, transaction=transaction, customer=customer, rates=rates
                )
        return translate.order_from_transaction(transaction, customer=customer, rates=rates)

    async def _customer(self, code: str | None) -> Customer | None:
        if not code:
            return None
        async with self._gate:
            dimension = await self.client.read("dimensions", dimtype="DEB", code=code)
        return None if dimension is None else translate.customer_from_dimension(dimension)

    async def _rate_table(self, codes: Sequence[str]) -> dict[str, Decimal]:
        for code in dict.fromkeys(codes):
            if code not in self._rates:
                vat = await self.client.read("vat", code=code)
                self._rates[code] = None if vat is None else translate.vat_rate(vat)
        return {c: r for c in codes if (r := self._rates.get(c)) is not None}

    # -- target ------------------------------------------------------------------------------
    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """What ``lookup`` answers per key; orders in one browse per journal."""
        wanted = list(dict.fromkeys(keys))
        if entity is Entity.orders and wanted:
            return await self._transactions_by_reference(wanted)
        found: dict[str, TargetRecord] = {}
        results = await asyncio.gather(*(self.lookup(entity, key) for key in wanted))
        for key, record in zip(wanted, results, strict=True):
            if record is not None:
                found[key] = record
        return found

    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        if entity is Entity.customers:
            return await self._customer_by_email(key)
        if entity is Entity.orders:
            return (await self._transactions_by_reference([key])).get(key)
        if entity is Entity.products:
            # An order's SKUs must exist as articles before the order is booked (the seed:
            # "checks if all products exist, and then the order is committed").
            async with self._gate:
                article = await self.client.read("article", code=key)
            if article is None:
                return None
            rates = await self._rate_table(
                [c for c in [translate.child(article, "header/vatcode")] if c]
            )
            return translate.product_from_article(article, rates=rates).to_data()
        raise NotFoundError(
            f"koppel does not write {entity.value} to Twinfield",
            system=SYSTEM,
            operation=f"lookup {entity.value}",
        )

    async def _customer_by_email(self, email: str) -> TargetRecord | None:
        wanted = email.strip().lower()
        codes: list[str] = []
        async for rows in self.client.iter_search(
            "DIM", pattern=f"*{wanted}*", field=4, options=[("dimtype", "DEB")]
        ):
            codes.extend(row[0] for row in rows)
        matches = []
        for _code, element in sorted((await self._dimensions(codes)).items()):
            record = translate.dimension_record(element)
            if str(record.get("email", "")).lower() == wanted:
                matches.append(record)
        return matches[0] if matches else None

    async def _transactions_by_reference(
        self, references: Sequence[str]
    ) -> dict[str, TargetRecord]:
        wanted = set(references)
        found: dict[str, tuple[str, str]] = {}
        columns: list[tuple[str, str, str | None, str | None]] = [
            ("fin.trs.head.office", "equal", self.client.office, None),
            ("fin.trs.line.invnumber", "none", None, None),
        ]
        if len(wanted) == 1:
            columns[1] = ("fin.trs.line.invnumber", "equal", next(iter(wanted)), None)
        # Every journal of the office: a flow may book into a journal of its own.
        for row in await self.client.browse("000", columns):
            reference = row.cells.get("fin.trs.line.invnumber", "")
            if reference in wanted:
                found.setdefault(reference, (row.code, row.number))
        records: dict[str, TargetRecord] = {}
        for reference, (code, number) in found.items():
            transaction = await self.client.read("transaction", code=code, number=number)
            if transaction is not None:
                records[reference] = translate.transaction_record(transaction)
        return records

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        if entity is Entity.customers:
            dimension = translate.dimension_element(
                {k: v for k, v in record.items() if k != "code"}, office=self.client.office
            )
            echoed = await self.client.write("dimensions", [dimension])
            code = translate.child(echoed[0], "code")
            return WriteResult(str(record.get("email", "")), code)
        if entity is Entity.orders:
            return await self._create_transaction(record)
        raise RejectedError(
            f"koppel does not write {entity.value} to Twinfield",
            system=SYSTEM,
            operation=f"create {entity.value}",
        )

    async def _create_transaction(self, record: TargetRecord) -> WriteResult:
        order_type = record.get("orderType") or OrderType.financial_mutation.value
        if order_type != OrderType.financial_mutation.value:
            raise RejectedError(
                f"koppel writes orders to Twinfield as sales transactions (financialMutation), "
                f"not as {order_type}",
                system=SYSTEM,
                operation="create order",
                hint="set the flow's orders.type to financialMutation",
            )
        if not record.get("customer"):
            raise RejectedError(
                f"order {record.get('reference')!r} names no Twinfield customer",
                system=SYSTEM,
                operation="create order",
                hint="match the customer by e-mail, or give the flow a default debtor",
            )
        codes = [
            str(line.get("vatCode")) for line in record.get("lines") or [] if line.get("vatCode")
        ]
        rates = await self._rate_table(codes)
        unknown = sorted(set(codes) - set(rates))
        if unknown:
            raise RejectedError(
                f"VAT code(s) {', '.join(unknown)} do not exist in Twinfield",
                system=SYSTEM,
                operation="create order",
                hint="fix the flow's tax code table",
            )
        element = translate.transaction_element(
            record,
            office=self.client.office,
            settings=self.writing,
            rates=rates,
            today=self._today(),
        )
        echoed = await self.client.write("transactions", [element])
        header = echoed[0].find("header")
        if header is None:
            raise ProtocolError("the answer has no header", system=SYSTEM, operation="create order")
        number = translate.child(header, "number")
        code = translate.child(header, "code") or ""
        return WriteResult(str(record.get("reference", "")), number, {"journal": code})

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        if entity is not Entity.customers:
            raise RejectedError(
                "Twinfield transactions are not changed by koppel once booked",
                system=SYSTEM,
                operation=f"update {entity.value}",
                hint="correct the transaction in Twinfield",
            )
        actual = await self._customer_by_email(key)
        if actual is None:
            raise NotFoundError(
                f"no Twinfield customer with e-mail {key!r}", system=SYSTEM, operation="update"
            )
        merged = {**actual, **{f: record[f] for f in fields if f in record}, "code": actual["code"]}
        await self.client.write(
            "dimensions", [translate.dimension_element(merged, office=self.client.office)]
        )
        return WriteResult(key, str(actual["code"]))

    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Kinds: ``vatCode`` (``<read><type>vat``) and ``office`` (``<list><type>offices``)."""
        if kind == "vatCode":
            rates = await self._rate_table(list(codes))
            return [MasterDataCheck(kind, c, c in rates) for c in codes]
        if kind == "office":
            from lxml import etree

            document = etree.Element("list")
            etree.SubElement(document, "type").text = "offices"
            answer = await self.client.process(document, query=True)
            known = {o.text for o in answer.findall("office")}
            return [MasterDataCheck(kind, c, c in known) for c in codes]
        return [
            MasterDataCheck(kind, c, None, "koppel reads no such Twinfield master data")
            for c in codes
        ]


def _cursor(since: str) -> str:
    return json.dumps({"since": since})


def _number_key(number: str) -> tuple[int, str]:
    return (int(number), number) if number.isdigit() else (0, number)
