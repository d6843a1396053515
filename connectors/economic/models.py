"""e-conomic's wire vocabulary: the base URL, the collection envelope, the resources koppel uses,
and the per-connection write settings.

Data only (no I/O). The shapes follow the response schemas e-conomic publishes per endpoint and
``target-apis.md`` §5: a collection answer is ``{"collection": [...], "pagination": {...},
"self": ...}`` with absolute ``nextPage`` links; references to other objects are objects holding
their number (``{"customerGroupNumber": 1}``) and a ``self`` link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

BASE_URL = "https://restapi.e-conomic.com"
"""One host, no version prefix."""

MAX_PAGE_SIZE = 1000
"""``pagesize`` above this is refused by e-conomic."""

DEFAULT_PAGE_SIZE = 20
"""What e-conomic answers with when no ``pagesize`` is given."""

WireRecord = dict[str, Any]
"""One e-conomic JSON object, as sent or received."""


class Pagination(TypedDict, total=False):
    maxPageSizeAllowed: int
    skipPages: int
    pageSize: int
    results: int
    resultsWithoutFilter: int
    firstPage: str
    previousPage: str
    nextPage: str
    lastPage: str


class Collection(TypedDict, total=False):
    """The envelope of every ``GET`` of a collection."""

    collection: list[WireRecord]
    pagination: Pagination
    metaData: dict[str, Any]
    self: str


ORDER_COLLECTIONS = ("orders/drafts", "orders/sent", "orders/archived")
"""Where sales orders live: drafts, sent to the customer, and archived (invoiced)."""

INVOICE_COLLECTIONS = ("invoices/drafts", "invoices/booked")
"""Where invoices live: drafts (editable) and booked (final)."""

DOCUMENT_NUMBER = {
    "orders/drafts": "orderNumber",
    "orders/sent": "orderNumber",
    "orders/archived": "orderNumber",
    "invoices/drafts": "draftInvoiceNumber",
    "invoices/booked": "bookedInvoiceNumber",
}
"""The number field of each kind of sales document."""

MASTER_DATA = {
    "vatZone": ("vat-zones", "vatZoneNumber"),
    "customerGroup": ("customer-groups", "customerGroupNumber"),
    "paymentTerms": ("payment-terms", "paymentTermsNumber"),
    "layout": ("layouts", "layoutNumber"),
    "productGroup": ("product-groups", "productGroupNumber"),
    "unit": ("units", "unitNumber"),
}
"""Master-data kind (as specs and ``check_master_data`` name it) -> (collection, number field)."""


@dataclass(frozen=True)
class WriteSettings:
    """What a write needs that a mapped record may leave out: e-conomic requires a customer
    group, payment terms, VAT zone and currency on every customer, and a layout and payment
    terms on every draft order or invoice.

    The VAT zone follows the country when not mapped: the agreement's ``home_country`` is
    zone 1 (domestic), another EU country zone 2, anything else zone 3 (abroad); those are the
    numbers of a typical Danish agreement (``GET /vat-zones`` shows the agreement's own).
    """

    home_country: str = "DK"
    """ISO country of the agreement (its domestic VAT zone)."""
    currency: str = "DKK"
    """Currency of customers and documents that do not name one (the agreement's base)."""
    customer_group: int = 1
    payment_terms: int = 1
    layout: int = 19
    """Layout of draft orders and invoices (19 is e-conomic's standard layout)."""
    product_group: int = 1
    domestic_zone: int = 1
    eu_zone: int = 2
    abroad_zone: int = 3
    default_customer: int | None = None
    """Customer number of orders that name no customer and none is found by e-mail."""
