"""How e-conomic stores what koppel writes, for comparing desired with actual records.

Money is kept at two decimals; e-conomic keeps text as given but a person may retype a postal
code or city in another case; ``barred`` is false unless set. A product's currency is a check
against the agreement (products carry none) and an order's customer e-mail is resolved to its
customer number, so neither is read back.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        defaults={"barred": False},
        case_insensitive=frozenset({"email", "country", "currency"}),
        loose=frozenset({"zip", "city"}),
    ),
    Entity.products: FieldRules(
        defaults={"barred": False},
        decimals={"salesPrice": 2, "costPrice": 2, "recommendedPrice": 2},
        write_only=frozenset({"currency"}),
    ),
    Entity.orders: FieldRules(write_only=frozenset({"customerEmail"})),
}
"""Per entity, the comparison rules of e-conomic target records."""
