"""How AsPos stores what koppel writes, for comparing desired with actual records.

The contract keeps money at two decimals, lower-cases e-mail addresses and upper-cases
countries; the customer's type is derived from its company name, so it is not a field of its
own; an order's e-mail is resolved to its customerId and not kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        case_insensitive=frozenset({"email", "country", "shippingCountry"})
    ),
    Entity.products: FieldRules(
        decimals={"priceExclTax": 2, "priceInclTax": 2, "costPrice": 2, "taxRate": 2},
        defaults={"active": True},
    ),
    Entity.stock: FieldRules(decimals={"quantity": 3}),
    # An order's e-mail only finds its customer; AsPos keeps the customerId.
    Entity.orders: FieldRules(write_only=frozenset({"email"})),
}
"""Per entity, the comparison rules of AsPos target records."""
