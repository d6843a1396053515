"""How eAccounting stores what koppel writes, for comparing desired with actual records.

Prices are kept with two decimals; e-mail and country codes compare without case, postcodes and
cities loosely (eAccounting keeps what it is sent, but people type "3511ab"). A few written
fields are never read back as written: ``taxRate`` only chooses a coding, ``currency`` is a
check against the company's, ``customerEmail`` only
finds an order's customer, ``orderType`` only chooses the endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        defaults={"active": True, "isPrivatePerson": False},
        loose=frozenset({"city", "postalCode", "deliveryCity", "deliveryPostalCode"}),
        case_insensitive=frozenset({"email", "contactPersonEmail", "country", "deliveryCountry"}),
    ),
    Entity.products: FieldRules(
        defaults={"active": True, "sellOnline": False, "stockTracked": False},
        decimals={"netPrice": 2, "grossPrice": 2, "purchasePrice": 2, "stockBalance": 2},
        write_only=frozenset({"taxRate", "currency"}),
    ),
    Entity.orders: FieldRules(
        defaults={"status": 1},
        write_only=frozenset({"customerEmail", "orderType"}),
    ),
}
"""Per entity, the comparison rules of eAccounting target records."""
