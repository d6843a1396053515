"""The Visma eAccounting wire client: REST API v2 over the shared ``HttpClient``.

This is the only eAccounting module that talks to the API. It speaks eAccounting's own terms
(resources, PascalCase objects, OData ``$filter``) and knows nothing of canonical records;
``connector.py`` translates. What it adds to the shared client: the Bearer token from
``auth.TokenSource`` (renewed once when the API answers 401), ``$page``/``$pagesize`` paging over
the ``Meta``/``Data`` envelope, OData filter literals, and eAccounting's error shape
(``classify``): a 400 ``ErrorCode``/``DeveloperErrorMessage``/``Errors[]`` is a rejection with
the API's own messages and its ``ErrorId`` as reference, never retried; a 429 (600 calls a
minute per endpoint) waits as long as the body says when there is no Retry-After.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.eaccounting.auth import TokenSource
from connectors.eaccounting.models import MAX_PAGE_SIZE, SYSTEM, Resource, WireRecord
from connectors.errors import SECRETS, classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from reconciler.errors import (
    AuthenticationError,
    ConnectorError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
)

log = logging.getLogger("koppel.eaccounting")

DEFAULT_SETTINGS = ClientSettings(concurrency=5)
"""Five calls in flight: 600 calls a minute per endpoint leaves room, and the API is shared."""

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds", re.IGNORECASE)


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """eAccounting's error shape -> koppel's error classes (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return None
    message: str | None = None
    reference: str | None = None
    data = json_object(response)
    if data is not None:
        parts: list[str] = []
        developer = data.get("DeveloperErrorMessage") or data.get("Message")
        if isinstance(developer, str) and developer:
            parts.append(developer)
        errors = data.get("Errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict) and item.get("Message"):
                    field = item.get("Field")
                    parts.append(f"{field}: {item['Message']}" if field else str(item["Message"]))
        if isinstance(data.get("ErrorCode"), int) and parts:
            parts[0] = f"{parts[0]} (ErrorCode {data['ErrorCode']})"
        message = "; ".join(parts) or None
        if isinstance(data.get("ErrorId"), str):
            reference = data["ErrorId"]
    error = classify_status(
        response, system=SYSTEM, operation=operation, message=message, reference=reference
    )
    if isinstance(error, RateLimitedError) and error.delay is None and message:
        match = _TRY_AGAIN.search(message)
        if match:
            error.delay = float(match[1])
    if isinstance(error, AuthenticationError) and status == 403:
        error.hint = (
            "the grant lacks a scope or the company a module: koppel needs ea:api and ea:sales "
            "(ea:accounting for VAT codes), and orders need the company's order module"
        )
    elif isinstance(error, RejectedError):
        error.hint = (
            "eAccounting's own validation refused it; the message names the field, and "
            "Visma support finds the request by the ErrorId reference"
        )
    return error


def literal(value: object) -> str:
    """A value as an OData literal: text quoted (quotes doubled), dates in UTC ISO form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def any_of(field: str, values: Sequence[object], *, quote: bool = True) -> str:
    """``field eq a or field eq b ...``; GUIDs go unquoted (``quote=False``)."""
    rendered = [literal(v) if quote else str(v) for v in values]
    return " or ".join(f"{field} eq {v}" for v in rendered)


@dataclass(frozen=True)
class ListPage:
    """One page of a collection: its objects and the envelope's ``Meta``."""

    data: list[WireRecord]
    current_page: int
    total_pages: int
    total_results: int
    server_time: str | None


class EAccountingClient:
    """One eAccounting connection (one company's API access through one OAuth2 grant)."""

    def __init__(
        self,
        *,
        endpoint: str,
        tokens: TokenSource,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.tokens = tokens
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            system=SYSTEM,
            base_url=self.endpoint,
            classifier=classify,
            headers={"Accept": "application/json"},
            settings=settings or DEFAULT_SETTINGS,
            transport=transport,
            observer=observer,
            **extra,
        )

    def __repr__(self) -> str:
        return f"<EAccountingClient {SECRETS.mask(self.endpoint)}>"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.tokens.aclose()

    async def __aenter__(self) -> EAccountingClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send(self, method: str, path: str, *, operation: str, **kwargs: Any) -> Any:
        """One call with the Bearer token; a 401 renews the token once and tries again."""
        token = await self.tokens.token()
        try:
            response = await self.http.send(
                method, path, operation=operation, headers=_bearer(token), **kwargs
            )
        except AuthenticationError as error:
            if error.status != 401 or not self.tokens.refreshable:
                raise
            log.info("eAccounting refused the access token (%s); renewing it", operation)
            token = await self.tokens.renew(rejected=token)
            response = await self.http.send(
                method, path, operation=operation, headers=_bearer(token), **kwargs
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ProtocolError(
                "the answer is not JSON", system=SYSTEM, operation=operation, status=200
            ) from exc

    # -- reading ---------------------------------------------------------------------------
    async def list_page(
        self,
        resource: Resource,
        *,
        page: int = 1,
        page_size: int = 100,
        filter: str | None = None,
        orderby: str | None = None,
        params: dict[str, str] | None = None,
    ) -> ListPage:
        """One page of a collection (``$page`` is 1-based)."""
        query: dict[str, str] = {
            "$page": str(page),
            "$pagesize": str(min(page_size, MAX_PAGE_SIZE)),
        }
        if filter:
            query["$filter"] = filter
        if orderby:
            query["$orderby"] = orderby
        query.update(params or {})
        operation = f"list {resource.path.strip('/')}"
        data = await self.send("GET", resource.path, operation=operation, params=query)
        meta = data.get("Meta") if isinstance(data, dict) else None
        rows = data.get("Data") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not isinstance(rows, list):
            raise ProtocolError(
                "the answer has no Meta/Data envelope",
                system=SYSTEM,
                operation=operation,
                status=200,
            )
        return ListPage(
            data=rows,
            current_page=int(meta.get("CurrentPage") or page),
            total_pages=int(meta.get("TotalNumberOfPages") or 0),
            total_results=int(meta.get("TotalNumberOfResults") or 0),
            server_time=meta.get("ServerTimeUtc"),
        )

    async def iter_pages(
        self,
        resource: Resource,
        *,
        filter: str | None = None,
        orderby: str | None = None,
        page_size: int = 100,
        params: dict[str, str] | None = None,
    ) -> AsyncIterator[ListPage]:
        """Every page of a collection in order, until ``Meta`` says there are no more."""
        page = 1
        while True:
            result = await self.list_page(
                resource,
                page=page,
                page_size=page_size,
                filter=filter,
                orderby=orderby,
                params=params,
            )
            if result.data or page == 1:
                yield result
            if page >= result.total_pages or not result.data:
                return
            page += 1

    async def list_all(
        self,
        resource: Resource,
        *,
        filter: str | None = None,
        orderby: str | None = None,
        page_size: int = 500,
    ) -> list[WireRecord]:
        rows: list[WireRecord] = []
        async for page in self.iter_pages(
            resource, filter=filter, orderby=orderby, page_size=page_size
        ):
            rows.extend(page.data)
        return rows

    async def get(self, resource: Resource, object_id: str) -> WireRecord:
        """One object by its GUID (``NotFoundError`` when there is none)."""
        data = await self.send(
            "GET", f"{resource.path}/{object_id}", operation=f"get {resource.title}"
        )
        if not isinstance(data, dict):
            raise ProtocolError(
                "the answer is not an object",
                system=SYSTEM,
                operation=f"get {resource.title}",
                status=200,
            )
        return data

    async def find(self, resource: Resource, field: str, value: object) -> list[WireRecord]:
        """Objects whose ``field`` equals ``value`` (``$filter=field eq value``)."""
        return await self.list_all(resource, filter=f"{field} eq {literal(value)}", page_size=100)

    # -- writing ---------------------------------------------------------------------------
    async def create(self, resource: Resource, body: WireRecord) -> WireRecord:
        """POST a new object; eAccounting answers 201 with it, its ``Id`` included.

        Not idempotent: retried only when the request certainly did not arrive; otherwise the
        error carries ``maybe_applied`` and the engine resolves it by a natural-key look-up.
        """
        data = await self.send(
            "POST", resource.path, operation=f"create {resource.title}", json=body
        )
        return data if isinstance(data, dict) else {}

    async def replace(self, resource: Resource, object_id: str, body: WireRecord) -> WireRecord:
        """PUT the whole object: eAccounting resets what the body leaves out, so callers send
        the object they read with their changes applied (read-modify-write)."""
        data = await self.send(
            "PUT",
            f"{resource.path}/{object_id}",
            operation=f"update {resource.title}",
            json=body,
        )
        return data if isinstance(data, dict) else {}

    async def post_action(self, resource: Resource, object_id: str, action: str) -> WireRecord:
        """POST to an object's action, e.g. ``/orders/{id}/convert``."""
        data = await self.send(
            "POST",
            f"{resource.path}/{object_id}/{action}",
            operation=f"{action} {resource.title}",
        )
        return data if isinstance(data, dict) else {}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
