"""Errors, retries and secret masking of the MplusKASSA client against the sandbox."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import httpx
import pytest

from connectors.mpluskassa.client import MplusClient, classify
from reconciler.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

from .conftest import IDENT, SECRET, Harness

RAW_CREATE = b"""<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:ns1="urn:mplusqapi"><SOAP-ENV:Body><ns1:createProduct><ns1:product>
  <ns1:articleList><ns1:article><ns1:articleNumber>A-100</ns1:articleNumber></ns1:article>
  </ns1:articleList></ns1:product></ns1:createProduct></SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def _post(mplus: Harness, body: bytes, *, secret: str = SECRET) -> httpx.Response:
    params = {"ident": IDENT, "secret": secret}
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "createProduct"}
    return httpx.post(mplus.url + "/", params=params, content=body, headers=headers)


def test_wrong_secret_is_an_authentication_fault_not_retried(mplus: Harness) -> None:
    """A wrong secret answers HTTP 500 Client.Authentication: AuthenticationError, one try."""
    with pytest.raises(AuthenticationError, match=r"Client\.Authentication") as caught:
        mplus.run(lambda c: c.get_api_version(), secret="wrong-secret-value")
    assert caught.value.status == 500
    assert mplus.sleep.delays == []
    assert "wrong-secret-value" not in str(caught.value)


def test_non_numeric_article_number_is_a_validation_fault(mplus: Harness) -> None:
    """'A-100' is no xsd:long: the sandbox answers a Client.Validation fault (HTTP 500), which
    the classifier turns into a RejectedError, and stores nothing."""
    response = _post(mplus, RAW_CREATE)
    assert response.status_code == 500
    error = classify(response, "createProduct")
    assert isinstance(error, RejectedError)
    assert "Client.Validation" in str(error)
    assert "A-100" in str(error)
    assert len(mplus.store.article_product) == 6  # the seed's articles, nothing added


def test_a_document_type_declaration_is_refused(mplus: Harness) -> None:
    """An entity-expansion attempt never reaches the store: a DTD is a validation fault."""
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + RAW_CREATE.split(b"?>", 1)[1]
    response = _post(mplus, evil)
    assert response.status_code == 500
    assert b"Client.Validation" in response.content


def test_reads_retry_transient_faults_until_success(mplus: Harness) -> None:
    """Two injected 503 SOAP faults on a read are retried, then the answer is returned."""
    mplus.faults.fail_next(2, status=503)
    version = mplus.run(lambda c: c.get_api_version())
    assert version["majorNumber"] == 67
    assert len(mplus.sleep.delays) == 2


def test_reads_retry_a_server_fault_but_writes_do_not(mplus: Harness) -> None:
    """An HTTP 500 Server fault may have done work: a read retries, a write raises at once
    flagged maybe_applied."""
    mplus.faults.fail_next(1, status=500)
    assert mplus.run(lambda c: c.get_vat_groups())
    assert len(mplus.sleep.delays) == 1
    mplus.faults.fail_next(1, status=500)
    with pytest.raises(UnavailableError, match=r"Server\.Unavailable") as caught:
        mplus.run(lambda c: c.create_relation({"name": "Once"}))
    assert caught.value.maybe_applied is True
    assert len(mplus.sleep.delays) == 1
    assert len(mplus.store.relations) == 2


def test_writes_retry_when_the_request_certainly_did_not_arrive(mplus: Harness) -> None:
    """A 503 proves nothing was done: a write is retried and applied exactly once."""
    mplus.faults.fail_next(2, status=503)
    created = mplus.run(lambda c: c.create_relation({"name": "Twice Tried"}))
    assert created["relationNumber"] == 3
    assert len(mplus.store.relations) == 3
    assert len(mplus.sleep.delays) == 2


def test_rate_limit_honours_retry_after(mplus: Harness) -> None:
    """A 429 with Retry-After waits at least that long, then succeeds."""
    mplus.faults.configure(retry_after=2)
    mplus.faults.fail_next(1, status=429)
    mplus.run(lambda c: c.get_current_sync_markers())
    assert mplus.sleep.delays[0] >= 2


def test_rate_limit_gives_up_after_the_attempts(mplus: Harness) -> None:
    """Persistent 429s end in RateLimitedError after the configured attempts."""
    mplus.faults.fail_next(10, status=429)
    with pytest.raises(RateLimitedError):
        mplus.run(lambda c: c.get_api_version(), attempts=3)
    assert len(mplus.sleep.delays) == 2


def test_dropped_connection_on_a_write_is_maybe_applied(mplus: Harness) -> None:
    """A dropped connection after a createOrder is raised, not retried, maybe_applied."""
    mplus.faults.drop_next(1)
    order = {
        "extOrderId": "D-1",
        "lineList": {"line": [{"articleNumber": 100300, "data": {"quantity": 1}}]},
    }
    with pytest.raises(UnavailableError) as caught:
        mplus.run(lambda c: c.create_order(order))
    assert caught.value.maybe_applied is True
    assert mplus.sleep.delays == []


def test_credentials_never_appear_in_logs_errors_or_reprs(
    mplus: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """ident and secret travel in the URL, yet no log line (DEBUG and up), error message or
    repr shows them."""
    caplog.set_level(logging.DEBUG)
    mplus.faults.fail_next(1, status=503)

    async def go(client: MplusClient) -> tuple[str, str]:
        await client.get_products(limit=2)
        try:
            await client.create_product({"articleList": {"article": [{"articleNumber": 100045}]}})
        except RejectedError as exc:
            return repr(client), str(exc)
        raise AssertionError("the duplicate article number was accepted")

    client_repr, message = mplus.run(go)
    text = caplog.text + client_repr + message
    assert "HTTP POST http://127.0.0.1" in caplog.text  # the client did log the URLs, masked
    assert IDENT not in text
    assert SECRET not in text
    assert "***" in caplog.text


def test_classifier_maps_fault_codes_and_statuses() -> None:
    """Client.Authentication*, Client.*, Server.* and bare statuses land on the right classes."""
    from connectors.mpluskassa import soap
    from reconciler.errors import AuthenticationError, ProtocolError

    def response(status: int, body: bytes) -> httpx.Response:
        return httpx.Response(status, content=body)

    cases = {
        "Client.Authentication.Failed": AuthenticationError,
        "Client.Validation": RejectedError,
        "Client": RejectedError,
        "Server.Database": UnavailableError,
        "Weird": ProtocolError,
    }
    for code, kind in cases.items():
        error = classify(response(500, soap.fault_envelope(code, "x")), "op")
        assert type(error) is kind, code
    assert isinstance(classify(response(503, b"busy"), "op"), UnavailableError)
    assert isinstance(classify(response(429, b""), "op"), RateLimitedError)
    assert isinstance(classify(response(204, b""), "op"), ProtocolError)
    assert classify(response(200, b""), "op") is None


def _envelope(operation: str) -> bytes:
    return (
        b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>'
        b"<" + operation.encode() + b' xmlns="urn:mplusqapi"/></Body></Envelope>'
    )


def test_soapaction_must_match_the_body(mplus: Harness) -> None:
    """A SOAPAction naming another operation than the body's is a Client fault (HTTP 500)."""
    response = _post(mplus, _envelope("getApiVersion"))  # _post sends SOAPAction: createProduct
    assert response.status_code == 500
    assert b"does not match" in response.content


def test_operations_outside_the_subset_are_client_faults(mplus: Harness) -> None:
    """An operation the sandbox does not serve is refused as a Client fault, not ignored."""
    params = {"ident": IDENT, "secret": SECRET}
    response = httpx.post(mplus.url + "/", params=params, content=_envelope("getEmployees"))
    error = classify(response, "getEmployees")
    assert isinstance(error, RejectedError)
    assert "not served" in str(error)


def test_client_logs_operation_and_outcome(
    mplus: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Each call leaves one DEBUG line with the operation and its result enum."""
    caplog.set_level(logging.DEBUG, logger="koppel.mpluskassa")
    mplus.run(lambda c: c.set_stock(100045, Decimal(3)))
    assert any("setStock SET-STOCK-RESULT-OK" in r.getMessage() for r in caplog.records)


def test_oversized_requests_are_refused(mplus: Harness) -> None:
    """A body over the sandbox's limit is a Client.Validation fault, never parsed."""
    from connectors.mpluskassa.sandbox import MAX_REQUEST_BYTES

    response = _post(mplus, b" " * (MAX_REQUEST_BYTES + 1))
    assert response.status_code == 500
    assert b"larger than" in response.content


def test_timeouts_retry_reads_and_flag_writes(mplus: Harness) -> None:
    """A slow sandbox makes reads time out and retry until the attempts run out; a write that
    timed out is not retried and is flagged maybe_applied (it may have been done)."""
    mplus.faults.slow(0.4)
    with pytest.raises(UnavailableError, match="ReadTimeout"):
        mplus.run(lambda c: c.get_api_version(), attempts=2, timeout=0.1)
    assert len(mplus.sleep.delays) == 1
    with pytest.raises(UnavailableError) as caught:
        mplus.run(lambda c: c.create_relation({"name": "Slow"}), attempts=2, timeout=0.1)
    assert caught.value.maybe_applied is True
    assert len(mplus.sleep.delays) == 1
    # Let the sandbox finish the abandoned request, so it cannot touch the next test's store.
    time.sleep(0.5)
