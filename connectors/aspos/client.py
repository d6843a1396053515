"""The AsPos wire client: the REST/JSON contract of ``contract.py`` over the shared HTTP client.

Every call carries the API key in the contract's header (``X-Api-Key`` by default); the key is
registered with ``connectors.errors.SECRETS``, so no log line, error message or repr shows it.
Records go out and come back in koppel's wire names; the contract renames them at this edge.

How answers become errors (``classify``): the contract's JSON error body is
``{"error": {"code", "message", "details": [{"field", "message"}], "requestId"}}``; its message
(with the details) and ``requestId`` become the error's text and reference. 401/403 ->
``AuthenticationError``; 404 -> ``NotFoundError``; 400, 409 and 422 -> ``RejectedError`` (never
retried); 429 -> ``RateLimitedError`` with Retry-After; 5xx -> ``UnavailableError``. Timeouts and
dropped connections are retried by ``connectors.http`` (writes only when the request certainly
did not arrive). Amounts are read as ``Decimal`` (``parse_float``) and sent as JSON numbers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from connectors.aspos.contract import DEFAULT_CONTRACT, Contract
from connectors.aspos.translate import WireRecord, wire_time
from connectors.errors import SECRETS, classify_status
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from reconciler.errors import ConnectorError, ProtocolError, RejectedError

SYSTEM = "aspos"
logger = logging.getLogger("koppel.aspos")
FILTER_BATCH = 50
"""Values in one comma-separated filter (``?sku=a,b,…``); keeps URLs well below 2 KB."""


def _loads(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def dumps(data: object) -> bytes:
    return json.dumps(data, default=_default, separators=(",", ":")).encode()


def error_parts(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """(code, message with details, requestId) of the contract's error body, if it has one."""
    try:
        body = _loads(response.content)
    except ValueError:
        return None, None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, None
    message = str(error.get("message") or "").strip() or None
    details = [
        f"{d.get('field')}: {d.get('message')}" if d.get("field") else str(d.get("message"))
        for d in error.get("details") or []
        if isinstance(d, dict)
    ]
    if details:
        message = f"{message or 'invalid request'} ({'; '.join(details)})"
    code = error.get("code")
    reference = error.get("requestId")
    return (
        str(code) if code else None,
        message,
        str(reference) if reference else None,
    )


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """The connectors.http classifier for the contract's statuses and error bodies."""
    status = response.status_code
    if status < 400:
        return None
    code, message, reference = error_parts(response)
    if code and message:
        message = f"{code}: {message}"
    if status in (400, 409, 422):
        # A duplicate (409) is the target's verdict on the data, not a busy server.
        return RejectedError(
            SECRETS.mask(message or f"HTTP {status}"),
            system=SYSTEM,
            operation=operation,
            status=status,
            reference=reference,
        )
    return classify_status(
        response, system=SYSTEM, operation=operation, message=message, reference=reference
    )


@dataclass(frozen=True)
class ListPage:
    """One page of a list endpoint."""

    items: list[WireRecord]
    page: int
    total_pages: int

    @property
    def more(self) -> bool:
        return self.page < self.total_pages


class AsposClient:
    """One AsPos connection: endpoint, API key, store, contract and its pooled HTTP client."""

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str,
        store: str | None = None,
        contract: Contract = DEFAULT_CONTRACT,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.contract = contract
        self._http = HttpClient(
            system=SYSTEM,
            base_url=endpoint.rstrip("/"),
            classifier=classify,
            headers={"Accept": "application/json", **contract.auth_header(api_key)},
            secrets=(api_key,),
            settings=settings or ClientSettings(timeout=60.0, connect_timeout=10.0, concurrency=6),
            transport=transport,
            observer=observer,
            sleep=sleep,
            rng=rng,
        )

    def __repr__(self) -> str:
        return f"<AsposClient {self._http!r} store={self.store}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsposClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the calls ---------------------------------------------------------------------------
    def require_store(self, operation: str) -> str:
        if not self.store:
            raise RejectedError(
                "this connection names no store",
                system=SYSTEM,
                operation=operation,
                hint="set `store` on the tenant's aspos connection",
            )
        return self.store

    async def _json(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: object = None,
        idempotent: bool | None = None,
    ) -> Any:
        headers = {"Content-Type": "application/json"} if body is not None else None
        response = await self._http.send(
            method,
            path,
            operation=operation,
            params=dict(params or {}),
            content=dumps(body) if body is not None else None,
            headers=headers,
            idempotent=idempotent,
        )
        if response.status_code == 204 or not response.content:
            return None
        try:
            return _loads(response.content)
        except ValueError as exc:
            raise ProtocolError(
                "the answer is not JSON",
                system=SYSTEM,
                operation=operation,
                status=response.status_code,
            ) from exc
        finally:
            logger.debug("%s %s -> %s", operation, path, response.status_code)

    async def list_page(
        self,
        kind: str,
        resource: str,
        *,
        page: int = 1,
        page_size: int = 100,
        modified_since: dt.datetime | None = None,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        **path_values: Any,
    ) -> ListPage:
        """One page of a list endpoint; ``filters`` use koppel's field names (renamed here),
        a list value is sent comma-separated (any of the values)."""
        contract = self.contract
        params: dict[str, str] = {
            contract.page_param: str(page),
            contract.page_size_param: str(min(page_size, contract.max_page_size)),
        }
        if modified_since is not None:
            params[contract.modified_since_param] = wire_time(modified_since)
        for name, value in (filters or {}).items():
            text = value if isinstance(value, str) else ",".join(value)
            params[contract.vendor_name(kind, name)] = text
        data = await self._json(
            "GET", contract.path(resource, **path_values), operation=f"list {kind}", params=params
        )
        if not isinstance(data, dict) or not isinstance(data.get(contract.items_key), list):
            raise ProtocolError(
                f"a list answer without {contract.items_key!r}",
                system=SYSTEM,
                operation=f"list {kind}",
            )
        items = [contract.from_vendor(kind, item) for item in data[contract.items_key]]
        total = int(data.get(contract.total_pages_key) or page)
        return ListPage(items=items, page=page, total_pages=total)

    async def pages(
        self,
        kind: str,
        resource: str,
        *,
        page_size: int = 100,
        modified_since: dt.datetime | None = None,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        **path_values: Any,
    ) -> AsyncIterator[ListPage]:
        """Every page of a list endpoint, first to last."""
        page = 1
        while True:
            batch = await self.list_page(
                kind,
                resource,
                page=page,
                page_size=page_size,
                modified_since=modified_since,
                filters=filters,
                **path_values,
            )
            yield batch
            if not batch.more or not batch.items:
                return
            page += 1

    async def list_all(
        self,
        kind: str,
        resource: str,
        *,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        **path_values: Any,
    ) -> list[WireRecord]:
        items: list[WireRecord] = []
        size = self.contract.max_page_size
        async for batch in self.pages(
            kind, resource, page_size=size, filters=filters, **path_values
        ):
            items.extend(batch.items)
        return items

    async def _batched(
        self, kind: str, resource: str, name: str, values: Iterable[str], **path_values: str
    ) -> list[WireRecord]:
        wanted = list(dict.fromkeys(v for v in values if v))
        found: list[WireRecord] = []
        for start in range(0, len(wanted), FILTER_BATCH):
            chunk = wanted[start : start + FILTER_BATCH]
            found.extend(await self.list_all(kind, resource, filters={name: chunk}, **path_values))
        return found

    # -- customers ---------------------------------------------------------------------------
    async def customers_by_email(self, emails: Iterable[str]) -> list[WireRecord]:
        return await self._batched("customers", "customers", "email", emails)

    async def customers_by_id(self, ids: Iterable[str]) -> list[WireRecord]:
        return await self._batched("customers", "customers", "id", ids)

    async def find_customer(self, email: str) -> WireRecord | None:
        found = await self.customers_by_email([email.strip().lower()])
        return min(found, key=lambda c: str(c.get("id"))) if found else None

    async def get_customer(self, customer_id: str) -> WireRecord:
        data = await self._json(
            "GET", self.contract.path("customer", id=customer_id), operation="get customer"
        )
        return self.contract.from_vendor("customers", data)

    async def create_customer(self, customer: Mapping[str, Any]) -> WireRecord:
        body = self.contract.to_vendor("customers", customer)
        data = await self._json(
            "POST", self.contract.path("customers"), operation="create customer", body=body
        )
        return self.contract.from_vendor("customers", data)

    async def update_customer(self, customer_id: str, change: Mapping[str, Any]) -> WireRecord:
        body = self.contract.to_vendor("customers", change)
        data = await self._json(
            "PATCH",
            self.contract.path("customer", id=customer_id),
            operation="update customer",
            body=body,
            idempotent=True,
        )
        return self.contract.from_vendor("customers", data)

    # -- articles ----------------------------------------------------------------------------
    async def articles_by_sku(self, skus: Iterable[str]) -> list[WireRecord]:
        return await self._batched("articles", "articles", "sku", skus)

    async def find_article(self, sku: str) -> WireRecord | None:
        found = await self.articles_by_sku([sku])
        return next((a for a in found if str(a.get("sku")) == sku), None)

    async def create_article(self, article: Mapping[str, Any]) -> WireRecord:
        body = self.contract.to_vendor("articles", article)
        data = await self._json(
            "POST", self.contract.path("articles"), operation="create article", body=body
        )
        return self.contract.from_vendor("articles", data)

    async def update_article(self, article_id: str, change: Mapping[str, Any]) -> WireRecord:
        body = self.contract.to_vendor("articles", change)
        data = await self._json(
            "PATCH",
            self.contract.path("article", id=article_id),
            operation="update article",
            body=body,
            idempotent=True,
        )
        return self.contract.from_vendor("articles", data)

    # -- stock -------------------------------------------------------------------------------
    async def stock_by_sku(self, skus: Iterable[str]) -> list[WireRecord]:
        store = self.require_store("list stock")
        return await self._batched("stock", "stock", "sku", skus, store=store)

    async def set_stock(self, sku: str, change: Mapping[str, Any]) -> WireRecord:
        """Set a SKU's stock in the connection's store absolutely (PUT: safe to repeat)."""
        store = self.require_store("set stock")
        body = self.contract.to_vendor("stock", change)
        data = await self._json(
            "PUT",
            self.contract.path("stock_item", store=store, sku=sku),
            operation="set stock",
            body=body,
        )
        return self.contract.from_vendor("stock", data)

    # -- orders ------------------------------------------------------------------------------
    async def orders_by_reference(self, references: Iterable[str]) -> list[WireRecord]:
        return await self._batched("orders", "orders", "externalReference", references)

    async def find_order(self, reference: str) -> WireRecord | None:
        found = await self.orders_by_reference([reference])
        return next((o for o in found if str(o.get("externalReference")) == reference), None)

    async def create_order(self, order: Mapping[str, Any]) -> WireRecord:
        """Create an order; a second one with the same externalReference is refused (409)."""
        body = self.contract.to_vendor("orders", order)
        data = await self._json(
            "POST", self.contract.path("orders"), operation="create order", body=body
        )
        return self.contract.from_vendor("orders", data)

    # -- master data -------------------------------------------------------------------------
    async def tax_rates(self) -> list[WireRecord]:
        return await self.list_all("tax_rates", "tax_rates")

    async def payment_methods(self) -> list[WireRecord]:
        return await self.list_all("payment_methods", "payment_methods")

    async def stores(self) -> list[WireRecord]:
        return await self.list_all("stores", "stores")
