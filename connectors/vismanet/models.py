"""Visma.net ERP's wire conventions and koppel's target-record vocabulary for it, pure.

Wire: reads return plain DTOs (``{"name": "Acme"}``, nested objects such as
``customerClass: {id, description}``); writes send ``…UpdateDto`` bodies whose every field is a
value wrapper (``{"name": {"value": "Acme"}}``), nested DTOs wrapped too, and order lines carry an
``operation`` (target-apis.md §6.4). ``wrap``/``unwrap`` are the two directions.

Target records (what the default mapping produces and ``lookup`` returns) are flat dicts in the
field names of ``VOCABULARY``: the DTO's own names where Visma.net has a scalar field
(``inventoryNumber``, ``customerClassId``, ``customerRefNo``), and a flat name where the DTO
nests (``email`` is ``mainContact.email``, ``city`` is ``mainAddress.city``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.canonical import Entity

SYSTEM = "visma-net"
API_URL = "https://api.finance.visma.net/v1"
"""Default base URL (target-apis.md §6.1: current host, ``/v1/{resource}``)."""
IDENTITY_URL = "https://connect.visma.com"
"""Visma Connect, the OAuth2 identity server; its token endpoint is ``/connect/token``."""
TOKEN_PATH = "/connect/token"  # noqa: S105 - a URL path, not a password
APPLICATION_TYPE = "Visma.net Financials"
"""``ipp-application-type`` header value (target-apis.md §6.2)."""
SERVICE_SCOPES = (
    "vismanet_erp_service_api:read vismanet_erp_service_api:create vismanet_erp_service_api:update"
)
"""Scopes asked for with client credentials (service app; names partly unconfirmed)."""

CUSTOMER_FIELDS = (
    "number",
    "name",
    "status",
    "contactName",
    "email",
    "phone",
    "addressLine1",
    "addressLine2",
    "postalCode",
    "city",
    "country",
    "deliveryAddressLine1",
    "deliveryPostalCode",
    "deliveryCity",
    "deliveryCountry",
    "vatRegistrationId",
    "corporateId",
    "currencyId",
    "customerClassId",
    "creditTermsId",
    "vatZoneId",
)
PRODUCT_FIELDS = (
    "inventoryNumber",
    "description",
    "longDescription",
    "type",
    "status",
    "itemClass",
    "postingClass",
    "vatCode",
    "defaultPrice",
    "baseUnit",
    "ean",
    "currency",
    "customFields",
)
STOCK_FIELDS = ("inventoryNumber", "warehouse", "quantity")
ORDER_FIELDS = (
    "orderType",
    "orderNumber",
    "customer",
    "customerEmail",
    "date",
    "customerOrder",
    "customerRefNo",
    "currency",
    "description",
    "branchNumber",
    "terms",
    "shipVia",
    "hold",
    "lines",
)
LINE_FIELDS = (
    "inventoryNumber",
    "warehouse",
    "uom",
    "quantity",
    "unitPrice",
    "discountPercent",
    "discountAmount",
    "lineDescription",
    "taxCategory",
)

VOCABULARY: Mapping[Entity, tuple[str, ...]] = {
    Entity.customers: CUSTOMER_FIELDS,
    Entity.products: PRODUCT_FIELDS,
    Entity.stock: STOCK_FIELDS,
    Entity.orders: ORDER_FIELDS,
}
"""Per entity, the fields of a Visma.net target record."""

KEY_FIELDS: dict[str, str] = {
    "customers": "email",
    "products": "inventoryNumber",
    "stock": "inventoryNumber",
    "orders": "orderNumber",
}
"""The target-record field each entity is found by (see ``connector.VismaNetConnector``)."""

ORDER_TYPES: Mapping[str, str] = {"order": "SO", "invoice": "IN"}
"""Canonical order type -> Visma.net order type (SO sales order, IN invoice)."""

CUSTOMER_STATUSES = ("Active", "OnHold", "CreditHold", "Inactive", "OneTime")
INVENTORY_STATUSES = (
    "Active",
    "NoSales",
    "NoPurchases",
    "NoRequest",
    "Inactive",
    "MarkedForDeletion",
)
INVENTORY_TYPES = (
    "NonStockItem",
    "LaborItem",
    "ServiceItem",
    "ChargeItem",
    "ExpenseItem",
    "FinishedGoodItem",
    "ComponentPartItem",
    "SubassemblyItem",
)
ORDER_STATUSES = (
    "Open",
    "Hold",
    "CreditHold",
    "Completed",
    "Cancelled",
    "BackOrder",
    "Shipping",
    "Invoiced",
)


def wrap(value: Any) -> Any:
    """A value as an UpdateDto field: ``{"value": v}``, nested dicts wrapped field by field."""
    if isinstance(value, Mapping):
        return {"value": {k: wrap(v) for k, v in value.items() if v is not None}}
    return {"value": value}


def wrap_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An UpdateDto body: each field wrapped; None values left out (never sent as "clear")."""
    return {k: wrap(v) for k, v in fields.items() if v is not None}


def unwrap(value: Any) -> Any:
    """An UpdateDto field's plain value (the sandbox reads bodies with this)."""
    if isinstance(value, Mapping) and set(value) == {"value"}:
        inner = value["value"]
        if isinstance(inner, Mapping):
            return {k: unwrap(v) for k, v in inner.items()}
        return inner
    return value
