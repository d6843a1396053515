"""AFAS Profit sandbox: a local ProfitRestServices speaking AFAS's wire protocol.

Used by the contract tests, the benchmark, the demo and ``koppel sandbox afas``. The app answers
under ``/ProfitRestServices`` (matched case-insensitively, as Profit does): the AfasToken header
(401 with an empty body when it is missing, undecodable or wrong), ``GET /connectors/{id}``
(``sandbox_store``), ``POST``/``PUT /connectors/{id}`` (``sandbox_updates``), ``/metainfo``,
``/metainfo/get/{id}``, ``/metainfo/update/{id}`` and ``/profitversion``; a query string longer
than 2049 characters gets a 404. It is wrapped in the shared ``FaultInjector`` whose injected
errors use AFAS's error shapes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.afas.sandbox_query import query
from connectors.afas.sandbox_store import COLUMNS, DEFAULT_SEED, AfasError, ProfitStore
from connectors.afas.sandbox_updates import HANDLERS, MANDATORY, apply
from connectors.sandbox import FaultPlan, SandboxedApp

if TYPE_CHECKING:
    from collections.abc import Callable

    from reconciler.spec.models.base import SecretRef
    from reconciler.spec.models.tenant import AfasConnection

PREFIX = "/profitrestservices"
SUB_OBJECTS = {
    "fbsales": ("fbsaleslines",),
    "fbsalesquotation": ("fbsalesquotationlines",),
    "fbdirectinvoice": ("fbdirectinvoicelines",),
}
"""Sub-object URLs that add lines to an existing sales document."""
QUERY_LIMIT = 2049
_DATA = re.compile(r"<data>(.*?)</data>", re.DOTALL)

DEFAULT_CREDENTIALS = {"token": "sandbox-token"}
"""What ``koppel sandbox afas`` accepts unless told otherwise."""

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_SEED",
    "AfasSandbox",
    "SandboxApp",
    "create_app",
    "error_body",
    "for_connection",
]


def error_body(status: int) -> tuple[bytes, str]:
    """AFAS's body for an injected failure: 503 maintenance, 401 empty, else the 500 shape."""
    if status == 401:
        return b"", "application/json"
    if status == 503:
        data: dict[str, Any] = {
            "error": {
                "code": "503",
                "message": "Service temporarily unavailable due to scheduled maintenance. "
                "Please check afasstatus.nl for details.",
            },
            "retry_after": 1,
        }
    else:
        data = AfasError(f"Sandbox: injected HTTP {status}.").body()
    return json.dumps(data).encode(), "application/json"


def token_data(header: str | None) -> str | None:
    """The ``<data>`` of an ``AfasToken base64(xml)`` header, or None when it is not one."""
    if not header or not header.startswith("AfasToken "):
        return None
    try:
        xml = base64.b64decode(header.split(" ", 1)[1], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    match = _DATA.search(xml)
    return match[1].strip() if match else None


class AfasSandbox:
    """The Starlette app over one ``ProfitStore`` and one token."""

    def __init__(
        self,
        store: ProfitStore,
        *,
        token: str,
        participant: str = "12345",
        get_connectors: list[str] | None = None,
        update_connectors: list[str] | None = None,
    ) -> None:
        self.store = store
        match = _DATA.search(token)
        self.token = match[1].strip() if match else token.strip()
        self.participant = participant
        self.get_connectors = (
            get_connectors if get_connectors is not None else [*COLUMNS, *store.custom_connectors]
        )
        self.update_connectors = (
            update_connectors
            if update_connectors is not None
            else [name for name, _ in HANDLERS.values()]
        )
        self.locked_writes: dict[str, int] = {}
        """UpdateConnector -> how many next writes a lock refuses (AFAS's 500 for a booking
        layout another user holds; nothing is written)."""
        self.app = Starlette(
            routes=[Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT"])]
        )

    def reset(self) -> None:
        """Forget every write: a fresh store from the same seed (tests, ``/_sandbox/reset``)."""
        self.store = ProfitStore(self.store.seed, clock=self.store.clock)
        self.locked_writes.clear()

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path.rstrip("/").lower()
        if not path.startswith(PREFIX) or len(request.url.query) + 1 > QUERY_LIMIT:
            return Response(status_code=404)
        given = token_data(request.headers.get("authorization"))
        if given is None or not secrets.compare_digest(given, self.token):
            return Response(status_code=401)
        parts = [p for p in request.url.path[len(PREFIX) :].split("/") if p]
        route = [p.lower() for p in parts]
        try:
            if request.method == "GET":
                return self._get(route, parts, request.query_params)
            return await self._post_or_put(route, parts, request)
        except AfasError as error:
            return JSONResponse(error.body(), status_code=error.status)

    async def _post_or_put(self, route: list[str], parts: list[str], request: Request) -> Response:
        if route[:1] == ["connectors"] and len(parts) == 2:
            return await self._write(parts[1], request, update=request.method == "PUT")
        if (
            route[:1] == ["connectors"]
            and len(parts) == 3
            and request.method == "POST"
            and route[2] in SUB_OBJECTS.get(route[1], ())
        ):
            # POST to a sub-object URL: the header (by its key) gets the body's new lines.
            return await self._write(parts[1], request, update=True)
        return Response(status_code=404)

    def _get(self, route: list[str], parts: list[str], params: Mapping[str, str]) -> Response:
        if route == ["profitversion"]:
            return JSONResponse({"version": self.store.version})
        if route == ["metainfo"]:
            return JSONResponse(self._metainfo())
        if len(route) == 3 and route[:2] == ["metainfo", "get"]:
            return JSONResponse(self._meta_get(self._allowed_get(parts[2])))
        if len(route) == 3 and route[:2] == ["metainfo", "update"]:
            return JSONResponse(self._meta_update(self._allowed_update(parts[2])))
        if len(route) == 2 and route[0] == "connectors":
            return JSONResponse(query(self.store, self._allowed_get(parts[1]), params))
        return Response(status_code=404)

    async def _write(self, connector: str, request: Request, *, update: bool) -> Response:
        name = self._allowed_update(connector)
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The caller went away (killed, timed out) before its body arrived: nothing is done.
            return Response(status_code=499)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise AfasError("Het bericht is geen geldige JSON.", status=400) from None
        if self.locked_writes.get(name, 0) > 0:
            self.locked_writes[name] -= 1
            raise AfasError(
                "De boekingslayout is in gebruik door een andere gebruiker. Probeer het later "
                "opnieuw."
            )
        result = apply(self.store, name, body, update=update)
        if result is None:
            return Response(status_code=201)
        return JSONResponse(result, status_code=201)

    def _allowed_get(self, connector: str) -> str:
        for name in self.get_connectors:
            if name.lower() == connector.lower():
                return name
        raise AfasError(
            "GetConnector niet ondersteund voor deze app of de gebruiker is niet geautoriseerd.",
            status=401,
        )

    def _allowed_update(self, connector: str) -> str:
        for name in self.update_connectors:
            if name.lower() == connector.lower():
                return name
        raise AfasError(
            "General message: Deze UpdateConnector wordt niet ondersteund of de gebruiker is "
            "niet geautoriseerd.",
            status=401,
        )

    def _metainfo(self) -> dict[str, Any]:
        return {
            "updateConnectors": [{"id": n, "description": n} for n in self.update_connectors],
            "getConnectors": [{"id": n, "description": n} for n in self.get_connectors],
            "info": {
                "envid": self.store.environment,
                "appName": "koppel sandbox",
                "group": f"AuthorizationGroup 1 ({self.participant}.koppel)",
                "tokenExpiry": "0",
            },
        }

    def _meta_get(self, connector: str) -> dict[str, Any]:
        types = {"string": "string", "decimal": "decimal", "int": "int", "boolean": "boolean",
                 "date": "date"}  # fmt: skip
        return {
            "name": connector,
            "description": connector,
            "fields": [
                {
                    "id": column,
                    "fieldId": f"U{index:03d}",
                    "dataType": types[kind],
                    "label": column,
                    "length": 255 if kind == "string" else 0,
                    "controlType": 1,
                    "decimals": 2 if kind == "decimal" else 0,
                    "decimalsFieldId": "",
                }
                for index, (column, kind) in enumerate(self.store.columns(connector), start=1)
            ],
        }

    def _meta_update(self, connector: str) -> dict[str, Any]:
        """The fields the sandbox requires, in Profit's metainfo/update shape."""
        fields, objects = MANDATORY.get(connector, ((), {}))
        return {
            "name": connector,
            "id": connector,
            "description": connector,
            "fields": [_meta_field(f) for f in fields],
            "objects": [
                {"name": name, "fields": [_meta_field(f) for f in sub], "objects": []}
                for name, sub in objects.items()
            ],
        }


def _meta_field(field_id: str) -> dict[str, Any]:
    return {
        "fieldId": field_id,
        "primaryKey": False,
        "dataType": "string",
        "label": field_id,
        "mandatory": True,
        "length": 0,
        "decimals": 0,
        "decimalFieldId": "",
        "notzero": False,
        "controlType": 1,
        "values": [],
    }


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    token: str,
    participant: str = "12345",
    faults: FaultPlan | None = None,
    get_connectors: list[str] | None = None,
    update_connectors: list[str] | None = None,
) -> SandboxApp:
    """The sandbox as an ASGI app: ``seed`` is a JSON file or dict (None: ``DEFAULT_SEED``).

    ``get_connectors``/``update_connectors`` restrict what the token may use (default: all
    the sandbox implements), to test ``/metainfo`` checks.
    """
    sandbox = AfasSandbox(
        ProfitStore(seed),
        token=token,
        participant=participant,
        get_connectors=get_connectors,
        update_connectors=update_connectors,
    )
    return SandboxApp(sandbox, faults)


def for_connection(
    connection: AfasConnection,
    *,
    secret: Callable[[SecretRef, str], str],
    seed: Path | Mapping[str, Any] | None = None,
) -> tuple[SandboxApp, str]:
    """A sandbox that accepts this tenant connection's token and participant, and the path its
    ``endpoint`` has on the sandbox's origin (what the demo and end-to-end tests point it at)."""
    token = secret(connection.token, "AFAS token")
    app = create_app(seed=seed, token=token, participant=connection.participant)
    return app, "/ProfitRestServices"


class SandboxApp(SandboxedApp[AfasSandbox]):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the data."""

    def __init__(self, sandbox: AfasSandbox, plan: FaultPlan | None) -> None:
        super().__init__(sandbox.app, sandbox, error_body=error_body, plan=plan)


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.afas.sandbox --port 8080 [--seed FILE] [--token T]``."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Run the AFAS Profit sandbox.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=Path, default=None, help="JSON seed (default: built in)")
    parser.add_argument("--token", default="sandbox-token", help="the token data clients send")
    parser.add_argument("--participant", default="12345")
    args = parser.parse_args(argv)
    app = create_app(seed=args.seed, token=args.token, participant=args.participant)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="off")


if __name__ == "__main__":
    main()
