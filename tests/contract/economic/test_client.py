"""The e-conomic wire client against the sandbox over real HTTP on loopback."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from connectors.economic.client import EconomicClient, addresses
from connectors.economic.query import all_of, condition
from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from tests.contract.doubles import RecordingTransport

from .conftest import APP, GRANT, Economic

CUSTOMER: dict[str, Any] = {
    "name": "Buitenhuis BV",
    "currency": "EUR",
    "customerGroup": {"customerGroupNumber": 2},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 2},
    "email": "inkoop@buitenhuis.test",
    "address": "Kerkstraat 5",
    "zip": "1017 GA",
    "city": "Amsterdam",
    "country": "Netherlands",
}


def test_a_page_has_the_envelope_with_absolute_links(economic: Economic) -> None:
    """A collection answers in e-conomic's envelope; its links are absolute, on the request's
    origin, and nextPage is there only while more pages exist."""
    first = economic.run(lambda c: c.page("customers", page_size=2))
    assert [r["customerNumber"] for r in first["collection"]] == [101, 102]
    pagination = first["pagination"]
    assert pagination["results"] == 3
    assert pagination["maxPageSizeAllowed"] == 1000
    assert pagination["nextPage"] == f"{economic.url}/customers?skippages=1&pagesize=2"
    assert pagination["lastPage"] == f"{economic.url}/customers?skippages=1&pagesize=2"
    assert first["self"] == f"{economic.url}/customers"
    assert first["collection"][0]["self"] == f"{economic.url}/customers/101"
    assert first["collection"][0]["vatZone"]["self"] == f"{economic.url}/vat-zones/1"
    last = economic.run(lambda c: c.page("customers", page_size=2, skip_pages=1))
    assert [r["customerNumber"] for r in last["collection"]] == [103]
    assert "nextPage" not in last["pagination"]
    assert last["pagination"]["previousPage"].endswith("skippages=0&pagesize=2")


def test_pages_follow_next_page_over_several_pages(economic: Economic) -> None:
    """Paging one record at a time reads every customer once, in number order, by following
    the nextPage links (one request per page)."""
    transport = RecordingTransport()

    async def read(client: EconomicClient) -> list[int]:
        return [int(r["customerNumber"]) async for page in client.pages("customers", page_size=1)
                for r in page]  # fmt: skip

    assert economic.run(read, transport=transport) == [101, 102, 103]
    assert len(transport.requests) == 3
    assert "skippages=2" in str(transport.requests[2].url)


def test_a_filtered_read_keeps_its_filter_across_pages(economic: Economic) -> None:
    """The nextPage links carry the filter, so every page of a filtered read is filtered."""
    transport = RecordingTransport()
    danish = condition("country", "eq", "Denmark")

    async def read(client: EconomicClient) -> list[int]:
        return [int(r["customerNumber"]) async for page in client.pages("customers", page_size=1,
                filter=danish) for r in page]  # fmt: skip

    assert economic.run(read, transport=transport) == [101, 102]
    assert len(transport.requests) == 2
    assert transport.requests[1].url.params["filter"] == "country$eq:Denmark"


def test_filters_select_and_combine(economic: Economic) -> None:
    """``filter=`` selects by field, with $and:/$or: and case-insensitive text."""
    by_city = economic.run(lambda c: c.all("customers", filter=condition("city", "eq", "aarhus c")))
    assert [r["customerNumber"] for r in by_city] == [102]
    both = all_of([condition("currency", "eq", "DKK"), condition("customerNumber", "gt", 101)])
    assert [
        r["customerNumber"] for r in economic.run(lambda c: c.all("customers", filter=both))
    ] == [102]
    like = economic.run(lambda c: c.all("products", filter=condition("name", "like", "støvle")))
    assert [r["productNumber"] for r in like] == ["NK-100"]


def test_an_unusable_filter_is_rejected_with_what_is_allowed(economic: Economic) -> None:
    """Filtering on a field e-conomic does not filter by is a 400 listing the allowed fields;
    it is a RejectedError, not retried."""
    with pytest.raises(RejectedError, match="balanceDue") as caught:
        economic.run(lambda c: c.all("customers", filter="balanceDue$gt:0"))
    assert caught.value.status == 400
    assert economic.sleep.delays == []
    response = httpx.get(
        f"{economic.url}/customers",
        params={"filter": "name$approx:x"},
        headers={"X-AppSecretToken": APP, "X-AgreementGrantToken": GRANT},
    )
    assert response.status_code == 400
    assert "email" in response.json()["allowedFilteringFields"]
    assert "$like:" in response.json()["allowedFilteringOperators"]


def test_incremental_read_by_last_updated(economic: Economic) -> None:
    """``lastUpdated$gte:`` returns only customers changed since then; a write stamps it."""
    since = condition("lastUpdated", "gte", "2024-02-01T11:30:00Z")
    rows = economic.run(lambda c: c.all("customers", filter=since))
    assert [r["customerNumber"] for r in rows] == [102, 103]
    economic.clock.advance(60)
    created = economic.run(lambda c: c.create_customer(CUSTOMER))
    assert created["lastUpdated"] == "2024-04-01T12:01:00Z"
    later = condition("lastUpdated", "gte", "2024-04-01T12:00:30Z")
    assert [
        r["customerNumber"] for r in economic.run(lambda c: c.all("customers", filter=later))
    ] == [created["customerNumber"]]


def test_customer_by_email_finds_one_of_several_addresses(economic: Economic) -> None:
    """e-conomic's email may hold several addresses; the look-up matches one exactly, in any
    case, and not a longer address that merely contains it."""
    economic.run(
        lambda c: c.create_customer(
            {**CUSTOMER, "email": "boekhouding@buitenhuis.test inkoop@buitenhuis.test"}
        )
    )
    economic.run(lambda c: c.create_customer({**CUSTOMER, "email": "xinkoop@buitenhuis.test"}))
    found = economic.run(lambda c: c.customer_by_email("INKOOP@buitenhuis.test"))
    assert found is not None
    assert found["customerNumber"] == 104
    assert addresses(found["email"]) == ["boekhouding@buitenhuis.test", "inkoop@buitenhuis.test"]
    assert economic.run(lambda c: c.customer_by_email("nobody@nowhere.test")) is None


def test_create_and_replace_a_customer(economic: Economic) -> None:
    """POST answers 201 with the stored customer and its number; PUT replaces it whole."""
    created = economic.run(lambda c: c.create_customer(CUSTOMER))
    number = created["customerNumber"]
    assert number == 104
    assert created["customerGroup"]["self"] == f"{economic.url}/customer-groups/2"
    changed = {**CUSTOMER, "city": "Haarlem"}
    economic.run(lambda c: c.replace_customer(number, changed))
    stored = economic.store.one("customers", number)
    assert stored["city"] == "Haarlem"
    assert economic.run(lambda c: c.customer(999)) is None


def test_a_customer_without_its_required_references_is_rejected(economic: Economic) -> None:
    """e-conomic requires customerGroup, paymentTerms and vatZone: the 400 names each missing
    property, carries the logId as reference, and is not retried."""
    body = {k: v for k, v in CUSTOMER.items() if k not in ("customerGroup", "vatZone")}
    with pytest.raises(RejectedError) as caught:
        economic.run(lambda c: c.create_customer(body))
    error = caught.value
    assert error.status == 400
    assert "customerGroup: Property is required." in str(error)
    assert "vatZone: Property is required." in str(error)
    assert error.reference
    assert len(error.reference) == 36
    assert economic.sleep.delays == []
    assert 104 not in economic.store.tables["customers"]


def test_an_unknown_reference_is_rejected(economic: Economic) -> None:
    """A VAT zone the agreement does not have is refused with the zone named."""
    body = {**CUSTOMER, "vatZone": {"vatZoneNumber": 9}}
    with pytest.raises(RejectedError, match=r"vatZone\.vatZoneNumber: Vat zone 9 not found"):
        economic.run(lambda c: c.create_customer(body))


def test_a_duplicate_key_is_e06010(economic: Economic) -> None:
    """Creating a customer with a number in use is e-conomic's E06010."""
    with pytest.raises(RejectedError, match="E06010"):
        economic.run(lambda c: c.create_customer({**CUSTOMER, "customerNumber": 101}))


def test_contacts_of_a_customer(economic: Economic) -> None:
    """A customer's contacts are a collection of their own; a contact needs a name."""

    async def go(c: EconomicClient) -> tuple[Any, Any]:
        made = await c.create_contact(102, {"name": "Ida Nielsen", "email": "ida@example.test"})
        return made, await c.contacts(102)

    made, listed = economic.run(go)
    assert made["customerContactNumber"] == 1
    assert made["self"] == f"{economic.url}/customers/102/contacts/1"
    assert [c["name"] for c in listed] == ["Ida Nielsen"]
    with pytest.raises(RejectedError, match="name: Property is required"):
        economic.run(lambda c: c.create_contact(102, {"email": "x@example.test"}))
    with pytest.raises(NotFoundError):
        economic.run(lambda c: c.create_contact(999, {"name": "Nobody"}))


def test_products_by_number_and_path_escaping(economic: Economic) -> None:
    """Products are keyed by a string; one with a slash is reached through its escaped path."""
    body = {
        "productNumber": "NK/300",
        "name": "Pandelampe",
        "productGroup": {"productGroupNumber": 1},
    }
    economic.run(lambda c: c.create_product(body))
    found = economic.run(lambda c: c.product("NK/300"))
    assert found is not None
    assert found["self"] == f"{economic.url}/products/NK%2F300"
    many = economic.run(lambda c: c.products_by_number(["NK-100", "NK/300", "NOPE"]))
    assert sorted(many) == ["NK-100", "NK/300"]
    with pytest.raises(RejectedError, match="productGroup: Property is required"):
        economic.run(lambda c: c.create_product({"productNumber": "X", "name": "X"}))


def test_draft_invoice_is_computed_and_booked(economic: Economic) -> None:
    """A draft invoice gets its number and the amounts e-conomic computes; booking it makes a
    booked invoice and removes the draft."""
    body = {
        "date": "2024-04-01",
        "currency": "DKK",
        "customer": {"customerNumber": 102},
        "paymentTerms": {"paymentTermsNumber": 1},
        "layout": {"layoutNumber": 19},
        "recipient": {"name": "Lars Nielsen", "vatZone": {"vatZoneNumber": 1}},
        "references": {"other": "WEB-2001"},
        "lines": [{"lineNumber": 1, "product": {"productNumber": "NK-200"}, "quantity": 2,
                   "unitNetPrice": 100.0}],
    }  # fmt: skip

    async def go(c: EconomicClient) -> tuple[Any, Any, Any]:
        draft = await c.create_document("invoices/drafts", body)
        found = await c.documents_by_reference("invoices/drafts", ["WEB-2001"])
        booked = await c.book_invoice(draft["draftInvoiceNumber"])
        return draft, found, booked

    draft, found, booked = economic.run(go)
    assert draft["draftInvoiceNumber"] == 1
    assert (draft["netAmount"], draft["vatAmount"], draft["grossAmount"]) == (200.0, 50.0, 250.0)
    assert [d["draftInvoiceNumber"] for d in found["WEB-2001"]] == [1]
    assert booked["bookedInvoiceNumber"] == 1
    assert economic.store.tables["invoices/drafts"] == {}


def test_a_draft_order_with_an_unknown_product_is_rejected(economic: Economic) -> None:
    """A line's product must exist: the 400 names the line."""
    body = {
        "date": "2024-04-01", "currency": "DKK", "customer": {"customerNumber": 102},
        "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
        "recipient": {"name": "Lars Nielsen", "vatZone": {"vatZoneNumber": 1}},
        "lines": [{"product": {"productNumber": "GONE"}, "quantity": 1}],
    }  # fmt: skip
    with pytest.raises(RejectedError, match=r"lines\.0\.product\.productNumber: Product not found"):
        economic.run(lambda c: c.create_document("orders/drafts", body))


def test_wrong_tokens_are_an_authentication_error(economic: Economic) -> None:
    """A wrong grant token answers 401 in e-conomic's shape: AuthenticationError, one try, the
    token named nowhere."""
    with pytest.raises(AuthenticationError) as caught:
        economic.run(lambda c: c.page("customers"), agreement_grant_token="wrong-grant-token-1")
    assert caught.value.status == 401
    assert "wrong-grant-token-1" not in str(caught.value)
    assert economic.sleep.delays == []
    bare = httpx.get(f"{economic.url}/customers")
    assert bare.status_code == 401
    assert bare.json()["httpStatusCode"] == 401
    assert (
        "X-AppSecretToken and X-AgreementGrantToken headers are missing" in bare.json()["message"]
    )


def test_the_demo_agreement_reads_but_cannot_write(economic: Economic) -> None:
    """Both tokens ``demo`` read e-conomic's demo agreement; a write is 403."""
    page = economic.run(
        lambda c: c.page("customers"), app_secret_token="demo", agreement_grant_token="demo"
    )
    assert page["collection"]
    with pytest.raises(AuthenticationError) as caught:
        economic.run(
            lambda c: c.create_customer(CUSTOMER),
            app_secret_token="demo",
            agreement_grant_token="demo",
        )
    assert caught.value.status == 403


def test_server_errors_are_retried_with_backoff(economic: Economic) -> None:
    """Two 503s and the third call succeeds; the waits are recorded, not slept."""
    economic.app.fail_next(2, status=503)
    page = economic.run(lambda c: c.page("customers"))
    assert page["collection"]
    assert len(economic.sleep.delays) == 2


def test_rate_limit_honours_retry_after(economic: Economic) -> None:
    """A 429 with Retry-After 3 waits at least 3 s before the next try."""
    economic.app.configure(fail_next=1, fail_status=429, retry_after=3)
    economic.run(lambda c: c.page("products"))
    assert economic.sleep.delays
    assert economic.sleep.delays[0] >= 3


def test_rate_limit_that_does_not_end_is_a_rate_limited_error(economic: Economic) -> None:
    """Every try answered 429: RateLimitedError after the configured attempts."""
    economic.app.rate_limit(after=0, retry_after=1)
    with pytest.raises(RateLimitedError):
        economic.run(lambda c: c.page("products"), attempts=3)
    assert len(economic.sleep.delays) == 2


def test_a_dropped_read_is_retried(economic: Economic) -> None:
    """A read whose connection drops is tried again (reads are idempotent)."""
    economic.app.drop_next(1)
    assert economic.run(lambda c: c.customer(101)) is not None
    assert len(economic.sleep.delays) == 1


def test_a_dropped_create_is_not_retried(economic: Economic) -> None:
    """A POST whose answer is lost may have been applied: it is raised as maybe_applied for the
    engine to settle by look-up, never sent twice."""
    economic.app.drop_next(1)
    with pytest.raises(UnavailableError) as caught:
        economic.run(lambda c: c.create_customer(CUSTOMER))
    assert caught.value.maybe_applied
    assert economic.sleep.delays == []


def test_validation_errors_are_never_retried(economic: Economic) -> None:
    """One request for a refused write, however many attempts are allowed."""
    before = economic.app.stats.requests
    with pytest.raises(RejectedError):
        economic.run(lambda c: c.create_customer({"name": ""}), attempts=5)
    assert economic.app.stats.requests - before == 1


def test_page_size_is_bounded(economic: Economic) -> None:
    """The client refuses a pagesize over 1000 before sending; the sandbox answers 400."""
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        economic.run(lambda c: c.page("customers", page_size=1001))
    response = httpx.get(
        f"{economic.url}/customers?pagesize=1001",
        headers={"X-AppSecretToken": APP, "X-AgreementGrantToken": GRANT},
    )
    assert response.status_code == 400
    assert "1000" in response.json()["message"]


def test_next_page_to_another_origin_is_refused() -> None:
    """The tokens travel with every request: a nextPage link to another host is not followed."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"collection": [{"customerNumber": 1}],
                  "pagination": {"nextPage": "https://evil.test/customers?skippages=1"}},
        )  # fmt: skip

    async def go() -> None:
        client = EconomicClient(
            app_secret_token=APP,
            agreement_grant_token=GRANT,
            endpoint="https://restapi.e-conomic.com",
            transport=httpx.MockTransport(handler),
        )
        async with client:
            async for _ in client.pages("customers"):
                pass

    import asyncio

    with pytest.raises(ProtocolError, match="another origin"):
        asyncio.run(go())


def test_the_tokens_are_never_logged(economic: Economic, caplog: pytest.LogCaptureFixture) -> None:
    """No log line (httpx's included) and no error carries either token, even on failures."""
    caplog.set_level(logging.DEBUG)
    economic.app.fail_next(1, status=500)
    economic.run(lambda c: c.page("customers"))
    with pytest.raises(RejectedError) as caught:
        economic.run(lambda c: c.create_customer({"name": APP}))
    text = "\n".join(r.getMessage() for r in caplog.records) + str(caught.value)
    assert caplog.records
    assert APP not in text
    assert GRANT not in text
    assert APP not in repr(economic.client())
