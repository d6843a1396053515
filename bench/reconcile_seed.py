"""Seed data for the reconcile benchmark: an AFAS Profit environment with many articles and the
example tenant's default debtors, and a MplusKASSA till with many paid sales of many customers.

The fixed parts (administration, VAT codes, warehouse, default debtors, branch, VAT groups) come
from the demo's seeds, so the example tenant ``bakkerij-jansen`` validates and runs unchanged;
only the bulk is generated. Everything is deterministic: the same sizes give the same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parents[1] / "reconciler" / "demo" / "seeds" / "bakkerij-jansen"
FIRST_ARTICLE = 100_000
"""Item codes are numeric (MplusKASSA article numbers must be) and start here."""
LINES_PER_ORDER = 3
CATALOGUE = 1000
"""Orders sell from the first CATALOGUE articles (at most), which the till knows as products."""
PAYMENT_METHODS = ("pin", "cash", "ideal")


def article_code(n: int) -> str:
    """The AFAS item code (and MplusKASSA article number) of the n-th generated article."""
    return str(FIRST_ARTICLE + n)


def afas_seed(products: int) -> dict[str, Any]:
    """The AFAS seed: the demo's set-up and debtors, and ``products`` active articles."""
    demo = json.loads((DEMO / "afas.json").read_text(encoding="utf-8"))
    articles = [
        {
            "ItCd": article_code(n),
            "Ds": f"Artikel {n}",
            "Grp": "100",
            "BiUn": "STK",
            "BiSt": True,
            "VaRc": "2",
            "SaPrice": round(1 + (n % 500) / 10, 2),
            "CreateDate": "2024-01-01T08:00:00Z",
            "ModifiedDate": "2024-03-01T08:00:00Z",
            "BaCo": f"87{n:011d}",
        }
        for n in range(products)
    ]
    return {**demo, "articles": articles, "stock": [], "orders": []}


def mplus_empty() -> dict[str, Any]:
    """A MplusKASSA seed with the demo's branch and VAT groups and nothing else: the target of
    an initial product sync."""
    demo: dict[str, Any] = json.loads((DEMO / "kassa.json").read_text(encoding="utf-8"))
    return {**demo, "products": [], "relations": [], "orders": []}


def mplus_seed(orders: int, customers: int, products: int) -> dict[str, Any]:
    """The MplusKASSA seed of the order sync: the demo's branch and VAT groups, ``customers``
    relations with an e-mail each, and ``orders`` paid sales, each of one customer (round robin)
    with LINES_PER_ORDER lines of articles among the first min(``products``, CATALOGUE) AFAS
    articles, which the till has as products (it refuses sales of unknown articles)."""
    demo = mplus_empty()
    catalogue = min(products, CATALOGUE)
    till_products = [
        {
            "productNumber": n + 1,
            "description": f"Artikel {n}",
            "articleList": {"article": [{"articleNumber": int(article_code(n)),
                                         "description": f"Artikel {n}", "priceIncl": 250,
                                         "vatCode": 2, "stockArticle": True, "active": True}]},
        }
        for n in range(catalogue)
    ]  # fmt: skip
    relations = [
        {
            "relationNumber": c + 1,
            "name": f"Klant {c}",
            "email": f"klant{c}@bench.test",
            "address": f"Dorpsstraat {c + 1}",
            "zipcode": "1135 AB",
            "city": "Edam",
            "country": "NL",
        }
        for c in range(customers)
    ]
    sales = []
    for o in range(orders):
        lines = [
            {
                "articleNumber": int(article_code((o * LINES_PER_ORDER + i) % catalogue)),
                "data": {"quantity": 100 * (i + 1), "decimalPlaces": 2, "price": 250,
                         "vatPercentage": 9},
            }
            for i in range(LINES_PER_ORDER)
        ]  # fmt: skip
        total = sum(line["data"]["quantity"] * 250 // 100 for line in lines)  # type: ignore[index]
        method = PAYMENT_METHODS[o % len(PAYMENT_METHODS)]
        sales.append(
            {
                "extOrderId": f"B-{o + 1:07d}",
                "paymentMethod": method,
                "deliveryAddress": {"name": "", "address": "Dorpsstraat 1", "zipcode": "1135 AB",
                                    "city": "Edam", "country": "NL"},
                "lineList": {"line": lines},
                "relationNumber": o % customers + 1,
                "paymentList": {"payment": [{"method": method, "amount": total}]},
            }
        )  # fmt: skip
    return {**demo, "products": till_products, "relations": relations, "orders": sales}


def write_seed(path: Path, seed: dict[str, Any]) -> Path:
    """Write a seed as JSON; its path."""
    path.write_text(json.dumps(seed), encoding="utf-8")
    return path
