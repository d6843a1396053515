"""The MplusKASSA sandbox: a local SOAP 1.1 server speaking the MplusQapi for koppel's operations.

Real MplusKASSA installations are not reachable from development or CI machines, so the client
is tested against this emulator over loopback. Like the real API (target-apis.md 2.1, 2.2, 2.8):

* ``POST /?ident=…&secret=…``; wrong or missing credentials answer HTTP 500 with a SOAP Fault
  ``Client.Authentication``;
* the operation is the body's first element (``SOAPAction`` may repeat it; a different one is a
  ``Client`` fault); the answer is the WSDL's output element (``GetProductsResponse``,
  ``getApiVersionResponse``…);
* a request the schema forbids (a non-numeric ``xsd:long`` such as an article number ``A-100``, a
  missing required element, not well-formed XML, a DTD) is a validation problem: HTTP 500 with
  a ``Client.Validation`` Fault (the reference: "transport/auth/validation problems: HTTP 500
  with a SOAP 1.1 Fault"); business outcomes are HTTP 200 with a result enum
  (``sandbox_store.py``, ``sandbox_orders.py``);
* operations outside koppel's subset answer a ``Client`` Fault, so a client that drifts from the
  subset notices.

The app is wrapped in ``connectors.sandbox.FaultInjector`` whose error bodies are SOAP Faults
(``Server.Unavailable`` and friends), for the fault knobs and ``/_sandbox/*`` admin endpoints.
``python -m connectors.mpluskassa.sandbox --port N [--seed FILE]`` serves it from a shell.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.mpluskassa import soap
from connectors.mpluskassa.operations import OPERATIONS, Operation
from connectors.mpluskassa.sandbox_orders import SandboxStore
from connectors.mpluskassa.soap import WireRecord
from connectors.sandbox import FaultInjector, FaultPlan, base_url, listen, serve

if TYPE_CHECKING:
    from reconciler.spec.models.base import SecretRef
    from reconciler.spec.models.tenant import MplusConnection

DEFAULT_SEED = Path(__file__).with_name("seed.json")
"""The fixture a sandbox starts from when no seed is given: products, relations, stock, VAT."""
XML = "text/xml; charset=utf-8"
MAX_REQUEST_BYTES = 8 * 1024 * 1024
"""A request body larger than this is refused unread (a product list of thousands fits)."""
DEFAULT_CREDENTIALS = {"ident": "sandbox-ident", "secret": "sandbox-secret"}
"""What ``koppel sandbox mpluskassa`` accepts unless told otherwise."""
logger = logging.getLogger("koppel.mpluskassa.sandbox")


def soap_error_body(status: int) -> tuple[bytes, str]:
    """The body of an injected failure: a SOAP Fault, as MplusKASSA answers errors."""
    code = "Server.Overloaded" if status == 429 else "Server.Unavailable"
    return soap.fault_envelope(code, f"injected HTTP {status}"), XML


def _fault(code: str, message: str) -> Response:
    return Response(soap.fault_envelope(code, message), status_code=500, media_type=XML)


def load_seed(seed: Path | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Seed data from a JSON or YAML file, a mapping, or the packaged ``DEFAULT_SEED``."""
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, Path):
        text = seed.read_text(encoding="utf-8")
        if seed.suffix in (".yaml", ".yml"):
            from ruamel.yaml import YAML

            data = YAML(typ="safe", pure=True).load(text)
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{seed}: a seed file holds one object (JSON or YAML mapping)")
        return data
    return seed


class MplusSandbox:
    """The SOAP front of a ``SandboxStore``: credentials, envelopes, faults."""

    def __init__(self, store: SandboxStore, *, ident: str, secret: str) -> None:
        self.store = store
        self._ident = ident.encode()
        self._secret = secret.encode()

    def reset(self, seed: Path | Mapping[str, Any] | None = None) -> SandboxStore:
        """Replace the data with a freshly seeded store (tests share one running server)."""
        store = SandboxStore()
        store.load(load_seed(seed))
        self.store = store
        return store

    def _authorised(self, request: Request) -> bool:
        ident = request.query_params.get("ident", "").encode()
        secret = request.query_params.get("secret", "").encode()
        # Constant-time comparison, as a credential check should be, even in a sandbox.
        return hmac.compare_digest(ident, self._ident) & hmac.compare_digest(secret, self._secret)

    @staticmethod
    async def _body(request: Request) -> bytes | Response:
        """The request body, or the answer when there is none to work on."""
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The caller gave up (a timeout): nothing was read, so nothing is done.
            return Response(status_code=499)
        if len(raw) > MAX_REQUEST_BYTES:
            return _fault("Client.Validation", f"request larger than {MAX_REQUEST_BYTES} bytes")
        return raw

    async def _request(self, request: Request) -> tuple[Operation, WireRecord] | Response:
        """The operation and its decoded request, or the Fault that answers the request."""
        raw = await self._body(request)
        if isinstance(raw, Response):
            return raw
        try:
            element = soap.body_element(raw)
            operation = soap.operation_name(element)
        except soap.SoapDecodeError as exc:
            return _fault("Client.Validation", str(exc))
        action = request.headers.get("soapaction", "").strip().strip('"')
        if action and action != operation:
            return _fault("Client", f"SOAPAction {action!r} does not match {operation!r}")
        op = OPERATIONS.get(operation)
        if op is None:
            return _fault("Client", f"operation {operation!r} is not served by this sandbox")
        try:
            return op, soap.decode(element, op.request)
        except soap.SoapDecodeError as exc:
            return _fault("Client.Validation", str(exc))

    async def endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _fault("Client.Authentication", "ident or secret is not valid")
        parsed = await self._request(request)
        if isinstance(parsed, Response):
            return parsed
        op, data = parsed
        operation = op.name
        try:
            answer = self.store.handle(operation, data)
        except Exception:  # a sandbox bug must look like the server error it is
            logger.exception("sandbox operation %s failed", operation)
            return _fault("Server", f"internal error in {operation}")
        body = soap.envelope(op.response_element, op.response, answer)
        return Response(body, media_type=XML, headers={"Mplus-Service-Version": "67.1.3"})

    async def docs(self, request: Request) -> Response:
        names = "\n".join(sorted(OPERATIONS))
        return Response(f"MplusKASSA sandbox; operations:\n{names}\n", media_type="text/plain")


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    ident: str,
    secret: str,
    faults: FaultPlan | None = None,
) -> FaultInjector:
    """A seeded MplusKASSA sandbox ASGI app wrapped in fault injection.

    ``seed``: a JSON file, a mapping of the same shape, or None for ``DEFAULT_SEED``. The store is
    reachable as ``app.app.state.sandbox.store`` for tests that look behind the API.
    """
    sandbox = MplusSandbox(SandboxStore(), ident=ident, secret=secret)
    sandbox.reset(seed)

    async def root(request: Request) -> Response:
        if request.method == "GET":
            return await sandbox.docs(request)
        return await sandbox.endpoint(request)

    app = Starlette(routes=[Route("/", root, methods=["GET", "POST"])])
    app.state.sandbox = sandbox
    return FaultInjector(app, error_body=soap_error_body, plan=faults)


def for_connection(
    connection: MplusConnection,
    *,
    secret: Callable[[SecretRef, str], str],
    seed: Path | Mapping[str, Any] | None = None,
) -> tuple[FaultInjector, str]:
    """A sandbox that accepts this tenant connection's ident and secret, and the path its
    ``endpoint`` has on the sandbox's origin (the API answers at the root)."""
    app = create_app(
        seed=seed,
        ident=secret(connection.ident, "MplusKASSA ident"),
        secret=secret(connection.secret, "MplusKASSA secret"),
    )
    return app, ""


def main(argv: list[str] | None = None) -> None:
    """Serve a sandbox until interrupted (what ``koppel sandbox mpluskassa`` wraps)."""
    parser = argparse.ArgumentParser(prog="python -m connectors.mpluskassa.sandbox")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--seed", type=Path, default=None)
    parser.add_argument("--ident", default="sandbox-ident")
    parser.add_argument("--secret", default="sandbox-secret")
    args = parser.parse_args(argv)
    app = create_app(seed=args.seed, ident=args.ident, secret=args.secret)
    sock = listen(port=args.port or 0)
    print(f"MplusKASSA sandbox on {base_url(sock)}/ (ident={args.ident})", flush=True)
    serve(app, sock)


if __name__ == "__main__":
    main()
