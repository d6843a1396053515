"""The Twinfield client against its sandbox over real HTTP: sessions, documents, Finder paging,
browse filters, each error type, retries under injected faults, and secrets kept out of logs."""

from __future__ import annotations

import logging

import pytest
from lxml import etree

from connectors.twinfield import soap
from connectors.twinfield.client import Credentials, TwinfieldClient
from connectors.twinfield.translate import dimension_element
from reconciler.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, Harness


def _soap_calls(h: Harness) -> list[str]:
    return [path for path, *_ in h.transport.exchanges if path.startswith("/webservices")]


def test_session_refreshes_validates_and_uses_the_cluster(twinfield: Harness) -> None:
    """A refresh-token connection gets an access token, validates it, and sends its SOAP calls
    to the cluster URL the validation named (the sandbox's own origin)."""

    async def go(client: TwinfieldClient) -> tuple[str | None, etree._Element | None]:
        element = await client.read("dimensions", dimtype="DEB", code="1000")
        return client.cluster, element

    cluster, element = twinfield.run(go)
    assert cluster == twinfield.url
    assert element is not None
    assert element.findtext("name") == "Acme BV"
    paths = [path for path, *_ in twinfield.transport.exchanges]
    assert paths == [
        "/auth/authentication/connect/token",
        "/auth/authentication/connect/accesstokenvalidation",
        "/webservices/processxml.asmx",
    ]


def test_an_expired_token_is_refreshed_with_the_rotated_refresh_token(twinfield: Harness) -> None:
    """When Twinfield says the logon is no longer valid, the client refreshes once with the
    refresh token it was last given (the first one works only once) and repeats the call."""

    async def go(client: TwinfieldClient) -> str | None:
        await client.read("dimensions", dimtype="DEB", code="1000")
        twinfield.sandbox.expire_tokens()
        again = await client.read("dimensions", dimtype="DEB", code="1001")
        return again.findtext("name") if again is not None else None

    assert twinfield.run(go) == "Piet van Dam"
    first, second = twinfield.sandbox.refreshes
    assert first == REFRESH_TOKEN
    assert second != REFRESH_TOKEN  # the rotated one


def test_a_ready_access_token_is_used_without_refreshing(twinfield: Harness) -> None:
    """A connection with only an access token validates it and calls the cluster."""
    twinfield.sandbox.tokens.add("ready-token-1234")

    async def go(client: TwinfieldClient) -> etree._Element | None:
        return await client.read("vat", code="VH")

    vat = twinfield.run(go, credentials=Credentials(access_token="ready-token-1234"))
    assert vat is not None
    assert vat.findtext("code") == "VH"
    assert twinfield.sandbox.refreshes == []


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        (Credentials(access_token="not-a-token-9999"), "access token is invalid"),
        (
            Credentials(client_id=CLIENT_ID, client_secret="wrong-secret", refresh_token="x-1234"),
            "invalid_client",
        ),
        (
            Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token="old-rt"),
            "invalid_grant",
        ),
    ],
    ids=["invalid-access-token", "wrong-client-secret", "unknown-refresh-token"],
)
def test_bad_credentials_are_authentication_errors(
    twinfield: Harness, credentials: Credentials, says: str
) -> None:
    """Refused credentials raise AuthenticationError with the identity server's message and are
    not retried."""

    async def go(client: TwinfieldClient) -> object:
        return await client.read("vat", code="VH")

    with pytest.raises(AuthenticationError, match=says):
        twinfield.run(go, credentials=credentials)
    assert twinfield.sleep.delays == []


def test_an_expired_token_without_refresh_is_an_authentication_error(twinfield: Harness) -> None:
    """With only an access token, an expired logon is an AuthenticationError with Twinfield's
    own message."""
    twinfield.sandbox.tokens.add("short-lived-5678")

    async def go(client: TwinfieldClient) -> object:
        await client.read("vat", code="VH")
        twinfield.sandbox.expire_tokens()
        return await client.read("vat", code="VL")

    with pytest.raises(AuthenticationError, match="not valid anymore"):
        twinfield.run(go, credentials=Credentials(access_token="short-lived-5678"))


def test_an_office_the_user_may_not_use_is_refused(twinfield: Harness) -> None:
    """A CompanyCode the organisation has no access to is a SOAP Fault: AuthenticationError."""

    async def go(client: TwinfieldClient) -> object:
        return await client.read("vat", code="VH")

    with pytest.raises(AuthenticationError, match="Geen toegang tot administratie 999"):
        twinfield.run(go, office="999")


def test_a_missing_code_reads_as_none(twinfield: Harness) -> None:
    """A read of a dimension, transaction or invoice that does not exist answers None."""

    async def go(client: TwinfieldClient) -> list[object]:
        return [
            await client.read("dimensions", dimtype="DEB", code="4711"),
            await client.read("transaction", code="VRK", number="999"),
            await client.read("salesinvoice", code="FACTUUR", invoicenumber="1"),
        ]

    assert twinfield.run(go) == [None, None, None]


def test_a_rejected_document_names_twinfields_message_and_is_not_retried(
    twinfield: Harness,
) -> None:
    """A dimension Twinfield's validation refuses (no name, a country that is no code) raises
    RejectedError naming each message; it is sent once."""
    bad = dimension_element({"email": "x@example.test", "country": "Nederland"}, office="001")

    async def go(client: TwinfieldClient) -> object:
        return await client.write("dimensions", [bad])

    with pytest.raises(RejectedError, match="Naam is verplicht"):
        twinfield.run(go)
    assert _soap_calls(twinfield).count("/webservices/processxml.asmx") == 1
    assert twinfield.sleep.delays == []


def test_an_unbalanced_transaction_is_rejected(twinfield: Harness) -> None:
    """A transaction whose lines do not balance is refused with Twinfield's message."""
    document = etree.fromstring(
        "<transaction destiny='temporary'><header><office>001</office><code>VRK</code>"
        "<date>20240301</date></header><lines>"
        "<line type='total'><dim1>1300</dim1><dim2>1000</dim2><debitcredit>debit</debitcredit>"
        "<value>100.00</value></line><line type='detail'><dim1>8000</dim1>"
        "<debitcredit>credit</debitcredit><value>90.00</value></line></lines></transaction>"
    )

    async def go(client: TwinfieldClient) -> object:
        return await client.write("transactions", [document])

    with pytest.raises(RejectedError, match="niet in balans"):
        twinfield.run(go)


def test_finder_pages_through_every_customer(twinfield: Harness) -> None:
    """The Finder is read page by page (firstRow/maxRows) until TotalRows rows are read."""

    async def go(client: TwinfieldClient) -> list[list[tuple[str, ...]]]:
        return [
            rows
            async for rows in client.iter_search("DIM", options=[("dimtype", "DEB")], page_size=2)
        ]

    pages = twinfield.run(go)
    assert [len(p) for p in pages] == [2, 1]
    assert [row[0] for page in pages for row in page] == ["1000", "1001", "1002"]


def test_finder_filters_by_pattern_and_modification_date(twinfield: Harness) -> None:
    """A name pattern and ``modifiedsince`` narrow the customers found."""

    async def go(client: TwinfieldClient) -> tuple[list[str], list[str]]:
        named = [
            row[0]
            async for rows in client.iter_search(
                "DIM", pattern="*kroon*", field=2, options=[("dimtype", "DEB")]
            )
            for row in rows
        ]
        recent = [
            row[0]
            async for rows in client.iter_search(
                "DIM", options=[("dimtype", "DEB"), ("modifiedsince", "20240201000000")]
            )
            for row in rows
        ]
        return named, recent

    assert twinfield.run(go) == (["1002"], ["1001", "1002"])


def test_finder_errors_are_rejections(twinfield: Harness) -> None:
    """A Finder type Twinfield does not know comes back as a message: RejectedError."""

    async def go(client: TwinfieldClient) -> object:
        return await client.search(soap.SearchRequest("XYZ", "*", 0, 1, 10))

    with pytest.raises(RejectedError, match="InvalidFinderType"):
        twinfield.run(go)


def test_browse_filters_transactions(twinfield: Harness) -> None:
    """Browse 000 answers the rows whose columns match the filters, with their keys."""

    async def go(client: TwinfieldClient) -> list[tuple[str, str, str]]:
        rows = await client.browse(
            "000",
            [
                ("fin.trs.head.office", "equal", "001", None),
                ("fin.trs.head.code", "equal", "VRK", None),
                ("fin.trs.line.invnumber", "equal", "K-2024-17", None),
                ("fin.trs.line.dim2", "none", None, None),
            ],
        )
        return [(r.code, r.number, r.cells["fin.trs.line.dim2"]) for r in rows]

    assert twinfield.run(go) == [("VRK", "2", "1002"), ("VRK", "2", "")]


def test_reads_are_retried_on_server_errors_and_rate_limits(twinfield: Harness) -> None:
    """503s and a 429 with Retry-After are retried with backoff (the sleeps are recorded, not
    waited); the Retry-After is honoured."""

    async def go(client: TwinfieldClient) -> object:
        await client.open()
        twinfield.app.fail_next(2, status=503)
        first = await client.read("vat", code="VH")
        twinfield.app.configure(retry_after=7)
        twinfield.app.fail_next(1, status=429)
        return first, await client.read("vat", code="VL")

    first, second = twinfield.run(go)
    assert first is not None
    assert second is not None
    assert len(twinfield.sleep.delays) >= 3
    assert 7 in [round(d) for d in twinfield.sleep.delays]


def test_rate_limits_that_persist_raise_rate_limited(twinfield: Harness) -> None:
    """When every attempt is rate limited, the error is RateLimitedError with the delay."""

    async def go(client: TwinfieldClient) -> object:
        await client.open()
        twinfield.app.rate_limit(after=0, retry_after=3)
        try:
            return await client.read("vat", code="VH")
        finally:
            twinfield.app.configure(rate_limit_after=None)

    with pytest.raises(RateLimitedError) as caught:
        twinfield.run(go, attempts=2)
    assert caught.value.delay == 3


def test_a_write_is_not_repeated_after_an_ambiguous_server_error(twinfield: Harness) -> None:
    """A 500 on a write may have been applied: it is raised at once, marked maybe-applied,
    never sent twice; a 503 (certainly not applied) is retried."""
    dimension = dimension_element({"name": "Nieuw BV", "country": "NL"}, office="001")

    async def go(client: TwinfieldClient) -> object:
        await client.open()
        twinfield.app.fail_next(1, status=500)
        try:
            await client.write("dimensions", [dimension])
        except UnavailableError as exc:
            ambiguous = exc.maybe_applied
        twinfield.app.fail_next(1, status=503)
        written = await client.write("dimensions", [dimension])
        return ambiguous, written[0].findtext("code")

    assert twinfield.run(go) == (True, "1003")


def test_dropped_connections_on_reads_are_retried(twinfield: Harness) -> None:
    """A connection dropped mid-read is retried."""

    async def go(client: TwinfieldClient) -> object:
        await client.open()
        twinfield.app.drop_next(1)
        return await client.read("vat", code="VH")

    assert twinfield.run(go) is not None
    assert len(twinfield.sleep.delays) == 1


def test_secrets_never_reach_the_logs(twinfield: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """Across a session, a refusal and retries, no log line carries the client secret, the
    refresh token or an access token, and neither does an error's message."""
    caplog.set_level(logging.DEBUG)

    async def go(client: TwinfieldClient) -> str:
        await client.read("dimensions", dimtype="DEB", code="1000")
        twinfield.app.fail_next(1, status=503)
        await client.read("vat", code="VH")
        try:
            await client.write("dimensions", [dimension_element({}, office="001")])
        except RejectedError as exc:
            return str(exc) + repr(client)
        return repr(client)

    text = twinfield.run(go)
    tokens = set(twinfield.sandbox.tokens) | {CLIENT_SECRET, REFRESH_TOKEN}
    logged = caplog.text + text
    assert "processxml" in caplog.text.lower()
    for value in tokens:
        assert value not in logged


def test_an_expired_configured_token_is_replaced_when_the_connection_can_refresh(
    twinfield: Harness,
) -> None:
    """A connection with both an access token and refresh credentials whose access token no
    longer validates gets a new one from the identity server."""

    async def go(client: TwinfieldClient) -> object:
        return await client.read("vat", code="VH")

    credentials = Credentials(
        access_token="stale-token-0000",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
    )
    assert twinfield.run(go, credentials=credentials) is not None
    assert twinfield.sandbox.refreshes == [REFRESH_TOKEN]
