"""How MplusKASSA stores what koppel writes, for comparing desired with actual records.

Money is kept in cents and quantities as scaled integers, so desired amounts are compared at
two decimals; a few written fields are never read back (the currency is a check against the
connection, the product description only names the product group).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.products: FieldRules(
        decimals={"priceIncl": 2, "priceExcl": 2, "purchasePrice": 2, "quantity": 2},
        write_only=frozenset({"currency", "productDescription", "productNumber"}),
    ),
    Entity.customers: FieldRules(case_insensitive=frozenset({"email"})),
    Entity.stock: FieldRules(decimals={"amount": 2}),
}
"""Per entity, the comparison rules of MplusKASSA target records."""
