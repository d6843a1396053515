"""Sandbox answers against e-conomic's published response schemas (customers, products,
booked invoices).

The schemas are read from the shared reference folder beside the repository (never copied into
it); without that folder the tests skip, saying so. Besides validating each answer with
``jsonschema``, every property the sandbox sends must be one the schema describes, so the
sandbox invents no fields. The schemas do not cover the collection envelope, orders, VAT zones
or contacts (see the folder's README); those follow ``target-apis.md`` and are tested in
``test_client.py``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from .conftest import APP, GRANT, Economic

ROOT = Path(__file__).resolve().parents[3]
CANDIDATES = [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
"""The shared folder beside the repository (or beside the folder of its worktrees)."""
REFERENCE = next(
    (c / "reference" / "economic" for c in CANDIDATES if (c / "reference" / "economic").is_dir()),
    CANDIDATES[0] / "reference" / "economic",
)
SCHEMAS = REFERENCE / "restapi-collection-schemas.json"
pytestmark = pytest.mark.skipif(
    not SCHEMAS.is_file(), reason=f"e-conomic response schemas not found at {SCHEMAS}"
)
HEADERS = {"X-AppSecretToken": APP, "X-AgreementGrantToken": GRANT}


@cache
def schemas() -> dict[str, Any]:
    data = json.loads(SCHEMAS.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def undocumented(instance: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Paths of properties in ``instance`` that ``schema`` does not describe."""
    found: list[str] = []
    if isinstance(instance, dict) and "properties" in schema:
        for key, value in instance.items():
            sub = schema["properties"].get(key)
            if sub is None:
                found.append(f"{path}.{key}" if path else key)
            else:
                found.extend(undocumented(value, sub, f"{path}.{key}" if path else key))
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            found.extend(undocumented(item, schema["items"], f"{path}[{index}]"))
    return found


def check(instance: Any, name: str) -> None:
    schema = schemas()[name]
    jsonschema.Draft7Validator(schema).validate(instance)
    assert undocumented(instance, schema) == [], f"{name}: properties the schema lacks"


def get(economic: Economic, path: str) -> Any:
    response = httpx.get(f"{economic.url}/{path}", headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def test_customers_match_the_customer_schema(economic: Economic) -> None:
    """Every customer of the collection, and one read alone, validates against
    ``customers``; so does one the sandbox created."""
    economic.run(
        lambda c: c.create_customer(
            {"name": "Ny Kunde", "currency": "DKK", "customerGroup": {"customerGroupNumber": 1},
             "paymentTerms": {"paymentTermsNumber": 1}, "vatZone": {"vatZoneNumber": 1}}
        )
    )  # fmt: skip
    rows = get(economic, "customers?pagesize=1000")["collection"]
    assert len(rows) == 4
    for row in rows:
        check(row, "customers")
    check(get(economic, "customers/101"), "customers")


def test_products_match_the_product_schema(economic: Economic) -> None:
    """Every product validates against ``products``."""
    for row in get(economic, "products")["collection"]:
        check(row, "products")
    check(get(economic, "products/NK-100"), "products")


def test_booked_invoices_match_their_schemas(economic: Economic) -> None:
    """A booked invoice validates against ``invoices_booked`` in the collection and against
    ``invoices_booked_document`` (with its lines) alone."""
    body = {
        "date": "2024-04-01", "currency": "DKK", "customer": {"customerNumber": 101},
        "paymentTerms": {"paymentTermsNumber": 1}, "layout": {"layoutNumber": 19},
        "recipient": {"name": "Fjeldudstyr ApS", "vatZone": {"vatZoneNumber": 1}},
        "references": {"other": "WEB-3001"}, "notes": {"heading": "Webordre 3001"},
        "lines": [{"product": {"productNumber": "NK-100"}, "quantity": 1, "unitNetPrice": 1199.0,
                   "unit": {"unitNumber": 1}}],
    }  # fmt: skip

    async def book(client: Any) -> Any:
        draft = await client.create_document("invoices/drafts", body)
        return await client.book_invoice(draft["draftInvoiceNumber"])

    booked = economic.run(book)
    for row in get(economic, "invoices/booked")["collection"]:
        check(row, "invoices_booked")
    document = get(economic, f"invoices/booked/{booked['bookedInvoiceNumber']}")
    assert document["lines"]
    check(document, "invoices_booked_document")
