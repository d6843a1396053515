"""The Twinfield sandbox: the identity server and one cluster's SOAP services, in memory.

Real Twinfield offices are not reachable from development or CI machines, so the client is tested
against this emulator over loopback. Like Twinfield (target-apis.md 3.1-3.7):

* ``POST /auth/authentication/connect/token`` (form, ``grant_type=refresh_token`` with
  ``client_id``, ``client_secret``, ``refresh_token``): a new access token and a *rotated*
  refresh token; with ``one_time_refresh_tokens`` the used one stops working (so a test proves
  the client keeps the rotated one), else it stays valid, so separate ``koppel apply`` runs
  from the same secret file keep working; wrong credentials answer 400 ``invalid_grant`` /
  ``invalid_client``;
* ``GET /auth/authentication/connect/accesstokenvalidation?token=``: 200 with the claims and
  ``twf.clusterUrl`` (this sandbox's own origin, so the cluster calls come back here); an unknown
  token answers 400 with a ``Message``;
* ``POST /webservices/processxml.asmx`` (``ProcessXmlString``) and
  ``POST /webservices/finder.asmx`` (``Search``), SOAP 1.1 with the ``Header`` carrying
  ``AccessToken`` and ``CompanyCode``: an unknown or expired token, or a missing or unknown
  office, is a ``soap:Client`` Fault on HTTP 500 with Twinfield's messages; a malformed envelope
  or a SOAPAction that does not match the body is a ``soap:Client`` Fault; business errors are
  HTTP 200 with ``result="0"`` and ``msg`` attributes (``sandbox_store.py``).

The app is wrapped in ``connectors.sandbox.FaultInjector`` (latency, 5xx, 429 with Retry-After,
dropped connections, ``/_sandbox/faults``, ``/_sandbox/reset``); injected failures answer SOAP
Faults. ``python -m connectors.twinfield.sandbox --port N [--seed FILE]`` serves it from a shell.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.sandbox import FaultPlan, SandboxedApp, base_url, listen, serve
from connectors.twinfield import soap
from connectors.twinfield.models import (
    CLUSTER_CLAIM,
    FINDER_PATH,
    PROCESS_XML_PATH,
    TOKEN_PATH,
    VALIDATION_PATH,
)
from connectors.twinfield.sandbox_store import TwinfieldStore

DEFAULT_SEED = Path(__file__).with_name("seed.json")
"""The fixture a sandbox starts from when no seed is given."""
DEFAULT_CREDENTIALS: dict[str, str] = {
    "client_id": "koppel-sandbox",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "sandbox-refresh-token",
    "access_token": "sandbox-access-token",
}
"""What ``koppel sandbox twinfield`` accepts by default."""
MAX_REQUEST_BYTES = 8 * 1024 * 1024
EXPIRED = "Your logon credentials are not valid anymore. Try to log on again."
NO_COMPANY = "Toegang geweigerd. Company ontbreekt in request header."
logger = logging.getLogger("koppel.twinfield.sandbox")


def load_seed(seed: Path | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, Path):
        data = json.loads(seed.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{seed}: a seed file holds one JSON object")
        return data
    return seed


def soap_error_body(status: int) -> tuple[bytes, str]:
    return soap.fault_envelope("Server", f"injected HTTP {status}"), soap.XML_CONTENT_TYPE


def _fault(code: str, message: str) -> Response:
    return Response(
        soap.fault_envelope(code, message), status_code=500, media_type=soap.XML_CONTENT_TYPE
    )


class TwinfieldSandbox:
    """Identity server and cluster over one ``TwinfieldStore``."""

    def __init__(
        self,
        seed: Path | Mapping[str, Any] | None,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None = None,
        one_time_refresh_tokens: bool = False,
    ) -> None:
        self._seed = seed
        self._one_time = one_time_refresh_tokens
        self.store = TwinfieldStore(load_seed(seed))
        self._client_id = client_id
        self._client_secret = client_secret
        self._initial = (refresh_token, access_token)
        self._refresh_tokens = {refresh_token}
        self.tokens: set[str] = {access_token} if access_token else set()
        self.expired: set[str] = set()
        self.refreshes: list[str] = []
        """The refresh token of each successful token request, in order (tests)."""
        self.calls: list[str] = []
        """Each SOAP operation served, with its document root (tests count reads)."""

    def reset(self) -> None:
        self.store = TwinfieldStore(load_seed(self._seed))
        self.calls.clear()

    def restart_identity(self) -> None:
        """Forget issued tokens: only the configured refresh and access token work again."""
        refresh, access = self._initial
        self._refresh_tokens = {refresh}
        self.tokens = {access} if access else set()
        self.expired = set()
        self.refreshes.clear()

    def expire_tokens(self) -> None:
        """Make every issued access token expired (tests of the refresh-and-retry path)."""
        self.expired |= self.tokens
        self.tokens = set()

    # -- identity ----------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        # application/x-www-form-urlencoded, parsed by hand: no multipart library is needed.
        pairs = parse_qsl((await request.body()).decode("utf-8", "replace"))
        form = dict(pairs)
        grant = str(form.get("grant_type", ""))
        if grant != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        client_id = str(form.get("client_id", "")).encode()
        client_secret = str(form.get("client_secret", "")).encode()
        known = hmac.compare_digest(client_id, self._client_id.encode()) & hmac.compare_digest(
            client_secret, self._client_secret.encode()
        )
        if not known:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        refresh = str(form.get("refresh_token", ""))
        if refresh not in self._refresh_tokens:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        self.refreshes.append(refresh)
        if self._one_time:
            self._refresh_tokens.discard(refresh)
        rotated = "rt-" + secrets.token_hex(16)
        self._refresh_tokens.add(rotated)
        access = "at-" + secrets.token_hex(16)
        self.tokens.add(access)
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": rotated,
                "expires_in": 3600,
                "token_type": "Bearer",
            }
        )

    async def validation(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        if token not in self.tokens:
            return JSONResponse({"Message": "The access token is invalid."}, status_code=400)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            {
                "iss": origin,
                "aud": "twinfieldapi",
                "exp": 4102444800,
                "client_id": self._client_id,
                "scope": ["openid", "twf.user", "twf.organisation", "twf.organisationUser"],
                "twf.organisationId": "00000000-0000-0000-0000-000000000001",
                "twf.organisationUserCode": "KOPPEL",
                CLUSTER_CLAIM: origin,
            }
        )

    # -- cluster -----------------------------------------------------------------------------
    async def _envelope(
        self, request: Request, operation: str
    ) -> tuple[soap.Header, Any] | Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        if len(raw) > MAX_REQUEST_BYTES:
            return _fault("Client", f"request larger than {MAX_REQUEST_BYTES} bytes")
        try:
            element = soap.body_element(raw)
            header = soap.header_of(raw)
        except soap.SoapDecodeError as exc:
            return _fault("Client", f"Server was unable to read request. {exc}")
        action = request.headers.get("soapaction", "").strip().strip('"')
        if element.tag != soap.q(operation) or action != soap.ACTIONS[operation]:
            return _fault(
                "Client", f"Server did not recognize the value of HTTP Header SOAPAction: {action}."
            )
        token = header.access_token or ""
        if token in self.expired or token not in self.tokens:
            return _fault("Client", EXPIRED)
        if not header.company_code:
            return _fault("Client", NO_COMPANY)
        if header.company_code not in self.store.offices:
            return _fault(
                "Client",
                f"Toegang geweigerd. Geen toegang tot administratie {header.company_code}.",
            )
        return header, element

    async def process_xml(self, request: Request) -> Response:
        parsed = await self._envelope(request, soap.PROCESS_XML)
        if isinstance(parsed, Response):
            return parsed
        header, element = parsed
        try:
            document = soap.parse(soap.xml_request_of(element))
        except soap.SoapDecodeError as exc:
            return _fault("Client", f"xmlRequest is geen geldig XML-document: {exc}")
        self.calls.append(f"{soap.PROCESS_XML} {document.tag}")
        assert header.company_code is not None
        try:
            answer = self.store.process(document, office=header.company_code)
        except Exception:  # a sandbox bug must look like the server error it is
            logger.exception("sandbox ProcessXml %s failed", document.tag)
            return _fault("Server", "Er is een interne fout opgetreden.")
        body = soap.process_xml_response(soap.to_text(answer))
        return Response(body, media_type=soap.XML_CONTENT_TYPE)

    async def finder(self, request: Request) -> Response:
        parsed = await self._envelope(request, soap.SEARCH)
        if isinstance(parsed, Response):
            return parsed
        header, element = parsed
        try:
            search = soap.search_of(element)
        except soap.SoapDecodeError as exc:
            return _fault("Client", f"Server was unable to read request. {exc}")
        self.calls.append(f"{soap.SEARCH} {search.type}")
        assert header.company_code is not None
        result = self.store.search(search, office=header.company_code)
        return Response(soap.search_response(result), media_type=soap.XML_CONTENT_TYPE)


class SandboxApp(SandboxedApp[TwinfieldSandbox]):
    """The sandbox behind its fault injector; ``sandbox.store`` holds the data."""

    def __init__(self, sandbox: TwinfieldSandbox, plan: FaultPlan | None) -> None:
        app = Starlette(
            routes=[
                Route(TOKEN_PATH, sandbox.token, methods=["POST"]),
                Route(VALIDATION_PATH, sandbox.validation, methods=["GET"]),
                Route(PROCESS_XML_PATH, sandbox.process_xml, methods=["POST"]),
                Route(FINDER_PATH, sandbox.finder, methods=["POST"]),
                Route("/", _about, methods=["GET"]),
            ]
        )
        super().__init__(app, sandbox, error_body=soap_error_body, plan=plan)


async def _about(request: Request) -> Response:
    paths = "\n".join([TOKEN_PATH, VALIDATION_PATH, PROCESS_XML_PATH, FINDER_PATH])
    return PlainTextResponse(f"Twinfield sandbox; endpoints:\n{paths}\n")


def create_app(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    faults: FaultPlan | None = None,
    client_id: str = DEFAULT_CREDENTIALS["client_id"],
    client_secret: str = DEFAULT_CREDENTIALS["client_secret"],
    refresh_token: str = DEFAULT_CREDENTIALS["refresh_token"],
    access_token: str | None = DEFAULT_CREDENTIALS["access_token"],
    one_time_refresh_tokens: bool = False,
) -> SandboxApp:
    """A seeded Twinfield sandbox (identity server and cluster) as an ASGI app.

    ``seed``: a JSON file, a mapping of the same shape, or None for ``DEFAULT_SEED``. The store is
    ``app.sandbox.store``.
    """
    sandbox = TwinfieldSandbox(
        seed,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        access_token=access_token,
        one_time_refresh_tokens=one_time_refresh_tokens,
    )
    return SandboxApp(sandbox, faults)


def for_connection(
    connection: Any,
    *,
    secret: Callable[[Any, str], str],
    seed: Path | Mapping[str, Any] | None = None,
) -> tuple[SandboxApp, str]:
    """A sandbox accepting exactly this ``TwinfieldConnection``'s credentials, and the path its
    ``endpoint`` gets on the sandbox's origin ("": the origin is the cluster and the identity
    server at once)."""
    credentials: dict[str, Any] = {
        "client_id": connection.client_id or DEFAULT_CREDENTIALS["client_id"],
        "client_secret": DEFAULT_CREDENTIALS["client_secret"],
        "refresh_token": DEFAULT_CREDENTIALS["refresh_token"],
        "access_token": None,
    }
    if connection.client_secret is not None:
        credentials["client_secret"] = secret(connection.client_secret, "Twinfield client secret")
    if connection.refresh_token is not None:
        credentials["refresh_token"] = secret(connection.refresh_token, "Twinfield refresh token")
    if connection.access_token is not None:
        credentials["access_token"] = secret(connection.access_token, "Twinfield access token")
    return create_app(seed=seed, **credentials), ""


def main(argv: list[str] | None = None) -> None:
    """Serve a sandbox until interrupted (what ``koppel sandbox twinfield`` wraps)."""
    parser = argparse.ArgumentParser(prog="python -m connectors.twinfield.sandbox")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--seed", type=Path, default=None)
    args = parser.parse_args(argv)
    app = create_app(seed=args.seed)
    sock = listen(port=args.port or 0)
    print(f"Twinfield sandbox on {base_url(sock)}/", flush=True)
    serve(app, sock)


if __name__ == "__main__":
    main()
