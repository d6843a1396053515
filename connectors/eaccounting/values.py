"""Values and master data shared by the eAccounting translations: text, decimals, dates,
address lines, names, labels as features, and the ``MasterData`` snapshot they read. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.eaccounting.models import WireRecord
from connectors.values import decimal, text

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MasterData:
    """The company's master data by id, as the translations need it."""

    units: Mapping[str, WireRecord] = field(default_factory=dict)
    codings: Mapping[str, WireRecord] = field(default_factory=dict)
    labels: Mapping[str, WireRecord] = field(default_factory=dict)
    terms: Mapping[str, WireRecord] = field(default_factory=dict)

    def unit_code(self, unit_id: object) -> str | None:
        unit = self.units.get(str(unit_id).lower())
        return text((unit or {}).get("Code") or (unit or {}).get("Abbreviation"))

    def tax_rate(self, coding_id: object) -> Decimal | None:
        """The coding's VAT as a percentage (``VatRatePercent`` is a fraction: 0.21 = 21%)."""
        coding = self.codings.get(str(coding_id).lower())
        rate = decimal((coding or {}).get("VatRatePercent"))
        return None if rate is None else plain(rate * HUNDRED)

    def label_names(self, labels: object) -> list[str]:
        names = []
        for item in labels if isinstance(labels, list) else []:
            if not isinstance(item, dict):
                continue
            name = item.get("Name") or self.labels.get(str(item.get("Id")).lower(), {}).get("Name")
            if name:
                names.append(str(name))
        return sorted(names)


# -- values ----------------------------------------------------------------------------------


def plain(value: Decimal) -> Decimal:
    """A decimal without trailing zeros and never in exponent form (``1E+1`` -> ``10``)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def number(value: object) -> int | float | None:
    """A JSON number for a body: exact integers stay integers."""
    amount = decimal(value)
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def compact(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and not _empty(v)}


def _empty(value: object) -> bool:
    return isinstance(value, str | list) and len(value) == 0


_STREET = re.compile(r"^(?P<street>.*?\D)\s+(?P<number>\d+)\s*[-]?\s*(?P<suffix>\S.*)?$")


def split_street(line: object) -> dict[str, str]:
    """Street, house number and suffix from one address line ("Kerkstraat 33 bis")."""
    value = text(line)
    if value is None:
        return {}
    match = _STREET.match(value)
    if not match:
        return {"street": value}
    parts = {"street": match["street"].strip(), "number": match["number"]}
    if match["suffix"]:
        parts["number_suffix"] = match["suffix"].strip()
    return parts


def split_name(full: object) -> tuple[str | None, str | None]:
    """First name and the rest ("Piet van Dam" -> "Piet", "van Dam")."""
    value = text(full)
    if value is None:
        return None, None
    first, _, rest = value.partition(" ")
    return first, (rest.strip() or None)


def features_from_labels(names: Sequence[str]) -> dict[str, str]:
    """Labels as features: ``"kleur: rood"`` -> ``{"kleur": "rood"}``; a plain label is a flag
    (``"Waterdicht"`` -> ``{"Waterdicht": "true"}``)."""
    features: dict[str, str] = {}
    for name in names:
        key, sep, value = name.partition(":")
        if sep and key.strip() and value.strip():
            features[key.strip()] = value.strip()
        else:
            features[name.strip()] = "true"
    return features


def labels_from_features(features: Mapping[str, object]) -> list[str]:
    """The label names that carry these features (the inverse of ``features_from_labels``)."""
    names = []
    for key, value in features.items():
        flag = value is True or str(value).lower() == "true"
        names.append(str(key) if flag else f"{key}: {value}")
    return sorted(names)
