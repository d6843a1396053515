"""The AsPos sandbox: a local server speaking koppel's AsPos REST contract (``contract.py``).

No public AsPos API exists to emulate (target-apis.md section 7), so the sandbox implements the
contract koppel assumes, configurable the same way the client is: pass the same ``Contract`` to
both and renamed paths, headers, query parameters, envelope keys and fields are exercised over
real HTTP. Behaviour (README.md lists it per endpoint):

* every path lives under ``base_path`` (``/api`` by default: a connection's endpoint path);
* the API key in the contract's header; missing or wrong -> 401 with the JSON error body;
* list endpoints page with ``page``/``pageSize`` (1..max, else 400), filter ``modifiedSince``
  (inclusive, ISO 8601; invalid -> 400) and by the fields in ``sandbox_store.FILTERS``
  (comma-separated: any of), sorted by ``modifiedAt`` then ``id``; envelope
  ``{items, page, pageSize, totalItems, totalPages}``;
* writes are validated whole (422 with field details), duplicates are 409, unknown ids 404,
  unreadable JSON 400, unknown paths 404 and wrong methods 405, all as
  ``{"error": {"code", "message", "details", "requestId"}}``.

The app is wrapped in ``connectors.sandbox.FaultInjector`` (injected errors use the same body).
``python -m connectors.aspos.sandbox --port N [--seed FILE] [--api-key K]`` serves it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.aspos.client import dumps
from connectors.aspos.contract import (
    DEFAULT_CONTRACT,
    DEFAULT_PATHS,
    Contract,
    connection_contract,
)
from connectors.aspos.sandbox_store import FILTERS, ApiError, AsposStore
from connectors.sandbox import FaultPlan, SandboxedApp, base_url, listen, serve

DEFAULT_SEED = Path(__file__).with_name("seed.json")
"""The fixture a sandbox starts from when no seed is given."""
DEFAULT_CREDENTIALS: dict[str, str] = {"api_key": "sandbox-aspos-key"}
"""What ``koppel sandbox aspos`` accepts by default."""
JSON = "application/json"
MAX_REQUEST_BYTES = 4 * 1024 * 1024
logger = logging.getLogger("koppel.aspos.sandbox")
Handler = Callable[[Request], Awaitable[Response]]


def error_body(status: int) -> tuple[bytes, str]:
    """The body of an injected failure, in the contract's error shape."""
    codes = {429: "rate_limited", 503: "unavailable"}
    error = ApiError(status, codes.get(status, "server_error"), f"injected HTTP {status}")
    return dumps(error.body()), JSON


def load_seed(seed: Path | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Seed data from a JSON file, a mapping, or the packaged ``DEFAULT_SEED``."""
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, Path):
        data = json.loads(seed.read_text(encoding="utf-8"), parse_float=Decimal)
        if not isinstance(data, dict):
            raise ValueError(f"{seed}: a seed file holds one JSON object")
        return data
    return seed


def _answer(data: object, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type=JSON)


def _error(error: ApiError) -> Response:
    return Response(
        dumps(error.body()), status_code=error.status, media_type=JSON, headers=error.headers
    )


def _sort_key(record: Mapping[str, Any]) -> tuple[str, str]:
    return (
        str(record.get("modifiedAt") or ""),
        str(record.get("id") or record.get("sku")).zfill(12),
    )


class AsposSandbox:
    """The HTTP front of an ``AsposStore``: API key, contract, envelopes, errors."""

    def __init__(
        self,
        store: AsposStore,
        *,
        api_key: str,
        contract: Contract = DEFAULT_CONTRACT,
        base_path: str = "/api",
    ) -> None:
        self.store = store
        self.contract = contract
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self._expected = f"{contract.api_key_prefix}{api_key}".encode()

    def reset(self, seed: Path | Mapping[str, Any] | None = None) -> AsposStore:
        """A freshly seeded store (the same seed unless another is given)."""
        self.store = AsposStore(load_seed(seed) if seed is not None else self.store.seed)
        return self.store

    def routes(self) -> list[Route]:
        c = self.contract
        table: list[tuple[str, str, Handler]] = [
            ("customers", "GET", self._list("customers", "customers")),
            ("customers", "POST", self._create_customer),
            ("customer", "GET", self._get_customer),
            ("customer", "PATCH", self._update_customer),
            ("articles", "GET", self._list("articles", "articles")),
            ("articles", "POST", self._create_article),
            ("article", "GET", self._get_article),
            ("article", "PATCH", self._update_article),
            ("stock", "GET", self._list("stock", "stock")),
            ("stock_item", "PUT", self._set_stock),
            ("orders", "GET", self._list("orders", "orders")),
            ("orders", "POST", self._create_order),
            ("order", "GET", self._get_order),
            ("tax_rates", "GET", self._list("tax_rates", "tax_rates")),
            ("payment_methods", "GET", self._list("payment_methods", "payment_methods")),
            ("stores", "GET", self._list("stores", "stores")),
        ]
        by_path: dict[str, dict[str, Handler]] = {}
        for resource, method, handler in table:
            template = {**DEFAULT_PATHS, **c.paths}[resource]
            by_path.setdefault(self.base_path + template, {})[method] = handler
        return [
            Route(path, self._dispatch(handlers), methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
            for path, handlers in by_path.items()
        ]

    def _dispatch(self, handlers: Mapping[str, Handler]) -> Handler:
        async def dispatch(request: Request) -> Response:
            if not self._authorised(request):
                return _error(ApiError(401, "unauthorized", "missing or invalid API key"))
            handler = handlers.get(request.method)
            if handler is None:
                allowed = ", ".join(sorted(handlers))
                return _error(
                    ApiError(
                        405,
                        "method_not_allowed",
                        f"{request.method} is not allowed here",
                        headers={"Allow": allowed},
                    )
                )
            try:
                return await handler(request)
            except ApiError as error:
                return _error(error)
            except ClientDisconnect:
                return Response(status_code=499)
            except Exception:  # a sandbox bug must look like the server error it is
                logger.exception("sandbox %s %s failed", request.method, request.url.path)
                return _error(ApiError(500, "server_error", "internal error"))

        return dispatch

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get(self.contract.api_key_header, "").encode()
        return hmac.compare_digest(given, self._expected)

    async def _body(self, request: Request, kind: str) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_REQUEST_BYTES:
            raise ApiError(413, "too_large", f"request larger than {MAX_REQUEST_BYTES} bytes")
        try:
            data = json.loads(raw or b"null", parse_float=Decimal)
        except ValueError:
            raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "the body must be a JSON object")
        return self.contract.from_vendor(kind, data)

    def _out(self, kind: str, record: Mapping[str, Any], status: int = 200) -> Response:
        return _answer(self.contract.to_vendor(kind, record), status)

    # -- lists -------------------------------------------------------------------------------
    def _list(self, kind: str, resource: str) -> Handler:
        async def handler(request: Request) -> Response:
            c = self.contract
            params = request.query_params
            try:
                page = int(params.get(c.page_param, "1"))
                size = int(params.get(c.page_size_param, "50"))
            except ValueError:
                raise ApiError(400, "invalid_query", "page and pageSize must be numbers") from None
            if page < 1 or not 1 <= size <= c.max_page_size:
                raise ApiError(
                    400,
                    "invalid_query",
                    f"page must be >= 1 and pageSize between 1 and {c.max_page_size}",
                )
            store = request.path_params.get("store")
            rows = self.store.rows(kind, store)
            since = params.get(c.modified_since_param)
            if since:
                moment = _moment(since)
                rows = [
                    r for r in rows if r.get("modifiedAt") and _moment(r["modifiedAt"]) >= moment
                ]
            for name in FILTERS.get(kind, ()):
                value = params.get(c.vendor_name(kind, name))
                if value is not None:
                    wanted = {v.strip().lower() for v in value.split(",") if v.strip()}
                    rows = [r for r in rows if str(r.get(name, "")).lower() in wanted]
            rows.sort(key=_sort_key)
            total = len(rows)
            pages = max(1, -(-total // size))
            chunk = rows[(page - 1) * size : page * size]
            return _answer(
                {
                    c.items_key: [c.to_vendor(kind, r) for r in chunk],
                    "page": page,
                    "pageSize": size,
                    "totalItems": total,
                    c.total_pages_key: pages,
                }
            )

        return handler

    # -- records -----------------------------------------------------------------------------
    async def _create_customer(self, request: Request) -> Response:
        data = await self._body(request, "customers")
        return self._out("customers", self.store.create_customer(data), 201)

    async def _get_customer(self, request: Request) -> Response:
        return self._out("customers", self.store.customer(request.path_params["id"]))

    async def _update_customer(self, request: Request) -> Response:
        data = await self._body(request, "customers")
        return self._out("customers", self.store.update_customer(request.path_params["id"], data))

    async def _create_article(self, request: Request) -> Response:
        data = await self._body(request, "articles")
        return self._out("articles", self.store.create_article(data), 201)

    async def _get_article(self, request: Request) -> Response:
        return self._out("articles", self.store.article(request.path_params["id"]))

    async def _update_article(self, request: Request) -> Response:
        data = await self._body(request, "articles")
        return self._out("articles", self.store.update_article(request.path_params["id"], data))

    async def _set_stock(self, request: Request) -> Response:
        data = await self._body(request, "stock")
        store, sku = request.path_params["store"], request.path_params["sku"]
        return self._out("stock", self.store.set_stock(store, sku, data))

    async def _create_order(self, request: Request) -> Response:
        data = await self._body(request, "orders")
        return self._out("orders", self.store.create_order(data), 201)

    async def _get_order(self, request: Request) -> Response:
        return self._out("orders", self.store.order(request.path_params["id"]))


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "invalid_query", f"modifiedSince {text!r} is not an ISO 8601 time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class SandboxApp(SandboxedApp[AsposSandbox]):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the data."""

    def __init__(self, sandbox: AsposSandbox, plan: FaultPlan | None) -> None:
        app = Starlette(routes=sandbox.routes())

        async def fallback(scope: Any, receive: Any, send: Any) -> None:
            error = ApiError(404, "not_found", f"no endpoint {scope.get('path')}")
            await _error(error)(scope, receive, send)

        app.router.default = fallback
        super().__init__(app, sandbox, error_body=error_body, plan=plan)


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    faults: FaultPlan | None = None,
    api_key: str = DEFAULT_CREDENTIALS["api_key"],
    contract: Contract = DEFAULT_CONTRACT,
    base_path: str = "/api",
) -> SandboxApp:
    """A seeded AsPos sandbox ASGI app wrapped in fault injection.

    ``seed``: a JSON file, a mapping of the same shape, or None for ``DEFAULT_SEED``; records in
    koppel's contract names whatever ``contract`` renames on the wire."""
    store = AsposStore(load_seed(seed))
    sandbox = AsposSandbox(store, api_key=api_key, contract=contract, base_path=base_path)
    return SandboxApp(sandbox, faults)


def for_connection(
    connection: Any,
    *,
    secret: Callable[..., str],
    seed: Path | Mapping[str, Any] | None = None,
) -> tuple[SandboxApp, str]:
    """A sandbox that accepts exactly this tenant connection's API key (in its contract's
    header, on its contract's paths), and the path its ``endpoint`` gets on the sandbox's
    origin (the endpoint's own path, e.g. ``/api``)."""
    api_key = secret(connection.api_key, "AsPos API key")
    path = urlsplit(str(connection.endpoint)).path.rstrip("/")
    contract = connection_contract(connection)
    return create_app(seed=seed, api_key=api_key, contract=contract, base_path=path), path


def main(argv: list[str] | None = None) -> None:
    """Serve a sandbox until interrupted (what ``koppel sandbox aspos`` wraps)."""
    parser = argparse.ArgumentParser(prog="python -m connectors.aspos.sandbox")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--seed", type=Path, default=None)
    parser.add_argument("--api-key", default=DEFAULT_CREDENTIALS["api_key"])
    parser.add_argument("--base-path", default="/api")
    args = parser.parse_args(argv)
    app = create_app(seed=args.seed, api_key=args.api_key, base_path=args.base_path)
    sock = listen(port=args.port or 0)
    print(f"AsPos sandbox on {base_url(sock)}{args.base_path}", flush=True)
    serve(app, sock)


if __name__ == "__main__":
    main()
