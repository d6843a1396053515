"""The sandbox store without HTTP: seeding goes through the API's own rules."""

from __future__ import annotations

import json

import pytest

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
