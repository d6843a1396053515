"""Twinfield's hosts, koppel's Twinfield target-record vocabulary, and the settings of a write.

Pure data. The *target-record vocabulary* is the flat camelCase field names a mapping writes for
Twinfield and ``lookup`` returns: a customer is a dimension of type ``DEB``
(target-apis.md 3.4), an order is a sales transaction in a sales journal (3.5). Twinfield's own
element names appear only in ``translate.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

LOGIN_HOST = "https://login.twinfield.com"
"""The identity server's origin (OAuth2 token endpoint, access-token validation)."""
TOKEN_PATH = "/auth/authentication/connect/token"  # noqa: S105 - a URL path, not a secret
VALIDATION_PATH = "/auth/authentication/connect/accesstokenvalidation"
PROCESS_XML_PATH = "/webservices/processxml.asmx"
FINDER_PATH = "/webservices/finder.asmx"
CLUSTER_CLAIM = "twf.clusterUrl"

CUSTOMER_FIELDS = [
    "code",
    "name",
    "email",
    "contact",
    "phone",
    "website",
    "street",
    "houseNumber",
    "houseNumberSuffix",
    "postalCode",
    "city",
    "country",
    "vatNumber",
    "cocNumber",
    "vatCode",
    "dueDays",
    "classification",
]
"""A dimension of type DEB: its invoice address holds the e-mail, street line (``field2``), VAT
number (``field4``) and chamber-of-commerce number (``field5``); ``classification`` is the credit
management ``freetext1``."""

ORDER_FIELDS = [
    "reference",
    "orderType",
    "journal",
    "customer",
    "customerEmail",
    "orderDate",
    "dueDate",
    "currency",
    "receivablesAccount",
    "revenueAccount",
    "remark",
    "lines",
    "number",
]
"""A sales transaction: ``reference`` is the header's ``invoicenumber`` (how koppel finds it
again); ``customer`` the dimension code on the total line; ``lines`` hold ``LINE_FIELDS``."""

LINE_FIELDS = ["sku", "description", "quantity", "unitPrice", "vatCode", "account"]
"""One detail line: its value is quantity x unit price (excl. VAT), credited to ``account``
(the revenue account: the line's own, else the order's, else ``WriteSettings.revenue_account``)."""


@dataclass(frozen=True)
class ReadSettings:
    """What reading orders needs to know about an office's set-up."""

    sales_journals: tuple[str, ...] = ("VRK",)
    """Transaction type codes (journals) whose transactions are sales (``VRK``: verkoop)."""
    invoice_type: str = "FACTUUR"
    """The invoice type of the invoice module, to read a final invoice's details."""


@dataclass(frozen=True)
class WriteSettings:
    """What a write needs that a record does not say: a tenant's Twinfield set-up."""

    journal: str = "VRK"
    """Transaction type of sales transactions when the flow names no journal."""
    receivables_account: str = "1300"
    """``dim1`` of the total line (the debtors' collective account) when the flow names none."""
    revenue_account: str = "8000"
    """``dim1`` of detail lines when neither line nor order names a revenue account."""
    destiny: str = "temporary"
    """``temporary`` (provisional, the accountant finalises) or ``final``."""
    due_days: int = 30
    """Days from the transaction date to its due date, when the record gives none."""
