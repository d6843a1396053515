"""The MplusKASSA connector: the canonical adapter the reconcile engine talks to.

As a source it streams canonical records page by page from syncMarker cursors (products,
customers, orders) and a stockId cursor (stock). As a target it speaks the target-record
vocabulary of ``models.VOCABULARY``: ``lookup`` returns the actual record by natural key (SKU,
e-mail, order number), ``create``/``update`` write through the client. The pure translations live
in ``translate.py`` and ``orders.py``; this module only orchestrates calls.

Rules a person meets here: a product SKU must be numeric (it is the article number); orders are
created once and never updated (``extOrderId`` is the idempotency key); an order's customer must
exist before the order (the engine writes customers first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from connectors.base import (
    Connector,
    CustomerLink,
    MasterDataCheck,
    Page,
    TargetRecord,
    WriteResult,
    check_fields,
)
from connectors.concurrency import bounded_map
from connectors.errors import require_currency
from connectors.http import ClientSettings
from connectors.mpluskassa.capabilities import CAPABILITIES
from connectors.mpluskassa.client import SYSTEM, MplusClient, WireRecord
from connectors.mpluskassa.orders import order_to_canonical, order_to_target, target_to_order
from connectors.mpluskassa.translate import (
    article_number,
    article_to_product,
    article_to_target,
    articles,
    relation_to_customer,
    relation_to_target,
    stock_to_level,
    stock_to_target,
    target_to_article,
    target_to_product,
    target_to_relation,
)
from connectors.mpluskassa.tuning import COMPARISON
from connectors.mpluskassa.vocabulary import UPDATABLE_PRODUCT_FIELDS, VOCABULARY
from reconciler.canonical import CanonicalRecord, Customer, Entity, Order
from reconciler.errors import NotFoundError, RejectedError

LOOKUP_BATCH = 100
"""Articles asked for in one getProducts call by ``lookup_many``."""
RELATIONS_KEPT = 10_000
"""Relations an order read keeps once fetched (the most recently used), so a regular's orders
cost one relation fetch per read while memory stays bounded."""
LOOKUP_CONCURRENCY = 8
"""Look-ups in flight at once for entities ``lookup_many`` cannot batch."""

VAT_KINDS = frozenset({"vatCode", "taxCode", "vat"})


def _marker(cursor: str | None, full: bool) -> int:
    if full or not cursor:
        return 0
    if not cursor.isdigit():
        raise ValueError(f"not an MplusKASSA cursor: {cursor!r} (expected a sync marker)")
    return int(cursor)


class MplusConnector:
    """One MplusKASSA connection in both roles (``connectors.base.Connector``)."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="relationNumber", order_field="relationNumber")
    key_fields: ClassVar[dict[str, str]] = {
        "customers": "email",
        "products": "sku",
        "stock": "sku",
        "orders": "number",
    }

    def __init__(
        self,
        client: MplusClient,
        *,
        page_size: int = 100,
        currency: str = "EUR",
        queue_orders: bool = False,
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.currency = currency
        """Articles carry no currency: a product record in another currency is rejected."""
        self.queue_orders = queue_orders
        """Write orders with queueBranchOrder (for a branch to process) instead of createOrder."""

    def __repr__(self) -> str:
        return f"<MplusConnector {self.client!r}>"

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- source -----------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        """Pages of canonical records changed after ``cursor`` (everything when ``full``)."""
        if entity is Entity.stock:
            async for page in self._read_stock(cursor, full):
                yield page
            return
        marker = _marker(cursor, full)
        first = True
        known: OrderedDict[str, Customer] = OrderedDict()
        while True:
            records: list[CanonicalRecord]
            if entity is Entity.products:
                batch = await self.client.get_products(sync_marker=marker, limit=self.page_size)
                records = [article_to_product(p, a) for p in batch.items for a in articles(p)]
            elif entity is Entity.customers:
                batch = await self.client.get_relations(sync_marker=marker, limit=self.page_size)
                records = [relation_to_customer(r) for r in batch.items]
            else:
                batch = await self.client.get_orders(sync_marker=marker, limit=self.page_size)
                orders = [order_to_canonical(o) for o in batch.items]
                records = await self._with_customers(orders, known)
            # A full batch may be the last one; the empty answer after it is no page of its own.
            if batch.items or first:
                yield Page(records=records, cursor=str(batch.marker))
            if not batch.more:
                return
            marker, first = batch.marker, False

    async def _with_customers(
        self, orders: list[Order], known: OrderedDict[str, Customer]
    ) -> list[CanonicalRecord]:
        """Orders carry only a relation number; fetch the page's relations in one call so each
        order's customer has its e-mail, company and name (the engine matches by e-mail).

        ``known`` keeps the relations this read fetched already (the most recent
        ``RELATIONS_KEPT``): a regular's later orders need no second fetch in the same read."""
        wanted = {o.customer.source_id for o in orders if o.customer and o.customer.source_id}
        missing = sorted(int(n) for n in wanted if n not in known)
        if missing:
            page = await self.client.get_relations(relation_numbers=missing, limit=len(missing))
            for relation in page.items:
                known[str(relation["relationNumber"])] = relation_to_customer(relation)
        enriched: list[CanonicalRecord] = []
        for order in orders:
            number = order.customer.source_id if order.customer else None
            found = known.get(number) if number else None
            if found is not None and number is not None:
                known.move_to_end(number)
            enriched.append(order.model_copy(update={"customer": found}) if found else order)
        while len(known) > RELATIONS_KEPT:
            known.popitem(last=False)
        return enriched

    async def _read_stock(
        self, cursor: str | None, full: bool
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        since = _marker(cursor, full)
        if since:
            # stockId acts as a change cursor: only rows changed after it come back.
            rows = await self.client.get_stock(stock_id=since)
            flags = await self._stock_flags([int(r["articleNumber"]) for r in rows])
            levels = [stock_to_level(r, managed=flags.get(r["articleNumber"])) for r in rows]
            newest = max((int(r["stockId"]) for r in rows), default=since)
            yield Page(records=list(levels), cursor=str(newest))
            return
        # A full scan walks the articles; the cursor is the stockId from before the scan, so a
        # change made during it is read again next time rather than missed.
        start = int((await self.client.get_current_sync_markers()).get("stockId") or 0)
        marker, first = 0, True
        while True:
            batch = await self.client.get_products(sync_marker=marker, limit=self.page_size)
            flags = {
                a["articleNumber"]: a.get("stockArticle") for p in batch.items for a in articles(p)
            }
            rows = await self.client.get_stock(flags) if flags else []
            if batch.items or first:
                levels = [stock_to_level(r, managed=flags.get(r["articleNumber"])) for r in rows]
                yield Page(records=list(levels), cursor=str(start))
            if not batch.more:
                return
            marker, first = batch.marker, False

    async def _stock_flags(self, numbers: list[int]) -> dict[int, bool | None]:
        if not numbers:
            return {}
        batch = await self.client.get_products(article_numbers=numbers, limit=len(numbers))
        return {a["articleNumber"]: a.get("stockArticle") for p in batch.items for a in articles(p)}

    # -- target: look-ups -------------------------------------------------------------------------
    async def _find_article(self, number: int) -> tuple[WireRecord, WireRecord] | None:
        batch = await self.client.get_products(article_numbers=[number], limit=1)
        for product in batch.items:
            for article in articles(product):
                if article["articleNumber"] == number:
                    return product, article
        return None

    async def _free_stock(self, number: int) -> WireRecord | None:
        rows = await self.client.get_stock([number])
        return rows[0] if rows else None

    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        if entity is Entity.customers:
            relation = await self.client.find_relation(email=key)
            return None if relation is None else relation_to_target(relation)
        if entity is Entity.orders:
            order = await self.client.find_order(key)
            return None if order is None else order_to_target(order)
        return await self._lookup_article(entity, key)

    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """Look several keys up at once (key -> record; absent keys are left out).

        Products and stock take one ``getProducts`` and at most one ``getStock`` call per
        LOOKUP_BATCH keys instead of one or two calls per key; other entities are looked up
        one by one, LOOKUP_CONCURRENCY at a time. Each record equals what ``lookup`` answers."""
        if entity not in (Entity.products, Entity.stock):
            found = await bounded_map(
                list(keys), lambda key: self.lookup(entity, key), limit=LOOKUP_CONCURRENCY
            )
            return {key: record for key, record in zip(keys, found, strict=True) if record}
        rule = CAPABILITIES.sku_rule
        numeric = sorted({int(key): key for key in keys if rule and rule.matches(key)}.items())
        result: dict[str, TargetRecord] = {}
        for start in range(0, len(numeric), LOOKUP_BATCH):
            chunk = dict(numeric[start : start + LOOKUP_BATCH])
            batch = await self.client.get_products(article_numbers=list(chunk), limit=len(chunk))
            hits = {
                a["articleNumber"]: (p, a)
                for p in batch.items
                for a in articles(p)
                if a["articleNumber"] in chunk
            }
            managed = [n for n, (_, a) in hits.items() if a.get("stockArticle")]
            rows = await self.client.get_stock(managed) if managed else []
            stock = {row["articleNumber"]: row for row in rows}
            for number, (product, article) in hits.items():
                key = chunk[number]
                result[key] = _article_record(
                    entity, key, product, article, stock.get(number) if number in managed else None
                )
        return result

    async def _lookup_article(self, entity: Entity, key: str) -> TargetRecord | None:
        """A product or stock record: both live on the article numbered ``key``."""
        if not CAPABILITIES.sku_rule or not CAPABILITIES.sku_rule.matches(key):
            return None  # a non-numeric SKU cannot exist in MplusKASSA; create rejects it
        found = await self._find_article(int(key))
        if found is None:
            return None
        product, article = found
        managed = article.get("stockArticle")
        row = await self._free_stock(int(key)) if managed else None
        return _article_record(entity, key, product, article, row)

    # -- target: writes ---------------------------------------------------------------------------
    def _check_fields(self, entity: Entity, fields: Sequence[str], operation: str) -> None:
        check_fields(VOCABULARY, entity, fields, system=SYSTEM, operation=operation)

    def _check_currency(self, record: TargetRecord, operation: str) -> None:
        require_currency(
            record,
            self.currency,
            subject=f"SKU {record.get('sku')!r}",
            keeps="this till sells in",
            system=SYSTEM,
            operation=operation,
        )

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        self._check_fields(entity, list(record), f"create {entity.value}")
        if entity is Entity.products:
            return await self._create_product(record)
        if entity is Entity.customers:
            answer = await self.client.create_relation(target_to_relation(record))
            key = str(record.get("email") or answer["relationNumber"])
            return WriteResult(key=key, target_id=str(answer["relationNumber"]))
        if entity is Entity.stock:
            return await self.update(entity, str(record["sku"]), record, fields=list(record))
        return await self._create_order(record)

    async def _create_product(self, record: TargetRecord) -> WriteResult:
        operation = "createProduct"
        number = article_number(str(record.get("sku")), operation=operation)
        self._check_currency(record, operation)
        product = target_to_product(record, operation=operation)
        if record.get("productNumber") is not None:
            # Another variant of an existing product: updateProduct adds unknown articles.
            answer = await self.client.update_product(product)
            product_number = record["productNumber"]
        else:
            answer = await self.client.create_product(product)
            product_number = answer["productNumber"]
        if record.get("quantity") is not None and record.get("stockArticle", True):
            await self.client.set_stock(number, Decimal(record["quantity"]))
        extra = {"productNumber": str(product_number), "syncMarker": str(answer.get("syncMarker"))}
        return WriteResult(key=str(number), target_id=str(number), extra=extra)

    async def _create_order(self, record: TargetRecord) -> WriteResult:
        raw = record.get("relationNumber")
        relation_number: int | None = None
        if raw not in (None, ""):
            # Ids arrive as text (a customer's target id, a default debtor from the specs).
            if not str(raw).strip().isdigit():
                raise RejectedError(
                    f"order {record.get('number')}: relation number {raw!r} is not a number",
                    system=SYSTEM,
                    operation="createOrder",
                    hint="MplusKASSA relation numbers are numeric; check the default debtor",
                )
            relation_number = int(str(raw).strip())
        email = record.get("email")
        if relation_number is None and email:
            relation = await self.client.find_relation(email=str(email))
            if relation is None:
                raise RejectedError(
                    f"order {record.get('number')}: no relation with e-mail {email}",
                    system=SYSTEM,
                    operation="createOrder",
                    hint="write the customer first (the customers step of the order flow)",
                )
            relation_number = relation["relationNumber"]
        order = target_to_order(
            record, relation_number=relation_number, branch_number=self.client.branch_number
        )
        if self.queue_orders:
            info = await self.client.queue_branch_order(order)
        else:
            info = await self.client.create_order(order)
        extra = {"orderString": str(info.get("orderString", ""))}
        return WriteResult(key=str(record["number"]), target_id=str(info["orderId"]), extra=extra)

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        operation = f"update {entity.value}"
        self._check_fields(entity, fields, operation)
        if entity is Entity.customers:
            relation = await self.client.find_relation(email=key)
            if relation is None:
                raise NotFoundError(
                    f"no relation with e-mail {key}", system=SYSTEM, operation=operation
                )
            change = {
                "relationNumber": relation["relationNumber"],
                **target_to_relation(record, fields),
            }
            await self.client.update_relation(change)
            return WriteResult(key=key, target_id=str(relation["relationNumber"]))
        if entity is Entity.orders:
            raise RejectedError(
                f"order {key} exists in MplusKASSA and orders are never changed once written",
                system=SYSTEM,
                operation=operation,
            )
        number = article_number(key, operation=operation)
        found = await self._find_article(number)
        if found is None:
            raise NotFoundError(f"no article {number}", system=SYSTEM, operation=operation)
        product, _ = found
        if entity is Entity.stock:
            await self._write_stock(product, number, record, fields)
        else:
            await self._update_product(product, number, record, fields)
        return WriteResult(key=key, target_id=str(number))

    async def _update_product(
        self, product: WireRecord, number: int, record: TargetRecord, fields: Sequence[str]
    ) -> None:
        wanted = set(fields) & UPDATABLE_PRODUCT_FIELDS
        if "currency" in wanted:
            self._check_currency(record, "updateProduct")
        article = target_to_article(
            {**record, "sku": str(number)}, operation="updateProduct", fields=wanted
        )
        change: dict[str, Any] = {
            "productNumber": product["productNumber"],
            "articleList": {"article": [article]},
        }
        if "productDescription" in wanted:
            change["description"] = record.get("productDescription")
        if "groupNumbers" in wanted:
            change["groupNumbers"] = list(record.get("groupNumbers") or [])
        if len(article) > 1 or len(change) > 2:
            await self.client.update_product(change)
        if "quantity" in wanted and record.get("quantity") is not None:
            await self.client.set_stock(number, Decimal(record["quantity"]))

    async def _write_stock(
        self, product: WireRecord, number: int, record: TargetRecord, fields: Sequence[str]
    ) -> None:
        if "managed" in fields and record.get("managed") is not None:
            article = {"articleNumber": number, "stockArticle": bool(record["managed"])}
            change = {
                "productNumber": product["productNumber"],
                "articleList": {"article": [article]},
            }
            await self.client.update_product(change)
        if "amount" in fields and record.get("amount") is not None:
            await self.client.set_stock(number, Decimal(record["amount"]))

    # -- master data ------------------------------------------------------------------------------
    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """VAT codes are checked against getVatGroupList; other kinds are not exposed."""
        if kind not in VAT_KINDS:
            return [
                MasterDataCheck(
                    kind, code, None, "MplusKASSA master data of this kind is not checked"
                )
                for code in codes
            ]
        groups = await self.client.get_vat_groups()
        known = {str(g["vatCode"]): g for g in groups}
        return [
            MasterDataCheck(
                kind,
                code,
                code in known,
                f"{known[code]['vatPercentage']}%" if code in known else "unknown VAT code",
            )
            for code in codes
        ]


def _article_record(
    entity: Entity,
    key: str,
    product: WireRecord,
    article: WireRecord,
    row: WireRecord | None,
) -> TargetRecord:
    """The product or stock record of an article found by number (``row``: its free stock,
    read only for stock articles)."""
    managed = article.get("stockArticle")
    if entity is Entity.stock:
        if row is None:
            return {"sku": key, "amount": Decimal(0), "managed": bool(managed)}
        return stock_to_target(row, managed=managed)
    record = article_to_target(product, article)
    if row is not None:
        record["quantity"] = stock_to_level(row).available
    return record


def open_connector(
    *,
    endpoint: str,
    ident: str,
    secret: str,
    branch_number: int = 1,
    settings: ClientSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    page_size: int = 100,
    currency: str = "EUR",
    queue_orders: bool = False,
) -> MplusConnector:
    """A connector for one tenant connection (endpoint with its customer-specific port, ident,
    secret, branch): what the engine's registry calls with the connection's resolved values."""
    client = MplusClient(
        endpoint=endpoint,
        ident=ident,
        secret=secret,
        branch_number=branch_number,
        settings=settings,
        transport=transport,
    )
    return MplusConnector(client, page_size=page_size, currency=currency, queue_orders=queue_orders)


def _conforms(connector: MplusConnector) -> Connector:
    """Never called: mypy proves here that MplusConnector satisfies the Connector protocol."""
    return connector
