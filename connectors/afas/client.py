"""The AFAS Profit wire client: ProfitRestServices over the shared ``HttpClient``.

This is the only AFAS module that does I/O. It speaks AFAS's own terms (GetConnector ids,
column ids, UpdateConnector bodies) and knows nothing of canonical records; ``connector.py``
translates. What it adds to the shared client is AFAS's authentication header, its paging and
filter syntax, and its error shape (``classify``): a 500 carries the functional verdict
(``externalMessage`` + ``profitLogReference``) and is *not* retried, except the few messages
AFAS itself calls transient.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import httpx

from connectors.afas.models import (
    Condition,
    Environment,
    Filter,
    GetConnectorSettings,
    GetResponse,
    MetaInfo,
    Operator,
    base_url,
)
from connectors.errors import SECRETS, classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from reconciler.errors import ConnectorError, ProtocolError, RejectedError, UnavailableError

SYSTEM = "afas-profit"
log = logging.getLogger("koppel.afas")

TRANSIENT_MESSAGES = (
    "maximale tijdsduur",  # 900 s server timeout (Dutch)
    "maximum duration",  # the same in English
)
"""Lower-case fragments of 500 messages AFAS documents as worth retrying: the server gave up,
perhaps part-way, so an insert is settled by a look-up before it is sent again."""
LOCK_MESSAGES = (
    "booking layout",  # FiEntries: the booking layout is locked by another user
    "boekingslay",
    "door een andere gebruiker",
    "by another user",
)
"""Fragments of 500 messages saying a lock refused the write: one body is one transaction, so
nothing was written and the write is sent again after a back-off, inserts included."""

DEFAULT_SETTINGS = ClientSettings(concurrency=5)
"""AFAS asks integrations for at most five simultaneous calls (get-connector.md)."""

QUERY_LIMIT = 2049
"""AFAS answers 404 when the query string (from ``?``) is longer than this."""


def token_header(token: str) -> str:
    """``AfasToken base64(<token><version>1</version><data>…</data></token>)``.

    Accepts the token's data part (what App Connector shows as the token) or the whole XML.
    """
    value = token.strip()
    if not value.startswith("<token>"):
        value = f"<token><version>1</version><data>{value}</data></token>"
    return "AfasToken " + base64.b64encode(value.encode("utf-8")).decode("ascii")


def filter_value(value: object) -> str:
    """A filter value as AFAS wants it: dates as ``YYYY-MM-DDTHH:MM:SS``, never with a Z."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def filter_params(filters: Filter) -> dict[str, str]:
    """The three aligned lists: ``,`` joins AND conditions, ``;`` joins OR groups."""
    if not filters or not all(filters):
        return {}
    fields = ";".join(",".join(c.column for c in group) for group in filters)
    values = ";".join(",".join(c.value for c in group) for group in filters)
    operators = ";".join(",".join(c.operator.value for c in group) for group in filters)
    return {"filterfieldids": fields, "filtervalues": values, "operatortypes": operators}


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """AFAS's error shape -> koppel's error classes (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return None
    message: str | None = None
    reference: str | None = None
    body_delay: float | None = None
    data = json_object(response)
    if data is not None:
        if isinstance(data.get("externalMessage"), str):
            message = data["externalMessage"]
        if isinstance(data.get("profitLogReference"), str):
            reference = data["profitLogReference"]
        error = data.get("error")
        if message is None and isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
        if isinstance(data.get("retry_after"), int | float):
            body_delay = float(data["retry_after"])
    if status == 500 and message is not None:
        text = SECRETS.mask(message)
        lowered = message.lower()
        locked = any(fragment in lowered for fragment in LOCK_MESSAGES)
        if locked or any(fragment in lowered for fragment in TRANSIENT_MESSAGES):
            return UnavailableError(
                text,
                system=SYSTEM,
                operation=operation,
                status=status,
                reference=reference,
                hint="AFAS says: try again",
                refused=locked,
            )
        return RejectedError(
            text,
            system=SYSTEM,
            operation=operation,
            status=status,
            reference=reference,
            hint="AFAS's own validation refused it; an AFAS administrator finds the full "
            "message in the environment's log under the reference",
        )
    error_out = classify_status(
        response, system=SYSTEM, operation=operation, message=message, reference=reference
    )
    if status == 503 and isinstance(error_out, UnavailableError) and error_out.delay is None:
        error_out.delay = body_delay
    return error_out


class AfasClient:
    """One AFAS Profit connection (one token, one environment).

    ``endpoint`` overrides the URL built from ``participant`` and ``environment`` (the sandbox).
    """

    def __init__(
        self,
        *,
        token: str,
        participant: str | None = None,
        environment: Environment = Environment.production,
        endpoint: str | None = None,
        get_settings: GetConnectorSettings | None = None,
        settings: ClientSettings | None = None,
        language: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        if endpoint is None:
            if participant is None:
                raise ValueError("an AFAS connection needs a participant number or an endpoint")
            endpoint = base_url(participant, environment)
        self.endpoint = endpoint.rstrip("/")
        self.get_settings = get_settings or GetConnectorSettings()
        header = token_header(token)
        headers = {"Authorization": header, "Accept": "application/json"}
        if language:
            headers["Accept-Language"] = language
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            system=SYSTEM,
            base_url=self.endpoint,
            classifier=classify,
            headers=headers,
            # Both the raw token and its header form must never leave the process unmasked.
            secrets=(token.strip(), header.split(" ", 1)[1]),
            settings=settings or DEFAULT_SETTINGS,
            transport=transport,
            observer=observer,
            **extra,
        )

    def __repr__(self) -> str:
        return f"<AfasClient {self.endpoint}>"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AfasClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- reading -----------------------------------------------------------------------------
    async def get_page(
        self,
        connector_id: str,
        *,
        skip: int = 0,
        take: int = 100,
        order_by: Sequence[str] = (),
        filters: Filter | None = None,
    ) -> GetResponse:
        """One page of a GetConnector. ``order_by`` columns may start with ``-`` (descending)."""
        params: dict[str, str] = {"skip": str(skip), "take": str(take)}
        if order_by:
            params["orderbyfieldids"] = ",".join(order_by)
        if filters:
            params.update(filter_params(filters))
            self._check_length(params, connector_id)
        operation = f"get {connector_id}"
        response = await self.http.send(
            "GET", f"/connectors/{connector_id}", params=params, operation=operation
        )
        data = _json(response, operation)
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise ProtocolError(
                "the answer has no rows list", system=SYSTEM, operation=operation, status=200
            )
        return cast(GetResponse, data)

    @staticmethod
    def _check_length(params: dict[str, str], connector_id: str) -> None:
        """Refuse what AFAS would answer with a bare 404: a query string over 2049 characters."""
        query = str(httpx.QueryParams(params))
        if len(query) + 1 > QUERY_LIMIT:
            raise RejectedError(
                f"the query string is {len(query) + 1} characters; AFAS accepts {QUERY_LIMIT}",
                system=SYSTEM,
                operation=f"get {connector_id}",
                hint="filter on fewer values per call",
            )

    async def iter_pages(
        self,
        connector_id: str,
        *,
        order_by: Sequence[str],
        filters: Filter | None = None,
        page_size: int = 100,
        skip: int = 0,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a GetConnector, ``page_size`` rows at a time, in a stable order.

        AFAS only guarantees a stable order with ``orderbyfieldids``, so it is required here.
        """
        if not order_by:
            raise ValueError("paging AFAS without orderbyfieldids may skip or repeat rows")
        while True:
            page = await self.get_page(
                connector_id, skip=skip, take=page_size, order_by=order_by, filters=filters
            )
            rows = page["rows"]
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            skip += len(rows)

    async def get_all(
        self,
        connector_id: str,
        *,
        order_by: Sequence[str],
        filters: Filter | None = None,
        page_size: int = 100,
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.iter_pages(
            connector_id, order_by=order_by, filters=filters, page_size=page_size
        ):
            rows.extend(page)
        return rows

    async def find(
        self, role: str, logical: str, value: str, *, order_logical: str | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a role's GetConnector whose (logical) column equals ``value``."""
        columns = self.get_settings.columns(role)
        column = columns[logical]
        order = columns.get(order_logical or logical, column)
        return await self.get_all(
            self.get_settings.connector_id(role),
            order_by=[order],
            filters=[[Condition(column, Operator.equal, value)]],
        )

    async def debtor_by_email(self, email: str) -> dict[str, Any] | None:
        """The debtor whose e-mail is ``email`` (Profit_Debtor.Email), or None."""
        rows = await self.find("debtors", "email", email, order_logical="debtorId")
        column = self._col("debtors", "email")
        wanted = email.strip().lower()
        exact = [r for r in rows if str(r.get(column) or "").strip().lower() == wanted]
        candidates = exact or rows
        return candidates[0] if candidates else None

    async def order_by_reference(self, reference: str) -> dict[str, Any] | None:
        """The sales order whose customer reference (RfCs) is ``reference``, or None."""
        rows = await self.find("orders", "reference", reference, order_logical="orderNumber")
        return rows[0] if rows else None

    async def order_lines(self, order_number: str) -> list[dict[str, Any]]:
        return await self.find("order_lines", "orderNumber", order_number, order_logical="sequence")

    async def article_by_code(self, item_code: str) -> dict[str, Any] | None:
        """The article whose item code is ``item_code`` (Profit_Article.ItemCode), or None."""
        rows = await self.find("articles", "sku", item_code)
        return rows[0] if rows else None

    def _col(self, role: str, logical: str) -> str:
        return self.get_settings.columns(role)[logical]

    # -- writing -----------------------------------------------------------------------------
    async def insert(self, connector_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST an UpdateConnector body; the keys AFAS returns for the root object."""
        return await self._write("POST", connector_id, body)

    async def update(self, connector_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT an UpdateConnector body (present fields are written, the others kept)."""
        return await self._write("PUT", connector_id, body)

    async def _write(self, method: str, connector_id: str, body: dict[str, Any]) -> dict[str, Any]:
        operation = f"{method.lower()} {connector_id}"
        log.debug("AFAS %s", operation)
        response = await self.http.send(
            method, f"/connectors/{connector_id}", json=body, operation=operation
        )
        if not response.content:
            return {}  # some UpdateConnectors answer with an empty body
        data = _json(response, operation)
        if not isinstance(data, dict):
            raise ProtocolError("the answer is no JSON object", system=SYSTEM, operation=operation)
        results = data.get("results", data)  # tutorials show the keys without the wrapper
        root: object = next(iter(results.values()), {}) if isinstance(results, dict) else {}
        return {str(k): str(v) for k, v in root.items()} if isinstance(root, dict) else {}

    # -- environment -------------------------------------------------------------------------
    async def metainfo(self) -> MetaInfo:
        response = await self.http.send("GET", "/metainfo", operation="metainfo")
        return cast(MetaInfo, _json(response, "metainfo"))

    async def metainfo_get(self, connector_id: str) -> dict[str, Any]:
        operation = f"metainfo get {connector_id}"
        response = await self.http.send("GET", f"/metainfo/get/{connector_id}", operation=operation)
        return cast(dict[str, Any], _json(response, operation))

    async def metainfo_update(self, connector_id: str) -> dict[str, Any]:
        operation = f"metainfo update {connector_id}"
        path = f"/metainfo/update/{connector_id}"
        response = await self.http.send("GET", path, operation=operation)
        return cast(dict[str, Any], _json(response, operation))

    async def profit_version(self) -> str:
        response = await self.http.send("GET", "/profitversion", operation="profitversion")
        data = _json(response, "profitversion")
        return str(data.get("version", "")) if isinstance(data, dict) else ""

    async def missing_connectors(
        self, *, get: Sequence[str] = (), update: Sequence[str] = ()
    ) -> tuple[list[str], list[str]]:
        """The Get- and UpdateConnectors of the lists that this token may not use."""
        info = await self.metainfo()
        have_get = {c["id"].lower() for c in info.get("getConnectors", [])}
        have_update = {c["id"].lower() for c in info.get("updateConnectors", [])}
        return (
            [c for c in get if c.lower() not in have_get],
            [c for c in update if c.lower() not in have_update],
        )


def _json(response: httpx.Response, operation: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProtocolError(
            "the answer is not JSON", system=SYSTEM, operation=operation, status=200
        ) from exc
