"""The AFAS Profit connector: ``connectors.base.Connector`` over ``AfasClient``.

As a source it pages GetConnectors into canonical records, incrementally by modification date
when the connector has one (the cursor is that date, as AFAS's Amsterdam local time); orders are
``Profit_Salesorders`` headers joined with their ``Profit_SalesorderLines``, and since only the
lines carry a modification date, an incremental order read follows the lines. As a target it
looks records up by natural key (debtor by e-mail, order by customer reference, article by item
code, stock by item code) and writes through UpdateConnectors (``translate.py`` builds bodies).
Stock is never set: the connector writes the FbStockMutation that moves the level it read to the
level wanted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

from connectors.afas import bodies, translate
from connectors.afas.capabilities import CAPABILITIES
from connectors.afas.client import SYSTEM, AfasClient
from connectors.afas.models import Condition, Filter, Operator, WriteSettings
from connectors.afas.tuning import COMPARISON
from connectors.base import CustomerLink, MasterDataCheck, Page, TargetRecord, WriteResult
from connectors.concurrency import bounded_map
from reconciler.canonical import CanonicalRecord, Entity, Order
from reconciler.errors import NotFoundError, RejectedError

ROLES = {
    Entity.customers: ("debtors", "debtorId"),
    Entity.products: ("articles", "sku"),
    Entity.stock: ("stock", "sku"),
}
"""Entity -> (GetConnector role, logical key column) for the simple one-connector reads."""

_CONVERTERS: dict[Entity, Callable[[translate.Row, translate.Columns], CanonicalRecord]] = {
    Entity.customers: translate.customer_from_row,
    Entity.products: translate.product_from_row,
    Entity.stock: translate.stock_from_row,
}

SETTLED = dt.timedelta(minutes=10)
"""How old a modification date must be before a cursor resumes after a key within it: more than
any clock skew between AFAS and koppel, and any write still committing with that date."""
KEYS_PER_CALL = 40
"""Order numbers per OR filter: keeps the query string well under AFAS's 2049 characters."""
CHUNKS_AT_ONCE = 4
"""A look-up's OR-filtered calls in flight at once (AFAS asks for at most ~5 parallel calls)."""


class AfasConnector:
    """One AFAS Profit connection in both roles."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="debtorId", order_field="debtorId")

    def __init__(
        self,
        client: AfasClient,
        *,
        write: WriteSettings | None = None,
        page_size: int = 100,
        today: Callable[[], dt.date] = dt.date.today,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.write = write or WriteSettings()
        self.page_size = page_size
        self._today = today
        self._now = now

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- source ------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        state = {} if full or cursor is None else json.loads(cursor)
        since, after = state.get("since"), state.get("after")
        if entity is Entity.orders:
            async for page in self._read_orders(since):
                yield page
            return
        role, key = ROLES[entity]
        settings = self.client.get_settings
        columns = settings.columns(role)
        modified, key_column = columns.get("modified"), columns[key]
        filters: Filter = []
        if modified and since and after is not None:
            # After (date, key): later dates, or the same date and a later key, in the order
            # the pages are sorted by, so a batch sharing one date is not read again.
            filters = [
                [Condition(modified, Operator.greater, since)],
                [
                    Condition(modified, Operator.equal, since),
                    Condition(key_column, Operator.greater, str(after)),
                ],
            ]
        elif modified and since:
            filters = [[Condition(modified, Operator.greater_or_equal, since)]]
        order = [c for c in (modified, key_column) if c]
        convert = _CONVERTERS[entity]
        latest, last_key = since, after
        async for rows in self.client.iter_pages(
            settings.connector_id(role), order_by=order, filters=filters, page_size=self.page_size
        ):
            records: list[CanonicalRecord] = [convert(row, columns) for row in rows]
            if modified:
                # Pages come sorted by (date, key): the last row is the furthest one read.
                stamp = rows[-1].get(modified)
                if stamp:
                    latest, last_key = str(stamp).rstrip("Z"), rows[-1].get(key_column)
                else:
                    latest = _latest(latest, [row.get(modified) for row in rows])
            yield Page(records, self._resume(latest, last_key))

    def _resume(self, since: str | None, key: object) -> str | None:
        """The cursor after a page: its last (date, key), with the key only once that date is
        ``SETTLED`` in the past. A record written later within that same second may sort before
        the key; until the second is old enough for that to be impossible, the next read asks
        for the whole second again (``>=``) instead of skipping it."""
        if since is None:
            return None
        if key is None or key == "":
            return _cursor(since)
        now = translate.afas_datetime(self._now())
        stamp = dt.datetime.fromisoformat(since)
        if dt.datetime.fromisoformat(now) - stamp < SETTLED:
            return _cursor(since)
        return json.dumps({"since": since, "after": str(key)})

    async def _read_orders(self, since: str | None) -> AsyncIterator[Page[CanonicalRecord]]:
        settings = self.client.get_settings
        head, line = settings.columns("orders"), settings.columns("order_lines")
        modified = line.get("modified")
        latest = since
        if since and modified:
            # Only lines carry a modification date: follow them, then fetch whole orders.
            seen: set[str] = set()
            async for rows in self.client.iter_pages(
                settings.connector_id("order_lines"),
                order_by=[modified, line["orderNumber"], line["sequence"]],
                filters=[[Condition(modified, Operator.greater_or_equal, since)]],
                page_size=self.page_size,
            ):
                latest = _latest(latest, [row.get(modified) for row in rows])
                numbers = sorted({str(r[line["orderNumber"]]) for r in rows} - seen)
                seen.update(numbers)
                headers = await self._by_numbers("orders", head["orderNumber"], numbers)
                yield Page(await self._orders(headers), _cursor(latest))
            return
        # A full read goes by order number, not by date: resuming from the latest date seen
        # halfway would skip older orders with higher numbers. So every page but the last
        # carries no cursor (resume = read again), and the last one carries the latest date.
        pending: list[CanonicalRecord] | None = None
        async for headers in self.client.iter_pages(
            settings.connector_id("orders"),
            order_by=[head["orderNumber"]],
            page_size=self.page_size,
        ):
            if pending is not None:
                yield Page(pending, None)
            pending = await self._orders(headers)
            for order in pending:
                if isinstance(order, Order) and order.modified_at is not None:
                    latest = _latest(latest, [translate.afas_datetime(order.modified_at)])
        if pending is not None:
            yield Page(pending, _cursor(latest))

    async def _orders(self, headers: list[dict[str, Any]]) -> list[CanonicalRecord]:
        settings = self.client.get_settings
        head, line = settings.columns("orders"), settings.columns("order_lines")
        numbers = [str(h[head["orderNumber"]]) for h in headers]
        lines = await self._by_numbers("order_lines", line["orderNumber"], numbers)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in lines:
            grouped.setdefault(str(row[line["orderNumber"]]), []).append(row)
        # Each order's debtor as its customer (e-mail, name, address), read for the whole page
        # at once: a target matches customers by e-mail, not by AFAS's debtor number.
        debtors = settings.columns("debtors")
        ids = sorted({str(h[head["debtorId"]]) for h in headers if h.get(head["debtorId"])})
        customers = {
            str(row.get(debtors["debtorId"])): translate.customer_from_row(row, debtors)
            for row in await self._by_numbers("debtors", debtors["debtorId"], ids)
        }
        return [
            translate.order_from_rows(
                h,
                grouped.get(str(h[head["orderNumber"]]), []),
                head,
                line,
                customers.get(str(h.get(head["debtorId"]))),
            )
            for h in headers
        ]

    async def _bookings(self, references: Sequence[str]) -> dict[str, TargetRecord]:
        """Financial mutations written for ``references``: their debtor lines are open items in
        ``Profit_Debtor_Invoices`` whose invoice number is the reference (``bodies``)."""
        columns = self.client.get_settings.columns("debtor_invoices")
        rows = await self._by_numbers("debtor_invoices", columns["invoiceNumber"], references)
        found: dict[str, TargetRecord] = {}
        for row in rows:
            record = translate.booking_record(row, columns)
            found.setdefault(str(record["reference"]), record)
        return found

    async def _by_numbers(
        self, role: str, column: str, numbers: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Rows whose ``column`` is one of ``numbers``, via OR filters of bounded length."""
        settings = self.client.get_settings
        rows: list[dict[str, Any]] = []
        chunks = [numbers[i : i + KEYS_PER_CALL] for i in range(0, len(numbers), KEYS_PER_CALL)]

        async def one(chunk: Sequence[str]) -> list[dict[str, Any]]:
            filters = [[Condition(column, Operator.equal, n)] for n in chunk]
            return await self.client.get_all(
                settings.connector_id(role), order_by=[column], filters=filters, page_size=500
            )

        for found in await bounded_map(chunks, one, limit=CHUNKS_AT_ONCE):
            rows.extend(found)
        return rows

    # -- target ------------------------------------------------------------------------------
    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """What ``lookup`` answers for each key, in a few OR-filtered calls instead of one
        call per key (stock, summed over warehouses, is still looked up key by key)."""
        settings = self.client.get_settings
        wanted = list(dict.fromkeys(keys))
        if entity is Entity.customers:
            cols = settings.columns("debtors")
            rows = await self._by_numbers("debtors", cols["email"], wanted)
            # The lowest debtor number wins, as in a single look-up.
            rows.sort(key=lambda r: str(r.get(cols["debtorId"]) or ""))
            by_email: dict[str, TargetRecord] = {}
            for row in rows:
                email = str(row.get(cols["email"]) or "").strip().lower()
                by_email.setdefault(email, translate.debtor_record(row, cols))
            return {k: by_email[k.strip().lower()] for k in wanted if k.strip().lower() in by_email}
        if entity is Entity.products:
            cols = settings.columns("articles")
            rows = await self._by_numbers("articles", cols["sku"], wanted)
            by_code = {str(r.get(cols["sku"])): translate.article_record(r, cols) for r in rows}
            return {k: by_code[k] for k in wanted if k in by_code}
        if entity is Entity.orders:
            head, line = settings.columns("orders"), settings.columns("order_lines")
            headers: dict[str, dict[str, Any]] = {}
            for row in await self._by_numbers("orders", head["reference"], wanted):
                headers.setdefault(str(row.get(head["reference"])), row)
            numbers = [str(h[head["orderNumber"]]) for h in headers.values()]
            lines: dict[str, list[dict[str, Any]]] = {}
            if numbers:
                for row in await self._by_numbers("order_lines", line["orderNumber"], numbers):
                    lines.setdefault(str(row.get(line["orderNumber"])), []).append(row)
            sequence = line.get("sequence")
            if sequence:  # in line order, as a single look-up reads them
                for group in lines.values():
                    group.sort(key=lambda r: float(r.get(sequence) or 0))
            found = {
                ref: translate.order_record(
                    h, lines.get(str(h[head["orderNumber"]]), []), head, line
                )
                for ref, h in headers.items()
            }
            missing = [k for k in wanted if k not in found]
            if missing:
                found.update(await self._bookings(missing))
            return {k: found[k] for k in wanted if k in found}
        found = {}
        for key in wanted:
            record = await self.lookup(entity, key)
            if record is not None:
                found[key] = record
        return found

    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        settings = self.client.get_settings
        if entity is Entity.customers:
            row = await self.client.debtor_by_email(key)
            return (
                None if row is None else translate.debtor_record(row, settings.columns("debtors"))
            )
        if entity is Entity.products:
            row = await self.client.article_by_code(key)
            return (
                None if row is None else translate.article_record(row, settings.columns("articles"))
            )
        if entity is Entity.stock:
            rows = await self.client.find("stock", "sku", key)
            if not rows:
                return None
            columns = settings.columns("stock")
            records = [translate.stock_record(r, columns) for r in rows]
            total = sum((r.get("quantity", Decimal(0)) for r in records), Decimal(0))
            return {**records[0], "quantity": total}
        header = await self.client.order_by_reference(key)
        if header is None:
            # Not a sales document: perhaps a financial mutation, found by its invoice number.
            return (await self._bookings([key])).get(key)
        head, line = settings.columns("orders"), settings.columns("order_lines")
        lines = await self.client.order_lines(str(header[head["orderNumber"]]))
        return translate.order_record(header, lines, head, line)

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        if entity is Entity.customers:
            connector, body = bodies.debtor_body(record, self.write, today=self._today())
            keys = await self.client.insert(connector, body)
            return WriteResult(str(record.get("email", "")), keys.get("DbId"), _extra(keys))
        if entity is Entity.products:
            keys = await self.client.insert(
                "FbItemArticle", bodies.article_body(record, self.write)
            )
            return WriteResult(str(record["sku"]), keys.get("ItCd", str(record["sku"])))
        if entity is Entity.stock:
            return await self._move_stock(record)
        order = dict(record)
        if not order.get("debtorId") and order.get("orderType") != "financialMutation":
            order["debtorId"] = await self._debtor_for(order)
        connector, body = bodies.sales_body(order, self.write)
        keys = await self.client.insert(connector, body)
        target_id = keys.get("OrNu") or keys.get("EnNo")
        return WriteResult(str(record.get("reference", "")), target_id, _extra(keys))

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        if entity is Entity.stock:
            return await self._move_stock({**record, "sku": key})
        actual = await self.lookup(entity, key)
        if actual is None:
            raise NotFoundError(
                f"no {entity.value} record with key {key!r}", system=SYSTEM, operation="update"
            )
        changed = {f: record[f] for f in fields if f in record}
        if entity is Entity.customers:
            wanted = {
                **changed,
                "debtorId": actual["debtorId"],
                "relationCode": actual.get("relationCode"),
                "companyName": record.get("companyName"),
            }
            connector, body = bodies.debtor_body(
                wanted, self.write, today=self._today(), update=True
            )
            keys = await self.client.update(connector, body)
            return WriteResult(key, keys.get("DbId", actual["debtorId"]), _extra(keys))
        if entity is Entity.products:
            body = bodies.article_body({**changed, "sku": key}, self.write, update=True)
            keys = await self.client.update("FbItemArticle", body)
            return WriteResult(key, keys.get("ItCd", key))
        if "lines" in changed:
            raise RejectedError(
                "AFAS cannot replace the lines of an existing sales order through FbSales",
                system=SYSTEM,
                operation="update FbSales",
                hint="change the order in AFAS, or cancel it and let koppel create a new one",
            )
        order_type = actual.get("orderType") or record.get("orderType")
        wanted = {**changed, "orderNumber": actual["orderNumber"], "orderType": order_type}
        connector, body = bodies.sales_body(wanted, self.write)
        keys = await self.client.update(connector, body)
        return WriteResult(key, keys.get("OrNu", actual["orderNumber"]), _extra(keys))

    async def _debtor_for(self, order: TargetRecord) -> str:
        email = order.get("customerEmail")
        if email:
            row = await self.client.debtor_by_email(str(email))
            if row is not None:
                return str(row[self.client.get_settings.columns("debtors")["debtorId"]])
        if self.write.default_debtor:
            return self.write.default_debtor
        raise RejectedError(
            f"order {order.get('reference')!r} names no AFAS debtor and none has e-mail {email!r}",
            system=SYSTEM,
            operation="create order",
            hint="sync the customer first, or map debtorId (e.g. to a default debtor)",
        )

    async def _move_stock(self, record: TargetRecord) -> WriteResult:
        sku = str(record["sku"])
        actual = await self.lookup(Entity.stock, sku)
        current = actual.get("quantity", Decimal(0)) if actual else Decimal(0)
        delta = Decimal(str(record.get("quantity", 0))) - current
        if delta:
            body = bodies.stock_mutation_body(
                sku,
                delta,
                self.write,
                unit=record.get("unit") or (actual or {}).get("unit"),
                warehouse=record.get("warehouse"),
                today=self._today(),
            )
            await self.client.insert("FbStockMutation", body)
        return WriteResult(sku, sku, {"moved": str(delta)})

    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Kinds: ``vatCode``, ``administration``, ``getConnector``, ``updateConnector``."""
        settings = self.client.get_settings
        if kind in ("getConnector", "updateConnector"):
            missing_get, missing_update = await self.client.missing_connectors(
                get=codes if kind == "getConnector" else (),
                update=codes if kind == "updateConnector" else (),
            )
            missing = set(missing_get) | set(missing_update)
            return [MasterDataCheck(kind, c, c not in missing) for c in codes]
        role = {"vatCode": "vat_codes", "administration": "administrations"}.get(kind)
        if role is None:
            return [
                MasterDataCheck(kind, c, None, "AFAS exposes no such master data") for c in codes
            ]
        column = settings.columns(role)["code"]
        rows = await self.client.get_all(settings.connector_id(role), order_by=[column])
        known = {str(r.get(column)) for r in rows}
        return [MasterDataCheck(kind, c, c in known) for c in codes]


def _latest(current: str | None, values: Sequence[object]) -> str | None:
    stamps = [str(v).rstrip("Z") for v in values if v]
    return max([s for s in (current, *stamps) if s], default=None)


def _cursor(since: str | None) -> str | None:
    return None if since is None else json.dumps({"since": since})


def _extra(keys: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in keys.items() if k not in ("DbId", "OrNu", "ItCd")}
