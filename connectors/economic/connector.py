"""The e-conomic connector: ``connectors.base.Connector`` over ``EconomicClient``.

As a source it pages customers and products incrementally by ``lastUpdated`` (the cursor is a
UTC timestamp; a page only moves it once the whole increment has been read, and never past the
server's time at the start of the read, so an edit made during the read is read again next
time) and sales orders (draft, sent and archived) by their date, each with its lines and its
customer. Companies carry their contact person, read from the customer's contact.

As a target it looks customers up by e-mail, products by product number and sales documents by
``references.other`` (where koppel writes an order's reference), in OR-filtered batches
(``lookup_many``); it writes customers (with a customer contact for a company), products, and
orders as draft orders or draft invoices. e-conomic's PUT replaces a whole object, so an update
reads the object, changes the named fields and puts it back. Orders are never changed once
written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, ClassVar

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
from connectors.economic import translate
from connectors.economic.capabilities import CAPABILITIES
from connectors.economic.client import SYSTEM, EconomicClient
from connectors.economic.models import (
    DOCUMENT_NUMBER,
    INVOICE_COLLECTIONS,
    MASTER_DATA,
    ORDER_COLLECTIONS,
    WireRecord,
    WriteSettings,
)
from connectors.economic.query import condition
from connectors.economic.tuning import COMPARISON
from connectors.economic.vocabulary import VOCABULARY
from connectors.errors import require_currency
from reconciler.canonical import CanonicalRecord, Entity
from reconciler.errors import NotFoundError, RejectedError

DOCUMENT_TYPES: dict[str, str] = {
    "orders/drafts": "order",
    "orders/sent": "order",
    "orders/archived": "order",
    "invoices/drafts": "invoice",
    "invoices/booked": "invoice",
}
"""Where an order koppel wrote may be by now, and the order type each place means."""

KIND_ALIASES = {
    "paymentCondition": "paymentTerms",
    "debtor": "customer",
    "ledgerAccount": "account",
}
"""The engine's master-data kinds -> e-conomic's."""


def _number(value: object, what: str, operation: str) -> int:
    """A customer or document number given as text (a target id, a default debtor)."""
    raw = str(value).strip()
    if not raw.isdigit():
        raise RejectedError(
            f"{what} {value!r} is not a number",
            system=SYSTEM,
            operation=operation,
            hint="e-conomic numbers customers 1..999999999; check the default debtor",
        )
    return int(raw)


class EconomicConnector:
    """One e-conomic agreement in both roles (``connectors.base.Connector``)."""

    capabilities = CAPABILITIES
    comparison = COMPARISON
    customer_link = CustomerLink(id_field="customerNumber", order_field="customerNumber")
    key_fields: ClassVar[Mapping[str, str]] = DEFAULT_KEY_FIELDS

    def __init__(
        self,
        client: EconomicClient,
        *,
        write: WriteSettings | None = None,
        page_size: int = 100,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.client = client
        self.write = write or WriteSettings()
        self.page_size = page_size
        self._today = today

    def __repr__(self) -> str:
        return f"<EconomicConnector {self.client!r}>"

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- source -------------------------------------------------------------------------------
    async def read(
        self, entity: Entity, *, cursor: str | None = None, full: bool = False
    ) -> AsyncIterator[Page[CanonicalRecord]]:
        state = {} if full or not cursor else json.loads(cursor)
        if entity is Entity.orders:
            async for page in self._read_orders(state.get("date")):
                yield page
            return
        if entity not in (Entity.customers, Entity.products):
            raise NotFoundError(
                f"e-conomic has no {entity.value} to read", system=SYSTEM, operation="read"
            )
        since: str | None = state.get("since")
        collection = entity.value
        expression = condition("lastUpdated", "gte", since) if since else None
        latest, started = since, None
        pending: list[CanonicalRecord] | None = None
        async for rows in self.client.pages(
            collection, page_size=self.page_size, filter=expression
        ):
            started = started or self.client.last_server_time
            if pending is not None:
                # Not yet past this increment: a resumed read starts it again.
                yield Page(pending, _cursor("since", since))
            if entity is Entity.customers:
                pending = await self._customers(rows)
            else:
                pending = [translate.product_from_wire(row) for row in rows]
            latest = _latest(latest, [row.get("lastUpdated") for row in rows])
        if pending is not None:
            yield Page(pending, _cursor("since", _bounded(latest, started)))

    async def _customers(self, rows: list[WireRecord]) -> list[CanonicalRecord]:
        contacts = await self._contacts(rows)
        return [
            translate.customer_from_wire(row, contacts.get(int(row["customerNumber"])))
            for row in rows
        ]

    async def _contacts(self, rows: list[WireRecord]) -> dict[int, WireRecord]:
        """Each company's contact person (the client bounds the calls in flight)."""
        wanted = [
            (int(row["customerNumber"]), number)
            for row in rows
            if (number := translate.contact_number(row)) is not None
        ]
        found = await asyncio.gather(*(self.client.contact(c, n) for c, n in wanted))
        return {c: contact for (c, _), contact in zip(wanted, found, strict=True) if contact}

    async def _read_orders(self, since: str | None) -> AsyncIterator[Page[CanonicalRecord]]:
        expression = condition("date", "gte", since) if since else None
        latest = since
        pending: list[CanonicalRecord] | None = None
        for collection in ORDER_COLLECTIONS:
            async for rows in self.client.pages(
                collection, page_size=self.page_size, filter=expression
            ):
                if pending is not None:
                    yield Page(pending, _cursor("date", since))
                pending = await self._orders(collection, rows)
                latest = _latest(latest, [row.get("date") for row in rows])
        if pending is not None:
            yield Page(pending, _cursor("date", latest))

    async def _orders(self, collection: str, rows: list[WireRecord]) -> list[CanonicalRecord]:
        """A page of orders with their lines (only the document has them) and customers."""
        docs = await asyncio.gather(
            *(self.client.document(collection, int(row["orderNumber"])) for row in rows)
        )
        full = [doc or row for doc, row in zip(docs, rows, strict=True)]
        numbers = [
            n
            for doc in full
            if (n := translate.number_of(doc.get("customer"), "customerNumber")) is not None
        ]
        customers = await self.client.customers_by_number(numbers) if numbers else {}
        contacts = await self._contacts(list(customers.values()))
        orders: list[CanonicalRecord] = []
        for doc in full:
            number = translate.number_of(doc.get("customer"), "customerNumber")
            order = translate.order_from_wire(doc, collection)
            if number in customers:
                customer = translate.customer_from_wire(customers[number], contacts.get(number))
                order = order.model_copy(update={"customer": customer})
            orders.append(order)
        return orders

    # -- target: look-ups ---------------------------------------------------------------------
    async def lookup(self, entity: Entity, key: str) -> TargetRecord | None:
        return (await self.lookup_many(entity, [key])).get(key)

    async def lookup_many(self, entity: Entity, keys: Sequence[str]) -> dict[str, TargetRecord]:
        """What ``lookup`` answers per key, in OR-filtered calls of up to 20 keys each."""
        wanted = list(dict.fromkeys(k for k in keys if k))
        if not wanted:
            return {}
        if entity is Entity.customers:
            found = await self.client.customers_by_email(wanted)
            rows = {k: found[k.strip().lower()][0] for k in wanted if k.strip().lower() in found}
            contacts = await self._contacts(list(rows.values()))
            return {
                key: {
                    **translate.customer_record(row, contacts.get(int(row["customerNumber"]))),
                    "email": key,
                }
                for key, row in rows.items()
            }
        if entity is Entity.products:
            products = await self.client.products_by_number(wanted)
            return {k: translate.product_record(products[k]) for k in wanted if k in products}
        if entity is Entity.orders:
            return await self._documents(wanted)
        return {}

    async def _documents(self, references: list[str]) -> dict[str, TargetRecord]:
        """Sales documents by reference, in every place an order koppel wrote may be."""
        located: dict[str, tuple[str, WireRecord]] = {}
        for collection in (*ORDER_COLLECTIONS, *INVOICE_COLLECTIONS):
            missing = [r for r in references if r not in located]
            if not missing:
                break
            found = await self.client.documents_by_reference(collection, missing)
            for reference, rows in found.items():
                located[reference] = (collection, rows[0])
        docs = await asyncio.gather(
            *(
                self.client.document(collection, int(row[DOCUMENT_NUMBER[collection]]))
                for collection, row in located.values()
            )
        )
        return {
            reference: translate.order_record(doc or row, DOCUMENT_TYPES[collection])
            for (reference, (collection, row)), doc in zip(located.items(), docs, strict=True)
        }

    # -- target: writes -----------------------------------------------------------------------
    def _check_fields(self, entity: Entity, fields: Sequence[str], operation: str) -> None:
        check_fields(VOCABULARY, entity, fields, system=SYSTEM, operation=operation)

    def _check_currency(self, record: TargetRecord, operation: str) -> None:
        require_currency(
            record,
            self.write.currency,
            subject=f"product {record.get('sku')!r}",
            keeps="e-conomic prices products in the agreement's currency",
            system=SYSTEM,
            operation=operation,
        )

    async def create(self, entity: Entity, record: TargetRecord) -> WriteResult:
        operation = f"create {entity.value}"
        self._check_fields(entity, list(record), operation)
        if entity is Entity.customers:
            return await self._create_customer(record)
        if entity is Entity.products:
            self._check_currency(record, operation)
            created = await self.client.create_product(translate.product_body(record, self.write))
            number = str(created.get("productNumber", record.get("sku")))
            return WriteResult(key=str(record.get("sku")), target_id=number)
        if entity is Entity.orders:
            return await self._create_order(record)
        raise RejectedError(
            f"e-conomic keeps no {entity.value}", system=SYSTEM, operation=operation
        )

    async def _create_customer(self, record: TargetRecord) -> WriteResult:
        created = await self.client.create_customer(translate.customer_body(record, self.write))
        number = int(created["customerNumber"])
        if record.get("contact"):
            await self._attach_contact(created, str(record["contact"]), record.get("email"))
        key = str(record.get("email") or number)
        return WriteResult(key=key, target_id=str(number))

    async def _attach_contact(self, customer: WireRecord, name: str, email: object) -> None:
        """Create the company's contact person and make it the customer's attention."""
        number = int(customer["customerNumber"])
        body: WireRecord = {"name": name}
        if email:
            body["email"] = str(email)
        contact = await self.client.create_contact(number, body)
        wanted = translate.customer_body({}, self.write, base=customer, fields=[])
        wanted["attention"] = {"customerContactNumber": int(contact["customerContactNumber"])}
        await self.client.replace_customer(number, wanted)

    async def update(
        self, entity: Entity, key: str, record: TargetRecord, *, fields: Sequence[str]
    ) -> WriteResult:
        operation = f"update {entity.value}"
        self._check_fields(entity, fields, operation)
        if entity is Entity.customers:
            base = await self.client.customer_by_email(key)
            if base is None:
                raise NotFoundError(
                    f"no customer with e-mail {key}", system=SYSTEM, operation=operation
                )
            number = int(base["customerNumber"])
            body = translate.customer_body(record, self.write, base=base, fields=fields)
            stored = await self.client.replace_customer(number, body)
            if "contact" in fields and record.get("contact"):
                await self._update_contact(stored, str(record["contact"]), key)
            return WriteResult(key=key, target_id=str(number))
        if entity is Entity.products:
            if "currency" in fields:
                self._check_currency(record, operation)
            product = await self.client.product(key)
            if product is None:
                raise NotFoundError(f"no product {key}", system=SYSTEM, operation=operation)
            body = translate.product_body(record, self.write, base=product, fields=fields)
            await self.client.replace_product(key, body)
            return WriteResult(key=key, target_id=key)
        raise RejectedError(
            f"order {key} exists in e-conomic and orders are never changed once written",
            system=SYSTEM,
            operation=operation,
            hint="change the draft in e-conomic, or delete it and let koppel create it again",
        )

    async def _update_contact(self, customer: WireRecord, name: str, email: str) -> None:
        number = translate.contact_number(customer)
        if number is None:
            await self._attach_contact(customer, name, email)
            return
        contact = await self.client.contact(int(customer["customerNumber"]), number)
        if contact is None:
            await self._attach_contact(customer, name, email)
            return
        body = {k: v for k, v in contact.items() if k != "self"}
        body["name"] = name
        await self.client.replace_contact(int(customer["customerNumber"]), number, body)

    async def _create_order(self, record: TargetRecord) -> WriteResult:
        operation = "create order"
        if not record.get("reference"):
            raise RejectedError(
                "an order needs a reference (koppel finds it again by references.other)",
                system=SYSTEM,
                operation=operation,
            )
        customer = await self._customer_for(record, operation)
        order_type = str(record.get("orderType") or "order")
        if order_type not in ("order", "invoice"):
            raise RejectedError(
                f"order type {order_type!r}: e-conomic takes draft orders (order) and draft "
                "invoices (invoice)",
                system=SYSTEM,
                operation=operation,
            )
        collection = "orders/drafts" if order_type == "order" else "invoices/drafts"
        body = translate.document_body(record, self.write, customer=customer, today=self._today())
        created = await self.client.create_document(collection, body)
        number = created.get("orderNumber", created.get("draftInvoiceNumber"))
        return WriteResult(
            key=str(record["reference"]),
            target_id=None if number is None else str(number),
            extra={"collection": collection, "customerNumber": str(customer["customerNumber"])},
        )

    async def _customer_for(self, record: TargetRecord, operation: str) -> WireRecord:
        """The e-conomic customer of an order: by number, else by e-mail, else the default."""
        raw = record.get("customerNumber")
        email = record.get("customerEmail")
        number: int | None = None
        if raw not in (None, ""):
            number = _number(raw, "customer number", operation)
        elif email:
            found = await self.client.customer_by_email(str(email))
            if found is not None:
                return found
        if number is None and self.write.default_customer is not None:
            number = self.write.default_customer
        if number is None:
            raise RejectedError(
                f"order {record.get('reference')!r} names no customer and none has e-mail "
                f"{email!r}",
                system=SYSTEM,
                operation=operation,
                hint="sync the customer first, or map customerNumber (e.g. a default debtor)",
            )
        customer = await self.client.customer(number)
        if customer is None:
            raise RejectedError(
                f"order {record.get('reference')!r}: customer {number} does not exist",
                system=SYSTEM,
                operation=operation,
                hint="check the default debtor's number in the specs",
            )
        return customer

    # -- master data --------------------------------------------------------------------------
    async def check_master_data(self, kind: str, codes: Sequence[str]) -> list[MasterDataCheck]:
        """Kinds: ``vatZone``, ``customerGroup``, ``paymentTerms`` (``paymentCondition``),
        ``layout``, ``productGroup``, ``unit``, ``debtor`` (a customer number) and
        ``ledgerAccount`` (an account number)."""
        name = KIND_ALIASES.get(kind, kind)
        if name == "customer":
            numeric = [c for c in codes if str(c).strip().isdigit()]
            found = await self.client.customers_by_number([int(c) for c in numeric])
            return [
                MasterDataCheck(kind, c, c in numeric and int(c) in found, "customer")
                for c in codes
            ]
        if name == "account":
            known = await self.client.numbers("accounts", "accountNumber")
            return [MasterDataCheck(kind, c, str(c) in known) for c in codes]
        if name not in MASTER_DATA:
            return [
                MasterDataCheck(kind, c, None, "e-conomic master data of this kind is not checked")
                for c in codes
            ]
        collection, field = MASTER_DATA[name]
        known = await self.client.numbers(collection, field)
        return [
            MasterDataCheck(
                kind, c, str(c) in known, str((known.get(str(c)) or {}).get("name", ""))
            )
            for c in codes
        ]


def _latest(current: str | None, values: Sequence[object]) -> str | None:
    stamps = [str(v) for v in values if v]
    return max([s for s in (current, *stamps) if s], default=None)


def _bounded(latest: str | None, started: dt.datetime | None) -> str | None:
    """The newest timestamp read, but not past the server's time when the read began."""
    if latest is None or started is None:
        return latest
    start = started.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    return min(latest, start)


def _cursor(name: str, value: str | None) -> str | None:
    return None if value is None else json.dumps({name: value})


def _conforms(connector: EconomicConnector) -> Connector:
    """Never called: mypy proves here that EconomicConnector satisfies the Connector protocol."""
    return connector


def open_connector(
    *,
    app_secret_token: str,
    agreement_grant_token: str,
    endpoint: str | None = None,
    write: WriteSettings | None = None,
    page_size: int = 100,
    **client: Any,
) -> EconomicConnector:
    """A connector for one agreement (what ``connect`` calls with the resolved tokens)."""
    return EconomicConnector(
        EconomicClient(
            app_secret_token=app_secret_token,
            agreement_grant_token=agreement_grant_token,
            endpoint=endpoint,
            **client,
        ),
        write=write,
        page_size=page_size,
    )
