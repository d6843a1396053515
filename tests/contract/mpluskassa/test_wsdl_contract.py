"""What the client sends and what the sandbox answers both validate against the real WSDL.

Runs every operation koppel uses through a recording transport, then checks each request's and
each successful response's body element against the XML Schema in ``mplusqapi.wsdl``. Skipped,
with the reason, when the reference WSDL is not beside the repository.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.mpluskassa import soap
from connectors.mpluskassa.client import MplusClient
from connectors.mpluskassa.operations import OPERATIONS
from reconciler.errors import NotFoundError, RejectedError

from .conftest import Harness
from .wsdl import wsdl_path, wsdl_schema


async def _every_operation(client: MplusClient) -> None:
    await client.get_api_version()
    await client.get_current_sync_markers()
    await client.get_vat_groups()
    await client.get_products(limit=2, article_numbers=[100045], only_active=True)
    created = await client.create_product(
        {
            "description": "Tea",
            "groupNumbers": [20],
            "articleList": {
                "article": [
                    {
                        "articleNumber": 300001,
                        "extArticleId": "TEA-1",
                        "description": "Tea",
                        "barcode": "8712345999999",
                        "priceIncl": 395,
                        "priceExcl": 362,
                        "vatCode": 2,
                        "turnoverGroup": 20,
                        "stockArticle": True,
                        "active": True,
                        "webshop": False,
                    }
                ]
            },
        }
    )
    await client.update_product(
        {
            "productNumber": created["productNumber"],
            "articleList": {"article": [{"articleNumber": 300001, "priceIncl": 425}]},
        }
    )
    await client.get_relations(limit=1)
    await client.find_relation(email="anna@example.nl")
    relation = await client.create_relation(
        {"name": "Jan Klaassen", "email": "jan@example.nl", "country": "NL"}
    )
    await client.update_relation({"relationNumber": relation["relationNumber"], "city": "Ede"})
    order = {
        "extOrderId": "C-1",
        "relationNumber": relation["relationNumber"],
        "invoiceAddress": {"name": "Jan Klaassen", "address": "Laan 1", "country": "NL"},
        "financialDate": {"day": 1, "mon": 2, "year": 2026},
        "vatMethod": "VAT-METHOD-INCLUSIVE",
        "lineList": {
            "line": [
                {
                    "articleNumber": 300001,
                    "text": "Tea",
                    "data": {"quantity": 2, "decimalPlaces": 0, "price": 425, "vatCode": 2},
                    "sequenceNumber": 1,
                }
            ]
        },
        "paymentList": {"payment": [{"method": "PIN", "amount": 850}]},
    }
    await client.create_order(order)
    await client.queue_branch_order({**order, "extOrderId": "C-2"})
    await client.find_order("C-1")
    await client.find_order("missing")
    await client.get_orders(limit=5)
    await client.get_stock([300001, 100045])
    await client.set_stock(300001, Decimal("4.5"))
    await client.update_stock(300001, Decimal(-1))


async def _every_refusal(client: MplusClient) -> int:
    """Each business refusal koppel can meet; returns how many were refused."""
    line = {"articleNumber": 100300, "data": {"quantity": 1, "decimalPlaces": 0}}
    attempts = [
        client.create_product({"articleList": {"article": [{"articleNumber": 100045}]}}),
        client.create_product({"productNumber": 1, "articleList": {"article": [{}]}}),
        client.update_product({"productNumber": 999}),
        client.update_product(
            {"productNumber": 2, "articleList": {"article": [{"articleNumber": 100045}]}}
        ),
        client.create_relation({"relationNumber": 1, "name": "Taken"}),
        client.update_relation({"relationNumber": 999, "name": "Nobody"}),
        client.create_order({"extOrderId": "WEB-1001", "lineList": {"line": [line]}}),
        client.create_order({"extOrderId": "U-1", "lineList": {"line": [{"articleNumber": 1}]}}),
        client.create_order(
            {
                "extOrderId": "P-1",
                "lineList": {"line": [line]},
                "paymentList": {"payment": [{"method": " ", "amount": 1}]},
            }
        ),
        client.queue_branch_order({"extOrderId": "WEB-1001", "lineList": {"line": [line]}}),
        client.set_stock(100200, Decimal(1)),
        client.update_stock(424242, Decimal(1)),
    ]
    refused = 0
    for attempt in attempts:
        try:
            await attempt
        except (RejectedError, NotFoundError):
            refused += 1
    return refused


def test_refusals_follow_the_wsdl_too(mplus: Harness) -> None:
    """Every non-OK answer the sandbox gives (FAILED, ALREADY-TAKEN, NOT-FOUND, NOT-ALLOWED,
    PAYMENT-FAILED, NO-STOCK-ARTICLE...) is a valid response element with a result enum value."""
    schema = wsdl_schema()
    if schema is None:
        pytest.skip(f"reference WSDL not found at {wsdl_path()} (set KOPPEL_REFERENCE_DIR)")
    assert mplus.run(_every_refusal) == 12
    problems = []
    for action, request, status, response in mplus.transport.exchanges:
        assert status == 200, action
        for kind, body in (("request", request), ("response", response)):
            if not schema.validate(soap.body_element(body)):
                problems.append(f"{action} {kind}: {schema.error_log.last_error}")
    assert problems == []


def test_requests_and_responses_follow_the_wsdl(mplus: Harness) -> None:
    """Every request body and every HTTP 200 response body is valid per the WSDL's schema, and
    every operation koppel uses was exercised."""
    schema = wsdl_schema()
    if schema is None:
        pytest.skip(f"reference WSDL not found at {wsdl_path()} (set KOPPEL_REFERENCE_DIR)")
    mplus.run(_every_operation)
    problems = []
    for action, request, status, response in mplus.transport.exchanges:
        for kind, body in (("request", request), ("response", response)):
            if kind == "response" and status != 200:
                continue
            element = soap.body_element(body)
            if not schema.validate(element):
                problems.append(f"{action} {kind}: {schema.error_log.last_error}")
    assert problems == []
    assert {action for action, *_ in mplus.transport.exchanges} == set(OPERATIONS)
