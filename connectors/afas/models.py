"""AFAS Profit's wire payloads and koppel's AFAS target-record vocabulary.

Three things live here, all pure data:

* the wire shapes (``GetResponse``, ``UpdateResult``, ``MetaInfo``) as TypedDicts;
* the per-tenant naming of GetConnectors (``GetConnectorSettings``): AFAS administrators often
  copy a standard GetConnector (``Profit_Debtor``) to a custom one with other column names, so
  every connector id and every column the client reads is overridable;
* the *target-record vocabulary*: the flat camelCase field names a mapping writes for AFAS and
  ``lookup`` returns (``CUSTOMER_FIELDS``...), and the settings that fill what a record does not
  say (``WriteSettings``).

AFAS country codes are mostly vehicle registration codes (B, D, F), not ISO 3166; the tables
below translate both ways so canonical records always carry ISO codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict


class Environment(StrEnum):
    """The AFAS Online environments; each has its own host name part."""

    production = "production"
    test = "test"
    accept = "accept"


_HOST_PART = {
    Environment.production: "rest",
    Environment.test: "resttest",
    Environment.accept: "restaccept",
}


def base_url(participant: str, environment: Environment = Environment.production) -> str:
    """The ProfitRestServices root of one participant (member number) and environment."""
    if not participant.isdigit():
        raise ValueError(f"an AFAS participant number is digits only, not {participant!r}")
    return f"https://{participant}.{_HOST_PART[environment]}.afas.online/ProfitRestServices"


# -- wire payloads ---------------------------------------------------------------------------


class GetResponse(TypedDict):
    """``GET /connectors/{id}``: one page of rows; AFAS echoes skip and take."""

    skip: int
    take: int
    rows: list[dict[str, Any]]


class UpdateResult(TypedDict):
    """``POST/PUT /connectors/{id}`` 201 body: the primary keys of the root object."""

    results: dict[str, dict[str, Any]]


class ConnectorInfo(TypedDict):
    id: str
    description: str


class MetaInfo(TypedDict):
    """``GET /metainfo``: the connectors this token may use, and the environment."""

    updateConnectors: list[ConnectorInfo]
    getConnectors: list[ConnectorInfo]
    info: dict[str, str]


class Operator(StrEnum):
    """AFAS filter operator codes (``operatortypes``), as documented by AFAS."""

    equal = "1"
    greater_or_equal = "2"
    less_or_equal = "3"
    greater = "4"
    less = "5"
    contains = "6"
    not_equal = "7"
    empty = "8"
    not_empty = "9"
    starts_with = "10"
    not_contains = "11"
    not_starts_with = "12"
    ends_with = "13"
    not_ends_with = "14"
    quick_filter = "15"


@dataclass(frozen=True)
class Condition:
    """One filter condition: ``column operator value``."""

    column: str
    operator: Operator
    value: str


Filter = list[list[Condition]]
"""OR of AND-groups: ``[[a, b], [c]]`` means ``(a AND b) OR c`` (AFAS's ``;`` and ``,``)."""


# -- GetConnector naming per tenant ----------------------------------------------------------


@dataclass(frozen=True)
class ConnectorOverride:
    """A tenant's GetConnector for one kind of row: its id and any renamed columns.

    ``fields`` maps koppel's logical column name (the keys of ``DEFAULT_COLUMNS``) to the
    tenant's column id; a logical name mapped to ``""`` is absent in that connector.
    """

    id: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


DEFAULT_IDS: Mapping[str, str] = {
    "debtors": "Profit_Debtor",
    "articles": "Profit_Article",
    "orders": "Profit_Salesorders",
    "order_lines": "Profit_SalesorderLines",
    "stock": "Profit_Stock_per_Warehouse",
    "vat_codes": "Profit_VAT_code",
    "administrations": "Profit_Administrations",
    "debtor_invoices": "Profit_Debtor_Invoices",
}
"""AFAS's standard GetConnectors, by the role koppel reads them for."""

DEFAULT_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "debtors": {
        "debtorId": "DebtorId",
        "name": "DebtorName",
        "relationCode": "BcCo",
        "addressLine1": "AdressLine1",
        "addressLine3": "AdressLine3",
        "addressLine4": "AdressLine4",
        "phone": "TelNr",
        "email": "Email",
        "vatNumber": "VatNr",
        "cocNumber": "ChOfCommNr",
        "debtorLedgerAccount": "CollectAccount",
        "paymentCondition": "PayCon",
        "vatDuty": "VatDuty",
        "blocked": "Blocked",
        "currency": "CurrencyId",
        "modified": "ModifiedDate",
        # Not published by Profit_Debtor; a tenant's own GetConnector may provide them.
        "companyName": "",
        "firstName": "",
        "lastName": "",
        "country": "",
    },
    "articles": {
        "sku": "ItemCode",
        "description": "Description",
        "extraDescription": "ExtraDescription",
        "unit": "UnitId",
        "group": "ArtGroup",
        "blocked": "Blocked",
        "ean": "Barcode",
        "vatGroup": "VATGroup",
        "trackStock": "Stock",
        "modified": "ModifiedDate",
        "salesPrice": "",
    },
    "orders": {
        "orderType": "Ordersoort",
        "orderNumber": "OrderNumber",
        "status": "Status",
        "orderDate": "OrderDate",
        "debtorId": "DebtorId",
        "currency": "CurrencyId",
        "reference": "CustomerReference",
        "totalExclTax": "Gross",
        "totalInclTax": "InvoiceTotal",
    },
    "order_lines": {
        "orderNumber": "OrderNumber",
        "reference": "CustomerReference",
        "sequence": "SeqNo",
        "itemType": "ItemTypeCode",
        "sku": "ItemCodeId",
        "description": "Description",
        "unit": "UnitId",
        "quantity": "PiecePerUnit",
        "unitPrice": "PricePerUnit",
        "discountAmount": "AmtRowDiscount",
        "modified": "ModifiedDate",
    },
    "stock": {
        "sku": "Item_code",
        "quantity": "In_stock",
        "unit": "Unit",
        # The standard connector sums all warehouses and has no modification date.
        "warehouse": "",
        "modified": "",
    },
    "vat_codes": {"code": "VatCode", "rate": "VatPerc", "blocked": "Blocked"},
    "administrations": {"code": "AdminId", "name": "AdminNm"},
    "debtor_invoices": {
        "administration": "UnitId",
        "debtorId": "DebtorId",
        "invoiceNumber": "InvoiceNr",
        "date": "NookPieceDate",
        "amount": "AmtInvoice",
        "description": "Description",
    },
}
"""Logical column -> AFAS's published column id, per role."""


@dataclass(frozen=True)
class GetConnectorSettings:
    """Which GetConnector and columns to read for each role; unset roles use AFAS's standard."""

    debtors: ConnectorOverride = ConnectorOverride()
    articles: ConnectorOverride = ConnectorOverride()
    orders: ConnectorOverride = ConnectorOverride()
    order_lines: ConnectorOverride = ConnectorOverride()
    stock: ConnectorOverride = ConnectorOverride()
    vat_codes: ConnectorOverride = ConnectorOverride()
    administrations: ConnectorOverride = ConnectorOverride()
    debtor_invoices: ConnectorOverride = ConnectorOverride()
    """Outstanding items: how a financial mutation (journal entry) is found again."""

    def connector_id(self, role: str) -> str:
        override: ConnectorOverride = getattr(self, role)
        return override.id or DEFAULT_IDS[role]

    def columns(self, role: str) -> dict[str, str]:
        """Logical name -> column id for the role; absent columns are left out."""
        override: ConnectorOverride = getattr(self, role)
        merged = {**DEFAULT_COLUMNS[role], **override.fields}
        return {name: column for name, column in merged.items() if column}


# -- target-record vocabulary ----------------------------------------------------------------

CUSTOMER_FIELDS = [
    "email",
    "companyName",
    "firstName",
    "namePrefix",
    "lastName",
    "initials",
    "gender",
    "phone",
    "mobile",
    "vatNumber",
    "cocNumber",
    "language",
    "street",
    "houseNumber",
    "houseNumberSuffix",
    "postalCode",
    "city",
    "country",
    "currency",
    "paymentCondition",
    "debtorLedgerAccount",
    "vatDuty",
    "invoiceMethod",
    "contraAccount",
    "salesContactType",
    "debtorId",
    "customFields",
]
"""A debtor (KnSalesRelationOrg with KnOrganisation+KnContact/KnPerson, or KnSalesRelationPer)."""

ORDER_FIELDS = [
    "orderType",
    "reference",
    "debtorId",
    "orderDate",
    "currency",
    "administration",
    "warehouse",
    "paymentCondition",
    "paymentMethod",
    "vatDuty",
    "pricesIncludeTax",
    "remark",
    "deliveryNote",
    "revenueAccount",
    "lines",
    "orderNumber",
    "journal",
    "year",
    "period",
    "entries",
    "costCenter",
    "costUnit",
    "customFields",
]
"""A sales document (FbSales, FbSalesQuotation, FbDirectInvoice) or a journal entry (FiEntries).
``lines`` holds ``ORDER_LINE_FIELDS`` dicts; ``entries`` holds ``ENTRY_FIELDS`` dicts."""

ORDER_LINE_FIELDS = [
    "itemType",
    "sku",
    "description",
    "quantity",
    "unit",
    "unitPrice",
    "vatCode",
    "discountPercentage",
    "warehouse",
    "costCenter",
    "costUnit",
]

ENTRY_FIELDS = [
    "accountType",
    "account",
    "date",
    "description",
    "debit",
    "credit",
    "vatCode",
    "invoiceNumber",
    "dueDate",
]

PRODUCT_FIELDS = [
    "sku",
    "description",
    "extraDescription",
    "group",
    "unit",
    "trackStock",
    "vatGroup",
    "salesPrice",
    "costPrice",
    "priceDate",
    "ean",
    "blocked",
]
"""An article (FbItemArticle)."""

STOCK_FIELDS = ["sku", "warehouse", "quantity", "unit"]
"""A stock level; written as the FbStockMutation that moves the current level to it."""


class ItemType(StrEnum):
    """FbSalesLines ``VaIt``: what a line stands for."""

    work = "1"
    article = "2"
    text = "3"
    costs = "6"


@dataclass(frozen=True)
class WriteSettings:
    """What a write needs that a record does not say: a tenant's AFAS set-up."""

    administration: int | None = None
    """``Unit`` on orders and ``UnId`` on journal entries; None leaves AFAS's default."""
    warehouse: str | None = None
    """``War`` on orders; stock mutations need one (AFAS's examples use ``01``)."""
    stock_warehouse: str = "01"
    stock_location: str = ""
    """``Loc`` of stock mutations; empty for warehouses without locations."""
    stock_reason: str = "6"
    """``ReId`` reason code of stock mutations (AFAS's own example uses 6)."""
    stock_in_type: str = "31"
    """``VaOt`` for an increase: 31 warehouse receipt (magazijnopboeking)."""
    stock_out_type: str = "32"
    """``VaOt`` for a decrease: 32 warehouse issue (magazijnafboeking)."""
    article_group: str = "100"
    """``Grp`` for new articles; AFAS requires one."""
    unit: str = "STK"
    """``BiUn`` basic unit for new articles and article lines."""
    currency: str = "EUR"
    """``CuId``: AFAS requires a currency on every debtor."""
    journal: str = "20"
    """``JoCo`` of journal entries written as financial mutations."""
    shipping_item: str | None = None
    """``ItCd`` of the cost item (``VaIt`` 6) shipping lines are written with; None: refuse them."""
    default_debtor: str | None = None
    """``DbId`` for orders whose customer has no debtor (a POS's walk-in sales); None: refuse."""


# -- country codes ---------------------------------------------------------------------------

ISO_TO_AFAS: Mapping[str, str] = {
    "BE": "B",
    "DE": "D",
    "FR": "F",
    "AT": "A",
    "ES": "E",
    "IT": "I",
    "LU": "L",
    "NO": "N",
    "PT": "P",
    "SE": "S",
    "HU": "H",
    "FI": "FIN",
    "US": "USA",
    "JP": "J",
    "SI": "SLO",
    "RU": "RUS",
}
"""ISO 3166-1 alpha-2 -> AFAS; every other country (NL, GB, CH, DK, PL...) is the same in both."""

AFAS_TO_ISO: Mapping[str, str] = {afas: iso for iso, afas in ISO_TO_AFAS.items()}


def to_afas_country(iso: str) -> str:
    code = iso.strip().upper()
    return ISO_TO_AFAS.get(code, code)


def to_iso_country(afas: str) -> str:
    code = afas.strip().upper()
    return AFAS_TO_ISO.get(code, code)
