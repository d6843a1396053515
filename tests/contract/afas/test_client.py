"""The AFAS wire client against the sandbox over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import httpx
import pytest

from connectors.afas.client import AfasClient, token_header
from connectors.afas.models import Condition, Operator
from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from tests.contract.afas.conftest import TOKEN, Afas
from tests.contract.doubles import Recorder

ORDER = {
    "FbSales": {
        "Element": {
            "Fields": {"DbId": "10001", "OrDa": "2024-04-01", "RfCs": "WEB-2001", "Unit": 1},
            "Objects": [
                {
                    "FbSalesLines": {
                        "Element": [
                            {
                                "Fields": {
                                    "VaIt": "2",
                                    "ItCd": "1000",
                                    "BiUn": "STK",
                                    "QuUn": 3,
                                    "Upri": 18.5,
                                }
                            }
                        ]
                    }
                }
            ],
        }
    }
}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with(client: AfasClient, action: Any) -> Any:
    async with client:
        return await action(client)


def test_header_is_base64_of_the_xml_token() -> None:
    """The Authorization header wraps the token's data in AFAS's XML and base64-encodes it."""
    header = token_header("ABC123")
    assert header.startswith("AfasToken ")
    xml = base64.b64decode(header.split(" ", 1)[1]).decode()
    assert xml == "<token><version>1</version><data>ABC123</data></token>"
    assert token_header(xml) == header


def test_reads_a_page_and_the_version(afas: Afas) -> None:
    """A GetConnector page carries skip, take and rows; /profitversion answers a version."""

    async def go(client: AfasClient) -> tuple[Any, str]:
        page = await client.get_page("Profit_Debtor", take=2, order_by=["DebtorId"])
        return page, await client.profit_version()

    page, version = run(_with(afas.client(), go))
    assert page["take"] == 2
    assert [r["DebtorId"] for r in page["rows"]] == ["10001", "10002"]
    assert version == "22.22.5"


def test_pages_over_several_pages_in_a_stable_order(afas: Afas) -> None:
    """Paging with take=2 yields every debtor once, in orderbyfieldids order, over 2 pages."""

    async def go(client: AfasClient) -> list[list[str]]:
        pages = []
        async for rows in client.iter_pages("Profit_Debtor", order_by=["-DebtorId"], page_size=3):
            pages.append([r["DebtorId"] for r in rows])
        return pages

    assert run(_with(afas.client(), go)) == [["10004", "10003", "10002"], ["10001"]]


def test_paging_requires_an_order() -> None:
    """Paging without orderbyfieldids is refused before any request is sent."""
    client = AfasClient(token=TOKEN, endpoint="http://127.0.0.1:9/ProfitRestServices")

    async def go() -> None:
        async with client:
            async for _ in client.iter_pages("Profit_Debtor", order_by=[]):
                pass

    with pytest.raises(ValueError, match="orderbyfieldids"):
        run(go())


def test_filters_with_and_or_groups(afas: Afas) -> None:
    """`,` ANDs and `;` ORs conditions: (country B) OR (name contains 'piet')."""
    filters = [
        [Condition("AdressLine4", Operator.equal, "B")],
        [
            Condition("DebtorName", Operator.contains, "piet"),
            Condition("PayCon", Operator.equal, "14"),
        ],
    ]

    async def go(client: AfasClient) -> list[str]:
        rows = await client.get_all("Profit_Debtor", order_by=["DebtorId"], filters=filters)
        return [r["DebtorId"] for r in rows]

    assert run(_with(afas.client(), go)) == ["10002", "10003"]


def test_incremental_read_by_modification_date(afas: Afas) -> None:
    """A ModifiedDate >= filter (no trailing Z) returns only debtors changed since then."""
    since = [[Condition("ModifiedDate", Operator.greater_or_equal, "2024-03-01T00:00:00")]]

    async def go(client: AfasClient) -> list[str]:
        rows = await client.get_all("Profit_Debtor", order_by=["ModifiedDate"], filters=since)
        return [r["DebtorId"] for r in rows]

    assert run(_with(afas.client(), go)) == ["10003", "10004"]


def test_unknown_filter_field_is_rejected_with_afas_message(afas: Afas) -> None:
    """A filter on a column the connector lacks is AFAS's 500 'Connector-veld … niet gevonden'."""
    bad = [[Condition("Nope", Operator.equal, "1")]]

    async def go(client: AfasClient) -> None:
        await client.get_page("Profit_Debtor", order_by=["DebtorId"], filters=bad)

    sleep = Recorder()
    with pytest.raises(RejectedError, match="Connector-veld 'Nope' niet gevonden") as caught:
        run(_with(afas.client(sleep=sleep), go))
    assert caught.value.reference
    assert len(caught.value.reference) == 32
    assert sleep.delays == []


def test_lookups_by_natural_key(afas: Afas) -> None:
    """Debtor by e-mail (any case), order by reference, article by a non-numeric code."""

    async def go(client: AfasClient) -> tuple[Any, ...]:
        return (
            await client.debtor_by_email("INFO@acme.test"),
            await client.order_by_reference("WEB-1002"),
            await client.article_by_code("TSHIRT-M"),
            await client.article_by_code("missing"),
        )

    debtor, order, article, missing = run(_with(afas.client(), go))
    assert debtor["DebtorId"] == "10001"
    assert order["OrderNumber"] == "60000002"
    assert article["Description"] == "T-shirt maat M"
    assert missing is None


def test_insert_order_is_numbered_and_readable(afas: Afas) -> None:
    """An FbSales POST answers 201 with the new OrNu; the order and its line can be read back."""

    async def go(client: AfasClient) -> tuple[dict[str, str], Any, list[Any]]:
        keys = await client.insert("FbSales", ORDER)
        header = await client.order_by_reference("WEB-2001")
        lines = await client.order_lines(keys["OrNu"])
        return keys, header, lines

    keys, header, lines = run(_with(afas.client(), go))
    assert keys == {"OrNu": "60000003"}
    assert header["DebtorId"] == "10001"
    assert [(line["ItemCodeId"], line["PiecePerUnit"]) for line in lines] == [("1000", 3)]


def test_unknown_item_code_is_rejected_not_retried(afas: Afas) -> None:
    """An order line with an unknown item is AFAS's functional 500: RejectedError, no retry."""
    body = {"FbSales": {"Element": {**ORDER["FbSales"]["Element"]}}}
    body["FbSales"]["Element"]["Objects"] = [
        {
            "FbSalesLines": {
                "Element": [{"Fields": {"VaIt": "2", "ItCd": "X9", "BiUn": "STK", "QuUn": 1}}]
            }
        }
    ]
    sleep = Recorder()

    with pytest.raises(RejectedError, match="Itemcode") as caught:
        run(_with(afas.client(sleep=sleep), lambda c: c.insert("FbSales", body)))
    assert caught.value.status == 500
    assert caught.value.reference
    assert sleep.delays == []
    assert afas.store.counters["OrNu"] == 60000002, "a rejected body writes nothing"


def test_wrong_token_is_an_authentication_error(afas: Afas) -> None:
    """A token the environment does not know gets 401 -> AuthenticationError, never retried."""
    sleep = Recorder()
    with pytest.raises(AuthenticationError):
        run(_with(afas.client(sleep=sleep, token="00" * 32), lambda c: c.profit_version()))
    assert sleep.delays == []


def test_undecodable_token_is_401(afas: Afas) -> None:
    """A header that is not base64 of an XML token is answered 401, as Profit does."""
    response = httpx.get(f"{afas.url}/profitversion", headers={"Authorization": "AfasToken !!"})
    assert response.status_code == 401


def test_unknown_path_and_long_query_are_not_found(afas: Afas) -> None:
    """A query string over 2049 characters is a 404; the client refuses to send one."""
    headers = {"Authorization": token_header(TOKEN)}
    response = httpx.get(f"{afas.url}/connectors/Profit_Debtor?x={'a' * 2100}", headers=headers)
    assert response.status_code == 404
    with pytest.raises(NotFoundError):
        run(_with(afas.client(), lambda c: c.metainfo_get("../nothing/here")))
    huge = [[Condition("DebtorId", Operator.equal, str(n))] for n in range(400)]
    with pytest.raises(RejectedError, match="2049"):
        run(_with(afas.client(), lambda c: c.get_page("Profit_Debtor", filters=huge)))


def test_paths_are_case_insensitive(afas: Afas) -> None:
    """`profitrestservices/MetaInfo` and `ProfitRestServices/metainfo` are the same endpoint."""
    headers = {"Authorization": token_header(TOKEN)}
    lower = httpx.get(afas.url.lower() + "/MetaInfo", headers=headers)
    assert lower.status_code == 200
    assert "Profit_Debtor" in [c["id"] for c in lower.json()["getConnectors"]]


def test_retries_unavailable_until_success(afas: Afas) -> None:
    """Two injected 503s (AFAS maintenance body) are retried; the third answer is returned."""
    afas.app.fail_next(2, status=503)
    sleep = Recorder()
    version = run(_with(afas.client(sleep=sleep), lambda c: c.profit_version()))
    assert version == "22.22.5"
    assert len(sleep.delays) == 2


def test_gives_up_unavailable_with_the_body_delay(afas: Afas) -> None:
    """When 503 persists, UnavailableError carries AFAS's retry_after as its delay."""
    afas.app.fail_next(10, status=503)
    sleep = Recorder()
    with pytest.raises(UnavailableError) as caught:
        run(_with(afas.client(sleep=sleep, attempts=2), lambda c: c.profit_version()))
    assert caught.value.delay == 1
    assert len(sleep.delays) == 1


def test_rate_limited_then_succeeds(afas: Afas) -> None:
    """A 429 becomes RateLimitedError and is retried after at least Retry-After."""
    afas.app.configure(retry_after=2)
    afas.app.fail_next(1, status=429)
    sleep = Recorder()
    run(_with(afas.client(sleep=sleep), lambda c: c.profit_version()))
    assert sleep.delays
    assert sleep.delays[0] >= 2


def test_rate_limited_error_when_it_persists(afas: Afas) -> None:
    """Persisting 429s end in RateLimitedError (a Transient error)."""
    afas.app.fail_next(5, status=429)
    with pytest.raises(RateLimitedError):
        run(_with(afas.client(attempts=2), lambda c: c.profit_version()))


def test_write_after_a_500_is_not_repeated(afas: Afas) -> None:
    """An insert answered with a generic 500 is rejected once; nothing is sent twice."""
    afas.app.fail_next(1, status=500)
    sleep = Recorder()
    with pytest.raises(RejectedError, match="injected"):
        run(_with(afas.client(sleep=sleep), lambda c: c.insert("FbSales", ORDER)))
    assert sleep.delays == []
    assert afas.app.stats.requests == 1


def test_read_survives_a_dropped_connection(afas: Afas) -> None:
    """A GET whose connection dropped is retried and succeeds."""
    afas.app.drop_next(1)
    sleep = Recorder()
    rows = run(
        _with(
            afas.client(sleep=sleep), lambda c: c.get_all("Profit_VAT_code", order_by=["VatCode"])
        )
    )
    assert len(rows) == 3
    assert len(sleep.delays) == 1


def test_metainfo_reports_missing_connectors(afas: Afas) -> None:
    """/metainfo lists what the token may use; missing_connectors names the rest."""

    async def go(client: AfasClient) -> Any:
        return await client.missing_connectors(
            get=["Profit_Debtor", "Custom_Debtors"], update=["FbSales", "KnSubject"]
        )

    assert run(_with(afas.client(), go)) == (["Custom_Debtors"], ["KnSubject"])


def test_metainfo_get_lists_fields(afas: Afas) -> None:
    """/metainfo/get/{id} describes the connector's columns with their data types."""
    meta = run(_with(afas.client(), lambda c: c.metainfo_get("Profit_Article")))
    assert {"id": "ItemCode", "dataType": "string"}.items() <= meta["fields"][0].items()


def test_token_never_logged(afas: Afas, caplog: pytest.LogCaptureFixture) -> None:
    """Neither the token nor its header value appears in any log line, error or repr."""
    caplog.set_level(logging.DEBUG)
    afas.app.fail_next(1, status=500)
    client = afas.client(attempts=1)
    texts = [repr(client), repr(client.http)]
    try:
        run(_with(client, lambda c: c.insert("FbSales", ORDER)))
    except RejectedError as exc:
        texts.append(str(exc))
    run(_with(afas.client(), lambda c: c.get_all("Profit_Debtor", order_by=["DebtorId"])))
    texts += [record.getMessage() for record in caplog.records]
    header_value = token_header(TOKEN).split(" ", 1)[1]
    assert caplog.records
    assert all(TOKEN not in text and header_value not in text for text in texts)


def test_metainfo_update_lists_mandatory_fields(afas: Afas) -> None:
    """/metainfo/update/{id} names the fields the environment requires, per sub-object."""
    meta = run(_with(afas.client(), lambda c: c.metainfo_update("FbSales")))
    assert [f["fieldId"] for f in meta["fields"]] == ["DbId"]
    lines = meta["objects"][0]
    assert lines["name"] == "FbSalesLines"
    assert {f["fieldId"] for f in lines["fields"]} == {"VaIt", "ItCd", "BiUn", "QuUn"}


def test_sandbox_accepts_both_object_shapes_and_sub_object_urls(afas: Afas) -> None:
    """`Objects` as a map and `Element` as one object are accepted, as in AFAS's own examples;
    a POST to /connectors/FbSales/FbSalesLines adds lines to an existing order."""
    line = {"Fields": {"VaIt": "2", "ItCd": "2101", "BiUn": "stk", "QuUn": 1}}
    as_map = {
        "FbSales": {
            "Element": {"Fields": {"DbId": "10002"}, "Objects": {"FbSalesLines": {"Element": line}}}
        }
    }
    headers = {"Authorization": token_header(TOKEN)}
    created = httpx.post(f"{afas.url}/connectors/FbSales", json=as_map, headers=headers)
    assert created.status_code == 201
    number = created.json()["results"]["FbSales"]["OrNu"]
    more = {
        "FbSales": {
            "Element": {
                "Fields": {"OrNu": number},
                "Objects": [{"FbSalesLines": {"Element": [line]}}],
            }
        }
    }
    added = httpx.post(f"{afas.url}/connectors/FbSales/FbSalesLines", json=more, headers=headers)
    assert added.status_code == 201
    assert len(afas.store.orders[number]["lines"]) == 2


ENTRY = {
    "FiEntryPar": {
        "Element": {
            "Fields": {"Year": 2026, "Peri": 11, "JoCo": "70", "UnId": 1},
            "Objects": [
                {
                    "FiEntries": {
                        "Element": [
                            {"Fields": {"VaAs": "1", "AcNr": "1300", "EnDa": "2026-11-22",
                                        "BpDa": "2026-11-22", "AmDe": 12.1}},
                            {"Fields": {"VaAs": "1", "AcNr": "8000", "EnDa": "2026-11-22",
                                        "BpDa": "2026-11-22", "AmCr": 12.1}},
                        ]
                    }
                }
            ],
        }
    }
}  # fmt: skip


def test_a_locked_booking_layout_is_retried_and_written_once(afas: Afas) -> None:
    """AFAS refuses a FiEntries insert while another user holds the booking layout (a 500 that
    writes nothing): the client backs off and sends it again, and the entry is written once."""
    afas.app.sandbox.locked_writes["FiEntries"] = 2
    sleep = Recorder()
    keys = run(_with(afas.client(sleep=sleep), lambda c: c.insert("FiEntries", ENTRY)))
    assert keys["EnNo"]
    assert len(sleep.delays) == 2
    assert len(afas.store.entries) == 1


def test_a_lock_that_outlasts_the_retries_is_unavailable_and_known_unwritten(afas: Afas) -> None:
    """When the lock persists the error is transient (a later pass retries the record) and not
    ``maybe_applied``: the engine knows nothing was written and needs no look-up."""
    afas.app.sandbox.locked_writes["FiEntries"] = 10
    with pytest.raises(UnavailableError, match="andere gebruiker") as caught:
        run(
            _with(afas.client(sleep=Recorder(), attempts=2), lambda c: c.insert("FiEntries", ENTRY))
        )
    assert caught.value.maybe_applied is False
    assert caught.value.reference
    assert afas.store.entries == []
