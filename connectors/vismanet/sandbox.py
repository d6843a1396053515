"""Visma.net ERP sandbox: a local REST API speaking Visma.net's wire protocol, and the Visma
Connect token endpoint on the same origin.

Used by the contract tests, the e2e tests, the demo and ``koppel sandbox``. Paths: the API under
``/v1/{resource}`` (today's form) and ``/API/controller/api/v1/{resource}`` (the legacy form of
the 2016 description), the token endpoint at ``/connect/token``. Every API call needs
``Authorization: Bearer`` with a token this sandbox issued (or the configured ``access_token``),
else 401 with the exception body; ``ipp-company-id`` must name the company (403 otherwise) unless
the token was issued to a service app for that company. Lists are bare JSON arrays paged by
``pageNumber``/``pageSize`` (capped at ``MAX_PAGE_SIZE``), filtered by the resource's fields and
``lastModifiedDateTime`` + ``lastModifiedDateTimeCondition``; writes take value-wrapped UpdateDto
bodies, answer 201 with ``Location`` (create) or 204 (update), and 400 with Visma.net's exception
body when its validation refuses (``sandbox_store``). Every answer carries ``X-RateLimit-*``
headers; past the budget it is 429 with ``Retry-After``. The app is wrapped in the shared
``FaultInjector``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox import FaultInjector, FaultPlan, base_url, listen, serve
from connectors.vismanet.models import TOKEN_PATH
from connectors.vismanet.sandbox_store import DEFAULT_SEED, Clock, VismaNetError, VismaNetStore

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_SEED",
    "SandboxApp",
    "VismaNetSandbox",
    "create_app",
    "error_body",
    "for_connection",
]

PREFIXES = ("/v1/", "/API/controller/api/v1/", "/service/controller/api/v1/")
API_PATH = "/v1"
"""The path a connection's ``endpoint`` gets on the sandbox's origin."""
MAX_PAGE_SIZE = 1000
DEFAULT_CREDENTIALS: dict[str, str] = {
    "client_id": "koppel-sandbox",
    "client_secret": "vismanet-sandbox-client-secret",
    "refresh_token": "vismanet-sandbox-refresh-token",
    "company_id": "1234567",
}
"""What ``koppel sandbox visma-net`` accepts by default."""

FILTERS: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "customer": lambda d: {
        "email": (d.get("mainContact") or {}).get("email"),
        "name": d.get("name"),
        "status": d.get("status"),
        "corporateId": d.get("corporateId"),
        "vatRegistrationId": d.get("vatRegistrationId"),
        "phone": (d.get("mainContact") or {}).get("phone1"),
    },
    "inventory": lambda d: {
        "inventoryNumber": d.get("inventoryNumber"),
        "description": d.get("description"),
        "status": d.get("status"),
    },
    "salesorder": lambda d: {"orderType": d.get("orderType"), "status": d.get("status")},
}
"""Per list resource, the query filters it answers (compared case-insensitively)."""


def error_body(status: int) -> tuple[bytes, str]:
    """Visma.net's exception body for an injected failure."""
    messages = {
        429: "API rate limit exceeded.",
        503: "The service is temporarily unavailable.",
        401: "Authorization has been denied for this request.",
    }
    message = messages.get(status, f"Sandbox: injected HTTP {status}.")
    return json.dumps(VismaNetError(message, status=status, code=str(status)).body()).encode(), (
        "application/json"
    )


def _error(exc: VismaNetError, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status, headers=dict(headers or {}))


class VismaNetSandbox:
    """The Starlette app over one ``VismaNetStore`` and one set of OAuth2 credentials."""

    def __init__(
        self,
        store: VismaNetStore,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str | None = None,
        access_token: str | None = None,
        rate_limit: int = 600,
        rate_window: float = 60.0,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.tokens: dict[str, bool] = {}
        """Issued access token -> bound to the company (a service token)."""
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self._window_start, self._window_count = time.monotonic(), 0
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.app = Starlette(
            routes=[
                Route(TOKEN_PATH, self.token, methods=["POST"]),
                Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )

    def expire_tokens(self) -> None:
        """Every issued access token stops working (as after their hour), for tests."""
        self.tokens.clear()
        self.access_token = None

    # -- OAuth2 ----------------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        # application/x-www-form-urlencoded, parsed without python-multipart.
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8")).items()}

        def refuse(error: str, description: str, status: int = 400) -> Response:
            return JSONResponse(
                {"error": error, "error_description": description}, status_code=status
            )

        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return refuse("invalid_client", "The client is unknown or its secret is wrong.", 401)
        grant = form.get("grant_type")
        token = "vnt-" + secrets.token_urlsafe(24)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        if grant == "refresh_token":
            if not self.refresh_token or form.get("refresh_token") != self.refresh_token:
                return refuse("invalid_grant", "The refresh token is invalid or was used already.")
            self.refresh_token = "vnr-" + secrets.token_urlsafe(24)  # rotated on every use
            answer["refresh_token"] = self.refresh_token
            self.tokens[token] = False
        elif grant == "client_credentials":
            tenant = form.get("tenant_id")
            if tenant not in (None, self.store.company_id):
                return refuse("invalid_request", f"This client has no access to tenant {tenant}.")
            answer["scope"] = str(form.get("scope") or "")
            self.tokens[token] = True
        else:
            return refuse("unsupported_grant_type", f"Grant type {grant!r} is not supported.")
        return JSONResponse(answer)

    def _authorise(self, request: Request) -> VismaNetError | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        bound = self.tokens.get(token)
        if bound is None and not (self.access_token and token == self.access_token):
            return VismaNetError(
                "Authorization has been denied for this request.", status=401, code="401"
            )
        company = request.headers.get("ipp-company-id")
        if company is None and not bound:
            return VismaNetError("The ipp-company-id header is required.", status=403, code="403")
        if company is not None and company != self.store.company_id:
            return VismaNetError(
                f"The user has no access to company '{company}'.", status=403, code="403"
            )
        return None

    def _rate(self) -> tuple[dict[str, str], bool]:
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.rate_window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            remaining = max(0, self.rate_limit - self._window_count)
            reset = max(1, int(self.rate_window - (now - self._window_start)))
            over = self._window_count > self.rate_limit
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Policy": f"{self.rate_limit};w={int(self.rate_window)}",
            "x-vbc-traceid": uuid.uuid4().hex,
        }
        if over:
            headers["Retry-After"] = str(reset)
        return headers, over

    # -- API -------------------------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        path = request.url.path
        prefix = next((p for p in PREFIXES if path.lower().startswith(p.lower())), None)
        if prefix is None:
            return JSONResponse({"message": f"No HTTP resource was found at {path}."}, 404)
        headers, over = self._rate()
        if over:
            return _error(
                VismaNetError("API rate limit exceeded.", status=429, code="429"), headers
            )
        denied = self._authorise(request)
        if denied is not None:
            extra = (
                {"WWW-Authenticate": 'Bearer error="invalid_token"'} if denied.status == 401 else {}
            )
            return _error(denied, {**headers, **extra})
        parts = [p for p in path[len(prefix) :].split("/") if p]
        self.requests.append((request.method, "/".join(parts)))
        try:
            body = None
            if request.method in ("POST", "PUT"):
                raw = await request.body()
                try:
                    body = json.loads(raw or b"{}")
                except ValueError as exc:
                    raise VismaNetError("The request body is not valid JSON.") from exc
                if not isinstance(body, dict):
                    raise VismaNetError("The request body must be a JSON object.")
            response = self._route(request, parts, body, base=str(request.base_url) + prefix[1:])
        except VismaNetError as exc:
            return _error(exc, headers)
        response.headers.update(headers)
        return response

    def _route(
        self, request: Request, parts: list[str], body: dict[str, Any] | None, *, base: str
    ) -> Response:
        method = request.method
        resource = parts[0].lower() if parts else ""
        key = parts[1] if len(parts) > 1 else None
        store = self.store
        params = request.query_params
        if method == "GET" and key is None:
            return JSONResponse(self._list(resource, dict(params)))
        if method == "GET" and key is not None and len(parts) == 2:
            return JSONResponse(self._one(resource, key, dict(params)))
        if method == "POST" and key is None and body is not None:
            writer = {
                "customer": store.create_customer,
                "inventory": store.create_inventory,
                "salesorder": store.create_order,
                "inventoryadjustment": store.create_adjustment,
            }.get(resource)
            if writer is not None:
                created = writer(_unwrapped(body))
                location = f"{base}{parts[0]}/{quote(created, safe='')}"
                return Response(status_code=201, headers={"Location": location})
        if method == "PUT" and key is not None and len(parts) == 2 and body is not None:
            updater = {"customer": store.update_customer, "inventory": store.update_inventory}.get(
                resource
            )
            if updater is not None:
                updater(key, _unwrapped(body))
                return Response(status_code=204)
        if (
            method == "POST"
            and resource == "inventoryadjustment"
            and parts[2:] == ["action", "release"]
        ):
            store.release_adjustment(str(key))
            return JSONResponse({"actionId": str(uuid.uuid4()), "actionResult": "Done"})
        raise VismaNetError(
            f"No HTTP resource was found that matches {method} {'/'.join(parts)}.",
            status=404,
            code="404",
        )

    def _records(self, resource: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        store = self.store
        if resource == "customer":
            return [store.customers[k] for k in sorted(store.customers)]
        if resource == "inventory":
            expand = params.get("expandWarehouseDetail", "").lower() == "true"
            return [store.inventory_view(k, warehouses=expand) for k in sorted(store.inventory)]
        if resource == "salesorder":
            return [store.orders[k] for k in sorted(store.orders)]
        tables: dict[str, list[dict[str, Any]]] = {
            "vatcategory": list(store.vat_categories.values()),
            "vatzone": list(store.vat_zones.values()),
            "customerclass": list(store.customer_classes.values()),
            "branch": list(store.branches.values()),
            "creditterm": list(store.credit_terms.values()),
            "salesordertype": list(store.order_types.values()),
            "warehouse": list(store.warehouses.values()),
            "vat": [
                {"id": k, "description": v.get("description", "")}
                for k, v in store.vat_categories.items()
            ],
        }
        if resource not in tables:
            raise VismaNetError(
                f"No HTTP resource was found for '{resource}'.", status=404, code="404"
            )
        return tables[resource]

    def _list(self, resource: str, params: dict[str, str]) -> list[dict[str, Any]]:
        rows = self._records(resource, params)
        fields = FILTERS.get(resource)
        if fields is not None:
            for name in fields({}):
                if params.get(name):
                    wanted = params[name].strip().lower()
                    rows = [r for r in rows if str(fields(r).get(name) or "").lower() == wanted]
        if params.get("lastModifiedDateTime"):
            rows = _modified(
                rows,
                params["lastModifiedDateTime"],
                params.get("lastModifiedDateTimeCondition", ">="),
            )
        try:
            size = min(int(params.get("pageSize", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
            page = int(params.get("pageNumber", 1))
        except ValueError as exc:
            raise VismaNetError("pageNumber and pageSize must be whole numbers.") from exc
        if size < 1 or page < 1:
            raise VismaNetError("pageNumber and pageSize must be at least 1.")
        return rows[(page - 1) * size : page * size]

    def _one(self, resource: str, key: str, params: Mapping[str, str]) -> Any:
        store = self.store
        not_found = VismaNetError(f"{resource} '{key}' was not found.", status=404, code="1004")
        if resource == "customer":
            if key not in store.customers:
                raise not_found
            return store.customers[key]
        if resource == "inventory":
            if key not in store.inventory:
                raise not_found
            return store.inventory_view(
                key, warehouses=params.get("expandWarehouseDetail", "").lower() == "true"
            )
        if resource == "salesorder":
            if key not in store.orders:
                raise not_found
            return store.orders[key]
        if resource == "inventorysummary":
            return store.summary(key)
        ids = {"vatcategory": "vatCategoryId", "branch": "number"}
        for row in self._records(resource, params):
            if str(row.get(ids.get(resource, "id"))) == key:
                return row
        raise not_found


PLAIN_FIELDS = frozenset({"operation", "overrideWithClassValues", "recalculateShipment"})
"""UpdateDto fields that are plain values, not wrappers (the line ``operation``, two flags)."""


def _unwrapped(body: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """An UpdateDto body's plain values; a scalar or object sent without its ``{"value": ...}``
    wrapper is refused with a 400 naming it, as Visma.net cannot read it."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        where = f"{path}{name}"
        if name in PLAIN_FIELDS:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [
                _unwrapped(item, f"{where}[{i}].") if isinstance(item, Mapping) else item
                for i, item in enumerate(value)
            ]
        elif isinstance(value, Mapping) and set(value) == {"value"}:
            inner = value["value"]
            out[name] = _unwrapped(inner, f"{where}.") if isinstance(inner, Mapping) else inner
        else:
            raise VismaNetError(
                f"The request is invalid: '{where}' must be a value wrapper {{\"value\": ...}}.",
                code="1005",
            )
    return out


def _modified(rows: list[dict[str, Any]], since: str, condition: str) -> list[dict[str, Any]]:
    import datetime as dt

    try:
        limit = dt.datetime.fromisoformat(since.strip().replace(" ", "T"))
    except ValueError as exc:
        raise VismaNetError(f"lastModifiedDateTime '{since}' is not a date and time.") from exc
    limit = limit.replace(tzinfo=None)
    tests: dict[str, Callable[[dt.datetime], bool]] = {
        ">": lambda t: t > limit,
        ">=": lambda t: t >= limit,
        "<": lambda t: t < limit,
        "<=": lambda t: t <= limit,
        "=": lambda t: t == limit,
    }
    test = tests.get(condition.strip())
    if test is None:
        raise VismaNetError(
            f"lastModifiedDateTimeCondition '{condition}' is not one of > >= < <= =."
        )
    out = []
    for row in rows:
        stamp = row.get("lastModifiedDateTime")
        if stamp and test(dt.datetime.fromisoformat(str(stamp)).replace(tzinfo=None)):
            out.append(row)
    return out


class SandboxApp(FaultInjector):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the company's data."""

    def __init__(self, sandbox: VismaNetSandbox, plan: FaultPlan | None, seed: Any) -> None:
        super().__init__(sandbox.app, error_body=error_body, plan=plan)
        self.sandbox = sandbox
        self._seed = seed
        self._company_id = sandbox.store.company_id

    @property
    def store(self) -> VismaNetStore:
        return self.sandbox.store

    def reset(self) -> None:
        """Clear the faults and reload the seed (the shared ``POST /_sandbox/reset`` calls this)."""
        super().reset()
        store = VismaNetStore(self._seed, clock=self.sandbox.store.clock)
        store.company_id = self._company_id
        self.sandbox.store = store


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    faults: FaultPlan | None = None,
    client_id: str = DEFAULT_CREDENTIALS["client_id"],
    client_secret: str = DEFAULT_CREDENTIALS["client_secret"],
    refresh_token: str | None = DEFAULT_CREDENTIALS["refresh_token"],
    access_token: str | None = None,
    company_id: str | None = None,
    rate_limit: int = 600,
    clock: Clock | None = None,
) -> SandboxApp:
    """The sandbox as an ASGI app. ``seed``: a JSON file or dict (None: ``DEFAULT_SEED``);
    ``company_id`` overrides the seed's company id; the credentials are what it accepts."""
    store = VismaNetStore(seed, clock=clock)
    if company_id is not None:
        store.company_id = company_id
    sandbox = VismaNetSandbox(
        store,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        access_token=access_token,
        rate_limit=rate_limit,
    )
    return SandboxApp(sandbox, faults, seed)


def for_connection(
    connection: Any, *, secret: Callable[..., str], seed: Path | Mapping[str, Any] | None = None
) -> tuple[SandboxApp, str]:
    """A sandbox accepting exactly this ``visma-net`` connection's credentials, and the path its
    ``endpoint`` gets on the sandbox's origin."""

    def resolved(ref: Any, what: str) -> str | None:
        return None if ref is None else secret(ref, f"Visma.net {what}")

    app = create_app(
        seed=seed,
        client_id=str(connection.client_id or DEFAULT_CREDENTIALS["client_id"]),
        client_secret=resolved(connection.client_secret, "client secret")
        or DEFAULT_CREDENTIALS["client_secret"],
        refresh_token=resolved(connection.refresh_token, "refresh token"),
        access_token=resolved(connection.access_token, "access token"),
        company_id=str(connection.company_id),
    )
    return app, API_PATH


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.vismanet.sandbox [--port N] [--seed FILE]``."""

    parser = argparse.ArgumentParser(prog="python -m connectors.vismanet.sandbox")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--seed", type=Path, default=None)
    args = parser.parse_args(argv)
    app = create_app(seed=args.seed)
    sock = listen(port=args.port or 0)
    print(
        f"Visma.net sandbox on {base_url(sock)}{API_PATH} (company {app.store.company_id})",
        flush=True,
    )
    serve(app, sock)


if __name__ == "__main__":
    main()
