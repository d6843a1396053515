"""``Tenant``: one customer environment, its connections to systems and its defaults.

A connection's shape depends on its ``system``; each system has its own model (a discriminated
union), so a misspelt field of an AFAS connection is reported against AFAS's fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from reconciler.spec.models.base import (
    Code,
    Country,
    Currency,
    Environment,
    SecretRef,
    SpecModel,
)

Url = Annotated[str, Field(pattern=r"^https?://[^\s/$.?#][^\s]*$", examples=["https://..."])]


class ConnectionBase(SpecModel):
    environment: Environment = "production"
    """Which environment of the system: production, test or accept."""
    endpoint: Url | None = None
    """Base URL; overrides the one derived from the system's settings (e.g. a sandbox)."""
    administration: Code | None = None
    """The administration (company, office) within the system, where it has several."""
    description: str | None = None


class GetConnectorOverride(SpecModel):
    """An AFAS GetConnector to read through instead of the standard one, and its field names."""

    id: Annotated[str, Field(min_length=1)]
    """The GetConnector id, e.g. ``Custom_Debtors``."""
    fields: dict[str, str] = Field(default_factory=dict)
    """koppel's logical column name -> this connector's field id, e.g. ``{email: MailWork}``
    (the logical names are listed in connectors/afas/README.md)."""


class AfasConnection(ConnectionBase):
    """AFAS Profit over its REST API (ProfitRestServices) with an App Connector token."""

    system: Literal["afas-profit"]
    participant: Annotated[str, Field(pattern=r"^[0-9]{5,6}$", examples=["12345"])]
    """The AFAS Online participant number (``12345`` in ``AOL\\12345.admin``)."""
    token: SecretRef
    """The App Connector user token (the 64-hex ``data`` part or the whole XML token)."""
    get_connectors: dict[str, GetConnectorOverride] = Field(default_factory=dict)
    """Overrides of the standard GetConnectors, by role (debtors, articles, stock, orders...)."""


class MplusConnection(ConnectionBase):
    """MplusKASSA over its SOAP API (MplusQapi); each installation has its own port."""

    system: Literal["mpluskassa"]
    endpoint: Url
    """The installation's API URL with its port, e.g. ``https://api.mpluskassa.nl:34567``."""
    ident: SecretRef
    secret: SecretRef
    branch: int = 1
    """Branch number orders and stock belong to."""


class AsposContract(SpecModel):
    """How an AsPos installation's REST interface differs from koppel's assumed contract
    (connectors/aspos/README.md); every field left out keeps koppel's default."""

    api_key_header: str | None = None
    """Header carrying the API key (default ``X-Api-Key``)."""
    api_key_prefix: str | None = None
    """Text before the key in that header, e.g. ``"Bearer "``."""
    paths: dict[str, str] = Field(default_factory=dict)
    """Resource -> path, e.g. ``{customers: /rest/kunden, customer: "/rest/kunden/{id}"}``."""
    page_param: str | None = None
    page_size_param: str | None = None
    modified_since_param: str | None = None
    items_key: str | None = None
    total_pages_key: str | None = None
    max_page_size: Annotated[int, Field(ge=1)] | None = None
    fields: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Record kind -> {koppel's field name: the installation's}, e.g. ``{customers: {email:
    mail}}``."""


class AsposConnection(ConnectionBase):
    """AsPos point of sale over its REST contract (see connectors/aspos/README.md)."""

    system: Literal["aspos"]
    endpoint: Url
    api_key: SecretRef
    store: Code | None = None
    """The store (branch) whose orders and stock this connection handles."""
    contract: AsposContract | None = None
    """Differences of this installation's interface from koppel's contract (paths, field
    names, the API-key header)."""


class OAuthFields(SpecModel):
    access_token: SecretRef | None = None
    """A ready access token (for tests and short-lived setups)."""
    client_id: str | None = None
    """OAuth2 client id (not a secret)."""
    client_secret: SecretRef | None = None
    refresh_token: SecretRef | None = None
    identity_endpoint: Url | None = None
    """Origin of the OAuth2 identity server (token endpoint; Twinfield's token validation).
    Defaults to the system's own; when a run points ``endpoint`` elsewhere (a sandbox) and this is
    not set, the endpoint's origin serves both."""


class TwinfieldConnection(ConnectionBase, OAuthFields):
    """Twinfield over its XML web services; the cluster URL comes from the token validation."""

    system: Literal["twinfield"]
    office: Code
    """The office (company) code sent as ``CompanyCode``."""


class EAccountingConnection(ConnectionBase, OAuthFields):
    """Visma eAccounting REST API v2 with OAuth2."""

    system: Literal["eaccounting"]


class EconomicConnection(ConnectionBase):
    """Visma e-conomic REST API with an app secret token and an agreement grant token."""

    system: Literal["e-conomic"]
    app_secret_token: SecretRef
    agreement_grant_token: SecretRef


class VismaNetConnection(ConnectionBase, OAuthFields):
    """Visma.net ERP REST API with OAuth2; the company is chosen by ``companyId``."""

    system: Literal["visma-net"]
    company_id: Code
    branch: Code | None = None
    """Branch number added to documents where the target needs one (BranchId)."""


Connection = Annotated[
    AfasConnection
    | MplusConnection
    | AsposConnection
    | TwinfieldConnection
    | EAccountingConnection
    | EconomicConnection
    | VismaNetConnection,
    Field(discriminator="system"),
]


class TenantDefaults(SpecModel):
    currency: Currency = "EUR"
    timezone: str = "Europe/Amsterdam"
    """IANA time zone used for dates written to targets."""
    language: str = "nl"
    countries: list[Country] = Field(default_factory=list)
    """Countries this tenant sells to; flows use them unless they name their own."""


class TenantSpec(SpecModel):
    connections: dict[str, Connection] = Field(min_length=1)
    """Connections by name; flows name their source and target connection."""
    defaults: TenantDefaults = Field(default_factory=TenantDefaults)
