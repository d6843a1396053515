"""Sandbox answers and client request bodies against the 2016 Swagger description of Visma.net.

The description is read from the shared reference folder beside the repository (never copied
into it); without that folder the tests skip, saying so. It is older than today's API, so two
relaxations are stated here, field by field: ``NEWER_READ`` / ``NEWER_WRITE`` are the fields
today's API has (target-apis.md §6.3-6.4) that the 2016 file lacks; and empty values are
dropped before validating (the 2016 schemas declare no ``null``, the live API answers them).
Everything else a read DTO or an UpdateDto body carries must be a property of its definition,
of the declared type and enum, and every UpdateDto scalar must be a ``{"value": ...}`` wrapper.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectors.vismanet import translate
from tests.contract.vismanet.conftest import VismaNet

REFERENCE = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "vismanet"
).resolve()
SWAGGER = REFERENCE / "visma-net-api-2016.swagger.json"
pytestmark = pytest.mark.skipif(
    not SWAGGER.is_file(), reason=f"Visma.net Swagger reference not found at {SWAGGER}"
)

NEWER_READ: dict[str, set[str]] = {
    # today's read DTO: the long description, attributes, stock per warehouse (§6.4)
    "InventoryDto": {"body", "baseUnit", "attributes", "warehouseDetails", "createdDateTime"},
    # today's sales order names the branch as branchNumber {number, name} (§6.4 header fields)
    "SalesOrderDto": {"branchNumber", "createdDateTime"},
    "CustomerDto": set(),
}
NEWER_WRITE: dict[str, set[str]] = {
    "InventoryUpdateDto": {"body", "baseUnit", "attributeLines", "crossReferences"},
    "SalesOrderUpdateDto": {"branchNumber"},
    # §6.4 line fields: inventoryNumber (2016: inventoryId), discountPercent, discountAmount
    "SalesOrderLineUpdateDto": {"inventoryNumber", "discountPercent", "discountAmount"},
    "CustomerUpdateDto": set(),
    "InventoryAdjustmentUpdateDto": set(),
    "InventoryAdjustmentLineUpdateDto": set(),
}


@cache
def swagger() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SWAGGER.read_text("utf-8-sig"))
    return loaded


def definition(name: str) -> dict[str, Any]:
    found: dict[str, Any] = swagger()["definitions"][name]
    return found


@cache
def validator(name: str) -> jsonschema.Draft4Validator:
    """A validator of one definition (Swagger 2.0 schemas are draft 4), built once."""
    schema = {"$ref": f"#/definitions/{name}", "definitions": swagger()["definitions"]}
    return jsonschema.Draft4Validator(schema)


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def check_read(name: str, dto: dict[str, Any]) -> None:
    """``dto`` validates against definition ``name`` and has no undeclared top-level field."""
    extra = set(dto) - set(definition(name)["properties"]) - NEWER_READ[name]
    assert not extra, f"{name} has no {sorted(extra)}"
    newer = {k for k in dto if k in NEWER_READ[name]}
    validator(name).validate(_without_empty({k: v for k, v in dto.items() if k not in newer}))


def check_write(name: str, body: dict[str, Any]) -> None:
    """Every field of an UpdateDto body is declared, and every declared wrapper is one."""
    props = definition(name)["properties"]
    extra = set(body) - set(props) - NEWER_WRITE[name]
    assert not extra, f"{name} has no {sorted(extra)}"
    for field, value in body.items():
        declared = props.get(field, {})
        ref = declared.get("$ref", "")
        wrapped = ref.split("/")[-1].startswith("DtoValue[")
        if wrapped or (field in NEWER_WRITE[name] and not isinstance(value, list)):
            assert isinstance(value, dict), f"{name}.{field} is not a value wrapper"
            assert set(value) == {"value"}, f"{name}.{field} is not a value wrapper"


def test_sandbox_read_dtos_follow_the_description(vismanet: VismaNet) -> None:
    """Customer, inventory item, sales order and VAT category as the sandbox answers them."""
    client = vismanet.client()
    body = translate.order_body(
        {
            "orderType": "SO",
            "orderNumber": "SW-1",
            "customer": "10001",
            "branchNumber": "1",
            "terms": "30D",
            "lines": [{"inventoryNumber": "ITEM-100", "quantity": 1, "taxCategory": "01"}],
        }
    )

    async def scenario() -> list[Any]:
        try:
            await client.create("salesorder", body)
            return [
                await client.get_one("customer", "10001"),
                await client.get_one("inventory", "ITEM-100"),
                await client.get_one("salesorder", "SW-1"),
                await client.get_all("vatCategory"),
                await client.get_all("branch"),
            ]
        finally:
            await client.aclose()

    customer, item, order, vat, branches = asyncio.run(scenario())
    check_read("CustomerDto", customer)
    check_read("InventoryDto", item)
    check_read("SalesOrderDto", order)
    for row in order["lines"]:
        validator("SalesOrderLineDto").validate(_without_empty(row))
    for row in vat:
        validator("VatCategoryDto").validate(_without_empty(row))
    for row in branches:
        validator("BranchDto").validate(_without_empty(row))


def test_client_write_bodies_follow_the_update_dtos() -> None:
    """What the connector sends for customers, items, orders and stock adjustments."""
    customer = translate.customer_body(
        {
            "name": "Acme BV",
            "contactName": "Jan",
            "email": "info@acme.test",
            "addressLine1": "Dam 1",
            "city": "Amsterdam",
            "country": "NL",
            "deliveryCity": "Utrecht",
            "customerClassId": "01",
            "vatZoneId": "01",
            "creditTermsId": "30D",
        }
    )
    check_write("CustomerUpdateDto", customer)
    for block, dto in (
        ("mainAddress", "AddressUpdateDto"),
        ("mainContact", "ContactInfoUpdateDto"),
    ):
        inner = customer[block]["value"]
        assert set(inner) <= set(definition(dto)["properties"])
        assert all(set(v) == {"value"} for v in inner.values())
    item = translate.inventory_body(
        {
            "inventoryNumber": "NK-1",
            "description": "Tent",
            "longDescription": "Lang",
            "itemClass": "OUTDOOR",
            "vatCode": "01",
            "defaultPrice": "12.50",
            "ean": "8712345678906",
            "customFields": {"BRAND": "Noordkaap"},
        }
    )
    check_write("InventoryUpdateDto", item)
    order = translate.order_body(
        {
            "orderType": "SO",
            "orderNumber": "1",
            "customer": "10001",
            "branchNumber": "1",
            "lines": [{"inventoryNumber": "NK-1", "quantity": "2", "unitPrice": "5"}],
        }
    )
    check_write("SalesOrderUpdateDto", {k: v for k, v in order.items() if k != "lines"})
    for line in order["lines"]:
        check_write("SalesOrderLineUpdateDto", line)
    adjustment = translate.adjustment_body(
        "NK-1", Decimal(3), warehouse="MAIN", date=dt.date(2026, 1, 1)
    )
    check_write(
        "InventoryAdjustmentUpdateDto",
        {k: v for k, v in adjustment.items() if k != "adjustmentLines"},
    )
    for line in adjustment["adjustmentLines"]:
        check_write("InventoryAdjustmentLineUpdateDto", line)
