"""How AsPos stores what koppel writes, for comparing desired with actual records.

The contract keeps money at two decimals and lower-cases e-mail addresses; the customer's
type is derived from its company name, so it is not a field of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(case_insensitive=frozenset({"email", "country"})),
    Entity.products: FieldRules(
        decimals={"priceExclTax": 2, "priceInclTax": 2, "costPrice": 2, "taxRate": 2},
        defaults={"active": True},
    ),
    Entity.stock: FieldRules(decimals={"quantity": 3}),
}
"""Per entity, the comparison rules of AsPos target records."""
