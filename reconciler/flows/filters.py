"""Record filters: order statuses and channels, customers without e-mail, custom product
filters. A record a filter drops is *skipped* with the reason, never silently lost."""

from __future__ import annotations

from typing import Any

from reconciler.canonical import Customer, Order, Product
from reconciler.mapping.expressions import read, text_of
from reconciler.spec.models.flow import CustomerFilter, OrderFilter, ProductCondition, ProductFilter


def order_skip_reason(order: Order, spec: OrderFilter) -> str | None:
    """Why the flow does not take this order, or None when it does."""
    if spec.status is not None and order.status not in spec.status:
        wanted = ", ".join(s.value for s in spec.status)
        return f"status {order.status.value} is not one of the flow's statuses ({wanted})"
    if spec.channels is not None and order.channel not in spec.channels:
        return f"channel {order.channel or '(none)'} is not one of {', '.join(spec.channels)}"
    if spec.since is not None and order.date is not None and order.date.isoformat() < spec.since:
        return f"dated {order.date.isoformat()}, before the flow's `since` ({spec.since})"
    return None


def customer_skip_reason(customer: Customer, spec: CustomerFilter) -> str | None:
    if spec.only_with_email and not customer.key:
        return "it has no e-mail address, so it cannot be matched in the target"
    if spec.classifications is not None and customer.classification not in spec.classifications:
        return f"classification {customer.classification or '(none)'} is not selected"
    return None


def product_skip_reason(product: Product, spec: ProductFilter) -> str | None:
    if spec.active_only and not product.active:
        return "it is not active"
    if spec.types is not None and product.type not in spec.types:
        return f"type {product.type.value} is not selected"
    if spec.groups is not None and product.group not in spec.groups:
        return f"group {product.group or '(none)'} is not selected"
    data = product.to_data()
    for i, condition in enumerate(spec.custom):
        if not holds(condition, read(data, condition.field)):
            return (
                f"custom filter {i} ({condition.field} {condition.op} {condition.value!r}) "
                "does not hold"
            )
    return None


def holds(condition: ProductCondition, value: Any) -> bool:
    """Whether one custom condition holds for a value (compared as text, as people write it)."""
    op, want = condition.op, condition.value
    if op == "exists":
        return value not in (None, "", [], {})
    if op == "notExists":
        return value in (None, "", [], {})
    have = text_of(value)
    if op in ("in", "notIn"):
        options = {text_of(v) for v in (want if isinstance(want, list) else [want])}
        return (have in options) == (op == "in")
    if op == "equals":
        return have == text_of(want)
    if op == "notEquals":
        return have != text_of(want)
    if op == "startsWith":
        return have.startswith(text_of(want))
    if op == "contains":
        return text_of(want) in have
    return False
