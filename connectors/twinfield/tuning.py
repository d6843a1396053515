"""How Twinfield stores what koppel writes, for comparing desired with actual records.

Twinfield keeps one name per customer and no separate first or last name, so the customer's
fields are compared as written; e-mail without case, postcode and city loosely (people type
``1234ab``). Orders are never updated, so they need no rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        case_insensitive=frozenset({"email", "country"}),
        loose=frozenset({"postalCode", "city"}),
    ),
}
"""Per entity, the comparison rules of Twinfield target records."""
