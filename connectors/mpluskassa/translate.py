"""Pure translation between MplusKASSA wire payloads, koppel's canonical records and the
connector's target records (vocabulary in ``models.py``).

Units on the wire: money is integer cents (``priceIncl=1995`` is 19.95), quantities are scaled
integers with a decimal-places companion (value = amount / 10**places, 2 when the field is
absent, as MplusKASSA's own client assumes), dates are ``{day, mon, year}`` structures. Canonical
records and target records carry ``Decimal`` values and ISO dates instead.

The one key rule: MplusKASSA article numbers are ``xsd:long``. A canonical SKU becomes the
article number only when it is all digits; any other SKU is rejected per record, naming the SKU.
An ERP's own non-numeric item code goes in ``extArticleId`` instead. No I/O happens here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.mpluskassa.capabilities import CAPABILITIES
from reconciler.canonical import (
    Address,
    Customer,
    Product,
    ProductType,
    StockLevel,
)
from reconciler.errors import RejectedError

WireRecord = dict[str, Any]
TargetRecord = dict[str, Any]
CENT = Decimal("0.01")
MAX_PLACES = 6
"""Decimal places kept for quantities; finer fractions are rounded (no till counts finer)."""


# -- units ----------------------------------------------------------------------------------------
def to_cents(amount: Decimal) -> int:
    return int(Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


def from_cents(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def to_scaled(amount: Decimal) -> tuple[int, int]:
    """(scaled integer, decimal places) with as few places as the value needs, at most 6."""
    value = Decimal(amount).quantize(Decimal(1).scaleb(-MAX_PLACES), rounding=ROUND_HALF_UP)
    value = value.normalize()
    exponent = int(value.as_tuple().exponent)
    places = max(0, -exponent)
    return int(value.scaleb(places)), places


def from_scaled(amount: int, places: int | None) -> Decimal:
    return Decimal(amount).scaleb(-(2 if places is None else places))


def date_to_wire(value: dt.date | str) -> WireRecord:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return {"day": day.day, "mon": day.month, "year": day.year}


def date_from_wire(value: Mapping[str, Any] | None) -> dt.date | None:
    if not value:
        return None
    return dt.date(int(value["year"]), int(value["mon"]), int(value["day"]))


def datetime_from_wire(value: Mapping[str, Any] | None) -> dt.datetime | None:
    """A SoapMplusDateTime as an aware datetime; ``timezone`` is minutes east of UTC."""
    if not value:
        return None
    offset = dt.timezone(dt.timedelta(minutes=int(value.get("timezone", 0))))
    return dt.datetime(
        int(value["year"]),
        int(value["mon"]),
        int(value["day"]),
        int(value["hour"]),
        int(value["min"]),
        int(value["sec"]),
        tzinfo=offset,
    )


def article_number(sku: str, *, operation: str) -> int:
    """The article number for a canonical SKU; a non-numeric SKU is rejected, naming it."""
    rule = CAPABILITIES.sku_rule
    if rule is None or not rule.matches(str(sku)):
        raise RejectedError(
            f"SKU {sku!r} is not numeric, and MplusKASSA article numbers are numbers (xsd:long)",
            system="mpluskassa",
            operation=operation,
            hint="map a numeric field to the SKU and keep the ERP item code in extArticleId",
        )
    return int(sku)


# -- names and addresses --------------------------------------------------------------------------
# The house number is the last number that only a short suffix follows ("7bis", "3 a", "12-14"),
# so numbers inside a street name ("Laan 1940-1945 7") stay with the street.
_STREET = re.compile(r"^(?P<street>.+?)\s+(?P<number>\d+)\s*(?P<suffix>[A-Za-z][\w-]*|-\s*\w+)?$")


def split_street(line: str | None) -> tuple[str | None, str | None, str | None]:
    """'Dorpsstraat 12 a' -> ('Dorpsstraat', '12', 'a'); a line without a number is a street."""
    if not line or not line.strip():
        return None, None, None
    match = _STREET.match(line.strip())
    if match is None:
        return line.strip(), None, None
    return match["street"].strip(), match["number"], match["suffix"]


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """MplusKASSA keeps one name: the first word becomes the first name, the rest the last."""
    if not full or not full.strip():
        return None, None
    first, _, rest = full.strip().partition(" ")
    return (first, rest) if rest else (None, first)


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != ""}


def address_from_line(
    line: str | None, zipcode: Any, city: Any, country: Any, **extra: Any
) -> Address:
    street, number, suffix = split_street(line)
    return Address(
        street=street,
        number=number,
        number_suffix=suffix,
        postal_code=zipcode,
        city=city,
        country=str(country).upper() if country else None,
        **extra,
    )


# -- products -------------------------------------------------------------------------------------
def articles(product: Mapping[str, Any]) -> list[WireRecord]:
    return list((product.get("articleList") or {}).get("article", []))


def article_to_product(product: Mapping[str, Any], article: Mapping[str, Any]) -> Product:
    """One article as a canonical Product: a variant when its product has several articles."""
    variant = len(articles(product)) > 1
    groups = product.get("groupNumbers") or []
    vat = article.get("vatPercentage")
    return Product(
        sku=str(article["articleNumber"]),
        source_id=article.get("extArticleId"),
        name=article.get("description") or product.get("description"),
        short_description=article.get("displayText"),
        long_description=article.get("extraText"),
        type=ProductType.variant if variant else ProductType.simple,
        parent_sku=str(product["productNumber"]) if variant else None,
        price_excl_tax=from_cents(article.get("priceExcl")),
        price_incl_tax=from_cents(article.get("priceIncl")),
        tax_rate=None if vat is None else Decimal(vat),
        cost_price=from_cents(article.get("purchasePrice")),
        ean=article.get("barcode"),
        unit=article.get("unit"),
        active=bool(article.get("active", True)),
        stock_tracked=article.get("stockArticle"),
        group=str(groups[0]) if groups else None,
        attributes=compact({"colour": article.get("colour"), "size": article.get("size")}),
        modified_at=datetime_from_wire(article.get("changeTimestamp")),
    )


_ARTICLE_TEXT = ("extArticleId", "description", "extraText", "displayText", "barcode", "unit")
_ARTICLE_PLAIN = (*_ARTICLE_TEXT, "colour", "size", "vatCode", "turnoverGroup")
_ARTICLE_FLAGS = ("stockArticle", "active", "webshop")
_ARTICLE_CODES = frozenset({"vatCode", "turnoverGroup"})
_ARTICLE_MONEY = ("priceIncl", "priceExcl", "purchasePrice")


def article_to_target(product: Mapping[str, Any], article: Mapping[str, Any]) -> TargetRecord:
    """An article in the product vocabulary (money as Decimal)."""
    record: TargetRecord = {
        "sku": str(article["articleNumber"]),
        "productNumber": product.get("productNumber"),
        "productDescription": product.get("description"),
        "groupNumbers": list(product.get("groupNumbers") or []) or None,
    }
    for name in (*_ARTICLE_PLAIN, *_ARTICLE_FLAGS):
        record[name] = article.get(name)
    for name in _ARTICLE_MONEY:
        record[name] = from_cents(article.get(name))
    return compact(record)


def target_to_article(
    record: Mapping[str, Any], *, operation: str, fields: Iterable[str] | None = None
) -> WireRecord:
    """The wire article for a product target record, limited to ``fields`` when given."""
    wanted = set(record) if fields is None else set(fields)
    article: WireRecord = {"articleNumber": article_number(str(record["sku"]), operation=operation)}
    for name in (*_ARTICLE_PLAIN, *_ARTICLE_FLAGS):
        if name in wanted and record.get(name) is not None:
            value = record[name]
            # Codes are xsd:int on the wire; a mapping may produce them as strings ("2").
            article[name] = int(value) if name in _ARTICLE_CODES else value
    for name in _ARTICLE_MONEY:
        if name in wanted and record.get(name) is not None:
            article[name] = to_cents(Decimal(record[name]))
    return article


def target_to_product(record: Mapping[str, Any], *, operation: str) -> WireRecord:
    """A wire Product holding the one article the record describes (createProduct)."""
    return compact(
        {
            "productNumber": record.get("productNumber"),
            "description": record.get("productDescription") or record.get("description"),
            "articleList": {"article": [target_to_article(record, operation=operation)]},
            "groupNumbers": [int(g) for g in record.get("groupNumbers") or []] or None,
        }
    )


# -- stock ----------------------------------------------------------------------------------------
def stock_to_level(stock: Mapping[str, Any], *, managed: bool | None = None) -> StockLevel:
    return StockLevel(
        sku=str(stock["articleNumber"]),
        available=from_scaled(stock["amountFree"], stock.get("decimalPlacesFree")),
        reserved=from_scaled(stock["amountReserved"], stock.get("decimalPlacesReserved")),
        incoming=from_scaled(stock["amountIncoming"], stock.get("decimalPlacesIncoming")),
        managed=managed,
        modified_at=datetime_from_wire(stock.get("changeTimestamp")),
    )


def stock_to_target(stock: Mapping[str, Any], *, managed: bool | None) -> TargetRecord:
    level = stock_to_level(stock, managed=managed)
    return compact(
        {
            "sku": level.sku,
            "amount": level.available,
            "reserved": level.reserved,
            "managed": managed,
        }
    )


# -- relations ------------------------------------------------------------------------------------
RELATION_FIELDS = (
    "relationNumber",
    "extRelationId",
    "email",
    "name",
    "companyName",
    "contact",
    "address",
    "zipcode",
    "city",
    "country",
    "deliveryAddress",
    "deliveryZipcode",
    "deliveryCity",
    "deliveryCountry",
    "telephone",
    "mobile",
    "vatNumber",
    "commerceNumber",
    "active",
)


def relation_to_target(relation: Mapping[str, Any]) -> TargetRecord:
    return compact({name: relation.get(name) for name in RELATION_FIELDS})


def target_to_relation(
    record: Mapping[str, Any], fields: Iterable[str] | None = None
) -> WireRecord:
    wanted = set(record) if fields is None else set(fields)
    relation = {name: record.get(name) for name in RELATION_FIELDS if name in wanted}
    for name in ("country", "deliveryCountry"):
        if relation.get(name):
            relation[name] = str(relation[name]).upper()
    return compact(relation)


def relation_to_customer(relation: Mapping[str, Any]) -> Customer:
    """A relation as a canonical Customer: a company with its contact, or a person."""
    company = relation.get("companyName")
    first, last = split_name(relation.get("contact") if company else relation.get("name"))
    shipping = None
    if relation.get("deliveryAddress") or relation.get("deliveryCity"):
        shipping = address_from_line(
            relation.get("deliveryAddress"),
            relation.get("deliveryZipcode"),
            relation.get("deliveryCity"),
            relation.get("deliveryCountry"),
        )
    return Customer(
        email=relation.get("email"),
        source_id=str(relation["relationNumber"]) if "relationNumber" in relation else None,
        company_name=company,
        first_name=first,
        last_name=last,
        phone=relation.get("telephone"),
        mobile=relation.get("mobile"),
        vat_number=relation.get("vatNumber"),
        coc_number=relation.get("commerceNumber"),
        billing_address=address_from_line(
            relation.get("address"),
            relation.get("zipcode"),
            relation.get("city"),
            relation.get("country"),
        ),
        shipping_address=shipping,
        modified_at=datetime_from_wire(relation.get("changeTimestamp")),
    )
