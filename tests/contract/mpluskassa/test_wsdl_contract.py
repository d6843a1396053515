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
