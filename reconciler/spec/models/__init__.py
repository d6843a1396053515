"""The spec models: one document model per kind, and the table of kinds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.spec.models.base import API_VERSION, Name, SpecModel
from reconciler.spec.models.flow import FlowSpec
from reconciler.spec.models.mapping import MappingSpec
from reconciler.spec.models.tables import DefaultDebtorSpec, TaxCodeTableSpec, ValueMapSpec
from reconciler.spec.models.tenant import TenantSpec


class Metadata(SpecModel):
    name: Name
    """Unique per tenant and kind."""
    tenant: Name | None = None
    """The Tenant this document belongs to (required for every kind but Tenant)."""
    labels: dict[str, str] = Field(default_factory=dict)


class Document(SpecModel):
    api_version: Literal["koppel/v1"]
    metadata: Metadata


class Tenant(Document):
    """One customer environment: its connections and defaults."""

    kind: Literal["Tenant"]
    spec: TenantSpec


class Flow(Document):
    """One data flow between two connections of a tenant."""

    kind: Literal["Flow"]
    spec: FlowSpec


class Mapping(Document):
    """Field rules from canonical records to a target's fields."""

    kind: Literal["Mapping"]
    spec: MappingSpec


class ValueMap(Document):
    """A lookup table with an explicit default or an explicit failure."""

    kind: Literal["ValueMap"]
    spec: ValueMapSpec


class TaxCodeTable(Document):
    """Tax codes by country and rate, with a default per country."""

    kind: Literal["TaxCodeTable"]
    spec: TaxCodeTableSpec


class DefaultDebtor(Document):
    """The debtor anonymous or routed orders are booked on."""

    kind: Literal["DefaultDebtor"]
    spec: DefaultDebtorSpec


KINDS: dict[str, type[Document]] = {
    cls.__name__: cls for cls in (Tenant, Flow, Mapping, ValueMap, TaxCodeTable, DefaultDebtor)
}
"""Kind name -> document model."""

__all__ = [
    "API_VERSION",
    "KINDS",
    "DefaultDebtor",
    "Document",
    "Flow",
    "Mapping",
    "Metadata",
    "TaxCodeTable",
    "Tenant",
    "ValueMap",
]
