"""The Visma.net ERP wire client: REST/JSON over the shared ``HttpClient``, with Visma Connect
OAuth2.

The only Visma.net module that does I/O. It speaks Visma.net's own terms (resources, DTOs,
``pageNumber``/``pageSize``, ``lastModifiedDateTime`` filters) and knows nothing of canonical
records. What it adds to the shared client:

* **tokens**: a ready ``access_token``, or one fetched from Visma Connect's ``/connect/token``
  with the refresh token (``grant_type=refresh_token``; a rotated refresh token is kept in memory
  for the connector's life) or, without one, with client credentials (a service app,
  ``tenant_id`` = the company). A 401 on an API call fetches a new token once and repeats the
  call. Every token is registered as a secret, so no log line or error carries it.
* **company**: ``ipp-company-id`` and ``ipp-application-type`` on every call (§6.2).
* **errors** (``classify``): the exception body's ``ExceptionMessage`` is the reason and its
  ``ExceptionMessageID`` (or the ``x-vbc-traceid`` header) the reference; 400 is a rejection and
  never retried, 429 honours ``Retry-After``.
* **creates**: 201 with the new record's URL in ``Location``; the key is its last segment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from connectors.errors import classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from connectors.oauth import token_answer
from connectors.vismanet.models import (
    API_URL,
    APPLICATION_TYPE,
    IDENTITY_URL,
    SERVICE_SCOPES,
    SYSTEM,
    TOKEN_PATH,
)
from reconciler.errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    ProtocolError,
)

log = logging.getLogger("koppel.vismanet")

MAX_PAGE_SIZE = 500
"""Rows asked for per page; Visma.net caps each endpoint at its own maximum (often 1000)."""
DEFAULT_SETTINGS = ClientSettings(concurrency=4)
"""Visma.net rate-limits per company; a few calls in flight are enough."""

Json = dict[str, Any]


def _message(response: httpx.Response) -> tuple[str | None, str | None]:
    """(reason, reference) from a Visma.net exception body or an OAuth2 error body."""
    data = json_object(response)
    message = reference = None
    if data is not None:
        for name in ("ExceptionMessage", "message", "Message", "error_description", "error"):
            if isinstance(data.get(name), str) and data[name]:
                message = data[name]
                break
        for name in ("ExceptionMessageID", "ExceptionFaultCode"):
            if data.get(name) not in (None, ""):
                reference = str(data[name])
                break
    reference = reference or response.headers.get("x-vbc-traceid")
    return message, reference


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """Visma.net's error shape -> koppel's error classes (see the module docstring)."""
    if response.status_code < 400:
        return None
    message, reference = _message(response)
    error = classify_status(
        response, system=SYSTEM, operation=operation, message=message, reference=reference
    )
    if response.status_code == 400 and error is not None:
        error.hint = "Visma.net's own validation refused it; its message says which field"
    return error


def _token_classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """The identity server says 400 ``invalid_grant``/``invalid_client`` for bad credentials."""
    if response.status_code in (400, 401):
        message, _ = _message(response)
        return AuthenticationError(
            message or f"HTTP {response.status_code}",
            system=SYSTEM,
            operation=operation,
            status=response.status_code,
            hint="check clientId, clientSecret and refreshToken of the Visma.net connection",
        )
    return classify(response, operation)


class VismaNetClient:
    """One Visma.net company over one set of OAuth2 credentials.

    Give ``access_token``, or ``client_id`` + ``client_secret`` (with ``refresh_token`` for an
    interactive app, without for a service app). ``endpoint`` is the API base URL (default
    ``API_URL``), ``identity_endpoint`` the identity server's origin (default Visma Connect).
    """

    def __init__(
        self,
        *,
        company_id: str,
        endpoint: str | None = None,
        identity_endpoint: str | None = None,
        access_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep | None = None,
        on_rotated: Callable[[str], None] | None = None,
    ) -> None:
        if access_token is None and not (client_id and client_secret):
            raise ValueError(
                "a Visma.net connection needs accessToken, or clientId with clientSecret"
            )
        self.company_id = company_id
        self.endpoint = (endpoint or API_URL).rstrip("/")
        self.identity_endpoint = (identity_endpoint or IDENTITY_URL).rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._on_rotated = on_rotated
        self._access_token = access_token
        self._token_lock = asyncio.Lock()
        self.token_requests = 0
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        secrets = tuple(s for s in (access_token, client_secret, refresh_token) if s)
        common: dict[str, Any] = {
            "settings": settings or DEFAULT_SETTINGS,
            "transport": transport,
            "observer": observer,
            "secrets": secrets,
            **extra,
        }
        self.http = HttpClient(
            system=SYSTEM,
            base_url=self.endpoint,
            classifier=classify,
            headers={
                "Accept": "application/json",
                "ipp-company-id": company_id,
                "ipp-application-type": APPLICATION_TYPE,
            },
            **common,
        )
        self.identity = HttpClient(
            system=SYSTEM,
            base_url=self.identity_endpoint,
            classifier=_token_classify,
            headers={"Accept": "application/json"},
            **common,
        )

    def __repr__(self) -> str:
        return f"<VismaNetClient {self.endpoint} company {self.company_id}>"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.identity.aclose()

    async def __aenter__(self) -> VismaNetClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- tokens ----------------------------------------------------------------------------------
    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self._client_secret)

    async def _token(self, *, stale: str | None = None) -> str:
        """The access token; a new one when there is none or ``stale`` was refused."""
        async with self._token_lock:
            if self._access_token is not None and self._access_token != stale:
                return self._access_token
            if not self.can_refresh:
                raise AuthenticationError(
                    "the access token was refused and the connection has no clientId and "
                    "clientSecret to fetch another",
                    system=SYSTEM,
                    operation="token",
                    status=401,
                    hint="give the connection clientId/clientSecret (and refreshToken)",
                )
            form = {"client_id": str(self.client_id), "client_secret": str(self._client_secret)}
            if self._refresh_token:
                form.update(grant_type="refresh_token", refresh_token=self._refresh_token)
            else:
                form.update(
                    grant_type="client_credentials",
                    scope=SERVICE_SCOPES,
                    tenant_id=self.company_id,
                )
            self.token_requests += 1
            response = await self.identity.send(
                "POST",
                TOKEN_PATH,
                data=form,
                operation="token",
                # A refresh is not repeated after a lost answer: its token may be spent already.
                idempotent=not self._refresh_token,
            )
            answer = token_answer(response, system=SYSTEM, operation="token")
            self._refresh_token = answer.rotate(self._refresh_token, self._on_rotated)
            self._access_token = answer.access_token
            return answer.access_token

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """One API call with a bearer token; a refused token is replaced once."""
        token = await self._token()
        kwargs: dict[str, Any] = {"params": dict(params or {})}
        if json is not None:
            kwargs["json"] = json
        try:
            return await self.http.send(
                method,
                path,
                operation=operation,
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
        except AuthenticationError as exc:
            if exc.status != 401 or not self.can_refresh:
                raise
        token = await self._token(stale=token)
        return await self.http.send(
            method,
            path,
            operation=operation,
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    # -- reading ---------------------------------------------------------------------------------
    async def get(
        self, path: str, *, operation: str, params: Mapping[str, str] | None = None
    ) -> Any:
        return _json(await self.request("GET", path, operation=operation, params=params), operation)

    async def get_one(
        self, resource: str, key: str, *, params: Mapping[str, str] | None = None
    ) -> Json | None:
        """``GET /{resource}/{key}``, or None when Visma.net answers 404."""
        operation = f"get {resource}"
        try:
            data = await self.get(
                f"/{resource}/{quote(key, safe='')}", operation=operation, params=params
            )
        except NotFoundError:
            return None
        if not isinstance(data, dict):
            raise ProtocolError("the answer is no object", system=SYSTEM, operation=operation)
        return data

    async def get_page(
        self,
        resource: str,
        *,
        page_number: int = 1,
        page_size: int = 100,
        params: Mapping[str, str] | None = None,
    ) -> list[Json]:
        """One page of a list endpoint (a bare JSON array)."""
        operation = f"list {resource}"
        query = {**(params or {}), "pageNumber": str(page_number), "pageSize": str(page_size)}
        data = await self.get(f"/{resource}", operation=operation, params=query)
        if not isinstance(data, list):
            raise ProtocolError("the answer is no list", system=SYSTEM, operation=operation)
        return [row for row in data if isinstance(row, dict)]

    async def iter_pages(
        self,
        resource: str,
        *,
        params: Mapping[str, str] | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[list[Json]]:
        """Every page of a list endpoint, until a page comes back short."""
        page_size = min(page_size, MAX_PAGE_SIZE)
        number = 1
        while True:
            rows = await self.get_page(
                resource, page_number=number, page_size=page_size, params=params
            )
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            number += 1

    async def get_all(
        self, resource: str, *, params: Mapping[str, str] | None = None
    ) -> list[Json]:
        rows: list[Json] = []
        async for page in self.iter_pages(resource, params=params, page_size=MAX_PAGE_SIZE):
            rows.extend(page)
        return rows

    async def customers_by_email(self, email: str) -> list[Json]:
        """Customers whose main contact has this e-mail (``GET /customer?email=``)."""
        return await self.get_all("customer", params={"email": email})

    # -- writing ---------------------------------------------------------------------------------
    async def create(self, resource: str, body: Json) -> str:
        """``POST /{resource}``; the new record's key from the ``Location`` header."""
        operation = f"create {resource}"
        response = await self.request("POST", f"/{resource}", operation=operation, json=body)
        location = response.headers.get("location")
        if not location:
            raise ProtocolError(
                "the create was accepted but Location names no record",
                system=SYSTEM,
                operation=operation,
                status=response.status_code,
            )
        return unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])

    async def update(self, resource: str, key: str, body: Json) -> None:
        """``PUT /{resource}/{key}`` (204: nothing in the body)."""
        await self.request(
            "PUT", f"/{resource}/{quote(key, safe='')}", operation=f"update {resource}", json=body
        )

    async def action(self, resource: str, key: str, action: str) -> Any:
        """``POST /{resource}/{key}/action/{action}`` (release an adjustment, ...)."""
        response = await self.request(
            "POST",
            f"/{resource}/{quote(key, safe='')}/action/{action}",
            operation=f"{action} {resource}",
            json={},
        )
        return _json(response, action) if response.content else None


def _json(response: httpx.Response, operation: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProtocolError(
            "the answer is not JSON",
            system=SYSTEM,
            operation=operation,
            status=response.status_code,
        ) from exc
