"""``ValueMap``, ``TaxCodeTable`` and ``DefaultDebtor``: the lookup tables flows name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from reconciler.spec.models.base import Code, Country, SpecModel

Scalar = str | int | float | bool


class Otherwise(SpecModel):
    default: Scalar
    """The value used for any source value the entries do not list."""


class ValueMapSpec(SpecModel):
    """A lookup table, e.g. payment methods or revenue account by country."""

    entries: dict[str, Scalar] = Field(default_factory=dict)
    """Source value -> target value."""
    otherwise: Literal["fail"] | Otherwise | None = None
    """For values not listed: ``fail`` (the record fails with a clear reason) or
    ``{default: VALUE}``. Leave it out only when the entries cover every possible value."""
    case_sensitive: bool = False
    """Whether source values must match exactly in case."""


class TaxRow(SpecModel):
    country: Country
    rate: Annotated[float, Field(ge=0, le=100)] | None = None
    """Tax rate in percent; a row without a rate matches by category."""
    category: str | None = None
    """A named category (``high``, ``low``, ``zero``, ``exempt``)."""
    code: Code
    """The target system's tax code."""


class TaxCodeTableSpec(SpecModel):
    """Tax codes by country and rate or category, and the default code per country."""

    rows: list[TaxRow] = Field(default_factory=list)
    default_per_country: dict[str, Code] = Field(default_factory=dict)
    """Country -> the tax code used when no row matches (and the customers' default)."""


class DebtorCondition(SpecModel):
    country: Country | None = None
    channel: str | None = None
    branch: Code | None = None
    payment_method: str | None = None


class DebtorRule(SpecModel):
    when: DebtorCondition
    """All given conditions must hold."""
    debtor: Code
    always: bool = False
    """Route matching orders here even when they have a customer (e.g. all marketplace
    orders on one debtor); by default a rule only places orders without a customer."""


class DefaultDebtorSpec(SpecModel):
    """The debtor for orders without a customer (anonymous sales) or routed by a rule."""

    debtor: Code
    """The fallback debtor number in the target."""
    rules: list[DebtorRule] = Field(default_factory=list)
    """Checked in order; the first rule that matches routes the order to its debtor."""
    when_no_email: bool = True
    """Also route customers without an e-mail (who cannot be matched) to the default debtor."""
