"""Pure translations between Visma.net's DTOs, koppel's Visma.net target records and canonical
records. No I/O.

* read DTO -> target record (``lookup``: what Visma.net has, in ``models.VOCABULARY`` terms);
* target record -> UpdateDto body (``create``/``update``: value wrappers, only the named fields);
* read DTO -> canonical record (Visma.net as a *source*).

Choices: a customer's e-mail, phone and person are its main contact's; its address the main
address (billing) and delivery address (shipping); a company customer's name is the company and
the main contact's name the person. An item's long description is ``body``, its EAN a
cross-reference of type ``Barcode``, its custom fields the item's attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.values import decimal, number, text, utc_datetime
from connectors.vismanet.models import ORDER_TYPES, wrap, wrap_fields
from reconciler.canonical import (
    Address,
    Customer,
    LineKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderType,
    Product,
    ProductType,
    StockLevel,
)

Dto = Mapping[str, Any]
BARCODE = "Barcode"

ORDER_STATUS: Mapping[str, OrderStatus] = {
    "Open": OrderStatus.open,
    "Hold": OrderStatus.open,
    "CreditHold": OrderStatus.open,
    "BackOrder": OrderStatus.open,
    "Shipping": OrderStatus.shipped,
    "Completed": OrderStatus.completed,
    "Invoiced": OrderStatus.completed,
    "Cancelled": OrderStatus.cancelled,
}
"""Visma.net sales-order status -> canonical status."""

_CANONICAL_TYPES = {code: OrderType(kind) for kind, code in ORDER_TYPES.items()}


# -- values ----------------------------------------------------------------------------------
def parse_datetime(value: object) -> dt.datetime | None:
    """A Visma.net time stamp (ISO 8601, usually without zone: read as UTC)."""
    return utc_datetime(value)


def filter_time(value: dt.datetime) -> str:
    """A ``lastModifiedDateTime`` filter value (UTC, seconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def compact(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and v not in ("", [], {})}


def _id(value: object) -> str | None:
    """The ``id`` (or ``number``) of a nested description DTO, or a plain value."""
    if isinstance(value, Mapping):
        return text(value.get("id") or value.get("number"))
    return text(value)


def _obj(dto: Dto, name: str) -> Mapping[str, Any]:
    value = dto.get(name)
    return value if isinstance(value, Mapping) else {}


# -- read DTO -> target record ---------------------------------------------------------------
def customer_record(dto: Dto) -> dict[str, Any]:
    address, contact = _obj(dto, "mainAddress"), _obj(dto, "mainContact")
    delivery = _obj(dto, "deliveryAddress")
    name = text(dto.get("name"))
    person = text(contact.get("name"))
    return compact(
        {
            "number": text(dto.get("number")),
            "name": name,
            "status": text(dto.get("status")),
            "contactName": person if person != name else None,
            "email": text(contact.get("email")),
            "phone": text(contact.get("phone1")),
            "addressLine1": text(address.get("addressLine1")),
            "addressLine2": text(address.get("addressLine2")),
            "postalCode": text(address.get("postalCode")),
            "city": text(address.get("city")),
            "country": _id(address.get("country")),
            "deliveryAddressLine1": text(delivery.get("addressLine1")),
            "deliveryPostalCode": text(delivery.get("postalCode")),
            "deliveryCity": text(delivery.get("city")),
            "deliveryCountry": _id(delivery.get("country")),
            "vatRegistrationId": text(dto.get("vatRegistrationId")),
            "corporateId": text(dto.get("corporateId")),
            "currencyId": text(dto.get("currencyId")),
            "customerClassId": _id(dto.get("customerClass")),
            "creditTermsId": _id(dto.get("creditTerms")),
            "vatZoneId": _id(dto.get("vatZone")),
        }
    )


def attributes(dto: Dto) -> dict[str, str]:
    """An item's attributes (``[{id, description, value}]``) as id -> value."""
    out: dict[str, str] = {}
    for row in dto.get("attributes") or []:
        if isinstance(row, Mapping) and text(row.get("id")) and row.get("value") is not None:
            out[str(row["id"])] = str(row["value"])
    return out


def barcode(dto: Dto) -> str | None:
    for ref in dto.get("crossReferences") or []:
        if isinstance(ref, Mapping) and ref.get("alternateType") == BARCODE:
            return text(ref.get("alternateID"))
    return None


def inventory_record(dto: Dto) -> dict[str, Any]:
    return compact(
        {
            "inventoryNumber": text(dto.get("inventoryNumber")),
            "description": text(dto.get("description")),
            "longDescription": text(dto.get("body")),
            "type": text(dto.get("type")),
            "status": text(dto.get("status")),
            "itemClass": _id(dto.get("itemClass")),
            "postingClass": _id(dto.get("postingClass")),
            "vatCode": _id(dto.get("vatCode")),
            "defaultPrice": decimal(dto.get("defaultPrice")),
            "baseUnit": text(dto.get("baseUnit")),
            "ean": barcode(dto),
            "customFields": attributes(dto),
        }
    )


def stock_record(dto: Dto, *, warehouse: str | None = None) -> dict[str, Any]:
    """An item's stock from ``inventorysummary`` rows or ``warehouseDetails``: summed over
    warehouses, or the one named."""
    rows = [r for r in dto.get("warehouseDetails") or [] if isinstance(r, Mapping)]
    chosen = [r for r in rows if warehouse is None or _id(r.get("warehouse")) == warehouse]
    total = sum((decimal(r.get("quantityOnHand")) or Decimal(0) for r in chosen), Decimal(0))
    return compact(
        {
            "inventoryNumber": text(dto.get("inventoryNumber")),
            "warehouse": warehouse,
            "quantity": total,
        }
    )


def order_record(dto: Dto) -> dict[str, Any]:
    lines = []
    for line in dto.get("lines") or []:
        if not isinstance(line, Mapping):
            continue
        inventory = _obj(line, "inventory")
        lines.append(
            compact(
                {
                    "inventoryNumber": text(inventory.get("number")),
                    "warehouse": _id(line.get("warehouse")),
                    "uom": text(line.get("uom")),
                    "quantity": decimal(line.get("quantity")),
                    "unitPrice": decimal(line.get("unitPrice")),
                    "discountPercent": decimal(line.get("discountPercent")),
                    "discountAmount": decimal(line.get("discountAmount")),
                    "lineDescription": text(line.get("lineDescription")),
                    "taxCategory": text(line.get("taxCategory")),
                }
            )
        )
    return compact(
        {
            "orderType": text(dto.get("orderType")),
            "orderNumber": text(dto.get("orderNo")),
            "customer": _id(dto.get("customer")),
            "date": (text(dto.get("date")) or "")[:10] or None,
            "customerOrder": text(dto.get("customerOrder")),
            "customerRefNo": text(dto.get("customerRefNo")),
            "currency": text(dto.get("currency")),
            "description": text(dto.get("description")),
            "branchNumber": _id(dto.get("branchNumber")),
            "terms": _id(dto.get("terms")),
            "shipVia": _id(dto.get("shipVia")),
            "hold": dto.get("hold"),
            "status": text(dto.get("status")),
            "lines": lines,
        }
    )


# -- target record -> UpdateDto body ---------------------------------------------------------
def _pick(record: Mapping[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    if fields is None:
        return dict(record)
    return {f: record[f] for f in fields if f in record}


def customer_body(record: Mapping[str, Any], fields: Sequence[str] | None = None) -> dict[str, Any]:
    """A ``CustomerUpdateDto``; with ``fields``, only those (and the blocks they belong to)."""
    chosen = _pick(record, fields)
    body = wrap_fields(
        {
            name: chosen.get(name)
            for name in (
                "number",
                "name",
                "status",
                "vatRegistrationId",
                "corporateId",
                "currencyId",
                "customerClassId",
                "creditTermsId",
                "vatZoneId",
            )
        }
    )
    main = compact(
        {
            "addressLine1": chosen.get("addressLine1"),
            "addressLine2": chosen.get("addressLine2"),
            "postalCode": chosen.get("postalCode"),
            "city": chosen.get("city"),
            "countryId": chosen.get("country"),
        }
    )
    delivery = compact(
        {
            "addressLine1": chosen.get("deliveryAddressLine1"),
            "postalCode": chosen.get("deliveryPostalCode"),
            "city": chosen.get("deliveryCity"),
            "countryId": chosen.get("deliveryCountry"),
        }
    )
    contact_name = chosen.get("contactName")
    if contact_name is None and "name" in chosen and fields is None:
        contact_name = chosen.get("name")
    contact = compact(
        {
            "name": contact_name,
            "email": chosen.get("email"),
            "phone1": chosen.get("phone"),
        }
    )
    for name, block in (("mainAddress", main), ("deliveryAddress", delivery)):
        if block:
            body[name] = wrap(block)
    if contact:
        body["mainContact"] = wrap(contact)
    return body


def inventory_body(
    record: Mapping[str, Any], fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """An ``InventoryUpdateDto``: scalar fields wrapped, ``body`` for the long description,
    ``attributeLines`` for custom fields and ``crossReferences`` for the EAN."""
    chosen = _pick(record, fields)
    price = chosen.get("defaultPrice")
    body = wrap_fields(
        {
            "inventoryNumber": chosen.get("inventoryNumber"),
            "description": chosen.get("description"),
            "body": chosen.get("longDescription"),
            "type": chosen.get("type"),
            "status": chosen.get("status"),
            "itemClass": chosen.get("itemClass"),
            "postingClass": chosen.get("postingClass"),
            "vatCode": chosen.get("vatCode"),
            "defaultPrice": number(price) if price is not None else None,
            "baseUnit": chosen.get("baseUnit"),
        }
    )
    custom = chosen.get("customFields")
    if isinstance(custom, Mapping):
        body["attributeLines"] = [
            {"attributeId": wrap(str(k)), "attributeValue": wrap(str(v))}
            for k, v in custom.items()
            if v is not None and v != ""
        ]
    if chosen.get("ean"):
        body["crossReferences"] = [
            {
                "operation": "Insert",
                "alternateType": wrap(BARCODE),
                "alternateID": wrap(str(chosen["ean"])),
            }
        ]
    return body


def order_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``SalesOrderUpdateDto`` for a new order: every line an ``Insert``."""
    body = wrap_fields(
        {
            name: record.get(name)
            for name in (
                "orderType",
                "orderNumber",
                "customer",
                "date",
                "customerOrder",
                "customerRefNo",
                "currency",
                "description",
                "branchNumber",
                "terms",
                "shipVia",
                "hold",
            )
        }
    )
    lines = []
    for line in record.get("lines") or []:
        out: dict[str, Any] = {"operation": "Insert"}
        for name in ("inventoryNumber", "warehouse", "uom", "lineDescription", "taxCategory"):
            if line.get(name) not in (None, ""):
                out[name] = wrap(str(line[name]))
        for name in ("quantity", "unitPrice", "discountPercent", "discountAmount"):
            if line.get(name) not in (None, ""):
                out[name] = wrap(number(line[name]))
        lines.append(out)
    body["lines"] = lines
    return body


def adjustment_body(
    inventory_number: str, delta: Decimal, *, warehouse: str | None, date: dt.date
) -> dict[str, Any]:
    """An ``InventoryAdjustmentUpdateDto`` moving one item's stock by ``delta``."""
    line: dict[str, Any] = {
        "operation": "Insert",
        "inventoryNumber": wrap(inventory_number),
        "quantity": wrap(number(delta)),
    }
    if warehouse:
        line["warehouseId"] = wrap(warehouse)
    return {
        "date": wrap(date.isoformat()),
        "description": wrap("koppel stock level"),
        "hold": wrap(False),
        "adjustmentLines": [line],
    }


# -- read DTO -> canonical -------------------------------------------------------------------
def customer_from_dto(dto: Dto) -> Customer:
    record = customer_record(dto)
    person = record.get("contactName")
    first = last = None
    if person:
        first, _, rest = str(person).partition(" ")
        last = rest or None
    billing = Address(
        street=record.get("addressLine1"),
        postal_code=record.get("postalCode"),
        city=record.get("city"),
        country=record.get("country"),
    )
    shipping = Address(
        street=record.get("deliveryAddressLine1"),
        postal_code=record.get("deliveryPostalCode"),
        city=record.get("deliveryCity"),
        country=record.get("deliveryCountry"),
    )
    return Customer(
        email=record.get("email"),
        source_id=record.get("number"),
        company_name=record.get("name"),
        first_name=first,
        last_name=last,
        phone=record.get("phone"),
        vat_number=record.get("vatRegistrationId"),
        coc_number=record.get("corporateId"),
        currency=record.get("currencyId"),
        classification=record.get("customerClassId"),
        billing_address=billing if billing.to_data() else None,
        shipping_address=shipping if shipping.to_data() else None,
        modified_at=parse_datetime(dto.get("lastModifiedDateTime")),
    )


def product_from_dto(dto: Dto) -> Product:
    record = inventory_record(dto)
    return Product(
        sku=str(record["inventoryNumber"]),
        source_id=text(dto.get("inventoryId")),
        name=record.get("description"),
        short_description=record.get("description"),
        long_description=record.get("longDescription"),
        type=ProductType.simple,
        price_excl_tax=record.get("defaultPrice"),
        ean=record.get("ean"),
        unit=record.get("baseUnit"),
        group=record.get("itemClass"),
        active=record.get("status", "Active") == "Active",
        stock_tracked=record.get("type") in ("FinishedGoodItem", "ComponentPartItem"),
        custom_fields=dict(record.get("customFields") or {}),
        modified_at=parse_datetime(dto.get("lastModifiedDateTime")),
    )


def stock_from_dto(dto: Dto) -> list[StockLevel]:
    """One level per warehouse of an item read with ``expandWarehouseDetail=true``."""
    levels = []
    for row in dto.get("warehouseDetails") or []:
        if not isinstance(row, Mapping):
            continue
        on_hand = decimal(row.get("quantityOnHand")) or Decimal(0)
        available = decimal(row.get("available"))
        levels.append(
            StockLevel(
                sku=str(dto.get("inventoryNumber")),
                warehouse=_id(row.get("warehouse")),
                available=available if available is not None else on_hand,
                physical=on_hand,
                reserved=max(on_hand - (available if available is not None else on_hand), 0),
                modified_at=parse_datetime(row.get("lastModifiedDateTime"))
                or parse_datetime(dto.get("lastModifiedDateTime")),
            )
        )
    return levels


def order_from_dto(dto: Dto, customer: Customer | None = None) -> Order:
    record = order_record(dto)
    number_ = str(record.get("orderNumber"))
    date = record.get("date")
    return Order(
        number=number_,
        source_id=number_,
        reference=record.get("customerRefNo"),
        date=dt.date.fromisoformat(date) if date else None,
        status=ORDER_STATUS.get(str(record.get("status")), OrderStatus.open),
        branch=record.get("branchNumber"),
        currency=record.get("currency"),
        customer=customer
        or (Customer(source_id=record["customer"]) if record.get("customer") else None),
        lines=[
            OrderLine(
                kind=LineKind.item,
                sku=line.get("inventoryNumber"),
                description=line.get("lineDescription"),
                quantity=line.get("quantity", Decimal(1)),
                unit_price=line.get("unitPrice"),
                discount_amount=line.get("discountAmount"),
                discount_percentage=line.get("discountPercent"),
                unit=line.get("uom"),
            )
            for line in record.get("lines", [])
        ],
        payment_terms=record.get("terms"),
        shipping_method=record.get("shipVia"),
        total_incl_tax=decimal(dto.get("orderTotal")),
        remark=record.get("description"),
        modified_at=parse_datetime(dto.get("lastModifiedDateTime")),
    )


def order_type(dto: Dto) -> OrderType | None:
    return _CANONICAL_TYPES.get(str(dto.get("orderType")))
