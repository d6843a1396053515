"""The e-conomic wire client: the REST API at ``restapi.e-conomic.com`` over ``HttpClient``.

This is the only e-conomic module that does I/O. It speaks e-conomic's own terms (collections,
``customerNumber``, ``productNumber``, draft orders and invoices) and knows nothing of canonical
records; ``connector.py`` translates. What it adds to the shared client: the two token headers
(``X-AppSecretToken``, ``X-AgreementGrantToken``), paging by ``skippages``/``pagesize`` following
the absolute ``nextPage`` links (only on the connection's own origin), ``filter=`` expressions,
and the error shape (``classify``): ``message``, ``errorCode``, ``developerHint``, ``logId`` and,
on a validation failure, an ``errors`` document naming each refused property.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx

from connectors.economic.models import (
    BASE_URL,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Collection,
    WireRecord,
)
from connectors.economic.query import any_of, condition
from connectors.errors import classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from reconciler.errors import ConnectorError, NotFoundError, ProtocolError, RejectedError

SYSTEM = "e-conomic"
log = logging.getLogger("koppel.economic")

DEFAULT_SETTINGS = ClientSettings(concurrency=4)
"""e-conomic documents no limits for the REST API; four calls at once is a polite default."""

KEYS_PER_FILTER = 20
"""Values OR-ed in one ``filter=`` of a batched look-up, keeping URLs short."""


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """e-conomic's error body -> koppel's error classes (see the module docstring)."""
    if response.status_code < 400:
        return None
    message: str | None = None
    reference: str | None = None
    data = json_object(response)
    if data is not None:
        parts = [str(data["message"])] if isinstance(data.get("message"), str) else []
        if isinstance(data.get("errorCode"), str):
            parts.append(f"[{data['errorCode']}]")
        parts.extend(_field_errors(data.get("errors")))
        if isinstance(data.get("developerHint"), str) and response.status_code == 400:
            parts.append(f"({data['developerHint']})")
        message = " ".join(parts) or None
        if isinstance(data.get("logId"), str):
            reference = data["logId"]
    error = classify_status(
        response, system=SYSTEM, operation=operation, message=message, reference=reference
    )
    if isinstance(error, RejectedError) and error.hint is None:
        error.hint = "e-conomic's own validation refused it; the message names each property"
    return error


def _field_errors(errors: object, path: str = "") -> list[str]:
    """``name: <message>`` for each refused property of an ``errors`` document (any depth)."""
    found: list[str] = []
    if isinstance(errors, dict):
        inner = errors.get("errors")
        if isinstance(inner, list):
            for item in inner:
                if isinstance(item, dict) and item.get("message"):
                    found.append(f"{path or 'request'}: {item['message']}")
        for key, value in errors.items():
            if key != "errors":
                found.extend(_field_errors(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            found.extend(_field_errors(value, f"{path}[{index}]"))
    return found


def _json(response: httpx.Response, operation: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProtocolError(
            "the answer is not JSON", system=SYSTEM, operation=operation, status=200
        ) from exc


def _server_time(response: httpx.Response) -> dt.datetime | None:
    value = response.headers.get("date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def segment(value: str | int) -> str:
    """A key as one path segment (product numbers are free text)."""
    return quote(str(value), safe="")


class EconomicClient:
    """One e-conomic agreement, reached with one app's secret token and its grant token.

    ``endpoint`` replaces ``https://restapi.e-conomic.com`` (a sandbox).
    """

    def __init__(
        self,
        *,
        app_secret_token: str,
        agreement_grant_token: str,
        endpoint: str | None = None,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.endpoint = (endpoint or BASE_URL).rstrip("/")
        origin = urlsplit(self.endpoint)
        self._origin = (origin.scheme, origin.netloc)
        headers = {
            "X-AppSecretToken": app_secret_token,
            "X-AgreementGrantToken": agreement_grant_token,
            "Accept": "application/json",
        }
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            system=SYSTEM,
            base_url=self.endpoint,
            classifier=classify,
            headers=headers,
            secrets=(app_secret_token, agreement_grant_token),
            settings=settings or DEFAULT_SETTINGS,
            transport=transport,
            observer=observer,
            **extra,
        )
        self.last_server_time: dt.datetime | None = None
        """The ``Date`` of the latest answer, when the server sent one (incremental reads)."""

    def __repr__(self) -> str:
        return f"<EconomicClient {self.endpoint}>"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> EconomicClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- generic ------------------------------------------------------------------------------
    async def _call(
        self, method: str, path: str, *, operation: str, **kwargs: Any
    ) -> httpx.Response:
        response = await self.http.send(method, path, operation=operation, **kwargs)
        self.last_server_time = _server_time(response) or self.last_server_time
        return response

    async def page(
        self,
        collection: str,
        *,
        skip_pages: int = 0,
        page_size: int = DEFAULT_PAGE_SIZE,
        filter: str | None = None,
        sort: str | None = None,
    ) -> Collection:
        """One page of a collection (``skippages`` is the 0-based page index)."""
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"pagesize must be 1..{MAX_PAGE_SIZE}, not {page_size}")
        params = {"skippages": str(skip_pages), "pagesize": str(page_size)}
        if filter:
            params["filter"] = filter
        if sort:
            params["sort"] = sort
        return await self._collection(f"/{collection}", params, operation=f"list {collection}")

    async def _collection(
        self, url: str, params: dict[str, str] | None, *, operation: str
    ) -> Collection:
        response = await self._call("GET", url, params=params, operation=operation)
        data = _json(response, operation)
        if not isinstance(data, dict) or not isinstance(data.get("collection"), list):
            raise ProtocolError(
                "the answer has no collection list", system=SYSTEM, operation=operation, status=200
            )
        return cast(Collection, data)

    async def pages(
        self,
        collection: str,
        *,
        page_size: int = 100,
        filter: str | None = None,
        sort: str | None = None,
    ) -> AsyncIterator[list[WireRecord]]:
        """Every page of a collection, following ``nextPage`` until there is none."""
        operation = f"list {collection}"
        data = await self.page(collection, page_size=page_size, filter=filter, sort=sort)
        while True:
            items = data["collection"]
            if items:
                yield items
            following = (data.get("pagination") or {}).get("nextPage")
            if not following or not items:
                return
            data = await self._collection(
                self._own(following, operation), None, operation=operation
            )

    def _own(self, link: str, operation: str) -> str:
        """A ``nextPage`` link, refused when it leaves the connection's origin: the tokens go
        with every request, so they must never follow a link to another host."""
        parts = urlsplit(link)
        if (parts.scheme, parts.netloc) != self._origin:
            raise ProtocolError(
                f"nextPage points to another origin ({parts.scheme}://{parts.netloc})",
                system=SYSTEM,
                operation=operation,
            )
        return link

    async def all(
        self, collection: str, *, filter: str | None = None, page_size: int = 1000
    ) -> list[WireRecord]:
        records: list[WireRecord] = []
        async for items in self.pages(collection, filter=filter, page_size=page_size):
            records.extend(items)
        return records

    async def get(self, path: str) -> WireRecord | None:
        """One object by its path (``customers/101``), or None when e-conomic answers 404."""
        operation = f"get {path.split('/', maxsplit=1)[0]}"
        try:
            response = await self._call("GET", f"/{path}", operation=operation)
        except NotFoundError:
            return None
        return cast(WireRecord, _json(response, operation))

    async def post(self, collection: str, body: WireRecord) -> WireRecord:
        """Create an object; e-conomic answers 201 with the object as it stored it."""
        operation = f"create {collection}"
        log.debug("e-conomic %s", operation)
        response = await self._call("POST", f"/{collection}", json=body, operation=operation)
        return cast(WireRecord, _json(response, operation))

    async def put(self, path: str, body: WireRecord) -> WireRecord:
        """Replace an object whole (e-conomic's PUT is not a patch)."""
        operation = f"update {path.split('/', maxsplit=1)[0]}"
        response = await self._call("PUT", f"/{path}", json=body, operation=operation)
        return cast(WireRecord, _json(response, operation))

    async def delete(self, path: str) -> None:
        await self._call("DELETE", f"/{path}", operation=f"delete {path.split('/', maxsplit=1)[0]}")

    # -- customers ----------------------------------------------------------------------------
    async def customer(self, number: int) -> WireRecord | None:
        return await self.get(f"customers/{number}")

    async def customers_by_email(self, emails: Sequence[str]) -> dict[str, list[WireRecord]]:
        """Customers per e-mail (lower case), lowest customer number first.

        e-conomic's ``email`` may hold several addresses separated by spaces, so the filter is a
        substring match and the answer is narrowed to customers holding the exact address.
        """
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
        found: dict[str, list[WireRecord]] = {}
        for start in range(0, len(wanted), KEYS_PER_FILTER):
            chunk = wanted[start : start + KEYS_PER_FILTER]
            expression = any_of(condition("email", "like", e) for e in chunk)
            for row in await self.all("customers", filter=expression):
                for address in addresses(row.get("email")):
                    if address in chunk:
                        found.setdefault(address, []).append(row)
        for rows in found.values():
            rows.sort(key=lambda r: int(r.get("customerNumber") or 0))
        return found

    async def customer_by_email(self, email: str) -> WireRecord | None:
        """The customer (lowest number) holding ``email``, or None."""
        rows = (await self.customers_by_email([email])).get(email.strip().lower(), [])
        return rows[0] if rows else None

    async def customers_by_number(self, numbers: Sequence[int]) -> dict[int, WireRecord]:
        wanted = sorted(set(numbers))
        found: dict[int, WireRecord] = {}
        for start in range(0, len(wanted), KEYS_PER_FILTER):
            chunk = wanted[start : start + KEYS_PER_FILTER]
            expression = any_of(condition("customerNumber", "eq", n) for n in chunk)
            for row in await self.all("customers", filter=expression):
                found[int(row["customerNumber"])] = row
        return found

    async def create_customer(self, body: WireRecord) -> WireRecord:
        return await self.post("customers", body)

    async def replace_customer(self, number: int, body: WireRecord) -> WireRecord:
        return await self.put(f"customers/{number}", body)

    async def contact(self, customer: int, contact: int) -> WireRecord | None:
        return await self.get(f"customers/{customer}/contacts/{contact}")

    async def contacts(self, customer: int) -> list[WireRecord]:
        return await self.all(f"customers/{customer}/contacts")

    async def create_contact(self, customer: int, body: WireRecord) -> WireRecord:
        return await self.post(f"customers/{customer}/contacts", body)

    async def replace_contact(self, customer: int, contact: int, body: WireRecord) -> WireRecord:
        return await self.put(f"customers/{customer}/contacts/{contact}", body)

    # -- products -----------------------------------------------------------------------------
    async def product(self, number: str) -> WireRecord | None:
        return await self.get(f"products/{segment(number)}")

    async def products_by_number(self, numbers: Sequence[str]) -> dict[str, WireRecord]:
        wanted = list(dict.fromkeys(numbers))
        found: dict[str, WireRecord] = {}
        for start in range(0, len(wanted), KEYS_PER_FILTER):
            chunk = wanted[start : start + KEYS_PER_FILTER]
            expression = any_of(condition("productNumber", "eq", n) for n in chunk)
            for row in await self.all("products", filter=expression):
                found[str(row["productNumber"])] = row
        return found

    async def create_product(self, body: WireRecord) -> WireRecord:
        return await self.post("products", body)

    async def replace_product(self, number: str, body: WireRecord) -> WireRecord:
        return await self.put(f"products/{segment(number)}", body)

    # -- sales documents ----------------------------------------------------------------------
    async def document(self, collection: str, number: int) -> WireRecord | None:
        """One draft or sent order, or draft or booked invoice, with its lines."""
        return await self.get(f"{collection}/{number}")

    async def documents_by_reference(
        self, collection: str, references: Sequence[str]
    ) -> dict[str, list[WireRecord]]:
        """The documents of a collection whose ``references.other`` is one of ``references``."""
        wanted = list(dict.fromkeys(r for r in references if r))
        found: dict[str, list[WireRecord]] = {}
        for start in range(0, len(wanted), KEYS_PER_FILTER):
            chunk = wanted[start : start + KEYS_PER_FILTER]
            expression = any_of(condition("references.other", "eq", r) for r in chunk)
            for row in await self.all(collection, filter=expression):
                other = str((row.get("references") or {}).get("other") or "")
                if other in chunk:
                    found.setdefault(other, []).append(row)
        return found

    async def create_document(self, collection: str, body: WireRecord) -> WireRecord:
        """``POST /orders/drafts`` or ``/invoices/drafts``: the draft with its number (201)."""
        return await self.post(collection, body)

    async def book_invoice(self, draft_number: int) -> WireRecord:
        """Book a draft invoice (``POST /invoices/booked``); the draft is gone afterwards."""
        return await self.post(
            "invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft_number}}
        )

    # -- master data --------------------------------------------------------------------------
    async def numbers(self, collection: str, field: str) -> dict[str, WireRecord]:
        """Every object of a master-data collection by its number as text."""
        return {str(row.get(field)): row for row in await self.all(collection)}


def addresses(value: object) -> list[str]:
    """The addresses of e-conomic's ``email`` field (several may be separated by spaces,
    commas or semicolons), lower case."""
    if not isinstance(value, str):
        return []
    text = value.replace(",", " ").replace(";", " ")
    return [part.strip().lower() for part in text.split() if "@" in part]
