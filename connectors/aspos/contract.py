"""The AsPos REST contract koppel assumes, and what a tenant may change about it.

No public AsPos API documentation exists (target-apis.md section 7), so koppel defines a
conventional point-of-sale REST/JSON contract of its own (connectors/aspos/README.md) and keeps
every part a vendor's real interface is likely to name differently configurable here:

* the API-key header (``X-Api-Key``) and an optional scheme before the key (``Bearer ``);
* every resource path (``customers: /v1/customers``...), with ``{id}``, ``{sku}`` and
  ``{store}`` placeholders;
* the paging and filter query parameters (``page``, ``pageSize``, ``modifiedSince``);
* the list envelope's keys (``items``, ``totalPages``);
* the field names of every record kind (``customers``, ``articles``, ``stock``, ``orders``,
  ``lines``, ``payments``, ``addresses``): koppel's wire name -> the vendor's name.

Both the client and the sandbox translate at their edge with the same ``Contract``, so a renamed
field or path is exercised over real HTTP. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

DEFAULT_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "customers": "/v1/customers",
        "customer": "/v1/customers/{id}",
        "articles": "/v1/articles",
        "article": "/v1/articles/{id}",
        "stock": "/v1/stores/{store}/stock",
        "stock_item": "/v1/stores/{store}/stock/{sku}",
        "orders": "/v1/orders",
        "order": "/v1/orders/{id}",
        "tax_rates": "/v1/tax-rates",
        "payment_methods": "/v1/payment-methods",
        "stores": "/v1/stores",
    }
)
"""Resource -> path below the connection's endpoint."""

RECORD_KINDS = ("customers", "articles", "stock", "orders", "lines", "payments", "addresses")
"""The record kinds whose field names a contract may rename."""

NESTED: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "customers": {"billingAddress": "addresses", "shippingAddress": "addresses"},
        "orders": {
            "billingAddress": "addresses",
            "shippingAddress": "addresses",
            "lines": "lines",
            "payments": "payments",
        },
    }
)
"""Per record kind: fields (koppel's names) holding a nested record or a list of them."""


class ContractError(ValueError):
    """A contract override names something the contract does not have."""


@dataclass(frozen=True)
class Contract:
    """One AsPos installation's REST contract: koppel's defaults with a tenant's overrides."""

    api_key_header: str = "X-Api-Key"
    api_key_prefix: str = ""
    """Put before the key in the header, e.g. ``Bearer `` for ``Authorization: Bearer <key>``."""
    paths: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PATHS))
    page_param: str = "page"
    page_size_param: str = "pageSize"
    modified_since_param: str = "modifiedSince"
    items_key: str = "items"
    total_pages_key: str = "totalPages"
    max_page_size: int = 250
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Record kind -> {koppel's wire name: the vendor's name}."""

    def __post_init__(self) -> None:
        unknown_paths = set(self.paths) - set(DEFAULT_PATHS)
        if unknown_paths:
            raise ContractError(
                f"unknown AsPos path(s) {', '.join(sorted(unknown_paths))}; "
                f"known: {', '.join(DEFAULT_PATHS)}"
            )
        unknown_kinds = set(self.fields) - set(RECORD_KINDS)
        if unknown_kinds:
            raise ContractError(
                f"unknown AsPos record kind(s) {', '.join(sorted(unknown_kinds))}; "
                f"known: {', '.join(RECORD_KINDS)}"
            )
        for kind, renames in self.fields.items():
            targets = list(renames.values())
            if len(set(targets)) != len(targets):
                raise ContractError(f"two {kind} fields are renamed to the same name")
        if not self.api_key_header.strip():
            raise ContractError("the API-key header name is empty")
        if self.max_page_size < 1:
            raise ContractError("max_page_size must be at least 1")

    # -- paths -------------------------------------------------------------------------------
    def path(self, resource: str, **values: str) -> str:
        """The path of a resource with its placeholders filled (values are URL-quoted)."""
        from urllib.parse import quote

        template = {**DEFAULT_PATHS, **self.paths}[resource]
        return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})

    def auth_header(self, api_key: str) -> dict[str, str]:
        return {self.api_key_header: f"{self.api_key_prefix}{api_key}"}

    # -- field names -------------------------------------------------------------------------
    def to_vendor(self, kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record in koppel's wire names -> the vendor's names (nested records too)."""
        return self._rename(kind, record, outbound=True)

    def from_vendor(self, kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record in the vendor's names -> koppel's wire names (nested records too)."""
        return self._rename(kind, record, outbound=False)

    def vendor_name(self, kind: str, name: str) -> str:
        """The vendor's name for one of koppel's field names (query filters use it)."""
        return dict(self.fields.get(kind, {})).get(name, name)

    def _rename(self, kind: str, record: Mapping[str, Any], *, outbound: bool) -> dict[str, Any]:
        renames = dict(self.fields.get(kind, {}))
        if not outbound:
            renames = {vendor: ours for ours, vendor in renames.items()}
        nested = NESTED.get(kind, {})
        out: dict[str, Any] = {}
        for name, given in record.items():
            ours = name if outbound else renames.get(name, name)
            sub = nested.get(ours)
            value: Any = given
            if sub is not None and isinstance(given, Mapping):
                value = self._rename(sub, given, outbound=outbound)
            elif sub is not None and isinstance(given, list):
                value = [
                    self._rename(sub, v, outbound=outbound) if isinstance(v, Mapping) else v
                    for v in given
                ]
            out[renames.get(name, name) if outbound else ours] = value
        return out


DEFAULT_CONTRACT = Contract()


def contract_from_mapping(data: Mapping[str, Any] | None) -> Contract:
    """A ``Contract`` from camelCase or snake_case settings (a seed file, a tenant's spec):
    ``{apiKeyHeader: X-Token, paths: {customers: /api/klanten}, fields: {customers: {email:
    mail}}}``. Unknown settings raise ``ContractError`` naming them."""
    if not data:
        return DEFAULT_CONTRACT
    known = {f.name for f in fields(Contract)}
    changes: dict[str, Any] = {}
    for key, given in data.items():
        name = _snake(key)
        if name not in known:
            raise ContractError(f"unknown AsPos contract setting {key!r}; known: {sorted(known)}")
        value: Any = given
        if name == "paths":
            value = {**DEFAULT_PATHS, **{_snake(k): str(v) for k, v in dict(given).items()}}
        elif name == "fields":
            value = {str(k): {str(a): str(b) for a, b in dict(v).items()} for k, v in given.items()}
        changes[name] = value
    return replace(DEFAULT_CONTRACT, **changes)


def _snake(name: str) -> str:
    out = []
    for char in name:
        if char.isupper():
            out.append("_" + char.lower())
        else:
            out.append(char)
    return "".join(out)


def connection_contract(connection: Any) -> Contract:
    """The contract of a tenant's ``aspos`` connection: its ``contract`` settings (the spec
    model ``AsposContract``) over koppel's defaults."""
    settings = getattr(connection, "contract", None)
    if settings is None:
        return DEFAULT_CONTRACT
    given = settings.model_dump(exclude_none=True, exclude_defaults=True)
    return contract_from_mapping(given)
