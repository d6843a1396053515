"""Products, pure: create or update by SKU, create-only fields, types, attributes and features,
prices excl./incl. tax, and the target's SKU rule checked per record.

The "update checkbox" of the seeds is ``products.createOnly``: those target fields get the
``create_only`` write policy, so they are written when the product is created and never again.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reconciler.canonical import Product
from reconciler.capabilities import KeyRule
from reconciler.errors import MappingError
from reconciler.mapping.tables import TaxTable
from reconciler.spec.models.flow import ProductSettings
from reconciler.spec.models.mapping import WritePolicy

CENT = Decimal("0.01")


def create_only_policies(settings: ProductSettings) -> dict[str, WritePolicy]:
    """Write policies for the flow's create-only fields."""
    return dict.fromkeys(settings.create_only, "create_only")


def check_sku(product: Product, rule: KeyRule | None, *, title: str) -> None:
    """MappingError when the target cannot store this SKU as its key (reported per record)."""
    if rule is not None and not rule.matches(product.sku):
        raise MappingError(
            f"product {product.sku}: SKU {product.sku!r} cannot be an article number in "
            f"{title}: {rule.description}",
            hint="give the product a numeric code in the source, or map sku to a numeric field",
        )


def product_data(
    product: Product,
    settings: ProductSettings,
    *,
    tax: TaxTable | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    """The product's data for its mapping: prices completed, attributes and features selected."""
    data = product.to_data()
    excl, incl, rate = product.price_excl_tax, product.price_incl_tax, product.tax_rate
    if rate is not None:
        factor = 1 + rate / 100
        if incl is None and excl is not None:
            incl = (excl * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        if excl is None and incl is not None:
            excl = (incl / factor).quantize(CENT, rounding=ROUND_HALF_UP)
    if excl is not None:
        data["priceExclTax"] = format(excl, "f")
    if incl is not None:
        data["priceInclTax"] = format(incl, "f")
    price = incl if settings.prices_include_tax else excl
    if price is not None:
        data["price"] = format(price, "f")
    data["attributes"] = {k: v for k, v in product.attributes.items() if k in settings.attributes}
    data["features"] = {k: v for k, v in product.features.items() if k in settings.features}
    if not settings.categories:
        data.pop("categories", None)
    if tax is not None and country is not None:
        data["taxCode"] = tax.code(country, rate=rate)
    return data
