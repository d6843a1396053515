"""Visma eAccounting sandbox: the REST API v2 and the identity server's token endpoint, locally.

Used by the contract tests, the demo and ``koppel sandbox eaccounting``. One origin answers:

* ``POST /connect/token`` (the identity server): HTTP Basic client authentication, form-encoded
  ``grant_type=refresh_token``; answers ``access_token``/``expires_in``/``refresh_token``, and
  rotates the refresh token (a rotated one works once; the configured one keeps working, since a
  restarted koppel only knows that one); OAuth2 errors as ``{"error": ...}``;
* ``/v2/{collection}`` ``GET`` (``$page``/``$pagesize``/``$filter``/``$orderby``/``$select``
  in the ``Meta``/``Data`` envelope) and ``POST`` (201 with the object),
  ``/v2/{collection}/{id}`` ``GET``/``PUT`` (200; PUT replaces; ``DELETE`` answers 405, koppel
  never deletes), ``POST /v2/orders/{id}/convert`` (a booked invoice) for customers, articles,
  orders, customerinvoicedrafts, customerinvoices and the master data (vatcodes,
  termsofpayments, units, articleaccountcodings, articlelabels), read-only where the API is;
* a Bearer token check (401), a rate limit of 600 calls a minute per client and endpoint URL
  (429 with ErrorCode 4010), 400 ``ErrorCode``/``Errors`` bodies from the store's validation,
  404 for unknown ids and paths.

It is wrapped in the shared ``FaultInjector``, whose injected errors use eAccounting's shapes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.eaccounting.sandbox_odata import QueryError, compile_filter, order_key, sort_rows
from connectors.eaccounting.sandbox_rules import FIELDS
from connectors.eaccounting.sandbox_store import (
    COLLECTIONS,
    DEFAULT_SEED,
    ApiError,
    CompanyStore,
    stamp,
    utc_now,
)
from connectors.sandbox import FaultPlan, SandboxedApp

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_SEED",
    "EAccountingSandbox",
    "SandboxApp",
    "create_app",
    "error_body",
    "for_connection",
]

API_PREFIX = "/v2"
WRITABLE = {
    "customers": {"POST", "PUT"},
    "articles": {"POST", "PUT"},
    "orders": {"POST", "PUT"},
    "customerinvoicedrafts": {"POST", "PUT"},
}
"""Collections the API lets koppel write; the others are read-only here."""
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
QUERY_OPTIONS = {"$page", "$pagesize", "$filter", "$orderby", "$select"}
TOKEN_LIFETIME = 3600

DEFAULT_CREDENTIALS: dict[str, str] = {
    "client_id": "koppel-sandbox",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "sandbox-refresh-token",
    "access_token": "sandbox-access-token",
}
"""What ``koppel sandbox eaccounting`` accepts by default: ``create_app(**DEFAULT_CREDENTIALS)``."""

UNAUTHORIZED = {"Message": "Authorization has been denied for this request."}


def error_body(status: int) -> tuple[bytes, str]:
    """eAccounting's body for an injected failure."""
    if status == 401:
        data: dict[str, Any] = UNAUTHORIZED
    elif status == 429:
        data = ApiError(
            "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 1 seconds.",
            code=4010,
            status=429,
        ).body()
    elif status == 403:
        data = ApiError("Forbidden", code=4003, status=status).body()
    else:
        data = ApiError("An error has occurred.", code=5000, status=status).body()
    return json.dumps(data).encode(), "application/json"


class RateLimit:
    """600 calls a minute per client and endpoint URL, in a sliding window."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 when the call may go ahead (and counts it), else the seconds until it may."""
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - 60:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return max(0.0, calls[0] + 60 - now)
            calls.append(now)
            return 0.0


class EAccountingSandbox:
    """The Starlette app over one ``CompanyStore`` and one OAuth2 client's credentials."""

    def __init__(
        self,
        store: CompanyStore,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None = None,
        rate_limit: int = 600,
    ) -> None:
        self.store = store
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.rotated: set[str] = set()
        """Refresh tokens issued and not used yet (each works once)."""
        self.issued: dict[str, float] = {}
        """Access tokens issued -> monotonic expiry."""
        self.token_requests = 0
        self.rate_limit = rate_limit
        self.limit = RateLimit(rate_limit)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/connect/token", self.token, methods=["POST"]),
                Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )

    def reset(self) -> None:
        """Forget every write and issued token: a fresh store from the same seed."""
        self.store = CompanyStore(self.store.seed, clock=self.store.clock)
        with self._lock:
            self.rotated.clear()
            self.issued.clear()
            self.token_requests = 0
        self.limit = RateLimit(self.rate_limit)

    def expire_tokens(self) -> None:
        """Make every issued access token invalid (tests of renewal after a 401)."""
        with self._lock:
            self.issued.clear()

    # -- identity server -------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if not self._client_ok(request.headers.get("authorization")):
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        given = form.get("refresh_token", "")
        with self._lock:
            self.token_requests += 1
            if given in self.rotated:
                self.rotated.discard(given)
            elif not secrets.compare_digest(given, self.refresh_token):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access, rotated = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self.issued[access] = time.monotonic() + TOKEN_LIFETIME
            self.rotated.add(rotated)
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": TOKEN_LIFETIME,
                "token_type": "Bearer",
                "refresh_token": rotated,
                "scope": "ea:api ea:sales offline_access",
            }
        )

    def _client_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            raw = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, _, client_secret = raw.partition(":")
        return secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret, self.client_secret
        )

    def _bearer_ok(self, header: str | None) -> str | None:
        """The token when the Authorization header carries a valid one."""
        if not header or not header.startswith("Bearer "):
            return None
        token = header[7:].strip()
        if self.access_token and secrets.compare_digest(token, self.access_token):
            return token
        with self._lock:
            expiry = self.issued.get(token)
        return token if expiry is not None and time.monotonic() < expiry else None

    # -- API -------------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        path = request.url.path.rstrip("/")
        if not path.lower().startswith(API_PREFIX + "/"):
            return JSONResponse({"Message": "No HTTP resource was found."}, status_code=404)
        token = self._bearer_ok(request.headers.get("authorization"))
        if token is None:
            return JSONResponse(
                UNAUTHORIZED,
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        parts = [p for p in path[len(API_PREFIX) :].split("/") if p]
        segment = parts[0].lower()
        # The limit counts per client and endpoint URL (ids included, query string not).
        wait = self.limit.wait(f"{self.client_id}:{path.lower()}")
        if wait:
            seconds = math.ceil(wait)
            error = ApiError(
                "API calls quota exceeded! maximum admitted "
                f"{self.limit.per_minute} per Minute. Try again in {seconds} seconds.",
                code=4010,
                status=429,
            )
            return JSONResponse(error.body(), status_code=429)
        try:
            if segment not in COLLECTIONS or len(parts) > 3:
                raise ApiError("No HTTP resource was found.", code=4004, status=404)
            return await self._route(request, segment, parts)
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)

    async def _route(self, request: Request, segment: str, parts: list[str]) -> Response:
        method = request.method
        if len(parts) == 1 and method == "GET":
            return JSONResponse(self._list(segment, request.query_params))
        if len(parts) == 2 and method == "GET":
            return JSONResponse(self.store.get(segment, parts[1]))
        if method in WRITABLE.get(segment, set()) and len(parts) <= 2:
            body = await _json_body(request)
            if method == "POST" and len(parts) == 1:
                return JSONResponse(self.store.create(segment, body), status_code=201)
            if method == "PUT" and len(parts) == 2:
                return JSONResponse(self.store.replace(segment, parts[1], body))
        convert = len(parts) == 3 and parts[2].lower() == "convert"
        if segment == "orders" and convert and method == "POST":
            return JSONResponse(self.store.convert_order(parts[1]))
        raise ApiError(
            f"The requested resource does not support http method '{method}'.",
            code=4005,
            status=405,
        )

    def _list(self, segment: str, params: Mapping[str, str]) -> dict[str, Any]:
        unknown = [k for k in params if k.startswith("$") and k not in QUERY_OPTIONS]
        if unknown:
            raise ApiError(f"The query parameter {unknown[0]} is not supported", code=6000)
        try:
            page = int(params.get("$page", "1"))
            size = int(params.get("$pagesize", str(DEFAULT_PAGE_SIZE)))
        except ValueError:
            raise ApiError("$page and $pagesize must be whole numbers", code=6000) from None
        if page < 1 or size < 1:
            raise ApiError("$page and $pagesize must be at least 1", code=6000)
        size = min(size, MAX_PAGE_SIZE)
        rows = self.store.rows(segment)
        fields = set(FIELDS.get(segment, ())) | {k for r in rows for k in r}
        since = params.get("modifiedSinceUtc") if segment == "customerinvoices" else None
        if since:  # the invoices' own parameter, beside OData
            try:
                if not re.fullmatch(r"[0-9][0-9T:.+\-]*Z?", since):
                    raise QueryError(since)
                after = compile_filter(f"ModifiedUtc ge {since}", fields)
            except QueryError:
                raise ApiError("modifiedSinceUtc is not a date-time", code=6000) from None
            rows = [r for r in rows if after(r)]
        try:
            if params.get("$filter"):
                predicate = compile_filter(params["$filter"], fields)
                rows = [r for r in rows if predicate(r)]
            if params.get("$orderby"):
                rows = sort_rows(rows, order_key(params["$orderby"], fields))
        except QueryError as exc:
            raise ApiError(f"QueryParameterError: {exc}", code=6000) from None
        if params.get("$select"):
            chosen = [name.strip() for name in params["$select"].split(",") if name.strip()]
            unknown_fields = [name for name in chosen if name not in fields]
            if unknown_fields:
                message = (
                    f"QueryParameterError: Could not find a property named '{unknown_fields[0]}'"
                )
                raise ApiError(message, code=6000)
            rows = [{name: row.get(name) for name in chosen} for row in rows]
        total = len(rows)
        start = (page - 1) * size
        return {
            "Meta": {
                "CurrentPage": page,
                "PageSize": size,
                "TotalNumberOfPages": max(1, math.ceil(total / size)) if total else 0,
                "TotalNumberOfResults": total,
                "ServerTimeUtc": stamp(self.store.now()),
            },
            "Data": rows[start : start + size],
        }


async def _json_body(request: Request) -> Any:
    try:
        raw = await request.body()
    except ClientDisconnect:
        raise ApiError("The client went away", status=499) from None
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise ApiError("The request body is not valid JSON") from None


class SandboxApp(SandboxedApp[EAccountingSandbox]):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the data (a reset also
    forgets the issued tokens)."""

    def __init__(self, sandbox: EAccountingSandbox, plan: FaultPlan | None) -> None:
        super().__init__(sandbox.app, sandbox, error_body=error_body, plan=plan)


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    faults: FaultPlan | None = None,
    client_id: str = DEFAULT_CREDENTIALS["client_id"],
    client_secret: str = DEFAULT_CREDENTIALS["client_secret"],
    refresh_token: str = DEFAULT_CREDENTIALS["refresh_token"],
    access_token: str | None = None,
    rate_limit: int = 600,
    clock: Callable[[], dt.datetime] = utc_now,
) -> SandboxApp:
    """The sandbox as an ASGI app: ``seed`` is a JSON file or dict (None: ``DEFAULT_SEED``).

    ``access_token`` is a fixed token the API accepts besides the ones the token endpoint
    issues; ``clock`` gives the store's time (``ChangedUtc``), for tests.
    """
    sandbox = EAccountingSandbox(
        CompanyStore(seed, clock=clock),
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        access_token=access_token,
        rate_limit=rate_limit,
    )
    return SandboxApp(sandbox, faults)


def for_connection(
    connection: Any, *, secret: Callable[..., str], seed: Path | Mapping[str, Any] | None = None
) -> tuple[SandboxApp, str]:
    """A sandbox accepting exactly this ``eaccounting`` connection's credentials, and the path
    its ``endpoint`` gets on the sandbox's origin (the identity server is the same origin)."""
    access = connection.access_token
    refresh = connection.refresh_token
    client_secret = connection.client_secret
    app = create_app(
        seed=seed,
        client_id=connection.client_id or DEFAULT_CREDENTIALS["client_id"],
        client_secret=(
            secret(client_secret, "eAccounting client secret")
            if client_secret is not None
            else secrets.token_urlsafe(16)
        ),
        refresh_token=(
            secret(refresh, "eAccounting refresh token")
            if refresh is not None
            else secrets.token_urlsafe(16)
        ),
        access_token=secret(access, "eAccounting access token") if access is not None else None,
    )
    return app, API_PREFIX


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.eaccounting.sandbox --port 8080 [--seed FILE]``."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Run the Visma eAccounting sandbox.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=Path, default=None, help="JSON seed (default: built in)")
    args = parser.parse_args(argv)
    app = create_app(
        seed=args.seed,
        client_id=DEFAULT_CREDENTIALS["client_id"],
        client_secret=DEFAULT_CREDENTIALS["client_secret"],
        refresh_token=DEFAULT_CREDENTIALS["refresh_token"],
        access_token=DEFAULT_CREDENTIALS["access_token"],
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="off")


if __name__ == "__main__":
    main()
