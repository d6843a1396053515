"""The Visma.net client against the sandbox over real HTTP on loopback: Visma Connect tokens,
company selection, paging, filters, errors in Visma.net's exception shape, retries under
injected faults (sleeps recorded, never waited) and secrets kept out of every log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from connectors.vismanet.client import VismaNetClient
from connectors.vismanet.models import wrap_fields
from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from tests.contract.doubles import Recorder, RecordingTransport
from tests.contract.vismanet.conftest import (
    CLIENT_SECRET,
    REFRESH_TOKEN,
    VismaNet,
)

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


async def _closing(client: VismaNetClient, coro: Awaitable[T]) -> T:
    try:
        return await coro
    finally:
        await client.aclose()


def test_refresh_token_grant_and_rotation(vismanet: VismaNet) -> None:
    """A token comes from /connect/token with the refresh token; the rotated refresh token is
    kept, so a second refresh after the tokens expired works with it."""
    client = vismanet.client()

    async def scenario() -> list[dict[str, object]]:
        first = await client.get_page("customer")
        vismanet.app.sandbox.expire_tokens()
        second = await client.get_page("customer")  # 401 -> refresh with the rotated token
        assert first == second
        return second

    rows = run(_closing(client, scenario()))
    assert {r["number"] for r in rows} == {"10001", "10002"}
    assert client.token_requests == 2
    assert vismanet.app.sandbox.refresh_token != REFRESH_TOKEN


def test_client_credentials_for_a_service_app(vismanet: VismaNet) -> None:
    """Without a refresh token the client asks for a service token bound to the company."""
    client = vismanet.client(refresh_token=None)
    rows = run(_closing(client, client.get_page("branch")))
    assert rows == [{"number": "1", "name": "Hoofdkantoor"}]
    assert list(vismanet.app.sandbox.tokens.values()) == [True]


def test_a_ready_access_token_is_used_as_it_is(vismanet: VismaNet) -> None:
    """A given access token needs no token request; refused without credentials it is an
    authentication error, not a retry."""
    vismanet.app.sandbox.access_token = "ready-made-access-token"
    client = VismaNetClient(
        company_id="1234567", endpoint=vismanet.url, access_token="ready-made-access-token"
    )
    rows = run(_closing(client, client.get_page("customer", page_size=1)))
    assert len(rows) == 1
    vismanet.app.sandbox.expire_tokens()
    client = VismaNetClient(
        company_id="1234567", endpoint=vismanet.url, access_token="ready-made-access-token"
    )
    with pytest.raises(AuthenticationError) as caught:
        run(_closing(client, client.get_page("customer")))
    assert caught.value.status == 401
    assert "denied" in caught.value.detail


def test_wrong_client_secret_is_an_authentication_error(vismanet: VismaNet) -> None:
    """The identity server's invalid_client is an AuthenticationError, once, secret-free."""
    sleep = Recorder()
    client = vismanet.client(client_secret="not-the-right-secret", sleep=sleep)
    with pytest.raises(AuthenticationError) as caught:
        run(_closing(client, client.get_page("customer")))
    assert "secret is wrong" in str(caught.value)
    assert "not-the-right-secret" not in str(caught.value)
    assert sleep.delays == []


def test_another_company_is_refused(vismanet: VismaNet) -> None:
    """ipp-company-id of a company the credentials cannot see: 403, AuthenticationError."""
    client = vismanet.client(company_id="7654321")
    with pytest.raises(AuthenticationError) as caught:
        run(_closing(client, client.get_page("customer")))
    assert caught.value.status == 403
    assert "7654321" in caught.value.detail


def test_every_call_sends_the_company_and_a_bearer_token(vismanet: VismaNet) -> None:
    """ipp-company-id, ipp-application-type and Authorization: Bearer on every API call."""
    transport = RecordingTransport()
    client = vismanet.client(transport=transport)
    run(_closing(client, client.get_one("customer", "10001")))
    api = [r for r in transport.requests if "/v1/" in r.url.path]
    assert api
    for request in api:
        assert request.headers["ipp-company-id"] == "1234567"
        assert request.headers["ipp-application-type"] == "Visma.net Financials"
        assert request.headers["authorization"].startswith("Bearer ")


def test_paging_over_several_pages(vismanet: VismaNet) -> None:
    """pageNumber/pageSize, 1-based, until a short page."""
    for i in range(23):
        vismanet.store.create_customer(
            {"number": f"2{i:04d}", "name": f"Klant {i}", "mainContact": {"email": f"k{i}@x.test"}}
        )
    transport = RecordingTransport()
    client = vismanet.client(transport=transport)

    async def pages() -> list[int]:
        return [len(p) async for p in client.iter_pages("customer", page_size=10)]

    assert run(_closing(client, pages())) == [10, 10, 5]
    numbers = [
        r.url.params.get("pageNumber") for r in transport.requests if "customer" in r.url.path
    ]
    assert numbers == ["1", "2", "3"]


def test_filters_by_email_and_status(vismanet: VismaNet) -> None:
    """The customer list filters by e-mail (case-insensitively), the inventory by status."""
    client = vismanet.client()

    async def scenario() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        found = await client.customers_by_email("PIET@example.test")
        inactive = await client.get_all("inventory", params={"status": "Inactive"})
        return found, inactive

    found, inactive = run(_closing(client, scenario()))
    assert [c["number"] for c in found] == ["10002"]
    assert [i["inventoryNumber"] for i in inactive] == ["OLD-1"]


def test_create_answers_201_with_location_and_update_204(vismanet: VismaNet) -> None:
    """A create's key comes from Location; a PUT changes only the fields it sends."""
    client = vismanet.client()
    body = wrap_fields({"name": "Nieuw BV", "customerClassId": "01"})
    body["mainContact"] = {"value": {"email": {"value": "nieuw@x.test"}}}

    async def scenario() -> str:
        number = await client.create("customer", body)
        await client.update("customer", number, wrap_fields({"corporateId": "12345678"}))
        return number

    number = run(_closing(client, scenario()))
    stored = vismanet.store.customers[number]
    assert number == "10003"
    assert (stored["name"], stored["corporateId"]) == ("Nieuw BV", "12345678")
    assert stored["mainContact"]["email"] == "nieuw@x.test"


def test_validation_is_rejected_with_the_message_and_never_retried(vismanet: VismaNet) -> None:
    """A 400 exception body becomes RejectedError with ExceptionMessage and its message id."""
    sleep, transport = Recorder(), RecordingTransport()
    client = vismanet.client(sleep=sleep, transport=transport)
    body = wrap_fields({"name": "X", "customerClassId": "NOPE"})
    with pytest.raises(RejectedError) as caught:
        run(_closing(client, client.create("customer", body)))
    assert caught.value.status == 400
    assert "Customer class 'NOPE' cannot be found" in caught.value.detail
    assert caught.value.reference
    assert caught.value.reference.startswith("1001_")
    assert sleep.delays == []
    assert (
        len([r for r in transport.requests if r.method == "POST" and "customer" in str(r.url)]) == 1
    )


def test_unknown_record_is_none_and_update_of_it_not_found(vismanet: VismaNet) -> None:
    """GET of an unknown key answers None; PUT of one raises NotFoundError."""
    client = vismanet.client()

    async def scenario() -> object:
        assert await client.get_one("inventory", "NOPE") is None
        return await client.update("inventory", "NOPE", wrap_fields({"description": "x"}))

    with pytest.raises(NotFoundError):
        run(_closing(client, scenario()))


def test_503_and_dropped_connections_are_retried(vismanet: VismaNet) -> None:
    """Reads are retried after 503s (honouring Retry-After) and dropped connections."""
    sleep = Recorder()
    client = vismanet.client(sleep=sleep, attempts=5)

    async def scenario() -> int:
        await client.get_page("customer")  # the token first, so faults hit the API call
        vismanet.app.fail_next(2, status=503)
        vismanet.app.configure(retry_after=2)
        rows = await client.get_page("customer")
        vismanet.app.drop_next(1)
        rows += await client.get_page("customer")
        return len(rows)

    assert run(_closing(client, scenario())) == 4
    assert len(sleep.delays) == 3
    assert min(sleep.delays[:2]) >= 2


def test_429_honours_retry_after_then_gives_up(vismanet: VismaNet) -> None:
    """Past the rate budget the sandbox answers 429 with X-RateLimit-* and Retry-After; the
    client waits as told and, when it keeps coming, raises RateLimitedError."""
    sleep = Recorder()
    client = vismanet.client(sleep=sleep, attempts=3)
    vismanet.app.sandbox.rate_limit = 1

    async def scenario() -> object:
        await client.get_page("branch")
        return await client.get_page("branch")

    try:
        with pytest.raises(RateLimitedError) as caught:
            run(_closing(client, scenario()))
    finally:
        vismanet.app.sandbox.rate_limit = 600
    assert caught.value.status == 429
    assert len(sleep.delays) == 2
    assert all(d >= 1 for d in sleep.delays)


def test_a_create_that_may_have_happened_is_not_sent_again(vismanet: VismaNet) -> None:
    """A 500 on POST may have created the record: raised with maybe_applied, not retried."""
    sleep, transport = Recorder(), RecordingTransport()
    client = vismanet.client(sleep=sleep, transport=transport)

    async def scenario() -> str:
        await client.get_page("branch")
        vismanet.app.fail_next(1, status=500)
        return await client.create("customer", wrap_fields({"name": "Y", "customerClassId": "01"}))

    with pytest.raises(UnavailableError) as caught:
        run(_closing(client, scenario()))
    assert caught.value.maybe_applied
    posts = [
        r for r in transport.requests if r.method == "POST" and r.url.path.endswith("customer")
    ]
    assert len(posts) == 1


def test_secrets_never_reach_a_log_line_or_repr(
    vismanet: VismaNet, caplog: pytest.LogCaptureFixture
) -> None:
    """The client secret, refresh tokens and access tokens appear in no log record."""
    caplog.set_level(logging.DEBUG)
    client = vismanet.client()

    async def scenario() -> None:
        await client.get_page("customer")
        vismanet.app.sandbox.expire_tokens()
        await client.get_page("customer")

    run(_closing(client, scenario()))
    issued = [*vismanet.app.sandbox.tokens, vismanet.app.sandbox.refresh_token or ""]
    text = "\n".join(r.getMessage() for r in caplog.records) + repr(client) + repr(client.http)
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *issued):
        assert secret
        assert secret not in text
    assert caplog.records  # httpx did log the calls
