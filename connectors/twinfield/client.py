"""The Twinfield wire client: OAuth2, cluster discovery, ProcessXml and the Finder over SOAP 1.1.

Sessions (target-apis.md 3.1-3.2): an access token comes from the connection (``accessToken``) or
is refreshed at the identity server (``POST {identity}/auth/authentication/connect/token`` with
``grant_type=refresh_token``; a rotated refresh token is kept in memory for the life of the
client). The token is validated once (``GET .../accesstokenvalidation?token=``), whose
``twf.clusterUrl`` is the host of every later call, never hard-coded; a connection ``endpoint``
overrides it. Each SOAP call carries ``Header/AccessToken`` and ``Header/CompanyCode`` (the
office).

How answers become errors:

* HTTP 500 with a SOAP Fault: an authentication message ("logon credentials are not valid",
  "Toegang geweigerd") -> ``AuthenticationError`` (an expired token is refreshed once, when the
  connection can refresh, and the call repeated); other ``soap:Client`` -> ``RejectedError``;
  ``soap:Server`` -> ``UnavailableError`` (transient);
* HTTP 200 whose inner document says ``result="0"``: ``RejectedError`` with every
  ``msgtype="error"`` message, never retried; a read of a code that does not exist is None;
* 429 (with Retry-After), 503, timeouts, dropped connections: transient, retried by
  ``connectors.http``. Reads (``read``, ``list``, ``columns``, Finder ``Search``) are marked
  idempotent although every SOAP call is a POST; writes are retried only when they certainly did
  not arrive.

Tokens, the client secret and the refresh token are registered with ``connectors.errors.SECRETS``
so no log line, error message or repr carries them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree

from connectors.errors import SECRETS, body_excerpt, classify_status, json_object
from connectors.http import ClientSettings, HttpClient, Observer, Sleep
from connectors.oauth import token_answer
from connectors.twinfield import soap
from connectors.twinfield.models import (
    CLUSTER_CLAIM,
    FINDER_PATH,
    LOGIN_HOST,
    PROCESS_XML_PATH,
    TOKEN_PATH,
    VALIDATION_PATH,
)
from connectors.twinfield.translate import errors
from reconciler.errors import (
    AuthenticationError,
    ConnectorError,
    ProtocolError,
    RejectedError,
    UnavailableError,
)

SYSTEM = "twinfield"
Element = etree._Element

DEFAULT_SETTINGS = ClientSettings(timeout=120.0, connect_timeout=15.0, concurrency=4)
"""Twinfield enforces concurrency limits and a credit budget per minute (3.7): four in flight."""

_AUTH = re.compile(r"logon credentials|toegang geweigerd|access denied|not authori[sz]ed", re.I)
_EXPIRED = re.compile(r"not valid anymore|expired|verlopen", re.I)
_NOT_FOUND = re.compile(r"bestaat niet|niet gevonden|not found|does not exist", re.I)
_AUTH_HINT = (
    "check the Twinfield connection's clientId, clientSecret and refreshToken (or accessToken) "
    "and that the user may use the office"
)


def _fault_error(fault: soap.Fault, *, operation: str, status: int) -> ConnectorError:
    message = SECRETS.mask(fault.message)
    reason = f"SOAP fault {fault.code}: {message}"
    if _AUTH.search(message):
        return AuthenticationError(
            reason, system=SYSTEM, operation=operation, status=status, hint=_AUTH_HINT
        )
    if fault.code == "Client":
        return RejectedError(reason, system=SYSTEM, operation=operation, status=status)
    return UnavailableError(reason, system=SYSTEM, operation=operation, status=status)


def classify(response: httpx.Response, operation: str) -> ConnectorError | None:
    """Twinfield's error shapes -> koppel errors (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return None
    if status == 500 and "xml" in response.headers.get("content-type", ""):
        try:
            fault = soap.read_fault(soap.body_element(response.content))
        except soap.SoapDecodeError:
            fault = None
        if fault is not None:
            return _fault_error(fault, operation=operation, status=status)
    if operation.startswith("identity") and status in (400, 401):
        data = json_object(response) or {}
        said = data.get("Message") or data.get("error_description") or data.get("error")
        return AuthenticationError(
            SECRETS.mask(str(said)) if said else body_excerpt(response),
            system=SYSTEM,
            operation=operation,
            status=status,
            hint=_AUTH_HINT,
        )
    return classify_status(response, system=SYSTEM, operation=operation)


@dataclass(frozen=True)
class Credentials:
    """What a connection authenticates with: a ready token, or what refreshes one."""

    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)


@dataclass(frozen=True)
class BrowseRow:
    """One row of a browse answer: its cells by field, and its key (office, code, number)."""

    cells: dict[str, str]
    code: str
    number: str


class TwinfieldClient:
    """One Twinfield connection (one office) over its SOAP services."""

    def __init__(
        self,
        *,
        office: str,
        credentials: Credentials,
        identity_endpoint: str | None = None,
        endpoint: str | None = None,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
        sleep: Sleep = asyncio.sleep,
        on_rotated: Callable[[str], None] | None = None,
    ) -> None:
        self._on_rotated = on_rotated
        if not credentials.access_token and not credentials.can_refresh:
            raise AuthenticationError(
                "the connection has neither an access token nor clientId, clientSecret and "
                "refreshToken",
                system=SYSTEM,
                operation="connect",
                hint=_AUTH_HINT,
            )
        self.office = office
        self._credentials = credentials
        self._access_token = credentials.access_token
        self._refresh_token = credentials.refresh_token
        self._identity = (identity_endpoint or LOGIN_HOST).rstrip("/")
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._cluster: str | None = None
        self._session_lock = asyncio.Lock()
        secrets = [
            s
            for s in (
                credentials.access_token,
                credentials.client_secret,
                credentials.refresh_token,
            )
            if s
        ]
        self.http = HttpClient(
            system=SYSTEM,
            base_url=self._identity,
            classifier=classify,
            secrets=tuple(secrets),
            settings=settings or DEFAULT_SETTINGS,
            transport=transport,
            observer=observer,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<TwinfieldClient office={self.office} identity={self._identity}>"

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- session -----------------------------------------------------------------------------
    @property
    def cluster(self) -> str | None:
        """The cluster URL in use, once the session is open."""
        return self._cluster

    async def _refresh(self) -> None:
        creds = self._credentials
        response = await self.http.send(
            "POST",
            TOKEN_PATH,
            operation="identity token",
            # Not repeated after a lost answer: a rotated refresh token may already be spent.
            idempotent=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token or "",
                "client_id": creds.client_id or "",
                "client_secret": creds.client_secret or "",
            },
        )
        answer = token_answer(response, system=SYSTEM, operation="identity token")
        self._access_token = answer.access_token
        self._refresh_token = answer.rotate(self._refresh_token, self._on_rotated)

    async def _validate(self) -> None:
        response = await self.http.send(
            "GET",
            VALIDATION_PATH,
            operation="identity accesstokenvalidation",
            params={"token": self._access_token or ""},
        )
        data = _json(response, "identity accesstokenvalidation")
        cluster = data.get(CLUSTER_CLAIM)
        if not isinstance(cluster, str) or not cluster.startswith("http"):
            raise ProtocolError(
                f"the token validation has no {CLUSTER_CLAIM}",
                system=SYSTEM,
                operation="identity accesstokenvalidation",
            )
        self._cluster = self._endpoint or cluster.rstrip("/")

    async def open(self, *, renew: bool = False) -> str:
        """The cluster URL, after getting (``renew``: refreshing) and validating a token."""
        async with self._session_lock:
            if self._cluster is not None and not renew:
                return self._cluster
            if renew or self._access_token is None:
                await self._refresh()
            try:
                await self._validate()
            except AuthenticationError:
                # A configured access token that expired: a refreshable connection gets a new one.
                if renew or not self._credentials.can_refresh:
                    raise
                await self._refresh()
                await self._validate()
            assert self._cluster is not None
            return self._cluster

    # -- SOAP --------------------------------------------------------------------------------
    async def _soap(self, path: str, operation: str, build: Any, *, idempotent: bool) -> Element:
        renewed = False
        while True:
            cluster = await self.open()
            header = soap.Header(self._access_token, self.office)
            try:
                response = await self.http.send(
                    "POST",
                    cluster + path,
                    operation=operation,
                    idempotent=idempotent,
                    content=build(header),
                    headers={
                        "Content-Type": soap.XML_CONTENT_TYPE,
                        "SOAPAction": f'"{soap.ACTIONS[operation.split(maxsplit=1)[0]]}"',
                    },
                )
            except AuthenticationError as exc:
                expired = _EXPIRED.search(str(exc)) is not None
                if renewed or not expired or not self._credentials.can_refresh:
                    raise
                renewed = True
                await self.open(renew=True)
                continue
            try:
                return soap.body_element(response.content)
            except soap.SoapDecodeError as exc:
                raise ProtocolError(str(exc), system=SYSTEM, operation=operation) from exc

    async def process(self, document: Element, *, query: bool) -> Element:
        """Send one ProcessXml document; the answer document. ``query``: a read (retried)."""
        operation = f"{soap.PROCESS_XML} {document.tag}"
        request = soap.to_text(document)
        element = await self._soap(
            PROCESS_XML_PATH,
            operation,
            lambda header: soap.process_xml_request(request, header),
            idempotent=query,
        )
        try:
            return soap.parse(soap.process_xml_result(element))
        except soap.SoapDecodeError as exc:
            raise ProtocolError(str(exc), system=SYSTEM, operation=operation) from exc

    async def search(self, request: soap.SearchRequest) -> soap.SearchResult:
        """One Finder ``Search`` call; Finder error messages raise ``RejectedError``."""
        operation = f"{soap.SEARCH} {request.type}"
        element = await self._soap(
            FINDER_PATH,
            operation,
            lambda header: soap.search_request(request, header),
            idempotent=True,
        )
        try:
            result = soap.search_result(element)
        except (soap.SoapDecodeError, ValueError) as exc:
            raise ProtocolError(str(exc), system=SYSTEM, operation=operation) from exc
        problems = [f"{m.code}: {m.text}" for m in result.messages if m.type == "Error"]
        if problems:
            raise RejectedError("; ".join(problems), system=SYSTEM, operation=operation)
        return result

    async def iter_search(
        self,
        type_: str,
        *,
        pattern: str = "*",
        field: int = 0,
        options: Sequence[tuple[str, str]] = (),
        page_size: int = 100,
    ) -> AsyncIterator[list[tuple[str, ...]]]:
        """Finder rows page by page (``firstRow``/``maxRows``) until ``TotalRows`` are read."""
        first = 1
        while True:
            result = await self.search(
                soap.SearchRequest(type_, pattern, field, first, page_size, tuple(options))
            )
            if result.items:
                yield list(result.items)
            first += len(result.items)
            if not result.items or first > result.total:
                return

    # -- documents ---------------------------------------------------------------------------
    async def read(self, type_: str, **keys: str) -> Element | None:
        """``<read>`` one object (dimensions, transaction, salesinvoice, vat); None when the
        code does not exist."""
        document = etree.Element("read")
        etree.SubElement(document, "type").text = type_
        etree.SubElement(document, "office").text = self.office
        for name, value in keys.items():
            etree.SubElement(document, name).text = value
        answer = await self.process(document, query=True)
        problems = errors(answer)
        if problems:
            if any(_NOT_FOUND.search(p) for p in problems):
                return None
            raise RejectedError(
                "; ".join(problems), system=SYSTEM, operation=f"{soap.PROCESS_XML} read {type_}"
            )
        return answer

    async def write(self, root: str, items: Sequence[Element]) -> list[Element]:
        """Send objects under their plural root (``dimensions``, ``transactions``); the echoed
        objects, each with ``result="1"``, or ``RejectedError`` naming every error message."""
        document = etree.Element(root)
        for item in items:
            document.append(item)
        answer = await self.process(document, query=False)
        problems = errors(answer)
        if problems:
            raise RejectedError(
                "; ".join(SECRETS.mask(p) for p in problems),
                system=SYSTEM,
                operation=f"{soap.PROCESS_XML} {root}",
                hint="Twinfield's own validation refused the document; its message says why",
            )
        return list(answer) if answer.tag == root else [answer]

    async def browse(
        self, code: str, columns: Sequence[tuple[str, str, str | None, str | None]]
    ) -> list[BrowseRow]:
        """A browse (``<columns code=..>``): (field, operator, from, to) per column; every
        column is visible. The rows with their cells by field and their keys."""
        document = etree.Element("columns", code=code)
        for field, operator, low, high in columns:
            column = etree.SubElement(document, "column")
            etree.SubElement(column, "field").text = field
            etree.SubElement(column, "visible").text = "true"
            etree.SubElement(column, "operator").text = operator
            if low is not None:
                etree.SubElement(column, "from").text = low
            if high is not None:
                etree.SubElement(column, "to").text = high
        answer = await self.process(document, query=True)
        problems = errors(answer)
        if problems:
            raise RejectedError(
                "; ".join(problems), system=SYSTEM, operation=f"{soap.PROCESS_XML} columns"
            )
        rows = []
        for tr in answer.findall("tr"):
            cells = {str(td.get("field")): td.text or "" for td in tr.findall("td")}
            rows.append(
                BrowseRow(cells, tr.findtext("key/code") or "", tr.findtext("key/number") or "")
            )
        return rows


def _json(response: httpx.Response, operation: str) -> dict[str, Any]:
    data = json_object(response)
    if data is None:
        raise ProtocolError("the answer is not a JSON object", system=SYSTEM, operation=operation)
    return data


__all__ = [
    "SYSTEM",
    "BrowseRow",
    "Credentials",
    "TwinfieldClient",
    "classify",
]
