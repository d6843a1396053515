"""Pure translation of MplusKASSA orders: wire Order <-> canonical Order and order target record.

Kept apart from ``translate.py`` because orders nest (addresses, lines, payments) and have their
own rules: ``extOrderId`` carries koppel's order number (the idempotency key ``findOrder``
resolves), line prices are incl. VAT when the order's ``vatMethod`` is INCLUSIVE, and an order
whose payments cover its total is ``fullyPaid`` and canonically ``paid``. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.mpluskassa.translate import (
    TargetRecord,
    WireRecord,
    address_from_line,
    article_number,
    compact,
    date_from_wire,
    date_to_wire,
    datetime_from_wire,
    from_cents,
    from_scaled,
    to_cents,
    to_scaled,
)
from reconciler.canonical import Address, Customer, Order, OrderLine, OrderStatus, Payment

INCLUSIVE = "VAT-METHOD-INCLUSIVE"
EXCLUSIVE = "VAT-METHOD-EXCLUSIVE"
ADDRESS_FIELDS = ("name", "contact", "address", "zipcode", "city", "country", "companyName")


def _lines(order: Mapping[str, Any]) -> list[WireRecord]:
    return list((order.get("lineList") or {}).get("line", []))


def _payments(order: Mapping[str, Any]) -> list[WireRecord]:
    return list((order.get("paymentList") or {}).get("payment", []))


def status_of(order: Mapping[str, Any]) -> OrderStatus:
    """Cancelled beats paid beats completed; a prepaid part makes it partially paid."""
    if order.get("cancelState") == "ORDER-CANCEL-STATE-COMPLETE":
        return OrderStatus.cancelled
    if order.get("fullyPaid"):
        return OrderStatus.paid
    if order.get("completeState") == "ORDER-COMPLETE-STATE-COMPLETE":
        return OrderStatus.completed
    if order.get("prepaidAmount"):
        return OrderStatus.partially_paid
    return OrderStatus.open


def _wire_address(address: Mapping[str, Any] | None) -> Address | None:
    if not address:
        return None
    return address_from_line(
        address.get("address"),
        address.get("zipcode"),
        address.get("city"),
        address.get("country"),
        name=address.get("companyName") or address.get("name"),
    )


def order_to_canonical(order: Mapping[str, Any]) -> Order:
    inclusive = order.get("vatMethod", INCLUSIVE) != EXCLUSIVE
    lines = []
    for line in _lines(order):
        data = line.get("data") or {}
        price = data.get("price") if inclusive else data.get("priceExcl")
        vat = data.get("vatPercentage")
        discount = data.get("discountPercentage")
        lines.append(
            OrderLine(
                sku=str(line["articleNumber"]),
                description=line.get("text"),
                quantity=from_scaled(data.get("quantity", 0), data.get("decimalPlaces")),
                unit_price=from_cents(price),
                tax_rate=None if vat is None else Decimal(vat),
                discount_percentage=None if discount is None else Decimal(discount),
                discount_amount=from_cents(data.get("discountAmount")),
            )
        )
    relation = order.get("relationNumber")
    branch = order.get("entryBranchNumber")
    entered = datetime_from_wire(order.get("entryTimestamp"))
    return Order(
        number=str(order.get("extOrderId") or order["orderId"]),
        source_id=str(order["orderId"]),
        reference=order.get("reference"),
        date=date_from_wire(order.get("financialDate")) or (entered.date() if entered else None),
        status=status_of(order),
        paid=bool(order.get("fullyPaid")),
        branch=None if branch is None else str(branch),
        prices_include_tax=inclusive,
        customer=None if relation is None else Customer(source_id=str(relation)),
        billing_address=_wire_address(order.get("invoiceAddress")),
        shipping_address=_wire_address(order.get("deliveryAddress")),
        lines=lines,
        shipping_method=order.get("deliveryMethod"),
        payment_method=order.get("paymentMethod"),
        payments=[
            Payment(
                method=p["method"],
                amount=from_cents(p["amount"]) or Decimal(0),
                reference=p.get("externalPaymentId"),
            )
            for p in _payments(order)
        ],
        total_incl_tax=from_cents(order.get("totalInclAmount")),
        total_excl_tax=from_cents(order.get("totalExclAmount")),
    )


def order_to_target(order: Mapping[str, Any]) -> TargetRecord:
    """A wire order in the order vocabulary (what ``lookup`` returns)."""
    inclusive = order.get("vatMethod", INCLUSIVE) != EXCLUSIVE
    financial = date_from_wire(order.get("financialDate"))
    lines = []
    for line in _lines(order):
        data = line.get("data") or {}
        lines.append(
            compact(
                {
                    "sku": str(line["articleNumber"]),
                    "text": line.get("text"),
                    "quantity": from_scaled(data.get("quantity", 0), data.get("decimalPlaces")),
                    "price": from_cents(data.get("price" if inclusive else "priceExcl")),
                    "vatCode": data.get("vatCode"),
                    "discountPercentage": data.get("discountPercentage"),
                }
            )
        )
    return compact(
        {
            "number": order.get("extOrderId") or order.get("orderId"),
            "orderId": order.get("orderId"),
            "reference": order.get("reference"),
            "date": financial.isoformat() if financial else None,
            "relationNumber": order.get("relationNumber"),
            "invoiceAddress": compact(order.get("invoiceAddress") or {}) or None,
            "deliveryAddress": compact(order.get("deliveryAddress") or {}) or None,
            "pricesIncludeTax": inclusive,
            "lines": lines,
            "payments": [
                compact(
                    {
                        "method": p["method"],
                        "amount": from_cents(p["amount"]),
                        "reference": p.get("externalPaymentId"),
                    }
                )
                for p in _payments(order)
            ],
            "paymentMethod": order.get("paymentMethod"),
            "deliveryMethod": order.get("deliveryMethod"),
            "totalIncl": from_cents(order.get("totalInclAmount")),
            "paid": bool(order.get("fullyPaid")),
        }
    )


def _whole(value: Any) -> int | None:
    return None if value is None else int(Decimal(str(value)))


def _target_address(address: Mapping[str, Any] | None) -> WireRecord | None:
    if not address:
        return None
    wire = {name: address.get(name) for name in ADDRESS_FIELDS}
    if wire.get("country"):
        wire["country"] = str(wire["country"]).upper()
    return compact(wire) or None


def target_to_order(
    record: Mapping[str, Any], *, relation_number: int | None, branch_number: int
) -> WireRecord:
    """The wire Order for createOrder/queueBranchOrder (orderId left empty: assigned)."""
    operation = "createOrder"
    inclusive = bool(record.get("pricesIncludeTax", True))
    lines = []
    for index, line in enumerate(record.get("lines") or [], start=1):
        quantity, places = to_scaled(Decimal(line.get("quantity", 1)))
        price = line.get("price")
        data = {
            "quantity": quantity,
            "decimalPlaces": places,
            "vatCode": _whole(line.get("vatCode")),
            # The wire has whole percentages only (xsd:int).
            "discountPercentage": _whole(line.get("discountPercentage")),
        }
        if price is not None:
            data["price" if inclusive else "priceExcl"] = to_cents(Decimal(price))
        lines.append(
            compact(
                {
                    "articleNumber": article_number(str(line.get("sku")), operation=operation),
                    "text": line.get("text"),
                    "data": compact(data),
                    "sequenceNumber": index,
                }
            )
        )
    payments = [
        compact(
            {
                "method": str(p["method"]),
                "amount": to_cents(Decimal(p["amount"])),
                "externalPaymentId": p.get("reference"),
            }
        )
        for p in record.get("payments") or []
    ]
    total = record.get("totalIncl")
    return compact(
        {
            "orderId": "",
            "extOrderId": str(record["number"]),
            "orderType": "ORDER-TYPE-SALES-ORDER",
            "entryBranchNumber": branch_number,
            "relationNumber": relation_number,
            "deliveryAddress": _target_address(record.get("deliveryAddress")),
            "invoiceAddress": _target_address(record.get("invoiceAddress")),
            "financialDate": date_to_wire(record["date"]) if record.get("date") else None,
            "reference": record.get("reference"),
            "totalInclAmount": None if total is None else to_cents(Decimal(total)),
            "vatMethod": INCLUSIVE if inclusive else EXCLUSIVE,
            "deliveryMethod": record.get("deliveryMethod"),
            "paymentMethod": record.get("paymentMethod"),
            "lineList": {"line": lines},
            "paymentList": {"payment": payments} if payments else None,
        }
    ) | {"orderId": ""}
