"""The AsPos connector: the canonical adapter the reconcile engine talks to.

As a source it pages the contract's list endpoints into canonical records, incrementally by
``modifiedSince`` from a cursor (the newest ``modifiedAt`` read, inclusive: records changed in
that same second are read again, which a level-based reconciler shrugs off). Orders carry only a
``customerId``; each page's customers are fetched in one filtered call so an order's customer has
its e-mail, company and name (the engine matches by e-mail). Orders and stock are those of the
connection's ``store`` when it names one.

As a target it speaks the vocabulary of ``vocabulary.VOCABULARY``: ``lookup``/``lookup_many``
find records by natural key (e-mail, SKU, the order's ``reference`` = ``externalReference``)
in batched filtered calls; orders are created once and never changed (``externalReference`` is
unique per store, so a retried create is refused instead of duplicated); stock is set absolutely
per store with an idempotent PUT. The pure translations live in ``translate.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from connectors.aspos.capabilities import CAPABILITIES
from connectors.aspos.client import SYSTEM, AsposClient
from connectors.aspos.contract import DEFAULT_CONTRACT, Contract
from connectors.aspos.translate import (
    article_to_canonical,
    article_to_target,
    customer_to_canonical,
    customer_to_target,
    order_to_canonical,
    order_to_target,
    parse_time,
    stock_to_canonical,
    stock_to_target,
    target_to_article,
    target_to_customer,
    target_to_order,
    target_to_stock,
    wire_time,
)
from connectors.aspos.tuning import COMPARISON
from connectors.aspos.vocabulary import READ_ONLY, VOCABULARY
from connectors.base import (
    DEFAULT_KEY_FIELDS,
    Connector,
    CustomerLink,
    MasterDataCheck,
    Page,
    TargetRecord,
    WriteResult,
    check_fields,
)
from connectors.http import ClientSettings
from reconciler.canonical import CanonicalRecord, Customer, Entity
from reconciler.errors import NotFoundError, RejectedError

VAT_KINDS = frozenset({"vatCode", "taxCode", "vat"})
PAYMENT_KINDS = frozenset({"paymentMethod"})
STORE_KINDS = frozenset({"store", "warehouse", "branch"})
_RESOURCES = {
    Entity.customers: ("customers", "customers"),
    Entity.products: ("articles", "articles"),
    Entity.stock: ("stock", "stock"),
    Entity.orders: ("orders", "orders"),
}


def _since(cursor: str | None, full: bool) -> dt.datetime | None:
    if full or not cursor:
        return None
    try:
        moment = parse_time(cursor)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"not an AsPos cursor: {cursor!r} (expected an ISO 8601 time)")
    return moment


class AsposConnector:
    """One AsPos connection in both roles (``connectors.base.Connector``)."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="customerId", order_field="customerId")
    key_fields: ClassVar[Mapping[str, str]] = DEFAULT_KEY_FIELDS

    def __init__(self, client: AsposClient, *, page_size: int = 100) -> None:
        self.client = client
        self.page_size = page_size

    def __repr__(self) -> str:
        return f"<AsposConnector {self.client!r}>"

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- source -----------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        """Pages of canonical records changed since ``cursor`` (everything when ``full``)."""
        since = _since(cursor, full)
        newest = since
        kind, resource = _RESOURCES[entity]
        filters: dict[str, str] = {}
        path: dict[str, str] = {}
        if entity is Entity.orders and self.client.store:
            filters["store"] = self.client.store
        if entity is Entity.stock:
            path["store"] = self.client.require_store("list stock")
        first = True
        async for batch in self.client.pages(
            kind,
            resource,
            page_size=self.page_size,
            modified_since=since,
            filters=filters,
            **path,
        ):
            for item in batch.items:
                moment = parse_time(item.get("modifiedAt"))
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
            if not batch.items and not first:
                return
            records = await self._records(entity, batch.items)
            yield Page(records=records, cursor=wire_time(newest) if newest else cursor)
            first = False

    async def _records(self, entity: Entity, items: list[dict[str, Any]]) -> list[CanonicalRecord]:
        if entity is Entity.customers:
            return [customer_to_canonical(item) for item in items]
        if entity is Entity.products:
            return [article_to_canonical(item) for item in items]
        if entity is Entity.stock:
            return [stock_to_canonical(item) for item in items]
        ids = sorted({str(o["customerId"]) for o in items if o.get("customerId") is not None})
        customers: dict[str, Customer] = {}
        if ids:
            for wire in await self.client.customers_by_id(ids):
                customers[str(wire["id"])] = customer_to_canonical(wire)
        return [
            order_to_canonical(item, customers.get(str(item.get("customerId")))) for item in items
        ]

    # -- target: look-ups -------------------------------------------------------------------------
    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        return (await self.lookup_many(entity, [key])).get(key)

    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """Look several keys up at once (key -> record; absent keys are left out): one filtered
        list call per 50 keys (``?email=a,b``, ``?sku=…``, ``?externalReference=…``)."""
        wanted = [k for k in dict.fromkeys(keys) if k]
        if not wanted:
            return {}
        if entity is Entity.customers:
            rows = await self.client.customers_by_email([k.strip().lower() for k in wanted])
            rows.sort(key=lambda c: str(c.get("id")))  # the oldest customer wins
            by_email: dict[str, TargetRecord] = {}
            for row in rows:
                by_email.setdefault(str(row.get("email") or "").lower(), customer_to_target(row))
            return {k: by_email[k.strip().lower()] for k in wanted if k.strip().lower() in by_email}
        if entity is Entity.products:
            rows = await self.client.articles_by_sku(wanted)
            by_sku = {str(r["sku"]): article_to_target(r) for r in rows}
            return {k: by_sku[k] for k in wanted if k in by_sku}
        if entity is Entity.stock:
            rows = await self.client.stock_by_sku(wanted)
            by_sku = {str(r["sku"]): stock_to_target(r) for r in rows}
            return {k: by_sku[k] for k in wanted if k in by_sku}
        rows = await self.client.orders_by_reference(wanted)
        by_ref = {str(r.get("externalReference")): order_to_target(r) for r in rows}
        return {k: by_ref[k] for k in wanted if k in by_ref}

    # -- target: writes ---------------------------------------------------------------------------
    def _check_fields(self, entity: Entity, fields: Sequence[str], operation: str) -> None:
        check_fields(VOCABULARY, entity, fields, system=SYSTEM, operation=operation)

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        self._check_fields(entity, list(record), f"create {entity.value}")
        writable = {k: v for k, v in record.items() if k not in READ_ONLY[entity]}
        if entity is Entity.customers:
            answer = await self.client.create_customer(target_to_customer(writable))
            key = str(record.get("email") or answer["id"])
            return WriteResult(
                key=key, target_id=str(answer["id"]), extra={"number": str(answer.get("number"))}
            )
        if entity is Entity.products:
            answer = await self.client.create_article(target_to_article(writable))
            return WriteResult(key=str(record["sku"]), target_id=str(answer["id"]))
        if entity is Entity.stock:
            return await self.update(entity, str(record["sku"]), record, fields=list(writable))
        return await self._create_order(writable)

    async def _create_order(self, record: TargetRecord) -> WriteResult:
        operation = "create order"
        if not record.get("reference"):
            raise RejectedError(
                "an order needs a reference (its externalReference in AsPos)",
                system=SYSTEM,
                operation=operation,
                hint="map `reference` (the default mapping takes the source's order number)",
            )
        customer_id = record.get("customerId")
        email = record.get("email")
        if customer_id in (None, "") and email:
            customer = await self.client.find_customer(str(email))
            if customer is None:
                raise RejectedError(
                    f"order {record['reference']}: no customer with e-mail {email}",
                    system=SYSTEM,
                    operation=operation,
                    hint="write the customer first (the customers step of the order flow)",
                )
            customer_id = customer["id"]
        wire = target_to_order(
            record,
            customer_id=None if customer_id in (None, "") else str(customer_id),
            store=self.client.store,
        )
        answer = await self.client.create_order(wire)
        return WriteResult(
            key=str(record["reference"]),
            target_id=str(answer["id"]),
            extra={"number": str(answer.get("number", ""))},
        )

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        operation = f"update {entity.value}"
        self._check_fields(entity, fields, operation)
        wanted = [f for f in fields if f not in READ_ONLY[entity]]
        if entity is Entity.orders:
            raise RejectedError(
                f"order {key} exists in AsPos and orders are never changed once written",
                system=SYSTEM,
                operation=operation,
            )
        if entity is Entity.stock:
            change = target_to_stock(record, wanted)
            if change:
                await self.client.set_stock(key, change)
            return WriteResult(key=key, target_id=key)
        if entity is Entity.customers:
            customer = await self.client.find_customer(key)
            if customer is None:
                raise NotFoundError(
                    f"no customer with e-mail {key}", system=SYSTEM, operation=operation
                )
            change = target_to_customer(record, wanted)
            if change:
                await self.client.update_customer(str(customer["id"]), change)
            return WriteResult(key=key, target_id=str(customer["id"]))
        article = await self.client.find_article(key)
        if article is None:
            raise NotFoundError(f"no article with SKU {key}", system=SYSTEM, operation=operation)
        change = target_to_article(record, wanted)
        if change:
            await self.client.update_article(str(article["id"]), change)
        return WriteResult(key=key, target_id=str(article["id"]))

    # -- master data ------------------------------------------------------------------------------
    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Tax codes, payment methods and stores are checked; other kinds are not exposed."""
        if kind in VAT_KINDS:
            rows = await self.client.tax_rates()
            known = {
                str(r["code"]): f"{r.get('rate')}% {r.get('country', '')}".strip() for r in rows
            }
        elif kind in PAYMENT_KINDS:
            rows = await self.client.payment_methods()
            known = {str(r["code"]): str(r.get("name") or "") for r in rows}
        elif kind in STORE_KINDS:
            rows = await self.client.stores()
            known = {str(r["id"]): str(r.get("name") or "") for r in rows}
        else:
            return [
                MasterDataCheck(kind, code, None, "AsPos master data of this kind is not checked")
                for code in codes
            ]
        return [
            MasterDataCheck(kind, code, code in known, known.get(code, f"unknown {kind}"))
            for code in codes
        ]


def open_connector(
    *,
    endpoint: str,
    api_key: str,
    store: str | None = None,
    contract: Contract = DEFAULT_CONTRACT,
    settings: ClientSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    page_size: int = 100,
) -> AsposConnector:
    """A connector for one tenant connection (endpoint, API key, store, contract): what the
    engine's registry calls with the connection's resolved values."""
    client = AsposClient(
        endpoint=endpoint,
        api_key=api_key,
        store=store,
        contract=contract,
        settings=settings,
        transport=transport,
    )
    return AsposConnector(client, page_size=page_size)


def _conforms(connector: AsposConnector) -> Connector:
    """Never called: mypy proves here that AsposConnector satisfies the Connector protocol."""
    return connector
