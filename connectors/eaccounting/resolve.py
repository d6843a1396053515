"""Pure: the names a target record uses, resolved to the ids of the company's master data.

Terms of payment by name (or number of days, ``30D``), units by code, abbreviation or name,
account codings by name or by VAT rate, labels by name. koppel never creates master data: a
name the company does not have is an ``UnknownMasterDataError`` naming the ones it does have
(the connector loads the master data once more before it gives up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.eaccounting.models import SYSTEM, WireRecord
from connectors.eaccounting.values import MasterData, labels_from_features
from connectors.values import decimal, text
from reconciler.errors import RejectedError


class UnknownMasterDataError(RejectedError):
    """A name the record uses that the company's master data does not have."""


def named(rows: Iterable[WireRecord], name: str, fields: Sequence[str]) -> WireRecord | None:
    """The first row whose field (tried in order) equals ``name``, without case."""
    wanted = name.strip().lower()
    listed = list(rows)
    for field in fields:
        for row in listed:
            if str(row.get(field) or "").strip().lower() == wanted:
                return dict(row)
    return None


def unknown(what: str, name: str, rows: Iterable[WireRecord], field: str) -> UnknownMasterDataError:
    known = sorted(str(r.get(field)) for r in rows)
    return UnknownMasterDataError(
        f"eAccounting has no {what} {name!r}",
        system=SYSTEM,
        operation=f"resolve {what}",
        hint=f"known: {', '.join(known)}" if known else "check the company's master data",
    )


def terms_id(name: str | None, terms: Mapping[str, WireRecord]) -> str | None:
    """The id of the terms of payment called ``name`` (None: the first ones for sales)."""
    rows = list(terms.values())
    if name is None:
        choices = [t for t in rows if t.get("AvailableForSales", True)]
        return str(choices[0]["Id"]) if choices else None
    match = named(rows, name, ("Name", "NameEnglish", "Id")) or next(
        (t for t in rows if str(t.get("NumberOfDays")) == name.removesuffix("D")), None
    )
    if match is None:
        raise unknown("terms of payment", name, rows, "Name")
    return str(match["Id"])


@dataclass(frozen=True)
class ArticleRefs:
    """An article record's master data as ids (None: leave the article's own)."""

    unit_id: str | None = None
    coding_id: str | None = None
    labels: list[WireRecord] | None = None


def article_refs(
    record: Mapping[str, Any],
    master: MasterData,
    *,
    creating: bool,
    default_unit: str | None = None,
    default_coding: str | None = None,
) -> ArticleRefs:
    """Unit, coding (by name, else by ``taxRate``) and labels (from ``features``) of a record;
    a new article without them gets the connection's defaults."""
    unit_id = coding_id = None
    unit = text(record.get("unit")) or (default_unit if creating else None)
    if unit:
        found = named(master.units.values(), unit, ("Code", "Abbreviation", "Name", "Id"))
        if found is None:
            raise unknown("unit", unit, master.units.values(), "Code")
        unit_id = str(found["Id"])
    coding = text(record.get("coding"))
    rate = decimal(record.get("taxRate"))
    if coding is None and rate is not None:
        active = [c for c in master.codings.values() if c.get("IsActive", True)]
        match = next((c for c in active if master.tax_rate(c.get("Id")) == rate), None)
        if match is None:
            raise unknown(f"account coding with VAT {rate}%", str(rate), [], "Name")
        coding_id = str(match["Id"])
    else:
        coding = coding or (default_coding if creating else None)
        if coding:
            found = named(master.codings.values(), coding, ("Name", "NameEnglish", "Id"))
            if found is None:
                raise unknown("article account coding", coding, master.codings.values(), "Name")
            coding_id = str(found["Id"])
    labels: list[WireRecord] | None = None
    if "features" in record:
        features = record.get("features") or {}
        labels = []
        for name in labels_from_features(features if isinstance(features, dict) else {}):
            found = named(master.labels.values(), name, ("Name",))
            if found is None:
                raise unknown("article label", name, master.labels.values(), "Name")
            labels.append(found)
    return ArticleRefs(unit_id=unit_id, coding_id=coding_id, labels=labels)
