"""The e-conomic connector's target-record vocabulary, and the country names e-conomic keeps.

Target records are flat dicts in these fields (what mappings produce and ``lookup`` returns);
values follow canonical conventions: ``Decimal`` money and quantities, ISO 3166-1 alpha-2
countries, ISO dates. e-conomic itself keeps a country as free text (``"Denmark"``), so the
connector writes English names and reads English, Danish, Dutch and German ones. Data only.
"""

from __future__ import annotations

from reconciler.canonical import Entity

VOCABULARY: dict[Entity, dict[str, str]] = {
    Entity.customers: {
        "email": "natural key: the customer's e-mail (the first, when e-conomic holds several)",
        "customerNumber": "e-conomic's number (int); assigned on create when absent",
        "name": "the customer's name: the company, else the person's full name",
        "contact": "a company's contact person: created as its customer contact (attention)",
        "address": "street and house number, one line",
        "zip": "postal code",
        "city": "city",
        "country": "ISO 3166-1 alpha-2 (written as e-conomic's country name)",
        "currency": "ISO 4217; the connection's currency when absent",
        "customerGroup": "customer group number; the connection's default when absent",
        "paymentTerms": "payment terms number; the connection's default when absent",
        "vatZone": "VAT zone number; from the country when absent (domestic, EU, abroad)",
        "layout": "layout number of the customer's documents",
        "corporateIdentificationNumber": "company registration number (CVR in Denmark)",
        "vatNumber": "VAT number (only on SE/UK/DE/PL/FI agreements)",
        "telephoneAndFaxNumber": "phone",
        "mobilePhone": "mobile phone",
        "website": "website",
        "ean": "EAN location number (Danish public sector invoicing)",
        "barred": "barred from invoicing",
    },
    Entity.products: {
        "sku": "natural key: the product number (a string)",
        "name": "product name",
        "description": "long description",
        "salesPrice": "sales price excl. VAT, Decimal",
        "costPrice": "cost price, Decimal",
        "recommendedPrice": "recommended retail price, Decimal",
        "barCode": "EAN/GTIN (at most 50 characters)",
        "barred": "barred from sale",
        "productGroup": "product group number; the connection's default when absent",
        "unit": "unit number",
        "currency": "checked against the connection's currency (products carry none)",
    },
    Entity.orders: {
        "reference": "natural key: written to references.other and looked up by it",
        "orderType": "order (a draft order) or invoice (a draft invoice)",
        "number": "e-conomic's order or draft invoice number (read only)",
        "customerNumber": "the customer's number (takes precedence over customerEmail)",
        "customerEmail": "the customer's e-mail; resolved to customerNumber on create",
        "date": "document date, ISO date (today when absent)",
        "currency": "ISO 4217; the connection's currency when absent",
        "paymentTerms": "payment terms number; the customer's, else the connection's default",
        "layout": "layout number; the connection's default when absent",
        "recipientName": "recipient name; the customer's name when absent",
        "address": "recipient street and number, one line",
        "zip": "recipient postal code",
        "city": "recipient city",
        "country": "recipient country, ISO 3166-1 alpha-2",
        "vatZone": "recipient VAT zone; the customer's, else from the country",
        "deliveryAddress": "delivery street and number, one line",
        "deliveryZip": "delivery postal code",
        "deliveryCity": "delivery city",
        "deliveryCountry": "delivery country, ISO 3166-1 alpha-2",
        "heading": "notes.heading (the document's title line)",
        "remark": "notes.textLine1",
        "lines": "list of dicts: sku, description, quantity (Decimal), unitNetPrice (Decimal), "
        "discountPercentage (Decimal)",
    },
}
"""Target-record fields per entity: what a mapping may produce and ``lookup`` returns."""

COUNTRY_NAMES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CH": "Switzerland",
    "CY": "Cyprus",
    "CZ": "Czech Republic",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FO": "Faroe Islands",
    "FR": "France",
    "GB": "United Kingdom",
    "GL": "Greenland",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IS": "Iceland",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "NO": "Norway",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "US": "United States",
}
"""ISO code -> the English name koppel writes to e-conomic's free-text ``country``."""

_ALIASES: dict[str, str] = {
    # Danish
    "danmark": "DK",
    "tyskland": "DE",
    "holland": "NL",
    "nederlandene": "NL",
    "sverige": "SE",
    "norge": "NO",
    "belgien": "BE",
    "frankrig": "FR",
    "storbritannien": "GB",
    "færøerne": "FO",
    "grønland": "GL",
    # Dutch
    "nederland": "NL",
    "belgië": "BE",
    "duitsland": "DE",
    "denemarken": "DK",
    "frankrijk": "FR",
    "zweden": "SE",
    "noorwegen": "NO",
    # German
    "deutschland": "DE",
    "dänemark": "DK",
    "niederlande": "NL",
    "österreich": "AT",
    "schweiz": "CH",
    # English variants
    "the netherlands": "NL",
    "great britain": "GB",
    "england": "GB",
    "uk": "GB",
    "usa": "US",
    "czechia": "CZ",
}

_BY_NAME = {name.lower(): code for code, name in COUNTRY_NAMES.items()} | _ALIASES

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
"""EU member states, for the VAT zone of a customer abroad."""


def country_code(name: str | None) -> str | None:
    """The ISO code of e-conomic's country text; a two-letter text is taken as a code, an
    unknown name is kept as it is (a person can still read it)."""
    if not name or not name.strip():
        return None
    text = name.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _BY_NAME.get(text.lower(), text)


def country_name(code: str | None) -> str | None:
    """The name written to e-conomic for an ISO code (an unknown code is written as given)."""
    if not code or not code.strip():
        return None
    return COUNTRY_NAMES.get(code.strip().upper(), code.strip())
