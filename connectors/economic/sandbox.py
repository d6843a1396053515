"""e-conomic sandbox: a local ``restapi.e-conomic.com`` speaking e-conomic's REST protocol.

Used by the contract tests, the demo and ``koppel sandbox e-conomic``. Every call needs both
token headers (``X-AppSecretToken``, ``X-AgreementGrantToken``): missing or wrong ones get 401,
and the public ``demo``/``demo`` pair is let in read-only (a write gets 403), as e-conomic's demo
agreement is. Collections answer in e-conomic's envelope (``collection``, ``pagination`` with
absolute ``firstPage``/``nextPage``/``previousPage``/``lastPage`` links built from the request's
origin, ``metaData``, ``self``), page by ``skippages``/``pagesize`` (at most 1000) and filter by
``filter=`` (``sandbox_store.matcher``). Writes go through e-conomic's own validation
(``sandbox_store``); errors use its body (``message``, ``errorCode``, ``developerHint``,
``logId``, ``httpStatusCode``, ``errors``). The app is wrapped in the shared ``FaultInjector``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.economic.sandbox_store import (
    DEFAULT_SEED,
    DOCUMENTS,
    DRAFTS,
    KEYS,
    Clock,
    EconomicError,
    EconomicStore,
    Record,
    matcher,
    page_bounds,
)
from connectors.sandbox import FaultPlan, SandboxedApp

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_SEED",
    "EconomicSandbox",
    "SandboxApp",
    "create_app",
    "error_body",
    "for_connection",
]

DEFAULT_CREDENTIALS: dict[str, str] = {
    "app_secret_token": "sandbox-app-secret-token",
    "agreement_grant_token": "sandbox-agreement-grant-token",
}
"""What ``koppel sandbox e-conomic`` accepts unless told otherwise."""

DEMO_TOKEN = "demo"  # noqa: S105 - e-conomic's public demo value, not a secret
"""e-conomic's public read-only demo agreement: both headers set to ``demo``."""

CREATE = {
    "customers": "Create a new customer.",
    "products": "Create a new product.",
    "orders/drafts": "Create a new draft order.",
    "invoices/drafts": "Create a new draft invoice.",
    "invoices/booked": "Book a draft invoice.",
}
"""Collections that take a POST, and the description their ``metaData.create`` gives."""


def error_body(status: int) -> tuple[bytes, str]:
    """e-conomic's body for an injected failure."""
    messages = {
        401: "Unauthorized: the app secret token or agreement grant token is not valid.",
        429: "Too many requests. Please slow down and try again later.",
        503: "The service is temporarily unavailable.",
    }
    error = EconomicError(messages.get(status, "An error occurred."), status=status)
    return json.dumps(error.body()).encode(), "application/json"


def _error(error: EconomicError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


class EconomicSandbox:
    """The Starlette app over one ``EconomicStore`` and one pair of tokens."""

    def __init__(self, store: EconomicStore, *, app_secret_token: str, agreement_grant_token: str):
        self.store = store
        self.app_secret_token = app_secret_token
        self.agreement_grant_token = agreement_grant_token
        self.app = Starlette(
            routes=[Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    def reset(self) -> None:
        """Forget every write: a fresh store from the same seed."""
        self.store = EconomicStore(self.store.seed, clock=self.store.clock)

    # -- entry ----------------------------------------------------------------------------------
    def _access(self, request: Request) -> str | None:
        """``full``, ``read`` (the demo agreement) or None (refused)."""
        app = request.headers.get("x-appsecrettoken", "")
        grant = request.headers.get("x-agreementgranttoken", "")
        if secrets.compare_digest(app.encode(), self.app_secret_token.encode()) and (
            secrets.compare_digest(grant.encode(), self.agreement_grant_token.encode())
        ):
            return "full"
        if app == DEMO_TOKEN and grant == DEMO_TOKEN:
            return "read"
        return None

    async def dispatch(self, request: Request) -> Response:
        access = self._access(request)
        if access is None:
            missing = [
                h
                for h in ("X-AppSecretToken", "X-AgreementGrantToken")
                if not request.headers.get(h.lower())
            ]
            verb = "headers are" if len(missing) > 1 else "header is"
            message = (
                f"Unauthorized: the {' and '.join(missing)} {verb} missing."
                if missing
                else "Unauthorized: the app secret token or agreement grant token is not valid."
            )
            hint = "Send a valid X-AppSecretToken and X-AgreementGrantToken on every request."
            return _error(EconomicError(message, status=401, hint=hint))
        if access == "read" and request.method != "GET":
            return _error(
                EconomicError(
                    "Forbidden: the demo agreement is read-only.",
                    status=403,
                    hint="Use the tokens of an agreement that granted your app write access.",
                )
            )
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        origin = f"{request.url.scheme}://{request.url.netloc}"
        try:
            body: Any = None
            if request.method in ("POST", "PUT"):
                try:
                    raw_body = await request.body()
                except ClientDisconnect:
                    return Response(status_code=499)
                try:
                    body = json.loads(raw_body or b"null")
                except ValueError:
                    raise EconomicError(
                        "The request body is not valid JSON.",
                        hint="Send a JSON object with Content-Type: application/json.",
                    ) from None
            return self._route(request.method, parts, request.query_params, body, origin)
        except EconomicError as error:
            return _error(error)

    def _route(
        self, method: str, parts: list[str], params: Mapping[str, str], body: Any, origin: str
    ) -> Response:
        links = Links(origin, self.store)
        store = self.store
        if len(parts) >= 2 and "/".join(parts[:2]) in DOCUMENTS:
            collection, rest = "/".join(parts[:2]), parts[2:]
        elif parts and parts[0] in KEYS:
            collection, rest = parts[0], parts[1:]
        else:
            raise EconomicError("Resource not found.", status=404)
        if collection == "customers" and len(rest) >= 2 and rest[1] == "contacts":
            return self._contacts(method, rest, params, body, links)
        if not rest:
            if method == "GET":
                rows = store.rows(collection)
                if collection in DOCUMENTS:
                    rows = [{k: v for k, v in r.items() if k != "lines"} for r in rows]
                return JSONResponse(collect(collection, rows, params, links))
            if method == "POST" and collection in CREATE:
                if collection == "customers":
                    saved = store.save_customer(body)
                elif collection == "products":
                    saved = store.save_product(body)
                elif collection == "invoices/booked":
                    saved = store.book(body)
                else:
                    saved = store.save_document(collection, body)
                return JSONResponse(links.render(collection, saved), status_code=201)
            raise EconomicError("The method is not allowed on this resource.", status=405)
        if len(rest) != 1:
            raise EconomicError("Resource not found.", status=404)
        key = rest[0]
        if method == "GET":
            return JSONResponse(links.render(collection, store.one(collection, key)))
        if method == "PUT" and collection in ("customers", "products", *DRAFTS):
            current = store.one(collection, key)
            number = current[KEYS[collection]]
            if collection == "customers":
                saved = store.save_customer(body, number=number)
            elif collection == "products":
                saved = store.save_product(body, number=number)
            else:
                saved = store.save_document(collection, body, number=number)
            return JSONResponse(links.render(collection, saved))
        if method == "DELETE" and collection in ("customers", "products", *DRAFTS):
            gone = store.delete(collection, key)
            if collection in DRAFTS:
                field = KEYS[collection]
                return JSONResponse(
                    {
                        "message": f"Deleted {collection.split('/')[0][:-1]}.",
                        "deletedCount": 1,
                        "deletedItems": [
                            {field: gone[field], "self": links.link(collection, gone[field])}
                        ],
                    }
                )
            return Response(status_code=204)
        raise EconomicError("The method is not allowed on this resource.", status=405)

    def _contacts(
        self, method: str, rest: list[str], params: Mapping[str, str], body: Any, links: Links
    ) -> Response:
        try:
            customer = int(rest[0])
        except ValueError:
            raise EconomicError("Resource not found.", status=404) from None
        store = self.store
        if len(rest) == 2:
            if method == "GET":
                rows = store.rows("contacts", customer=customer)
                return JSONResponse(
                    collect(f"customers/{customer}/contacts", rows, params, links, kind="contacts")
                )
            if method == "POST":
                saved = store.save_contact(customer, body)
                return JSONResponse(links.contact(saved), status_code=201)
        elif len(rest) == 3:
            try:
                number = int(rest[2])
            except ValueError:
                raise EconomicError("Resource not found.", status=404) from None
            if method == "GET":
                return JSONResponse(links.contact(store.contact(customer, number)))
            if method == "PUT":
                store.contact(customer, number)
                return JSONResponse(
                    links.contact(store.save_contact(customer, body, number=number))
                )
        raise EconomicError("Resource not found.", status=404)


def collect(
    collection: str,
    rows: list[Record],
    params: Mapping[str, str],
    links: Links,
    *,
    kind: str | None = None,
) -> dict[str, Any]:
    """A page of a collection in e-conomic's envelope."""
    skip, size = page_bounds(params)
    kind = kind or collection
    total = len(rows)
    text = params.get("filter")
    if text:
        keep = matcher(kind, text)
        rows = [r for r in rows if keep(r)]
    count = len(rows)
    last = max(0, (count - 1) // size)
    window = rows[skip * size : (skip + 1) * size]
    base = f"{links.origin}/{collection}"

    def page(index: int) -> str:
        query: dict[str, str] = {"skippages": str(index), "pagesize": str(size)}
        if text:
            query["filter"] = text
        return f"{base}?{urlencode(query, quote_via=quote)}"

    pagination: dict[str, Any] = {
        "maxPageSizeAllowed": 1000,
        "skipPages": skip,
        "pageSize": size,
        "results": count,
        "resultsWithoutFilter": total,
        "firstPage": page(0),
    }
    if skip > 0:
        pagination["previousPage"] = page(min(skip - 1, last))
    if skip < last:
        pagination["nextPage"] = page(skip + 1)
    pagination["lastPage"] = page(last)
    render = links.contact if kind == "contacts" else lambda r: links.render(collection, r)
    envelope: dict[str, Any] = {
        "collection": [render(r) for r in window],
        "pagination": pagination,
    }
    if collection in CREATE:
        envelope["metaData"] = {
            "create": {"description": CREATE[collection], "href": base, "httpMethod": "post"}
        }
    envelope["self"] = base
    return envelope


class Links:
    """Objects as e-conomic answers them: every reference with its ``self`` link."""

    def __init__(self, origin: str, store: EconomicStore) -> None:
        self.origin = origin
        self.store = store

    def link(self, collection: str, key: Any) -> str:
        return f"{self.origin}/{collection}/{quote(str(key), safe='')}"

    def _ref(self, ref: Any, collection: str, field: str, *names: str) -> Any:
        if not isinstance(ref, dict) or field not in ref:
            return ref
        out = {**ref, "self": self.link(collection, ref[field])}
        master = self.store.tables.get(collection, {}).get(ref[field], {})
        for name in names:
            if name in master:
                out[name] = master[name]
        return out

    def render(self, collection: str, record: Record) -> Record:
        out = dict(record)
        key = record[KEYS[collection]]
        out["self"] = self.link(collection, key)
        if collection == "customers":
            return self._customer(out, int(key))
        if collection == "products":
            return self._product(out, key)
        if collection in DOCUMENTS:
            return self._document(collection, out, int(key))
        return out

    def _customer(self, out: Record, number: int) -> Record:
        mine = f"{self.origin}/customers/{number}"
        out["customerGroup"] = self._ref(
            out.get("customerGroup"), "customer-groups", "customerGroupNumber"
        )
        out["paymentTerms"] = self._ref(
            out.get("paymentTerms"), "payment-terms", "paymentTermsNumber"
        )
        out["vatZone"] = self._ref(out.get("vatZone"), "vat-zones", "vatZoneNumber")
        if "layout" in out:
            out["layout"] = self._ref(out["layout"], "layouts", "layoutNumber")
        for field in ("attention", "customerContact"):
            ref = out.get(field)
            if isinstance(ref, dict) and "customerContactNumber" in ref:
                out[field] = {**ref, "self": f"{mine}/contacts/{ref['customerContactNumber']}"}
        out["contacts"] = f"{mine}/contacts"
        out["deliveryLocations"] = f"{mine}/delivery-locations"
        out["invoices"] = {"booked": f"{mine}/invoices/booked", "drafts": f"{mine}/invoices/drafts",
                           "self": f"{mine}/invoices"}  # fmt: skip
        out["totals"] = {"booked": f"{mine}/totals/booked", "drafts": f"{mine}/totals/drafts",
                         "self": f"{mine}/totals"}  # fmt: skip
        return {k: v for k, v in out.items() if v is not None}

    def _product(self, out: Record, number: Any) -> Record:
        mine = self.link("products", number)
        out["productGroup"] = self._ref(
            out.get("productGroup"),
            "product-groups",
            "productGroupNumber",
            "name",
            "inventoryEnabled",
        )
        if "unit" in out:
            out["unit"] = self._ref(out["unit"], "units", "unitNumber", "name")
        out["invoices"] = {"booked": f"{mine}/invoices/booked", "drafts": f"{mine}/invoices/drafts"}
        return out

    def _document(self, collection: str, out: Record, number: int) -> Record:
        customer = out.get("customer")
        if isinstance(customer, dict) and "customerNumber" in customer:
            out["customer"] = {
                **customer,
                "self": self.link("customers", customer["customerNumber"]),
            }
        out["paymentTerms"] = self._ref(
            out.get("paymentTerms"), "payment-terms", "paymentTermsNumber",
            "name", "paymentTermsType", "daysOfCredit",
        )  # fmt: skip
        out["layout"] = self._ref(out.get("layout"), "layouts", "layoutNumber")
        recipient = dict(out.get("recipient") or {})
        if "vatZone" in recipient:
            recipient["vatZone"] = self._ref(recipient["vatZone"], "vat-zones", "vatZoneNumber")
        out["recipient"] = recipient
        if "lines" in out:
            lines = []
            for given in out["lines"]:
                line = dict(given)
                product = line.get("product")
                if isinstance(product, dict) and "productNumber" in product:
                    line["product"] = {
                        **product,
                        "self": self.link("products", product["productNumber"]),
                    }
                if "unit" in line:
                    line["unit"] = self._ref(line["unit"], "units", "unitNumber", "name")
                lines.append(line)
            out["lines"] = lines
        if collection == "invoices/booked":
            out["pdf"] = {"self": f"{self.link(collection, number)}/pdf"}
        return out

    def contact(self, record: Record) -> Record:
        customer = int(record["customer"]["customerNumber"])
        mine = f"{self.origin}/customers/{customer}"
        return {
            **record,
            "customer": {"customerNumber": customer, "self": mine},
            "self": f"{mine}/contacts/{record['customerContactNumber']}",
        }


def create_app(
    *,
    seed: Path | str | Mapping[str, Any] | None = None,
    faults: FaultPlan | None = None,
    app_secret_token: str = DEFAULT_CREDENTIALS["app_secret_token"],
    agreement_grant_token: str = DEFAULT_CREDENTIALS["agreement_grant_token"],
    clock: Clock | None = None,
) -> SandboxApp:
    """The sandbox as an ASGI app: ``seed`` is a JSON file or dict (None: the package's
    ``seed.json``); the two tokens are the ones it accepts with full access."""
    store = EconomicStore(Path(seed) if isinstance(seed, str) else seed, clock=clock)
    sandbox = EconomicSandbox(
        store, app_secret_token=app_secret_token, agreement_grant_token=agreement_grant_token
    )
    return SandboxApp(sandbox, faults)


def for_connection(
    connection: Any,
    *,
    secret: Callable[..., str],
    seed: Path | str | Mapping[str, Any] | None = None,
) -> tuple[SandboxApp, str]:
    """A sandbox accepting exactly the tokens of a tenant's ``e-conomic`` connection, and the
    path its ``endpoint`` gets on the sandbox's origin (e-conomic has no prefix: ``""``)."""
    app = create_app(
        seed=seed,
        app_secret_token=secret(connection.app_secret_token, "e-conomic app secret token"),
        agreement_grant_token=secret(
            connection.agreement_grant_token, "e-conomic agreement grant token"
        ),
    )
    return app, ""


class SandboxApp(SandboxedApp[EconomicSandbox]):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the data."""

    def __init__(self, sandbox: EconomicSandbox, plan: FaultPlan | None) -> None:
        super().__init__(sandbox.app, sandbox, error_body=error_body, plan=plan)


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.economic.sandbox --port 8080 [--seed FILE]``."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Run the e-conomic sandbox.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=Path, default=None, help="JSON seed (default: built in)")
    parser.add_argument("--app-secret-token", default=DEFAULT_CREDENTIALS["app_secret_token"])
    parser.add_argument(
        "--agreement-grant-token", default=DEFAULT_CREDENTIALS["agreement_grant_token"]
    )
    args = parser.parse_args(argv)
    app = create_app(
        seed=args.seed,
        app_secret_token=args.app_secret_token,
        agreement_grant_token=args.agreement_grant_token,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", lifespan="off")


if __name__ == "__main__":
    main()
