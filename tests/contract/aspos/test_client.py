"""Every AsPos client operation against the sandbox over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from connectors.aspos.client import AsposClient
from reconciler.errors import AuthenticationError, NotFoundError, RejectedError

from .conftest import API_KEY, Harness

NEW_CUSTOMER = {
    "type": "company",
    "email": "Info@Neu-GmbH.test",
    "companyName": "Neu GmbH",
    "firstName": "Nora",
    "lastName": "Neu",
    "billingAddress": {"street": "Ring", "houseNumber": "3", "postalCode": "1010",
                       "city": "Wien", "country": "AT"},
}  # fmt: skip
ORDER = {
    "type": "order",
    "externalReference": "AFAS-60000001",
    "store": "1",
    "customerId": 1002,
    "status": "paid",
    "lines": [
        {"lineNo": 1, "type": "article", "sku": "100-01", "quantity": Decimal(2),
         "unitPrice": Decimal("10.00"), "taxRate": Decimal(19)},
        {"lineNo": 2, "type": "shipping", "description": "Versand", "unitPrice": Decimal("4.95")},
    ],
    "payments": [{"method": "PAYPAL", "amount": Decimal("24.95")}],
}  # fmt: skip


def test_customers_page_over_several_pages_in_a_stable_order(aspos: Harness) -> None:
    async def pages(client: AsposClient) -> list[tuple[int, int, list[object]]]:
        out = []
        async for page in client.pages("customers", "customers", page_size=1):
            out.append((page.page, page.total_pages, [c["id"] for c in page.items]))
        return out

    assert aspos.run(pages) == [(1, 3, [1001]), (2, 3, [1002]), (3, 3, [1003])]


def test_filters_take_several_values_and_ignore_case(aspos: Harness) -> None:
    found = aspos.run(
        lambda c: c.customers_by_email(["MAX.mustermann@example.test", "nobody@x.test"])
    )
    assert [c["id"] for c in found] == [1002]
    articles = aspos.run(lambda c: c.articles_by_sku(["100-02", "200-01", "404"]))
    assert sorted(a["sku"] for a in articles) == ["100-02", "200-01"]
    by_sku = {a["sku"]: a for a in articles}
    assert by_sku["100-02"]["priceExclTax"] == Decimal("16.81")  # read as Decimal, not float
    assert isinstance(by_sku["100-02"]["priceExclTax"], Decimal)


def test_modified_since_reads_only_later_changes_inclusively(aspos: Harness) -> None:
    since = dt.datetime(2026, 1, 6, 9, 0, tzinfo=dt.UTC)
    page = aspos.run(lambda c: c.list_page("customers", "customers", modified_since=since))
    assert [c["id"] for c in page.items] == [1002, 1003]


def test_get_customer_and_a_missing_one(aspos: Harness) -> None:
    assert aspos.run(lambda c: c.get_customer("1001"))["companyName"] == "Beispiel GmbH"
    with pytest.raises(NotFoundError, match="no customer 999") as caught:
        aspos.run(lambda c: c.get_customer("999"))
    assert caught.value.status == 404
    assert caught.value.reference  # the body's requestId
    assert aspos.sleep.delays == []


def test_create_and_update_a_customer(aspos: Harness) -> None:
    created = aspos.run(lambda c: c.create_customer(NEW_CUSTOMER))
    assert created["email"] == "info@neu-gmbh.test"
    assert created["number"] == f"K{created['id']}"
    change = {"phone": "+43 1 555", "billingAddress": {"city": "Graz"}}
    updated = aspos.run(lambda c: c.update_customer(str(created["id"]), change))
    assert updated["phone"] == "+43 1 555"
    assert updated["billingAddress"] == {**NEW_CUSTOMER["billingAddress"], "city": "Graz"}  # type: ignore[dict-item]
    assert updated["modifiedAt"] > created["modifiedAt"]


def test_a_duplicate_customer_is_rejected_with_aspos_message(aspos: Harness) -> None:
    aspos.run(lambda c: c.create_customer(NEW_CUSTOMER))
    with pytest.raises(RejectedError, match="duplicate: a customer with e-mail") as caught:
        aspos.run(lambda c: c.create_customer(NEW_CUSTOMER))
    assert caught.value.status == 409
    assert aspos.sleep.delays == []


def test_validation_problems_name_each_field_and_are_not_retried(aspos: Harness) -> None:
    bad = {"type": "company", "email": "not-an-email", "billingAddress": {"country": "Deutschland"}}
    with pytest.raises(RejectedError) as caught:
        aspos.run(lambda c: c.create_customer(bad))
    text = str(caught.value)
    assert caught.value.status == 422
    assert "companyName: is required for a company" in text
    assert "email: is not an e-mail address" in text
    assert "billingAddress.country" in text
    assert caught.value.reference
    assert aspos.sleep.delays == []
    assert len(aspos.store.customers) == 3


def test_articles_create_update_and_refuse_duplicates(aspos: Harness) -> None:
    article = {"sku": "300-01", "name": "Klingel", "priceInclTax": Decimal("12.90"),
               "ean": "4006381333955"}  # fmt: skip
    created = aspos.run(lambda c: c.create_article(article))
    assert created["stockManaged"] is True
    updated = aspos.run(
        lambda c: c.update_article(str(created["id"]), {"priceInclTax": Decimal("13.50")})
    )
    assert updated["priceInclTax"] == Decimal("13.50")
    with pytest.raises(RejectedError, match="SKU 300-01 exists"):
        aspos.run(lambda c: c.create_article(article))
    with pytest.raises(RejectedError, match="ean: must be"):
        aspos.run(lambda c: c.create_article({"sku": "300-02", "ean": "12"}))


def test_stock_per_store_is_set_absolutely(aspos: Harness) -> None:
    row = aspos.run(lambda c: c.set_stock("100-02", {"available": Decimal("7.5")}))
    assert (row["store"], row["available"]) == ("1", Decimal("7.5"))
    again = aspos.run(lambda c: c.set_stock("100-02", {"available": Decimal("7.5")}))
    assert again["available"] == Decimal("7.5")
    rows = aspos.run(lambda c: c.stock_by_sku(["100-01", "100-02"]))
    assert {r["sku"]: r["available"] for r in rows} == {"100-01": 12, "100-02": Decimal("7.5")}
    other = aspos.run(lambda c: c.stock_by_sku(["100-02"]), store="2")
    assert other[0]["available"] == 0
    with pytest.raises(NotFoundError, match="no article with SKU 999"):
        aspos.run(lambda c: c.set_stock("999", {"available": Decimal(1)}))
    with pytest.raises(NotFoundError, match="no store 9"):
        aspos.run(lambda c: c.set_stock("100-01", {"available": Decimal(1)}), store="9")


def test_stock_needs_a_store(aspos: Harness) -> None:
    with pytest.raises(RejectedError, match="names no store"):
        aspos.run(lambda c: c.stock_by_sku(["100-01"]), store=None)


def test_orders_are_created_once_per_external_reference(aspos: Harness) -> None:
    created = aspos.run(lambda c: c.create_order(ORDER))
    assert created["number"] == f"1-{created['id']}"
    found = aspos.run(lambda c: c.find_order("AFAS-60000001"))
    assert found is not None
    assert found["lines"][1]["type"] == "shipping"
    with pytest.raises(RejectedError, match="already has externalReference AFAS-60000001"):
        aspos.run(lambda c: c.create_order(ORDER))
    assert aspos.sleep.delays == []


def test_an_order_for_an_unknown_article_names_the_sku(aspos: Harness) -> None:
    order = {**ORDER, "externalReference": "X-1", "lines": [{"sku": "NOPE-1", "quantity": 1}],
             "payments": [{"method": "CASH", "amount": 1}]}  # fmt: skip
    with pytest.raises(RejectedError) as caught:
        aspos.run(lambda c: c.create_order(order))
    assert "lines[0].sku: no article with SKU NOPE-1" in str(caught.value)
    assert "payments[0].method: unknown payment method CASH" in str(caught.value)


def test_orders_filter_by_store_and_status(aspos: Harness) -> None:
    async def go(client: AsposClient) -> list[str]:
        page = await client.list_page(
            "orders", "orders", filters={"store": "1", "status": ["completed"]}
        )
        return [o["number"] for o in page.items]

    assert aspos.run(go) == ["1-70001", "1-70002"]


def test_master_data(aspos: Harness) -> None:
    assert {r["code"] for r in aspos.run(lambda c: c.tax_rates())} == {"H", "L", "N"}
    assert "PAYPAL" in {m["code"] for m in aspos.run(lambda c: c.payment_methods())}
    assert [s["id"] for s in aspos.run(lambda c: c.stores())] == ["1", "2"]


def test_a_wrong_api_key_is_an_authentication_error_without_the_key(aspos: Harness) -> None:
    with pytest.raises(AuthenticationError, match="missing or invalid API key") as caught:
        aspos.run(lambda c: c.stores(), api_key="wrong-key-123456")
    assert caught.value.status == 401
    assert "wrong-key-123456" not in str(caught.value)
    assert aspos.sleep.delays == []


def test_raw_http_errors_use_the_contract_shape(aspos: Harness) -> None:
    headers = {"X-Api-Key": API_KEY}
    bad = httpx.get(f"{aspos.url}/v1/customers", params={"pageSize": "0"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_query"
    since = httpx.get(f"{aspos.url}/v1/articles", params={"modifiedSince": "gestern"},
                      headers=headers)  # fmt: skip
    assert since.status_code == 400
    missing = httpx.get(f"{aspos.url}/v1/kassen", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = httpx.delete(f"{aspos.url}/v1/customers/1001", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, PATCH"
    unread = httpx.post(f"{aspos.url}/v1/customers", content=b"{", headers=headers)
    assert unread.status_code == 400
    assert unread.json()["error"]["code"] == "invalid_json"
    anonymous = httpx.get(f"{aspos.url}/v1/customers")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
