"""The Visma eAccounting connector: the canonical adapter the reconcile engine talks to.

As a source it streams customers and articles by ``ChangedUtc`` and orders by ``ModifiedUtc``
(``$filter=… ge since``, ``$orderby`` the same field, so a cursor taken after any page resumes
without a gap). An order's status depends on its invoice once it is invoiced, and paying an
invoice does not touch the order, so an incremental order read also follows invoices modified
since its own cursor and re-reads their orders; orders come with their customers (one OR-filtered
call per page). As a target it speaks the vocabulary of ``models.py``: ``lookup`` finds
customers by e-mail, articles by number (SKU) and orders and invoice drafts by ``YourReference``;
``create``/``update`` resolve master data by name (terms of payment, units, account codings,
labels) and write whole objects, since PUT replaces. The pure translations live in
``translate.py``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import (
    DEFAULT_KEY_FIELDS,
    CustomerLink,
    MasterDataCheck,
    Page,
    TargetRecord,
    WriteResult,
)
from connectors.eaccounting import bodies, resolve, translate, values
from connectors.eaccounting.capabilities import CAPABILITIES
from connectors.eaccounting.client import EAccountingClient, ListPage, any_of
from connectors.eaccounting.models import (
    ARTICLE_LABELS,
    ARTICLES,
    CODINGS,
    CUSTOMERS,
    INVOICE_DRAFTS,
    INVOICES,
    ORDERS,
    SYSTEM,
    TERMS_OF_PAYMENT,
    UNITS,
    VAT_CODES,
    OrderStatus,
    Resource,
    WireRecord,
)
from connectors.eaccounting.tuning import COMPARISON
from connectors.errors import require_currency
from connectors.values import text
from reconciler.canonical import CanonicalRecord, Customer, Entity
from reconciler.errors import NotFoundError, RejectedError

KEYS_PER_CALL = 20
"""Values in one OR-filtered look-up: keeps the query string far from any URL limit."""


@dataclass(frozen=True)
class WriteSettings:
    """What a connection adds to the records it writes."""

    currency: str = "EUR"
    """The company's currency: orders need one, articles carry none."""
    terms_of_payment: str | None = None
    """Name of the terms of payment a new customer gets when its record names none (None: the
    first terms available for sales)."""
    unit: str | None = None
    """Code of the unit a new article gets when its record names none."""
    coding: str | None = None
    """Name of the account coding a new article gets when neither coding nor taxRate says."""


class EAccountingConnector:
    """One eAccounting connection in both roles (``connectors.base.Connector``)."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="customerId", order_field="customerId")
    key_fields: ClassVar[Mapping[str, str]] = DEFAULT_KEY_FIELDS

    def __init__(
        self,
        client: EAccountingClient,
        *,
        page_size: int = 100,
        write: WriteSettings | None = None,
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.write = write or WriteSettings()
        self._master: values.MasterData | None = None

    def __repr__(self) -> str:
        return f"<EAccountingConnector {self.client!r}>"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def master(self, *, reload: bool = False) -> values.MasterData:
        """Units, codings, labels and terms of payment, loaded once per connector."""
        if self._master is None or reload:

            async def by_id(resource: Resource) -> dict[str, WireRecord]:
                rows = await self.client.list_all(resource)
                return {str(r.get("Id")).lower(): r for r in rows}

            self._master = values.MasterData(
                units=await by_id(UNITS),
                codings=await by_id(CODINGS),
                labels=await by_id(ARTICLE_LABELS),
                terms=await by_id(TERMS_OF_PAYMENT),
            )
        return self._master

    # -- source ----------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        """Pages of canonical records changed since ``cursor`` (everything when ``full``)."""
        state: dict[str, Any] = {} if full or not cursor else json.loads(cursor)
        if entity is Entity.orders:
            async for page in self._read_orders(state):
                yield page
            return
        if entity is Entity.stock:
            raise NotFoundError(
                "eAccounting has no stock endpoint koppel reads (stock lives on the article)",
                system=SYSTEM,
                operation="read stock",
            )
        resource = CUSTOMERS if entity is Entity.customers else ARTICLES
        master = await self.master() if entity is Entity.products else None
        since = state.get("since")
        async for listed in self._changed(resource, since):
            records: list[CanonicalRecord] = [
                translate.customer_from_wire(w)
                if master is None
                else translate.product_from_wire(w, master, currency=self.write.currency)
                for w in listed.data
            ]
            since = _latest(since, [w.get(resource.modified or "") for w in listed.data])
            yield Page(records, _cursor({"since": since}))

    def _changed(self, resource: Resource, since: str | None) -> AsyncIterator[ListPage]:
        field = resource.modified or "ChangedUtc"
        where = f"{field} ge {since}" if since else None
        return self.client.iter_pages(
            resource, filter=where, orderby=field, page_size=self.page_size
        )

    async def _read_orders(self, state: dict[str, Any]) -> AsyncIterator[Page[CanonicalRecord]]:
        since, invoices_since = state.get("since"), state.get("invoices")
        started: str | None = None
        seen: set[str] = set()
        async for page in self._changed(ORDERS, since):
            started = started or page.server_time
            seen.update(str(w.get("Id")).lower() for w in page.data)
            since = _latest(since, [w.get("ModifiedUtc") for w in page.data])
            records = await self._orders(page.data)
            yield Page(records, _cursor({"since": since, "invoices": invoices_since}))
        if invoices_since is None:
            # A full read saw every order with its invoice; payments from now on count.
            yield Page([], _cursor({"since": since, "invoices": started or since}))
            return
        # Payments change the invoice, not the order: re-read orders whose invoice changed.
        where = f"ModifiedUtc ge {invoices_since} and CreatedFromOrderId ne null"
        async for page in self.client.iter_pages(
            INVOICES, filter=where, orderby="ModifiedUtc", page_size=self.page_size
        ):
            invoices_since = _latest(invoices_since, [w.get("ModifiedUtc") for w in page.data])
            ids = sorted(
                {str(w["CreatedFromOrderId"]).lower() for w in page.data} - seen,
            )
            seen.update(ids)
            orders = await self._by_values(ORDERS, "Id", ids, quote=False)
            records = await self._orders(orders)
            yield Page(records, _cursor({"since": since, "invoices": invoices_since}))

    async def _orders(self, wires: Sequence[WireRecord]) -> list[CanonicalRecord]:
        """Canonical orders with their customers and (once invoiced) their invoices."""
        customer_ids = sorted(
            {str(w.get("CustomerId")).lower() for w in wires if w.get("CustomerId")}
        )
        customers = {
            str(c.get("Id")).lower(): translate.customer_from_wire(c)
            for c in await self._by_values(CUSTOMERS, "Id", customer_ids, quote=False)
        }
        invoiced = sorted(
            str(w.get("Id")).lower() for w in wires if w.get("Status") == OrderStatus.invoiced
        )
        invoices: dict[str, WireRecord] = {}
        for invoice in await self._by_values(INVOICES, "CreatedFromOrderId", invoiced, quote=False):
            invoices.setdefault(str(invoice.get("CreatedFromOrderId")).lower(), invoice)
        records: list[CanonicalRecord] = []
        for wire in wires:
            customer: Customer | None = customers.get(str(wire.get("CustomerId")).lower())
            found = invoices.get(str(wire.get("Id")).lower())
            records.append(translate.order_from_wire(wire, customer=customer, invoice=found))
        return records

    async def _by_values(
        self, resource: Resource, field: str, values: Sequence[str], *, quote: bool = True
    ) -> list[WireRecord]:
        """Objects whose ``field`` is one of ``values``, in OR-filtered calls of bounded size."""
        rows: list[WireRecord] = []
        wanted = list(dict.fromkeys(values))
        for start in range(0, len(wanted), KEYS_PER_CALL):
            chunk = wanted[start : start + KEYS_PER_CALL]
            rows.extend(
                await self.client.list_all(
                    resource, filter=any_of(field, chunk, quote=quote), page_size=100
                )
            )
        return rows

    # -- target: look-ups ------------------------------------------------------------------
    async def _customer_wire(self, email: str) -> WireRecord | None:
        found = await self._customers_by_email([email])
        return found.get(email.strip().lower())

    async def _customers_by_email(self, emails: Sequence[str]) -> dict[str, WireRecord]:
        rows = await self._by_values(CUSTOMERS, "EmailAddress", [e.strip() for e in emails])
        rows.sort(key=_by_number)  # the lowest customer number wins a shared e-mail address
        by_email: dict[str, WireRecord] = {}
        for row in rows:
            by_email.setdefault(str(row.get("EmailAddress") or "").strip().lower(), row)
        return by_email

    async def _articles_by_sku(self, skus: Sequence[str]) -> dict[str, WireRecord]:
        rows = await self._by_values(ARTICLES, "Number", skus)
        exact = {str(r.get("Number")): r for r in rows}
        folded = {str(r.get("Number")).lower(): r for r in rows}
        found = {}
        for sku in skus:
            row = exact.get(sku) or folded.get(sku.lower())
            if row is not None:
                found[sku] = row
        return found

    async def _documents_by_reference(
        self, references: Sequence[str]
    ) -> dict[str, tuple[str, WireRecord]]:
        found: dict[str, tuple[str, WireRecord]] = {}
        for order_type, resource in (("order", ORDERS), ("invoice", INVOICE_DRAFTS)):
            missing = [r for r in references if r not in found]
            if not missing:
                break
            for row in await self._by_values(resource, "YourReference", missing):
                found.setdefault(str(row.get("YourReference")), (order_type, row))
        return found

    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """What ``lookup`` answers for each key, in OR-filtered calls instead of one per key."""
        wanted = list(dict.fromkeys(keys))
        if entity is Entity.customers:
            by_email = await self._customers_by_email(wanted)
            return {
                k: translate.customer_record(by_email[k.strip().lower()])
                for k in wanted
                if k.strip().lower() in by_email
            }
        if entity is Entity.products:
            master = await self.master()
            articles = await self._articles_by_sku(wanted)
            return {k: translate.article_record(w, master) for k, w in articles.items()}
        if entity is Entity.orders:
            documents = await self._documents_by_reference(wanted)
            return {k: translate.order_record(w, order_type=t) for k, (t, w) in documents.items()}
        return {}

    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        return (await self.lookup_many(entity, [key])).get(key)

    # -- target: writes --------------------------------------------------------------------
    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        if entity is Entity.customers:
            body = bodies.customer_body(await self._with_terms(record, creating=True))
            created = await self.client.create(CUSTOMERS, body)
            return WriteResult(
                str(record.get("email") or ""),
                text(created.get("Id")),
                _extra(customerNumber=created.get("CustomerNumber")),
            )
        if entity is Entity.products:
            body = await self._article_body(record, None)
            created = await self.client.create(ARTICLES, body)
            return WriteResult(str(record["sku"]), text(created.get("Id")))
        if entity is Entity.orders:
            order_type = _order_type(record)
            body = await self._order_body(record, None, order_type=order_type)
            resource = ORDERS if order_type == "order" else INVOICE_DRAFTS
            created = await self.client.create(resource, body)
            return WriteResult(
                str(record.get("reference") or ""),
                text(created.get("Id")),
                _extra(orderNumber=created.get("Number"), orderType=order_type),
            )
        raise _no_stock("create")

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        changed = {f: record[f] for f in fields if f in record}
        if entity is Entity.customers:
            wire = await self._customer_wire(key)
            if wire is None:
                raise _missing(entity, key)
            terms = await self._with_terms(changed, creating=False)
            body = bodies.customer_body(terms, bodies.base_of(wire))
            await self.client.replace(CUSTOMERS, str(wire["Id"]), body)
            return WriteResult(key, str(wire["Id"]))
        if entity is Entity.products:
            article = (await self._articles_by_sku([key])).get(key)
            if article is None:
                raise _missing(entity, key)
            body = await self._article_body({**changed, "sku": article["Number"]}, article)
            await self.client.replace(ARTICLES, str(article["Id"]), body)
            return WriteResult(key, str(article["Id"]))
        if entity is Entity.orders:
            found = (await self._documents_by_reference([key])).get(key)
            if found is None:
                raise _missing(entity, key)
            order_type, wire = found
            body = await self._order_body(changed, bodies.base_of(wire), order_type=order_type)
            resource = ORDERS if order_type == "order" else INVOICE_DRAFTS
            await self.client.replace(resource, str(wire["Id"]), body)
            return WriteResult(key, str(wire["Id"]), _extra(orderType=order_type))
        raise _no_stock("update")

    async def _with_terms(self, record: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """The record with ``paymentTerms`` (a name, or a number of days) as its id; a new
        customer without one gets the connection's default terms (an update keeps its own)."""
        out = dict(record)
        name = text(out.pop("paymentTerms", None))
        if out.get("termsOfPaymentId") or (name is None and not creating):
            return out
        name = name or self.write.terms_of_payment
        try:
            found = resolve.terms_id(name, (await self.master()).terms)
        except resolve.UnknownMasterDataError:
            found = resolve.terms_id(name, (await self.master(reload=True)).terms)
        if found is not None:
            out["termsOfPaymentId"] = found
        return out

    async def _article_body(self, record: Mapping[str, Any], base: WireRecord | None) -> WireRecord:
        require_currency(
            record,
            self.write.currency,
            subject=f"article {record.get('sku')!r}",
            keeps="eAccounting keeps article prices in the company's currency",
            system=SYSTEM,
            operation="write article",
        )
        defaults = {"default_unit": self.write.unit, "default_coding": self.write.coding}
        try:
            refs = resolve.article_refs(
                record, await self.master(), creating=base is None, **defaults
            )
        except resolve.UnknownMasterDataError:
            # Someone may have added the unit, coding or label since it was loaded: look again.
            master = await self.master(reload=True)
            refs = resolve.article_refs(record, master, creating=base is None, **defaults)
        return bodies.article_body(
            record,
            bodies.base_of(base) if base else None,
            unit_id=refs.unit_id,
            coding_id=refs.coding_id,
            labels=refs.labels,
        )

    async def _order_body(
        self, record: Mapping[str, Any], base: WireRecord | None, *, order_type: str
    ) -> WireRecord:
        out = dict(record)
        if base is None and not out.get("customerId"):
            email = text(out.get("customerEmail"))
            wire = await self._customer_wire(email) if email else None
            if wire is None:
                raise RejectedError(
                    f"order {out.get('reference')!r} names no eAccounting customer and none "
                    f"has e-mail {email!r}",
                    system=SYSTEM,
                    operation="create order",
                    hint="sync the customer first, or map customerId (e.g. a default debtor)",
                )
            out["customerId"] = wire["Id"]
        skus = [
            str(line["sku"])
            for line in out.get("lines") or []
            if isinstance(line, dict) and line.get("sku")
        ]
        articles = await self._articles_by_sku(list(dict.fromkeys(skus))) if skus else {}
        missing = [s for s in dict.fromkeys(skus) if s not in articles]
        if missing:
            raise RejectedError(
                f"order {out.get('reference')!r}: eAccounting has no article "
                + ", ".join(repr(s) for s in missing),
                system=SYSTEM,
                operation="create order",
                hint="create the articles first (a products flow), or map the lines' SKUs",
            )
        ids = {sku: str(w["Id"]) for sku, w in articles.items()}
        return bodies.order_body(
            out, base, order_type=order_type, article_ids=ids, currency=self.write.currency
        )

    # -- master data -----------------------------------------------------------------------
    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Kinds: ``vatCode``, ``paymentCondition`` (terms of payment), ``debtor`` (customer
        number), ``unit``, ``articleCoding``."""
        if kind == "vatCode":
            known = {str(r.get("Code")) for r in await self.client.list_all(VAT_CODES)}
            return [MasterDataCheck(kind, c, c in known) for c in codes]
        if kind == "debtor":
            rows = await self._by_values(CUSTOMERS, "CustomerNumber", list(codes))
            numbers = {str(r.get("CustomerNumber")) for r in rows}
            return [MasterDataCheck(kind, c, c in numbers) for c in codes]
        master = await self.master(reload=True)
        tables = {
            "paymentCondition": (master.terms.values(), ("Name", "NameEnglish", "Id")),
            "unit": (master.units.values(), ("Code", "Abbreviation", "Name", "Id")),
            "articleCoding": (master.codings.values(), ("Name", "NameEnglish", "Id")),
        }
        if kind not in tables:
            return [
                MasterDataCheck(kind, c, None, "eAccounting exposes no such master data to koppel")
                for c in codes
            ]
        table, fields = tables[kind]
        return [
            MasterDataCheck(kind, c, resolve.named(table, c, fields) is not None) for c in codes
        ]


def _by_number(row: WireRecord) -> tuple[int, str]:
    number = str(row.get("CustomerNumber") or "")
    return len(number), number


def _order_type(record: Mapping[str, Any]) -> str:
    kind = str(record.get("orderType") or "order")
    if kind not in ("order", "invoice"):
        raise RejectedError(
            f"eAccounting takes orders and invoices, not {kind!r}",
            system=SYSTEM,
            operation="create order",
            hint="set the flow's orders.type to order or invoice",
        )
    return kind


def _missing(entity: Entity, key: str) -> NotFoundError:
    return NotFoundError(
        f"no {entity.value} record with key {key!r}", system=SYSTEM, operation="update"
    )


def _no_stock(operation: str) -> NotFoundError:
    return NotFoundError(
        "eAccounting has no stock endpoint koppel writes", system=SYSTEM, operation=operation
    )


def _extra(**values: object) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _latest(current: str | None, values: Sequence[object]) -> str | None:
    stamps = [str(v) for v in values if v]
    return max([s for s in (current, *stamps) if s], default=None)


def _cursor(state: Mapping[str, Any]) -> str | None:
    cleaned = {k: v for k, v in state.items() if v is not None}
    return json.dumps(cleaned, sort_keys=True) if cleaned else None
