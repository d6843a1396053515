"""The eAccounting wire client and its OAuth2 token source against the sandbox over loopback."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import httpx
import pytest

from connectors.eaccounting.client import EAccountingClient, any_of, classify, literal
from connectors.eaccounting.models import ARTICLES, CUSTOMERS, INVOICES, ORDERS, TERMS_OF_PAYMENT
from connectors.eaccounting.sandbox import RateLimit
from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from tests.contract.doubles import RecordingTransport
from tests.contract.eaccounting.conftest import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    EAccounting,
)

TERMS_30 = "10000000-0000-4000-8000-000000000001"
UNIT_ST = "20000000-0000-4000-8000-000000000001"
CODING_HIGH = "30000000-0000-4000-8000-000000000001"


def customer_body(**changes: Any) -> dict[str, Any]:
    body = {
        "Name": "Fietsenmaker Jansen",
        "EmailAddress": "info@fietsjansen.test",
        "InvoiceAddress1": "Molenweg 3",
        "InvoicePostalCode": "1234 AB",
        "InvoiceCity": "Hoorn",
        "InvoiceCountryCode": "NL",
        "TermsOfPaymentId": TERMS_30,
        "IsPrivatePerson": False,
        "IsActive": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# -- authentication ------------------------------------------------------------------------


def test_token_is_fetched_with_basic_client_auth_and_a_refresh_grant(ea: EAccounting) -> None:
    """The first call gets an access token at /connect/token: HTTP Basic client_id:secret and
    a form-encoded refresh_token grant; the API call then carries it as a Bearer token."""
    identity, api = RecordingTransport(), RecordingTransport()
    client = ea.client(tokens=ea.tokens(transport=identity), transport=api)

    async def go() -> Any:
        async with client:
            return await client.list_page(CUSTOMERS)

    page = asyncio.run(go())
    assert page.total_results == 3
    [token_request] = identity.requests
    assert token_request.url.path == "/connect/token"
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["authorization"] == f"Basic {expected}"
    assert (
        token_request.content == f"grant_type=refresh_token&refresh_token={REFRESH_TOKEN}".encode()
    )
    bearer = api.requests[0].headers["authorization"]
    assert bearer.startswith("Bearer ")
    assert bearer[7:] in ea.app.sandbox.issued


def test_refresh_token_rotates_and_the_new_one_is_kept(ea: EAccounting) -> None:
    """Each refresh answers a new refresh token; after the API refuses the access token, the
    client renews with the rotated token (which works once) and repeats the call."""
    tokens = ea.tokens()
    client = ea.client(tokens=tokens)

    async def go() -> tuple[str | None, str | None, int]:
        async with client:
            await client.list_page(CUSTOMERS)
            first = tokens.refresh_token
            ea.app.sandbox.expire_tokens()
            page = await client.list_page(CUSTOMERS)
            return first, tokens.refresh_token, page.total_results

    first, second, total = asyncio.run(go())
    assert first not in (None, REFRESH_TOKEN)
    assert second not in (None, first, REFRESH_TOKEN)
    assert total == 3
    assert tokens.refreshes == 2
    assert first not in ea.app.sandbox.rotated  # spent
    assert second in ea.app.sandbox.rotated


def test_a_spent_refresh_token_is_refused(ea: EAccounting) -> None:
    """A rotated refresh token works once: using it again is invalid_grant, an
    AuthenticationError that is not retried and does not show the token."""
    tokens = ea.tokens()

    async def go() -> str | None:
        await tokens.token()
        rotated = tokens.refresh_token
        response = httpx.post(
            f"{ea.origin}/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": rotated},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        assert response.status_code == 200
        again = ea.tokens(refresh_token=rotated)
        try:
            await again.token()
        finally:
            await again.aclose()
            await tokens.aclose()
        return rotated

    with pytest.raises(AuthenticationError, match="invalid_grant") as caught:
        asyncio.run(go())
    assert ea.sleep.delays == []
    assert REFRESH_TOKEN not in str(caught.value)


def test_wrong_client_secret_is_an_authentication_error(ea: EAccounting) -> None:
    """invalid_client from the identity server: AuthenticationError, one try, secret masked."""
    with pytest.raises(AuthenticationError, match="invalid_client") as caught:
        ea.run(
            lambda c: c.list_page(CUSTOMERS),
            tokens=ea.tokens(client_secret="a-wrong-client-secret"),
        )
    assert ea.sleep.delays == []
    assert "a-wrong-client-secret" not in str(caught.value)


def test_a_given_access_token_needs_no_identity_server(ea: EAccounting) -> None:
    """With only an access token the client calls the API directly; when the API refuses it,
    there is nothing to renew with: AuthenticationError with the API's 401 message."""
    page = ea.run(
        lambda c: c.list_page(ARTICLES),
        tokens=ea.tokens(access_token=ACCESS_TOKEN, refresh_token=None),
    )
    assert page.total_results == 4
    with pytest.raises(AuthenticationError, match="Authorization has been denied") as caught:
        ea.run(
            lambda c: c.list_page(ARTICLES),
            tokens=ea.tokens(access_token="not-the-token-1234", refresh_token=None),
        )
    assert caught.value.status == 401
    assert ea.app.sandbox.token_requests == 0


def test_a_connection_needs_a_token_or_refresh_credentials(ea: EAccounting) -> None:
    """Neither an access token nor clientId/clientSecret/refreshToken: refused up front."""
    with pytest.raises(ValueError, match="accessToken"):
        ea.tokens(refresh_token=None)


# -- reading -------------------------------------------------------------------------------


def test_paging_over_several_pages_follows_meta(ea: EAccounting) -> None:
    """$page/$pagesize: four articles two at a time are two pages, Meta says so, and
    iter_pages reads exactly those pages."""

    async def go(client: EAccountingClient) -> list[Any]:
        return [p async for p in client.iter_pages(ARTICLES, page_size=2, orderby="Number")]

    pages = ea.run(go)
    assert [p.current_page for p in pages] == [1, 2]
    assert {p.total_pages for p in pages} == {2}
    assert [a["Number"] for p in pages for a in p.data] == ["1000", "2101", "OLD-1", "TSHIRT-M"]


def test_filters_compare_text_without_case(ea: EAccounting) -> None:
    """$filter with eq (case-insensitive, as eAccounting's database), contains and or."""
    found = ea.run(lambda c: c.find(CUSTOMERS, "EmailAddress", "PIET@example.test"))
    assert [c["CustomerNumber"] for c in found] == ["1002"]
    where = any_of("Number", ["1000", "TSHIRT-M", "missing"])
    rows = ea.run(lambda c: c.list_all(ARTICLES, filter=where))
    assert sorted(r["Number"] for r in rows) == ["1000", "TSHIRT-M"]
    rows = ea.run(lambda c: c.list_all(CUSTOMERS, filter="contains(Name,'kroon')"))
    assert [r["Name"] for r in rows] == ["Brouwerij De Kroon"]


def test_incremental_read_by_changed_utc(ea: EAccounting) -> None:
    """ChangedUtc ge <the newest seed change> reads that customer and the one created since."""

    async def go(client: EAccountingClient) -> list[str]:
        await client.create(CUSTOMERS, customer_body())
        rows = await client.list_all(
            CUSTOMERS, filter="ChangedUtc ge 2024-03-01T08:15:00Z", orderby="ChangedUtc"
        )
        return [r["Name"] for r in rows]

    assert ea.run(go) == ["Brouwerij De Kroon", "Fietsenmaker Jansen"]


def test_invalid_filter_is_a_query_error_not_retried(ea: EAccounting) -> None:
    """An unknown field is eAccounting's 400 ErrorCode 6000: RejectedError, one try."""
    with pytest.raises(RejectedError, match="6000") as caught:
        ea.run(lambda c: c.list_page(CUSTOMERS, filter="Colour eq 'red'"))
    assert caught.value.status == 400
    assert caught.value.reference  # the ErrorId
    assert ea.sleep.delays == []


def test_get_by_id_and_unknown_id(ea: EAccounting) -> None:
    """GET /customers/{id} answers the object; an unknown GUID is NotFoundError."""
    row = ea.run(lambda c: c.get(CUSTOMERS, "60000000-0000-4000-8000-000000000001"))
    assert row["Name"] == "Acme BV"
    assert row["TermsOfPayment"]["Name"] == "30 dagen"
    with pytest.raises(NotFoundError):
        ea.run(lambda c: c.get(CUSTOMERS, "60000000-0000-4000-8000-000000000099"))


def test_master_data_lists(ea: EAccounting) -> None:
    """Terms of payment come from /termsofpayments (the path the Swagger file gives)."""
    rows = ea.run(lambda c: c.list_all(TERMS_OF_PAYMENT))
    assert [r["Name"] for r in rows] == ["30 dagen", "14 dagen", "Contant"]


# -- writing -------------------------------------------------------------------------------


def test_create_answers_201_with_the_id_and_a_customer_number(ea: EAccounting) -> None:
    """POST /customers: the object back with its GUID and a generated CustomerNumber."""
    created = ea.run(lambda c: c.create(CUSTOMERS, customer_body()))
    assert len(created["Id"]) == 36
    assert created["CustomerNumber"] == "1004"
    assert created["ChangedUtc"].endswith("Z")


def test_missing_required_fields_are_rejected_with_each_field(ea: EAccounting) -> None:
    """The API's own validation: every missing required field named, ErrorId as reference,
    nothing stored, never retried."""
    body = customer_body(InvoiceCity=None, TermsOfPaymentId=None)
    with pytest.raises(RejectedError) as caught:
        ea.run(lambda c: c.create(CUSTOMERS, body))
    text = str(caught.value)
    assert "InvoiceCity: The InvoiceCity field is required." in text
    assert "TermsOfPaymentId" in text
    assert "ErrorCode 4000" in text
    assert caught.value.reference
    assert len(ea.store.rows("customers")) == 3
    assert ea.sleep.delays == []


def test_unknown_coding_and_unit_are_rejected(ea: EAccounting) -> None:
    """An article naming a coding (its VAT) or unit that does not exist is refused."""
    body = {
        "Number": "NEW-1",
        "Name": "Nieuw",
        "IsActive": True,
        "UnitId": "20000000-0000-4000-8000-000000000099",
        "CodingId": "30000000-0000-4000-8000-000000000099",
    }
    with pytest.raises(RejectedError, match=r"CodingId: .*VAT.*does not exist") as caught:
        ea.run(lambda c: c.create(ARTICLES, body))
    assert "UnitId: The unit does not exist." in str(caught.value)


def test_duplicate_article_number_is_rejected(ea: EAccounting) -> None:
    """Article numbers are unique: a second '1000' is refused."""
    body = {"Number": "1000", "Name": "Dubbel", "IsActive": True, "UnitId": UNIT_ST,
            "CodingId": CODING_HIGH}  # fmt: skip
    with pytest.raises(RejectedError, match="Number: Article number 1000 is in use"):
        ea.run(lambda c: c.create(ARTICLES, body))


def test_put_replaces_the_whole_object(ea: EAccounting) -> None:
    """PUT resets what the body leaves out: the reason the connector reads before it writes."""

    async def go(client: EAccountingClient) -> dict[str, Any]:
        created = await client.create(CUSTOMERS, customer_body(Telephone="0229-123456"))
        body = customer_body(Name="Fietsenmaker Jansen & Zn")
        return await client.replace(CUSTOMERS, created["Id"], body)

    replaced = ea.run(go)
    assert replaced["Name"] == "Fietsenmaker Jansen & Zn"
    assert replaced["Telephone"] is None
    assert replaced["CustomerNumber"] == "1004"


def test_order_converts_to_an_invoice(ea: EAccounting) -> None:
    """POST /orders/{id}/convert books an invoice created from the order; the order is
    invoiced (status 4) and a second conversion is refused."""
    order_id = "80000000-0000-4000-8000-000000000001"

    async def go(client: EAccountingClient) -> tuple[dict[str, Any], dict[str, Any]]:
        invoice = await client.post_action(ORDERS, order_id, "convert")
        return invoice, await client.get(ORDERS, order_id)

    invoice, order = ea.run(go)
    assert invoice["CreatedFromOrderId"] == order_id
    assert invoice["RemainingAmount"] == 665.5
    assert order["Status"] == 4
    with pytest.raises(RejectedError, match="already invoiced"):
        ea.run(lambda c: c.post_action(ORDERS, order_id, "convert"))
    rows = ea.run(lambda c: c.list_all(INVOICES, filter=f"CreatedFromOrderId eq {order_id}"))
    assert len(rows) == 1


# -- faults and retries --------------------------------------------------------------------


def test_503_is_retried_with_backoff(ea: EAccounting) -> None:
    """Two 503s, then success: two recorded sleeps, no real waiting."""
    ea.app.fail_next(2, status=503)
    page = ea.run(lambda c: c.list_page(ARTICLES))
    assert page.total_results == 4
    assert len(ea.sleep.delays) == 2


def test_429_waits_for_retry_after(ea: EAccounting) -> None:
    """An injected 429 with Retry-After: 7 waits at least 7 seconds before the retry."""
    ea.app.configure(fail_next=1, fail_status=429, retry_after=7)
    page = ea.run(lambda c: c.list_page(ARTICLES))
    assert page.total_results == 4
    assert ea.sleep.delays
    assert ea.sleep.delays[0] >= 7


def test_the_600_a_minute_limit_waits_as_long_as_the_body_says(ea: EAccounting) -> None:
    """eAccounting's own 429 (ErrorCode 4010) has no Retry-After; the delay is read from
    "Try again in N seconds" in its message."""
    ea.app.sandbox.limit = RateLimit(2)

    async def go(client: EAccountingClient) -> None:
        for _ in range(3):
            await client.list_page(ARTICLES)

    with pytest.raises(RateLimitedError, match="4010") as caught:
        ea.run(go, attempts=1)
    assert caught.value.delay is not None
    assert 55 <= caught.value.delay <= 60


def test_a_post_after_a_500_is_not_repeated(ea: EAccounting) -> None:
    """A 500 to a POST may have created the object: the error says maybe_applied, no retry."""
    ea.app.fail_next(1, status=500)
    with pytest.raises(UnavailableError) as caught:
        ea.run(lambda c: c.create(CUSTOMERS, customer_body()))
    assert caught.value.maybe_applied
    assert ea.sleep.delays == []


def test_a_post_after_a_503_is_retried(ea: EAccounting) -> None:
    """A 503 never reached the application: the POST is retried and creates one customer."""
    ea.app.fail_next(1, status=503)
    ea.run(lambda c: c.create(CUSTOMERS, customer_body()))
    assert len(ea.sleep.delays) == 1
    assert len(ea.store.rows("customers")) == 4


def test_a_dropped_connection_on_a_read_is_retried(ea: EAccounting) -> None:
    """The sandbox closes the socket with no answer once; the GET is retried. (A dropped
    token request is not: the identity server may have spent the refresh token.)"""

    async def go(client: EAccountingClient) -> int:
        await client.tokens.token()
        ea.app.drop_next(1)
        return (await client.list_page(CUSTOMERS)).total_results

    assert ea.run(go) == 3
    assert len(ea.sleep.delays) == 1


def test_classify_reads_the_error_shape() -> None:
    """ErrorCode, DeveloperErrorMessage and Errors[] become one message; ErrorId the reference."""
    error_item = {"Field": "Name", "ErrorCode": "Required", "Message": "is required"}
    body = {
        "ErrorCode": 4000,
        "DeveloperErrorMessage": "Invalid",
        "ErrorId": "abc123",
        "Errors": [error_item],
    }
    error = classify(httpx.Response(400, json=body), "create customer")
    assert isinstance(error, RejectedError)
    assert error.detail == "Invalid (ErrorCode 4000); Name: is required"
    assert error.reference == "abc123"


def test_literals() -> None:
    """OData literals: quotes doubled, booleans and null bare."""
    assert literal("O'Neill") == "'O''Neill'"
    assert literal(True) == "true"
    assert literal(None) == "null"
    assert any_of("Id", ["a", "b"], quote=False) == "Id eq a or Id eq b"


def test_secrets_never_logged(ea: EAccounting, caplog: pytest.LogCaptureFixture) -> None:
    """Client secret, refresh tokens (configured and rotated), access tokens and the Basic
    header appear in no log line and no error, even on failures and renewals."""
    caplog.set_level(logging.DEBUG)
    tokens = ea.tokens()
    texts: list[str] = []

    async def go() -> None:
        client = ea.client(tokens=tokens)
        async with client:
            await client.list_page(CUSTOMERS)
            ea.app.sandbox.expire_tokens()
            ea.app.fail_next(1, status=503)
            await client.list_page(CUSTOMERS)
            try:
                await client.create(CUSTOMERS, {"Name": "x"})
            except RejectedError as error:
                texts.append(str(error))
            texts.append(repr(client) + repr(tokens))

    asyncio.run(go())
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    secrets = [CLIENT_SECRET, REFRESH_TOKEN, tokens.refresh_token or "", *ea.app.sandbox.issued]
    secrets.append(base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode())
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_an_expiring_token_is_replaced_before_it_is_refused(ea: EAccounting) -> None:
    """A token within a minute of its expiry is renewed before the call, not after a 401."""
    now = [1000.0]
    tokens = ea.tokens(clock=lambda: now[0])
    client = ea.client(tokens=tokens)

    async def go() -> int:
        async with client:
            await client.list_page(CUSTOMERS)
            now[0] += 3600 - 30
            await client.list_page(CUSTOMERS)
            return tokens.refreshes

    assert asyncio.run(go()) == 2
    assert ea.app.sandbox.token_requests == 2


def test_a_full_read_survives_random_faults(ea: EAccounting) -> None:
    """With a third of the calls failing (503, 502, dropped), a paged read still returns
    every article exactly once; the faults are seeded, so the run is repeatable."""

    async def go(client: EAccountingClient) -> list[str]:
        await client.tokens.token()
        ea.app.configure(error_rate={503: 0.15, 502: 0.1}, drop_rate=0.08, seed=7)
        return [
            a["Number"]
            async for page in client.iter_pages(ARTICLES, page_size=1, orderby="Number")
            for a in page.data
        ]

    numbers = ea.run(go, attempts=8)
    assert numbers == ["1000", "2101", "OLD-1", "TSHIRT-M"]
    assert ea.app.stats.injected


def test_select_returns_only_the_named_fields(ea: EAccounting) -> None:
    """$select narrows each object to the named properties; an unknown one is ErrorCode 6000."""
    page = ea.run(lambda c: c.list_page(ARTICLES, params={"$select": "Number,Name"}))
    assert set(page.data[0]) == {"Number", "Name"}
    with pytest.raises(RejectedError, match="6000"):
        ea.run(lambda c: c.list_page(ARTICLES, params={"$select": "Colour"}))


def test_invoices_modified_since(ea: EAccounting) -> None:
    """/customerinvoices also takes its own modifiedSinceUtc parameter."""
    rows = ea.run(
        lambda c: c.list_page(INVOICES, params={"modifiedSinceUtc": "2024-03-02T12:00:00Z"})
    )
    assert rows.total_results == 1
    later = ea.run(
        lambda c: c.list_page(INVOICES, params={"modifiedSinceUtc": "2024-03-02T12:00:01Z"})
    )
    assert later.total_results == 0


def test_403_says_which_scopes_and_modules_are_needed(ea: EAccounting) -> None:
    """A 403 (scope or module missing) is an AuthenticationError whose hint names the scopes."""

    async def go(client: EAccountingClient) -> None:
        await client.tokens.token()
        ea.app.fail_next(1, status=403)
        await client.list_page(ORDERS)

    with pytest.raises(AuthenticationError) as caught:
        ea.run(go)
    assert caught.value.status == 403
    assert "ea:sales" in str(caught.value)
    assert ea.sleep.delays == []


def test_spent_tokens_leave_the_secret_registry(ea: EAccounting) -> None:
    """After a renewal the old access token and the spent rotated refresh token are no
    longer registered; the configured refresh token and the new tokens are."""
    from connectors.errors import SECRETS

    tokens = ea.tokens()

    async def go() -> tuple[str, str | None, str, str | None]:
        old_access = await tokens.token()
        old_refresh = tokens.refresh_token
        new_access = await tokens.renew(rejected=old_access)
        await tokens.aclose()
        return old_access, old_refresh, new_access, tokens.refresh_token

    old_access, old_refresh, new_access, new_refresh = asyncio.run(go())
    assert SECRETS.mask(old_access) == old_access
    assert SECRETS.mask(str(old_refresh)) == old_refresh
    for live in (new_access, str(new_refresh), REFRESH_TOKEN):
        assert SECRETS.mask(live) == "***"
