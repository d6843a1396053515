"""The reconciler's HTTP server (Starlette): health, readiness, metrics, status page, the git
webhook and the operator actions.

Read-only by default: the status page and its JSON need no token. Actions (run a flow now, retry
a quarantined record) need ``Authorization: Bearer <token>`` (the token from a secret
reference); the git webhook needs a GitHub-style ``X-Hub-Signature-256`` HMAC of the body. A
wrong or missing signature or token gets 401 and triggers nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from reconciler.errors import KoppelError
from reconciler.loop.reconciler import Reconciler
from reconciler.server.status import render_status, status_data

MAX_WEBHOOK_BYTES = 1024 * 1024


def create_app(
    reconciler: Reconciler, *, webhook_secret: str | None, action_token: str | None
) -> Starlette:
    """The server of one reconciler replica."""

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        problems = []
        if reconciler.revision.good is None:
            problems.append("no good spec revision loaded yet")
        try:
            reconciler.store.runs("__readiness__", limit=1)
        except KoppelError as exc:
            problems.append(f"state store: {exc.reason}")
        if problems:
            return JSONResponse({"ready": False, "problems": problems}, status_code=503)
        return JSONResponse(
            {
                "ready": True,
                "revision": reconciler.revision.good.short if reconciler.revision.good else None,
            }
        )

    async def metrics(_: Request) -> Response:
        return Response(
            reconciler.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def status_page(request: Request) -> Response:
        filters = {k: request.query_params.get(k) for k in ("tenant", "flow", "key", "outcome")}
        return HTMLResponse(render_status(reconciler, **filters))

    async def status_json(request: Request) -> Response:
        filters = {k: request.query_params.get(k) for k in ("tenant", "flow", "key", "outcome")}
        return JSONResponse(status_data(reconciler, **filters))

    async def git_hook(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if not _signed(body, request.headers.get("x-hub-signature-256"), webhook_secret):
            return JSONResponse({"error": "missing or wrong signature"}, status_code=401)
        status = await reconciler.refresh()
        return JSONResponse(
            {"revision": status.good.short if status.good else None, "rejected": status.rejected}
        )

    async def run_flow(request: Request) -> Response:
        if not _authorised(request, action_token):
            return JSONResponse({"error": "a bearer token is required"}, status_code=401)
        tenant, flow = request.path_params["tenant"], request.path_params["flow"]
        full = request.query_params.get("full") in ("1", "true")
        if not await reconciler.trigger(tenant, flow, full=full):
            return JSONResponse({"error": f"no flow {tenant}/{flow}"}, status_code=404)
        return JSONResponse({"triggered": f"{tenant}/{flow}", "full": full}, status_code=202)

    async def retry_record(request: Request) -> Response:
        if not _authorised(request, action_token):
            return JSONResponse({"error": "a bearer token is required"}, status_code=401)
        tenant, flow = request.path_params["tenant"], request.path_params["flow"]
        key = request.path_params["key"]
        if not reconciler.store.retry(tenant, flow, key, by="status-page"):
            return JSONResponse(
                {"error": f"{key} is not quarantined in {tenant}/{flow}"}, status_code=404
            )
        await reconciler.trigger(tenant, flow)
        return JSONResponse({"released": key}, status_code=202)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/", status_page),
            Route("/api/status", status_json),
            Route("/hooks/git", git_hook, methods=["POST"]),
            Route("/api/flows/{tenant}/{flow}/run", run_flow, methods=["POST"]),
            Route(
                "/api/flows/{tenant}/{flow}/quarantine/{key:path}/retry",
                retry_record,
                methods=["POST"],
            ),
        ]
    )


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _signed(body: bytes, header: str | None, secret: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret), header.strip())


def _authorised(request: Request, token: str | None) -> bool:
    if not token:
        return False
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)
