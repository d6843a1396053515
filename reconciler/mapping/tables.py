"""Lookups in the spec's tables: value maps, tax codes by country and rate, default debtors.

Every lookup that cannot answer raises ``MappingError`` with the table's name and place in the
specs, so a failed record says which file to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reconciler.errors import MappingError
from reconciler.mapping.expressions import text_of
from reconciler.spec.models.tables import (
    DefaultDebtorSpec,
    Otherwise,
    TaxCodeTableSpec,
    ValueMapSpec,
)


@dataclass(frozen=True)
class ValueTable:
    """A ValueMap ready for lookups."""

    name: str
    location: str
    spec: ValueMapSpec
    _index: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fold = not self.spec.case_sensitive
        index = {(k.lower() if fold else k): v for k, v in self.spec.entries.items()}
        object.__setattr__(self, "_index", index)

    def lookup(self, value: Any) -> Any:
        """The target value for a source value, the ``otherwise`` default, or MappingError."""
        key = text_of(value)
        probe = key if self.spec.case_sensitive else key.lower()
        if probe in self._index:
            return self._index[probe]
        otherwise = self.spec.otherwise
        if isinstance(otherwise, Otherwise):
            return otherwise.default
        known = ", ".join(sorted(self.spec.entries)[:10])
        rule = "says `otherwise: fail`" if otherwise == "fail" else "has no `otherwise`"
        raise MappingError(
            f"value {key!r} is not in ValueMap {self.name!r} ({self.location}), which {rule}",
            hint=f"add an entry for {key!r} (known: {known}) or an `otherwise`",
        )


@dataclass(frozen=True)
class TaxTable:
    """A TaxCodeTable ready for lookups."""

    name: str
    location: str
    spec: TaxCodeTableSpec

    def code(
        self, country: str | None, *, rate: Decimal | None = None, category: str | None = None
    ) -> str:
        """The tax code for a country and rate (or category); the country's default otherwise."""
        if country is None:
            raise MappingError(
                f"no country to choose a tax code from TaxCodeTable {self.name!r} "
                f"({self.location})",
                hint="the record has no shipping or billing country; fix the source record",
            )
        for row in self.spec.rows:
            if row.country != country:
                continue
            if category is not None and row.category == category:
                return row.code
            if rate is not None and row.rate is not None and Decimal(str(row.rate)) == rate:
                return row.code
        default = self.default(country)
        if default is None:
            raise MappingError(
                f"TaxCodeTable {self.name!r} ({self.location}) has no code for {country}"
                + (f" at {rate}%" if rate is not None else "")
                + " and no default for that country",
                hint=f"add {country} to defaultPerCountry",
            )
        return default

    def default(self, country: str | None) -> str | None:
        """The default tax code of a country (the customers' default tax code), if any."""
        return self.spec.default_per_country.get(country) if country else None


@dataclass(frozen=True)
class DebtorDecision:
    """Which debtor an order goes to, and why (kept in the activity log)."""

    debtor: str
    reason: str


@dataclass(frozen=True)
class DebtorTable:
    """A DefaultDebtor ready for decisions."""

    name: str
    location: str
    spec: DefaultDebtorSpec

    def decide(
        self,
        *,
        country: str | None = None,
        channel: str | None = None,
        branch: str | None = None,
        payment_method: str | None = None,
        why: str = "the order has no customer",
        only_always: bool = False,
    ) -> DebtorDecision | None:
        """The first rule that matches routes the order; else the table's debtor.

        ``only_always``: consider only rules marked ``always`` (for orders that do have a
        customer), and answer None when none matches.
        """
        facts = {
            "country": country,
            "channel": channel,
            "branch": branch,
            "payment_method": payment_method,
        }
        for i, rule in enumerate(self.spec.rules):
            if only_always and not rule.always:
                continue
            conditions = rule.when.model_dump(exclude_none=True, by_alias=False)
            if conditions and all(text_of(facts[k]) == text_of(v) for k, v in conditions.items()):
                shown = ", ".join(f"{k}={v}" for k, v in conditions.items())
                return DebtorDecision(
                    rule.debtor,
                    f"{why}; DefaultDebtor {self.name!r} rules[{i}] ({shown}) routes it to "
                    f"{rule.debtor}",
                )
        if only_always:
            return None
        return DebtorDecision(
            self.spec.debtor, f"{why}; DefaultDebtor {self.name!r} gives {self.spec.debtor}"
        )
