"""The Visma.net ERP connector: the canonical adapter the reconcile engine talks to.

As a source it streams canonical records page by page (``pageNumber``/``pageSize``), from a
``lastModifiedDateTime`` cursor. As a target it speaks the target-record vocabulary of
``models.VOCABULARY``: ``lookup`` finds a customer by its main contact's e-mail, an inventory
item by ``inventoryNumber`` (the SKU), a sales order by its number (koppel's reference),
``create``/``update`` write value-wrapped DTOs, and an update sends only the named fields. The
pure translations live in ``translate.py``; this module orchestrates calls.

Rules a person meets here: orders are created once and never changed; an order's customer is
the customer koppel wrote first (or the flow's default debtor), else the one with the order's
e-mail; the connection's ``branch`` is added to every order that names none (the seed's
"missing data such as BranchId"); a product priced in another currency than the company's is
refused; stock is set by an inventory adjustment of the difference, released at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar

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
from connectors.vismanet import translate
from connectors.vismanet.capabilities import CAPABILITIES
from connectors.vismanet.client import VismaNetClient
from connectors.vismanet.models import KEY_FIELDS, SYSTEM, VOCABULARY
from connectors.vismanet.tuning import COMPARISON
from reconciler.canonical import CanonicalRecord, Entity
from reconciler.errors import NotFoundError, RejectedError

LOOKUP_CONCURRENCY = 8
"""Look-ups in flight at once: Visma.net filters a list by one e-mail or number per call."""

RESOURCES = {
    Entity.customers: "customer",
    Entity.products: "inventory",
    Entity.stock: "inventory",
    Entity.orders: "salesorder",
}

MASTER_DATA = {
    "vatCode": ("vatCategory", "vatCategoryId"),
    "vatCategory": ("vatCategory", "vatCategoryId"),
    "vatZone": ("vatzone", "id"),
    "customerClass": ("customerclass", "id"),
    "branch": ("branch", "number"),
    "paymentCondition": ("creditterm", "id"),
}
"""Kind of master data -> (list resource, id field). ``debtor`` is checked customer by customer."""


def _since(cursor: str | None, full: bool) -> str | None:
    if full or not cursor:
        return None
    try:
        value = json.loads(cursor).get("since")
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a Visma.net cursor: {cursor!r}") from exc
    return str(value) if value else None


def _cursor(since: str | None) -> str | None:
    return None if since is None else json.dumps({"since": since})


class VismaNetConnector:
    """One Visma.net company in both roles (``connectors.base.Connector``)."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="number", order_field="customer")
    key_fields: ClassVar[dict[str, str]] = dict(KEY_FIELDS)

    def __init__(
        self,
        client: VismaNetClient,
        *,
        branch: str | None = None,
        currency: str = "EUR",
        warehouse: str | None = None,
        page_size: int = 100,
        today: dt.date | None = None,
    ) -> None:
        self.client = client
        self.branch = branch
        """Branch number added to orders that name none (the connection's ``branch``)."""
        self.currency = currency
        """The company's base currency: item prices are kept in it."""
        self.warehouse = warehouse
        self.page_size = page_size
        self._today = today

    def __repr__(self) -> str:
        return f"<VismaNetConnector {self.client!r}>"

    async def aclose(self) -> None:
        await self.client.aclose()

    def today(self) -> dt.date:
        return self._today or dt.datetime.now(dt.UTC).date()

    # -- source ----------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        """Pages of canonical records modified at or after the cursor (all when ``full``).

        Visma.net lists in its own order, not by modification time, so only the last page
        carries the new cursor (the latest time stamp seen); the pages before it carry the
        cursor the read started from, so resuming halfway reads again rather than skipping
        older records on later pages. ``>=`` re-reads the boundary records, which fingerprints
        make free."""
        since = _since(cursor, full)
        params: dict[str, str] = {}
        if since:
            params = {"lastModifiedDateTime": since, "lastModifiedDateTimeCondition": ">="}
        if entity is Entity.stock:
            params["expandWarehouseDetail"] = "true"
        latest = since
        pending: list[CanonicalRecord] | None = None
        async for rows in self.client.iter_pages(
            RESOURCES[entity], params=params, page_size=self.page_size
        ):
            if pending is not None:
                yield Page(pending, _cursor(since))
            pending = await self._canonical(entity, rows)
            for row in rows:
                stamp = translate.parse_datetime(row.get("lastModifiedDateTime"))
                if stamp is not None:
                    text = translate.filter_time(stamp)
                    latest = text if latest is None or text > latest else latest
        yield Page(pending or [], _cursor(latest))

    async def _canonical(self, entity: Entity, rows: list[dict[str, Any]]) -> list[CanonicalRecord]:
        if entity is Entity.customers:
            return [translate.customer_from_dto(r) for r in rows]
        if entity is Entity.products:
            return [translate.product_from_dto(r) for r in rows]
        if entity is Entity.stock:
            return [level for r in rows for level in translate.stock_from_dto(r)]
        # Orders carry the customer's number and name only: fetch the page's customers once
        # each, so an order's customer has its e-mail (the engine matches by e-mail).
        numbers = sorted({c for r in rows if (c := translate.order_record(r).get("customer"))})
        found = await self._gather([(n, self.client.get_one("customer", n)) for n in numbers])
        customers = {n: translate.customer_from_dto(dto) for n, dto in found.items() if dto}
        return [
            translate.order_from_dto(
                r, customers.get(str(translate.order_record(r).get("customer")))
            )
            for r in rows
        ]

    @staticmethod
    async def _gather(calls: Sequence[tuple[str, Any]]) -> dict[str, Any]:
        async def one(call: Any) -> Any:
            return await call

        results = await bounded_map([call for _, call in calls], one, limit=LOOKUP_CONCURRENCY)
        return {key: result for (key, _), result in zip(calls, results, strict=True)}

    # -- target: look-ups ------------------------------------------------------------------------
    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        if entity is Entity.customers:
            dto = await self._customer_by_email(key)
            return None if dto is None else translate.customer_record(dto)
        if entity is Entity.products:
            dto = await self.client.get_one("inventory", key)
            return None if dto is None else translate.inventory_record(dto)
        if entity is Entity.stock:
            dto = await self.client.get_one(
                "inventory", key, params={"expandWarehouseDetail": "true"}
            )
            return None if dto is None else translate.stock_record(dto, warehouse=self.warehouse)
        dto = await self.client.get_one("salesorder", key)
        return None if dto is None else translate.order_record(dto)

    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """What ``lookup`` answers for each key (absent keys left out), LOOKUP_CONCURRENCY at a
        time: Visma.net's filters take one e-mail or number per call, so there is no batch."""
        wanted = list(dict.fromkeys(keys))
        found = await self._gather([(k, self.lookup(entity, k)) for k in wanted])
        return {k: record for k, record in found.items() if record is not None}

    async def _customer_by_email(self, email: str) -> dict[str, Any] | None:
        """The customer whose main contact has this e-mail (the lowest number when several)."""
        wanted = email.strip().lower()
        rows = await self.client.customers_by_email(email.strip())
        exact = [
            r
            for r in rows
            if str((r.get("mainContact") or {}).get("email") or "").strip().lower() == wanted
        ]
        exact.sort(key=lambda r: str(r.get("number") or ""))
        return exact[0] if exact else None

    # -- target: writes --------------------------------------------------------------------------
    def _check_fields(self, entity: Entity, fields: Sequence[str], operation: str) -> None:
        check_fields(VOCABULARY, entity, fields, system=SYSTEM, operation=operation)

    def _check_currency(self, record: TargetRecord, operation: str) -> None:
        require_currency(
            record,
            self.currency,
            subject=f"item {record.get('inventoryNumber')!r}",
            keeps="Visma.net keeps item prices in the company's currency",
            system=SYSTEM,
            operation=operation,
        )

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        operation = f"create {entity.value}"
        self._check_fields(entity, list(record), operation)
        if entity is Entity.customers:
            number = await self.client.create("customer", translate.customer_body(record))
            return WriteResult(str(record.get("email") or number), number)
        if entity is Entity.products:
            self._check_currency(record, operation)
            number = await self.client.create("inventory", translate.inventory_body(record))
            return WriteResult(str(record.get("inventoryNumber") or number), number)
        if entity is Entity.stock:
            return await self._set_stock(record)
        return await self._create_order(record)

    async def _create_order(self, record: TargetRecord) -> WriteResult:
        order = dict(record)
        if not order.get("customer"):
            email = order.get("customerEmail")
            dto = await self._customer_by_email(str(email)) if email else None
            if dto is None:
                raise RejectedError(
                    f"order {order.get('orderNumber')!r} names no Visma.net customer and none "
                    f"has e-mail {email!r}",
                    system=SYSTEM,
                    operation="create salesorder",
                    hint="write the customer first, or give the flow a default debtor",
                )
            order["customer"] = dto.get("number")
        if not order.get("branchNumber") and self.branch:
            order["branchNumber"] = self.branch
        number = await self.client.create("salesorder", translate.order_body(order))
        return WriteResult(str(record.get("orderNumber") or number), number)

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        operation = f"update {entity.value}"
        self._check_fields(entity, fields, operation)
        if entity is Entity.customers:
            dto = await self._customer_by_email(key)
            if dto is None:
                raise NotFoundError(
                    f"no customer with e-mail {key}", system=SYSTEM, operation=operation
                )
            number = str(dto["number"])
            body = translate.customer_body(record, [f for f in fields if f != "number"])
            if body:
                await self.client.update("customer", number, body)
            return WriteResult(key, number)
        if entity is Entity.products:
            if "currency" in fields:
                self._check_currency(record, operation)
            names = [f for f in fields if f not in ("inventoryNumber", "currency")]
            body = translate.inventory_body(record, names)
            if body:
                await self.client.update("inventory", key, body)
            return WriteResult(key, key)
        if entity is Entity.stock:
            return await self._set_stock({**record, "inventoryNumber": key})
        raise RejectedError(
            f"sales order {key} exists in Visma.net and orders are never changed once written",
            system=SYSTEM,
            operation=operation,
        )

    async def _set_stock(self, record: TargetRecord) -> WriteResult:
        """Stock changes only through documents: adjust by the difference, then release."""
        number = str(record["inventoryNumber"])
        warehouse = record.get("warehouse") or self.warehouse
        dto = await self.client.get_one(
            "inventory", number, params={"expandWarehouseDetail": "true"}
        )
        if dto is None:
            raise NotFoundError(f"no inventory item {number}", system=SYSTEM, operation="set stock")
        current = translate.stock_record(dto, warehouse=warehouse).get("quantity", Decimal(0))
        delta = Decimal(str(record.get("quantity", 0))) - Decimal(current)
        if delta:
            body = translate.adjustment_body(number, delta, warehouse=warehouse, date=self.today())
            reference = await self.client.create("inventoryadjustment", body)
            await self.client.action("inventoryadjustment", reference, "release")
            return WriteResult(number, number, {"adjustment": reference, "moved": str(delta)})
        return WriteResult(number, number, {"moved": "0"})

    # -- master data -----------------------------------------------------------------------------
    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """VAT categories (``vatCode``), VAT zones, customer classes, branches, credit terms
        (``paymentCondition``) from their lists; default debtors (``debtor``) customer by
        customer. Other kinds Visma.net does not expose here: ``exists`` is None."""
        if kind == "debtor":
            found = await self._gather([(c, self.client.get_one("customer", c)) for c in codes])
            return [
                MasterDataCheck(
                    kind, c, found[c] is not None, str(found[c].get("name")) if found[c] else ""
                )
                for c in codes
            ]
        if kind not in MASTER_DATA:
            return [
                MasterDataCheck(kind, c, None, "Visma.net master data of this kind is not checked")
                for c in codes
            ]
        resource, id_field = MASTER_DATA[kind]
        rows = await self.client.get_all(resource)
        known = {str(r.get(id_field)): r for r in rows}
        return [
            MasterDataCheck(
                kind,
                c,
                c in known,
                str(known[c].get("description") or known[c].get("name") or "")
                if c in known
                else f"no {resource} {c}",
            )
            for c in codes
        ]


def _conforms(connector: VismaNetConnector) -> Connector:
    """Never called: mypy proves here that VismaNetConnector satisfies the Connector protocol."""
    return connector
