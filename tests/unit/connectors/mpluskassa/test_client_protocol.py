"""The client's reading of answers it cannot use, with an injected transport (no server)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectors.mpluskassa import soap
from connectors.mpluskassa.client import MplusClient
from reconciler.errors import AuthenticationError, ProtocolError, RejectedError


def _call(body: bytes, status: int = 200) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "text/xml"})

    async def go() -> None:
        client = MplusClient(
            endpoint="http://mplus.invalid:1234",
            ident="unit-ident",
            secret="unit-secret",
            transport=httpx.MockTransport(handler),
        )
        async with client:
            await client.get_api_version()

    asyncio.run(go())


def test_html_instead_of_soap_is_a_protocol_error() -> None:
    """A proxy's HTML page with status 200 is not an answer: ProtocolError, not a crash."""
    with pytest.raises(ProtocolError, match="not well-formed"):
        _call(b"<html><body>gateway</body>")


def test_the_wrong_response_element_is_a_protocol_error() -> None:
    """An answer for another operation is refused by name."""
    op = soap.Complex("x", ())
    with pytest.raises(
        ProtocolError, match="expected getApiVersionResponse, got GetProductsResponse"
    ):
        _call(soap.envelope("GetProductsResponse", op, {}))


def test_a_response_missing_required_elements_is_a_protocol_error() -> None:
    """getApiVersionResponse without its version numbers cannot be read."""
    with pytest.raises(ProtocolError, match="majorNumber is required"):
        _call(soap.envelope("getApiVersionResponse", soap.Complex("x", ()), {}))


def test_a_fault_with_status_200_is_still_a_fault() -> None:
    """Some proxies rewrite statuses: a Fault body is classified whatever the status."""
    with pytest.raises(AuthenticationError):
        _call(soap.fault_envelope("Client.Authentication", "bad"))
    with pytest.raises(RejectedError, match=r"Client\.Validation"):
        _call(soap.fault_envelope("Client.Validation", "bad"))


def test_request_shape() -> None:
    """POST to the endpoint root with ident/secret in the query, SOAPAction and text/xml."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500, content=soap.fault_envelope("Client.Authentication", "x"))

    async def go() -> None:
        async with MplusClient(
            endpoint="http://mplus.invalid:1234/",
            ident="unit-ident",
            secret="unit-secret",
            transport=httpx.MockTransport(handler),
        ) as client:
            await client.get_vat_groups()

    with pytest.raises(AuthenticationError):
        asyncio.run(go())
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", "/")
    assert dict(request.url.params) == {"ident": "unit-ident", "secret": "unit-secret"}
    assert request.headers["soapaction"] == "getVatGroupList"
    assert request.headers["content-type"] == "text/xml; charset=utf-8"
    assert soap.operation_name(soap.body_element(request.content)) == "getVatGroupList"
