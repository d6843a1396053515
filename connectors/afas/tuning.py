"""How AFAS stores what koppel writes, for comparing desired with actual records.

The standard GetConnectors do not read back everything the UpdateConnectors write
(``Profit_Debtor`` has no company, first or last name, country or language columns), and AFAS
reformats some values (a city in capitals, a postcode as ``1234 AB``). Fields it cannot read are
never compared, reformatted ones loosely, so a drift scan does not rewrite every debtor.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.afas.models import CUSTOMER_FIELDS, PRODUCT_FIELDS
from reconciler.canonical import Entity
from reconciler.plan.normalise import FieldRules

_CUSTOMER_READABLE = {
    "debtorId",
    "email",
    "phone",
    "vatNumber",
    "cocNumber",
    "debtorLedgerAccount",
    "paymentCondition",
    "vatDuty",
    "currency",
    "street",
    "houseNumber",
    "houseNumberSuffix",
    "postalCode",
    "city",
}
_PRODUCT_READABLE = {
    "sku",
    "description",
    "extraDescription",
    "unit",
    "group",
    "ean",
    "vatGroup",
    "blocked",
    "trackStock",
    "salesPrice",
}

COMPARISON: Mapping[Entity, FieldRules] = {
    Entity.customers: FieldRules(
        loose=frozenset({"city", "postalCode"}),
        case_insensitive=frozenset({"email"}),
        write_only=frozenset((set(CUSTOMER_FIELDS) - _CUSTOMER_READABLE) | {"customFields"}),
    ),
    Entity.products: FieldRules(
        decimals={"salesPrice": 2, "costPrice": 2},
        write_only=frozenset(set(PRODUCT_FIELDS) - _PRODUCT_READABLE),
    ),
    Entity.stock: FieldRules(write_only=frozenset({"unit"})),
}
"""Per entity, the comparison rules of AFAS target records."""
