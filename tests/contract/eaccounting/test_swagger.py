"""The sandbox's answers and the connector's request bodies against eAccounting's Swagger 2.0
description of its API v2.

The description is read from the shared reference folder beside the repository (never copied
into it); without that folder these tests skip, saying so. Two deliberate readings: every
property may be null (the API answers null for empty values and the description has no
``x-nullable``), and no object may carry a property its definition does not list
(``additionalProperties: false``), so the sandbox invents no field names.
"""

from __future__ import annotations

import asyncio
import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from connectors.eaccounting.mapping import map_record
from reconciler.canonical import Address, Customer, Entity, Order, OrderLine, Product
from tests.contract.doubles import RecordingTransport
from tests.contract.eaccounting.conftest import ACCESS_TOKEN, EAccounting

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT.parent / "shared" / "reference" / "eaccounting" / "eaccounting-api-v2.swagger.json"
pytestmark = pytest.mark.skipif(
    not REFERENCE.is_file(), reason=f"eAccounting Swagger description not found at {REFERENCE}"
)
LISTS = [
    "customers",
    "articles",
    "orders",
    "customerinvoicedrafts",
    "customerinvoices",
    "vatcodes",
    "termsofpayments",
    "units",
    "articleaccountcodings",
    "articlelabels",
]
ROUTES = [
    ("get", "/v2/customers"), ("post", "/v2/customers"), ("get", "/v2/customers/{customerId}"),
    ("put", "/v2/customers/{customerId}"), ("get", "/v2/articles"), ("post", "/v2/articles"),
    ("get", "/v2/articles/{articleId}"), ("put", "/v2/articles/{articleId}"),
    ("get", "/v2/orders"), ("post", "/v2/orders"), ("get", "/v2/orders/{id}"),
    ("put", "/v2/orders/{id}"), ("post", "/v2/orders/{id}/convert"),
    ("get", "/v2/customerinvoicedrafts"), ("post", "/v2/customerinvoicedrafts"),
    ("get", "/v2/customerinvoices"), ("get", "/v2/vatcodes"), ("get", "/v2/termsofpayments"),
    ("get", "/v2/units"), ("get", "/v2/articleaccountcodings"), ("get", "/v2/articlelabels"),
]  # fmt: skip
"""Every route the sandbox serves and the client uses."""


@cache
def swagger() -> dict[str, Any]:
    return dict(json.loads(REFERENCE.read_text("utf-8")))


@cache
def definitions(*, nullable: bool) -> dict[str, Any]:
    defs = copy.deepcopy(swagger()["definitions"])
    for schema in defs.values():
        if schema.get("type", "object") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
            if nullable:
                schema["properties"] = {
                    name: {"anyOf": [prop, {"type": "null"}]}
                    for name, prop in schema["properties"].items()
                }
    return defs


def validate(instance: Any, ref: str, *, nullable: bool = True) -> None:
    schema = {"$ref": ref, "definitions": definitions(nullable=nullable)}
    jsonschema.Draft4Validator(schema).validate(instance)


def response_ref(path: str, method: str = "get") -> str:
    responses = swagger()["paths"][path][method]["responses"]
    schema = (responses.get("200") or responses["201"])["schema"]
    return str(schema["$ref"])


def _get(ea: EAccounting, path: str) -> Any:
    response = httpx.get(
        f"{ea.origin}{path}", headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}, timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_every_route_is_in_the_description() -> None:
    """The sandbox serves no path or method that eAccounting's description lacks, and every
    list it filters takes OData query options there (an ``ODataQueryOptions[...]``)."""
    paths = swagger()["paths"]
    for method, path in ROUTES:
        assert method in paths.get(path, {}), f"{method.upper()} {path}"
    for collection in LISTS:
        item = response_ref(f"/v2/{collection}").split("[", 1)[1].rstrip("]")
        assert f"ODataQueryOptions[{item}]" in swagger()["definitions"], collection


@pytest.mark.parametrize("collection", LISTS)
def test_list_answers_match_their_paginated_definitions(ea: EAccounting, collection: str) -> None:
    """Each list answer is a PaginatedResponse[...] with Meta and Data as the description has
    them (after a draft is written, so drafts have one to show)."""
    _write_everything(ea)
    data = _get(ea, f"/v2/{collection}?$pagesize=2")
    validate(data, response_ref(f"/v2/{collection}"))
    assert data["Data"], collection


def test_single_objects_match_their_definitions(ea: EAccounting) -> None:
    """GET of one article and one order answer ArticleApi and OrderApi."""
    article = _get(ea, "/v2/articles/70000000-0000-4000-8000-000000000001")
    validate(article, response_ref("/v2/articles/{articleId}"))
    order = _get(ea, "/v2/orders/80000000-0000-4000-8000-000000000001")
    validate(order, response_ref("/v2/orders/{id}"))


def test_connector_request_bodies_match_their_definitions(ea: EAccounting) -> None:
    """What the connector POSTs and PUTs has every required field, the right types and no
    field the API does not know; no nulls are sent."""
    transport = RecordingTransport()
    _write_everything(ea, transport=transport)
    sent = [r for r in transport.requests if r.method in ("POST", "PUT")]
    assert {(r.method, r.url.path.rsplit("/", 1)[0] if r.method == "PUT" else r.url.path)
            for r in sent} >= {("POST", "/v2/customers"), ("POST", "/v2/articles"),
                               ("POST", "/v2/orders"), ("POST", "/v2/customerinvoicedrafts"),
                               ("PUT", "/v2/articles"), ("PUT", "/v2/customers")}  # fmt: skip
    paths = swagger()["paths"]
    for request in sent:
        template = {
            "/v2/customers": "/v2/customers",
            "/v2/articles": "/v2/articles",
            "/v2/orders": "/v2/orders",
            "/v2/customerinvoicedrafts": "/v2/customerinvoicedrafts",
        }[request.url.path if request.method == "POST" else request.url.path.rsplit("/", 1)[0]]
        if request.method == "PUT":
            template += "/{customerId}" if "customers" in template else "/{articleId}"
        [body] = [p for p in paths[template][request.method.lower()]["parameters"]
                  if p["in"] == "body"]  # fmt: skip
        validate(json.loads(request.content), body["schema"]["$ref"], nullable=False)


def _write_everything(
    ea: EAccounting, *, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    customer = Customer(
        email="inkoop@hutten.test", company_name="Hutten BV", first_name="Eva",
        last_name="Bakker",
        billing_address=Address(street="Kerkstraat", number="3", postal_code="1017 GC",
                                city="Amsterdam", country="NL"),
    )  # fmt: skip
    product = Product(sku="NK-9", name="Stok", price_excl_tax=10, tax_rate=21, unit="st",
                      ean="8711111111111", features={"kleur": "rood"})  # fmt: skip
    order = Order(number="WEB-9", customer=customer,
                  lines=[OrderLine(sku="NK-9", quantity=2, unit_price=10)])  # fmt: skip

    async def go() -> None:
        connector = ea.connector(transport=transport)
        try:
            await connector.create(
                Entity.customers, map_record(Entity.customers, customer.to_data())
            )
            await connector.create(Entity.products, map_record(Entity.products, product.to_data()))
            data = map_record(Entity.orders, order.to_data())
            await connector.create(Entity.orders, {**data, "orderType": "order"})
            await connector.create(
                Entity.orders, {**data, "reference": "WEB-9B", "orderType": "invoice"}
            )
            await connector.update(
                Entity.products, "NK-9", {"netPrice": "11.00"}, fields=["netPrice"]
            )
            await connector.update(
                Entity.customers, "inkoop@hutten.test", {"phone": "020-1"}, fields=["phone"]
            )
        finally:
            await connector.aclose()

    asyncio.run(go())
