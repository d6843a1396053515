"""How Visma.net stores what koppel writes, for comparing desired with actual records.

Prices are compared at two decimals; e-mail addresses and country codes without case; a postal
code without spacing (Visma.net keeps what it is given, people retype it); an item's custom
fields (attributes) only on the attributes koppel writes, since an item carries more; the
currency of a product record is a check against the company's base currency, never stored;
an order's customer e-mail only finds the customer.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        case_insensitive=frozenset({"email", "country", "deliveryCountry"}),
        loose=frozenset({"postalCode", "deliveryPostalCode"}),
    ),
    Entity.products: FieldRules(
        decimals={"defaultPrice": 2},
        write_only=frozenset({"currency"}),
        partial=frozenset({"customFields"}),
    ),
    Entity.stock: FieldRules(decimals={"quantity": 4}),
    Entity.orders: FieldRules(write_only=frozenset({"customerEmail"})),
}
"""Per entity, the comparison rules of Visma.net target records."""
