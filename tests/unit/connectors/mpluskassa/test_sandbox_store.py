"""The sandbox store without HTTP: seeding goes through the API's own rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mpluskassa.sandbox import DEFAULT_SEED, load_seed
from connectors.mpluskassa.sandbox_orders import SandboxStore


def test_default_seed_loads_with_markers_assigned() -> None:
    """The packaged seed loads; every product and relation has its own increasing syncMarker."""
    store = SandboxStore()
    store.load(load_seed(None))
    markers = sorted(p["syncMarker"] for p in store.products.values())
    assert len(set(markers)) == len(markers) == 4
    assert store.markers["relation"] == len(store.relations) == 2
    assert json.loads(DEFAULT_SEED.read_text())["products"][0]["productNumber"] == 1


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            {
                "products": [
                    {"articleList": {"article": [{"articleNumber": 1}, {"articleNumber": 1}]}}
                ]
            },
            "already taken",
        ),
        ({"relations": [{"email": "no-name@example.nl"}]}, "needs a name"),
        (
            {
                "orders": [
                    {
                        "extOrderId": "X",
                        "lineList": {"line": [{"articleNumber": 5, "data": {"quantity": 1}}]},
                    }
                ]
            },
            "article 5 does not exist",
        ),
    ],
)
def test_a_seed_the_api_would_refuse_fails_loudly(seed: dict, message: str) -> None:
    """Duplicate numbers, nameless relations and orders for unknown articles stop the load."""
    with pytest.raises(ValueError, match=message):
        SandboxStore().load(seed)


def test_a_seed_value_of_the_wrong_type_fails() -> None:
    """A string where the WSDL says xsd:long is refused, as it would be on the wire."""
    with pytest.raises(TypeError, match="xsd:long"):
        SandboxStore().load(
            {"products": [{"articleList": {"article": [{"articleNumber": "A-1"}]}}]}
        )


@given(st.integers(min_value=1, max_value=7), st.integers(min_value=0, max_value=12))
def test_sync_marker_paging_returns_every_product_once(limit: int, extra: int) -> None:
    """Whatever the page size, paging by syncMarker returns each product exactly once, and a
    product changed mid-way is returned again after its new marker."""
    store = SandboxStore()
    store.load(load_seed(None))
    for n in range(extra):
        article = {"articleNumber": 900000 + n}
        store.handle("createProduct", {"product": {"articleList": {"article": [article]}}})
    seen: list[int] = []
    marker, first = 0, True
    while True:
        query = {"pluNumbers": {}, "syncMarker": marker, "syncMarkerLimit": limit}
        items = store.handle("getProducts", {"request": query})["productList"]["product"]
        seen += [p["productNumber"] for p in items]
        if first:
            change = {"productNumber": 1, "articleList": {"article": [{"articleNumber": 100045}]}}
            store.handle("updateProduct", {"product": change})
            first = False
        if len(items) < limit:
            break
        marker = items[-1]["syncMarker"]
    assert sorted(set(seen)) == sorted(store.products)
    assert len(seen) - len(set(seen)) <= 1  # only product 1 may come twice (it changed)


@given(
    st.sets(st.sampled_from([100045, 100046, 100047, 100100, 100200, 100300, 999999])),
    st.sets(st.integers(min_value=1, max_value=6), max_size=3),
    st.sampled_from([None, 0, 3]),
)
def test_a_look_up_by_number_answers_what_a_scan_would(
    articles: set[int], products: set[int], marker: int | None
) -> None:
    """getProducts by article or product numbers (answered from the indexes) returns exactly
    the products a scan of the whole catalogue would, in syncMarker order."""
    store = SandboxStore()
    store.load(load_seed(None))
    query: dict[str, object] = {
        "articleNumbers": sorted(articles),
        "productNumbers": sorted(products),
    }
    if marker is not None:
        query["syncMarker"] = marker
    items = store.handle("getProducts", {"request": query})["productList"]["product"]
    expected = [
        p["productNumber"]
        for p in sorted(store.products.values(), key=lambda p: p["syncMarker"])
        if (marker is None or p["syncMarker"] > marker)
        and (not products or p["productNumber"] in products)
        and (not articles or {a["articleNumber"] for a in p["articleList"]["article"]} & articles)
    ]
    assert [p["productNumber"] for p in items] == expected


def test_yaml_seed_files_load_like_json(tmp_path) -> None:
    """A YAML seed (same shape as the JSON one) seeds the same store."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "vatGroups: [{vatCode: 1, vatPercentage: 21}]\n"
        "products:\n"
        "  - description: Tea\n"
        "    articleList: {article: [{articleNumber: 500, priceIncl: 395, vatCode: 1}]}\n"
        "stock: [{articleNumber: 500, amount: '2.5'}]\n"
    )
    store = SandboxStore()
    store.load(load_seed(seed))
    assert store._article(500)["vatPercentage"] == 21
    assert str(store.stock[500].free) == "2.5"


def test_new_numbers_follow_the_highest_one_in_use() -> None:
    """Relations, products and articles without a number get the one after the highest in use,
    also after one was created with a number of its own."""
    store = SandboxStore()
    store.load(load_seed(None))

    def relation(**fields: object) -> int:
        answer = store.handle("createRelation", {"relation": {"name": "R", **fields}})
        assert answer["result"] == "CREATE-RELATION-RESULT-OK"
        return int(answer["relationNumber"])

    first = relation()
    assert first == max(n for n in store.relations if n != first) + 1
    assert relation() == first + 1
    assert relation(relationNumber=first + 50) == first + 50
    assert relation() == first + 51

    def product(**article: object) -> tuple[int, int]:
        request = {"product": {"description": "P", "articleList": {"article": [
            {"description": "A", "vatCode": 2, **article}]}}}  # fmt: skip
        answer = store.handle("createProduct", request)
        assert answer["result"] == "CREATE-PRODUCT-RESULT-OK", answer
        number = int(answer["productNumber"])
        [made] = store.products[number]["articleList"]["article"]
        return number, int(made["articleNumber"])

    one, article = product()
    two, explicit = product(articleNumber=article + 10)
    three, after = product()
    assert (two, three) == (one + 1, one + 2)
    assert (explicit, after) == (article + 10, article + 11)
