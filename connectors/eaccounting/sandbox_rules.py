"""The eAccounting sandbox's validation tables, from the Swagger definitions of API v2: each
resource's published properties, maximum lengths, required fields (of objects and of their
rows), and the fields that must be booleans or numbers. Data only; ``sandbox_store`` applies
them."""

from __future__ import annotations

from collections.abc import Mapping

# Each resource's published properties; absent ones are rendered as null, as the API does.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "customers": (
        "Id", "CustomerNumber", "CorporateIdentityNumber", "ContactPersonEmail",
        "ContactPersonMobile", "ContactPersonName", "ContactPersonPhone", "CurrencyCode",
        "EmailAddress", "InvoiceAddress1", "InvoiceAddress2", "InvoiceCity", "InvoiceCountryCode",
        "InvoicePostalCode", "DeliveryCustomerName", "DeliveryAddress1", "DeliveryAddress2",
        "DeliveryCity", "DeliveryCountryCode", "DeliveryPostalCode", "DeliveryMethodId",
        "DeliveryTermId", "Name", "Note", "ReverseChargeOnConstructionServices", "MobilePhone",
        "Telephone", "TermsOfPaymentId", "TermsOfPayment", "VatNumber", "WwwAddress",
        "LastInvoiceDate", "IsPrivatePerson", "DiscountPercentage", "ChangedUtc", "IsActive",
        "ForceBookkeepVat", "EdiGlnNumber", "SalesDocumentLanguage", "ElectronicAddress",
        "ElectronicReference", "EmailAddresses", "CustomerLabels",
    ),
    "articles": (
        "Id", "IsActive", "Number", "Name", "NameEnglish", "NetPrice", "GrossPrice", "CodingId",
        "CodingName", "UnitId", "UnitName", "UnitAbbreviation", "StockBalance",
        "StockBalanceReserved", "StockBalanceAvailable", "CreatedUtc", "ChangedUtc",
        "PurchasePrice", "SendToWebshop", "ArticleLabels", "IsStock", "StockLocationReference",
        "Barcodes",
    ),
    "orders": (
        "Id", "Amount", "CustomerId", "CurrencyCode", "CreatedUtc", "VatAmount",
        "RoundingsAmount", "DeliveryCustomerName", "DeliveryAddress1", "DeliveryAddress2",
        "DeliveryPostalCode", "DeliveryCity", "DeliveryCountryCode", "YourReference",
        "OurReference", "InvoiceAddress1", "InvoiceAddress2", "InvoiceCity", "InvoiceCountryCode",
        "InvoiceCustomerName", "InvoicePostalCode", "EuThirdParty", "CustomerIsPrivatePerson",
        "OrderDate", "Status", "Number", "ModifiedUtc", "DeliveryDate", "Rows",
        "DeliveryMethodName", "DeliveryMethodCode",
        "RotReducedInvoicingType", "ReverseChargeOnConstructionServices",
    ),
    "customerinvoicedrafts": (
        "Id", "CustomerId", "CreatedUtc", "IsCreditInvoice", "RotReducedInvoicingType", "Rows",
        "YourReference", "OurReference", "BuyersOrderReference", "InvoiceCustomerName",
        "InvoiceAddress1", "InvoiceAddress2", "InvoicePostalCode", "InvoiceCity",
        "InvoiceCountryCode", "InvoiceCurrencyCode", "DeliveryCustomerName", "DeliveryAddress1",
        "DeliveryPostalCode", "DeliveryCity", "DeliveryCountryCode", "EuThirdParty",
        "CustomerIsPrivatePerson", "InvoiceDate", "DeliveryDate", "TotalAmount", "TotalVatAmount",
        "TotalRoundings", "CustomerNumber", "IncludesVat",
    ),
}  # fmt: skip

MAX_LENGTHS: Mapping[str, Mapping[str, int]] = {
    "customers": {
        "CustomerNumber": 16, "CorporateIdentityNumber": 20, "ContactPersonEmail": 255,
        "ContactPersonName": 100, "ContactPersonPhone": 50, "ContactPersonMobile": 50,
        "CurrencyCode": 3, "EmailAddress": 255, "InvoiceAddress1": 50, "InvoiceAddress2": 50,
        "InvoiceCity": 50, "InvoiceCountryCode": 2, "InvoicePostalCode": 10,
        "DeliveryCustomerName": 100, "DeliveryAddress1": 50, "DeliveryAddress2": 50,
        "DeliveryCity": 50, "DeliveryCountryCode": 2, "DeliveryPostalCode": 10, "Name": 50,
        "Note": 4000, "MobilePhone": 50, "Telephone": 50, "VatNumber": 20, "WwwAddress": 255,
        "SalesDocumentLanguage": 2,
    },
    "articles": {"Number": 40, "Name": 50, "NameEnglish": 50},
    "orders": {
        "CurrencyCode": 3, "DeliveryCustomerName": 50, "DeliveryAddress1": 50,
        "DeliveryAddress2": 50, "DeliveryPostalCode": 10, "DeliveryCity": 50,
        "DeliveryCountryCode": 2, "YourReference": 50, "OurReference": 50,
        "InvoiceAddress1": 50, "InvoiceAddress2": 50, "InvoiceCountryCode": 2,
        "InvoicePostalCode": 10, "DeliveryMethodName": 50, "DeliveryMethodCode": 20,
    },
    "customerinvoicedrafts": {
        "YourReference": 100, "OurReference": 100, "BuyersOrderReference": 35,
        "InvoiceAddress1": 50, "InvoiceAddress2": 50, "DeliveryCustomerName": 50,
        "DeliveryAddress1": 50, "DeliveryPostalCode": 10, "DeliveryCity": 50,
        "DeliveryCountryCode": 2,
    },
}  # fmt: skip

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "customers": ("InvoiceCity", "InvoicePostalCode", "Name", "TermsOfPaymentId",
                  "IsPrivatePerson", "IsActive"),
    "articles": ("IsActive", "Number", "Name", "CodingId", "UnitId"),
    "orders": ("CustomerId", "CurrencyCode", "EuThirdParty", "OrderDate", "Status",
               "RotReducedInvoicingType", "ReverseChargeOnConstructionServices"),
    "customerinvoicedrafts": ("CustomerId", "RotReducedInvoicingType", "EuThirdParty"),
}  # fmt: skip
ROW_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "orders": ("LineNumber", "IsTextRow", "IsWorkCost", "EligibleForReverseChargeOnVat"),
    "customerinvoicedrafts": ("IsTextRow", "ReversedConstructionServicesVatFree"),
}
BOOLEANS = frozenset(
    {"IsPrivatePerson", "IsActive", "EuThirdParty", "ReverseChargeOnConstructionServices",
     "IsTextRow", "IsWorkCost", "EligibleForReverseChargeOnVat", "SendToWebshop", "IsStock",
     "ReversedConstructionServicesVatFree", "IsCreditInvoice"}
)  # fmt: skip
NUMBERS = frozenset(
    {"NetPrice", "GrossPrice", "PurchasePrice", "StockBalance", "UnitPrice", "Quantity",
     "DiscountPercentage", "DeliveredQuantity", "Status", "LineNumber", "RotReducedInvoicingType"}
)  # fmt: skip
