"""Every MplusKASSA client operation against the sandbox over real loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.mpluskassa.client import MplusClient
from reconciler.errors import NotFoundError, RejectedError

from .conftest import Harness


def test_api_version_and_sync_markers(mplus: Harness) -> None:
    """getApiVersion answers the WSDL's version; getCurrentSyncMarkers the store's maxima."""

    async def go(client: MplusClient) -> tuple[dict, dict]:
        return await client.get_api_version(), await client.get_current_sync_markers()

    version, markers = mplus.run(go)
    assert (version["majorNumber"], version["minorNumber"]) == (67, 1)
    assert version["inDebugMode"] is False
    assert markers["articleSyncMarker"] == mplus.store.markers["article"] > 0
    assert markers["stockId"] == mplus.store.markers["stock"]


def test_products_page_over_several_pages_by_sync_marker(mplus: Harness) -> None:
    """syncMarkerLimit=1 pages through every product once, markers strictly increasing."""

    async def go(client: MplusClient) -> list[tuple[int, int, bool]]:
        seen, marker, more = [], 0, True
        while more:
            page = await client.get_products(sync_marker=marker, limit=1)
            seen += [(p["productNumber"], page.marker, page.more) for p in page.items]
            marker, more = page.marker, page.more
        return seen

    seen = mplus.run(go)
    assert sorted(n for n, _, _ in seen) == sorted(mplus.store.products)
    markers = [m for _, m, _ in seen]
    assert markers == sorted(markers)
    assert len(set(markers)) == len(markers)


def test_products_filters(mplus: Harness) -> None:
    """articleNumbers selects the product holding the article; onlyActive drops inactive ones."""

    async def go(client: MplusClient) -> tuple[list, list]:
        by_article = await client.get_products(article_numbers=[100100])
        active = await client.get_products(article_numbers=[100045], only_active=True)
        return by_article.items, active.items

    by_article, active = mplus.run(go)
    assert [p["productNumber"] for p in by_article] == [2]
    numbers = [a["articleNumber"] for a in active[0]["articleList"]["article"]]
    assert numbers == [100045, 100046]  # 100047 is inactive in the seed


def test_incremental_read_returns_only_what_changed(mplus: Harness) -> None:
    """After a full read, a read from its marker returns only the product updated since."""

    async def go(client: MplusClient) -> tuple[list, list]:
        full = await client.get_products(limit=100)
        await client.update_product(
            {"productNumber": 4, "articleList": {"article": [{"articleNumber": 100300}]}}
        )
        changed = await client.get_products(sync_marker=full.marker)
        after = await client.get_products(sync_marker=changed.marker)
        return changed.items, after.items

    changed, after = mplus.run(go)
    assert [p["productNumber"] for p in changed] == [4]
    assert after == []


def test_create_product_and_read_it_back_in_cents(mplus: Harness) -> None:
    """createProduct answers the numbers; prices come back as the integer cents sent."""
    product = {
        "description": "Tea",
        "articleList": {"article": [{"articleNumber": 200001, "priceIncl": 395, "vatCode": 2}]},
    }

    async def go(client: MplusClient) -> tuple[dict, list]:
        created = await client.create_product(product)
        page = await client.get_products(article_numbers=[200001])
        return created, page.items

    created, items = mplus.run(go)
    assert created["articleNumbers"] == [200001]
    article = items[0]["articleList"]["article"][0]
    assert article["priceIncl"] == 395
    assert article["vatPercentage"] == 9


def test_taken_article_number_is_rejected_without_retry(mplus: Harness) -> None:
    """ALREADY-TAKEN is a RejectedError carrying the result and message; nothing is retried."""
    product = {"description": "Dup", "articleList": {"article": [{"articleNumber": 100045}]}}
    with pytest.raises(RejectedError, match=r"ARTICLE-NUMBER-ALREADY-TAKEN.*100045"):
        mplus.run(lambda client: client.create_product(product))
    assert mplus.sleep.delays == []
    assert len(mplus.transport.exchanges) == 1


def test_update_product_errors(mplus: Harness) -> None:
    """An unknown product is NotFoundError; moving another product's article is NOT-ALLOWED."""
    with pytest.raises(NotFoundError, match="UPDATE-PRODUCT-RESULT-NOT-FOUND"):
        mplus.run(lambda c: c.update_product({"productNumber": 999}))
    steal = {"productNumber": 2, "articleList": {"article": [{"articleNumber": 100045}]}}
    with pytest.raises(RejectedError, match="NOT-ALLOWED"):
        mplus.run(lambda c: c.update_product(steal))


def test_update_product_changes_only_the_fields_sent(mplus: Harness) -> None:
    """updateProduct merges: the price changes, the description and barcode stay."""
    change = {
        "productNumber": 2,
        "articleList": {"article": [{"articleNumber": 100100, "priceIncl": 1500}]},
    }
    answer = mplus.run(lambda c: c.update_product(change))
    assert answer["existingArticleNumbers"] == [100100]
    article = mplus.store._article(100100)
    assert article is not None
    assert (article["priceIncl"], article["barcode"]) == (1500, "8712345000103")
    assert article["description"] == "Coffee beans 1 kg"


def test_relations_paging_find_create_update(mplus: Harness) -> None:
    """getRelations pages; findRelation matches e-mail case-insensitively and extRelationId;
    createRelation assigns a number; updateRelation changes the relation."""

    async def go(client: MplusClient) -> dict:
        first = await client.get_relations(limit=1)
        second = await client.get_relations(sync_marker=first.marker, limit=1)
        by_mail = await client.find_relation(email="ANNA@example.nl")
        by_ext = await client.find_relation(ext_relation_id="D-10001")
        missing = await client.find_relation(email="nobody@example.nl")
        created = await client.create_relation({"name": "Kees Smit", "email": "kees@example.nl"})
        await client.update_relation({"relationNumber": created["relationNumber"], "city": "Delft"})
        return {
            "pages": [r["relationNumber"] for r in first.items + second.items],
            "by_mail": by_mail,
            "by_ext": by_ext,
            "missing": missing,
            "created": created["relationNumber"],
            "found": await client.find_relation(email="kees@example.nl"),
        }

    out = mplus.run(go)
    assert out["pages"] == [1, 2]
    assert out["by_mail"]["relationNumber"] == 2
    assert out["by_ext"]["relationNumber"] == 1
    assert out["missing"] is None
    assert out["created"] == 3
    assert out["found"]["city"] == "Delft"


def test_relation_errors(mplus: Harness) -> None:
    """A taken relation number is rejected; an unknown one cannot be updated."""
    with pytest.raises(RejectedError, match="RELATION-NUMBER-ALREADY-TAKEN"):
        mplus.run(lambda c: c.create_relation({"relationNumber": 1, "name": "X"}))
    with pytest.raises(NotFoundError, match="UPDATE-RELATION-RESULT-NOT-FOUND"):
        mplus.run(lambda c: c.update_relation({"relationNumber": 77, "name": "X"}))


ORDER = {
    "extOrderId": "ERP-5001",
    "relationNumber": 1,
    "vatMethod": "VAT-METHOD-INCLUSIVE",
    "lineList": {
        "line": [
            {"articleNumber": 100100, "data": {"quantity": 150, "decimalPlaces": 2, "price": 1450}}
        ]
    },
    "paymentList": {"payment": [{"method": "PIN", "amount": 2175}]},
}


def test_orders_create_find_and_page(mplus: Harness) -> None:
    """createOrder stores a fully paid order found by extOrderId and listed by getOrders;
    its stock article gets the quantity reserved."""

    async def go(client: MplusClient) -> tuple[dict, dict | None, list, list]:
        info = await client.create_order(ORDER)
        found = await client.find_order("ERP-5001")
        stock = await client.get_stock([100100])
        first = await client.get_orders(limit=1)
        rest = await client.get_orders(sync_marker=first.marker, limit=1)
        return info, found, stock, [o["extOrderId"] for o in first.items + rest.items]

    info, found, stock, listed = mplus.run(go)
    assert found is not None
    assert found["orderId"] == info["orderId"]
    assert found["fullyPaid"] is True
    assert found["totalInclAmount"] == 2175
    assert stock[0]["amountReserved"] == 15
    assert stock[0]["decimalPlacesReserved"] == 1
    assert listed == ["WEB-1001", "ERP-5001"]


def test_order_rules(mplus: Harness) -> None:
    """A known extOrderId, an unknown article and a payment without method are refused."""
    mplus.run(lambda c: c.create_order(ORDER))
    with pytest.raises(RejectedError, match="EXT-ORDER-ID-ALREADY-EXISTS"):
        mplus.run(lambda c: c.create_order(ORDER))
    bad_line = {
        **ORDER,
        "extOrderId": "E2",
        "lineList": {"line": [{"articleNumber": 1, "data": {"quantity": 1}}]},
    }
    with pytest.raises(RejectedError, match="CREATE-ORDER-RESULT-FAILED: article 1 does not exist"):
        mplus.run(lambda c: c.create_order(bad_line))
    no_method = {
        **ORDER,
        "extOrderId": "E3",
        "paymentList": {"payment": [{"method": " ", "amount": 1}]},
    }
    with pytest.raises(RejectedError, match="PAYMENT-FAILED"):
        mplus.run(lambda c: c.create_order(no_method))
    assert mplus.run(lambda c: c.find_order("E2")) is None


def test_queue_branch_order(mplus: Harness) -> None:
    """queueBranchOrder stores the order like createOrder and honours extOrderId uniqueness."""
    info = mplus.run(lambda c: c.queue_branch_order({**ORDER, "extOrderId": "Q-1"}))
    assert info["orderId"] in mplus.store.orders
    with pytest.raises(
        RejectedError, match="QUEUE-BRANCH-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS"
    ):
        mplus.run(lambda c: c.queue_branch_order({**ORDER, "extOrderId": "Q-1"}))


def test_stock_set_update_and_read(mplus: Harness) -> None:
    """setStock is absolute, updateStock relative, both with decimal places; getStock with a
    stockId returns only what changed after it."""

    async def go(client: MplusClient) -> tuple[list, list]:
        stock_id = await client.set_stock(100045, Decimal("10.5"))
        await client.update_stock(100045, Decimal("-2.25"))
        after = await client.get_stock(stock_id=stock_id)
        return await client.get_stock([100045]), after

    rows, changed = mplus.run(go)
    row = rows[0]
    assert Decimal(row["amountFree"]).scaleb(-row["decimalPlacesFree"]) == Decimal("8.25")
    assert [r["articleNumber"] for r in changed] == [100045]


def test_stock_errors(mplus: Harness) -> None:
    """A non-stock article answers NO-STOCK-ARTICLE (rejected); an unknown one is not found."""
    with pytest.raises(RejectedError, match="SET-STOCK-RESULT-NO-STOCK-ARTICLE"):
        mplus.run(lambda c: c.set_stock(100200, Decimal(1)))
    with pytest.raises(RejectedError, match="UPDATE-STOCK-RESULT-NO-STOCK-ARTICLE"):
        mplus.run(lambda c: c.update_stock(100200, Decimal(1)))
    with pytest.raises(NotFoundError, match="ARTICLE-NOT-FOUND"):
        mplus.run(lambda c: c.update_stock(424242, Decimal(1)))
    with pytest.raises(NotFoundError, match="BRANCH-NOT-FOUND"):
        mplus.run(lambda c: c.set_stock(100045, Decimal(1)), branch_number=9)


def test_vat_groups(mplus: Harness) -> None:
    """getVatGroupList answers the seeded VAT codes with their percentages."""
    groups = mplus.run(lambda c: c.get_vat_groups())
    assert {g["vatCode"]: g["vatPercentage"] for g in groups} == {1: 21, 2: 9, 3: 0}


def test_queue_branch_order_answers_only_its_own_result_values(mplus: Harness) -> None:
    """A payment without method is QUEUE-BRANCH-ORDER-RESULT-FAILED: the queue's enum has no
    PAYMENT-FAILED value (the WSDL), unlike createOrder's."""
    order = {
        **ORDER,
        "extOrderId": "Q-2",
        "paymentList": {"payment": [{"method": " ", "amount": 1}]},
    }
    with pytest.raises(RejectedError, match="QUEUE-BRANCH-ORDER-RESULT-FAILED: a payment needs"):
        mplus.run(lambda c: c.queue_branch_order(order))
