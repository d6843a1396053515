"""The Visma.net sandbox's company: master data, customers, inventory items, sales orders and
inventory adjustments in memory, with the API's own validation.

Records are kept as the read DTOs Visma.net answers (plain values, nested description objects);
writes arrive as UpdateDto bodies already unwrapped (``sandbox._unwrapped``, which refuses a field
sent without its wrapper). What Visma.net itself refuses is refused here with a 400 and its
exception body (``VismaNetError``): an unknown customer class, VAT zone, credit terms, item class,
VAT category, attribute, branch, warehouse or order type; a customer without a class where the
company has no default; an order line for an inventory item that does not exist or is inactive;
a duplicate number.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.vismanet.models import (
    CUSTOMER_STATUSES,
    INVENTORY_STATUSES,
    INVENTORY_TYPES,
)

DEFAULT_SEED = Path(__file__).with_name("seed.json")
Dto = dict[str, Any]
Clock = Callable[[], dt.datetime]

COUNTRIES = {
    "NL": "Netherlands",
    "DK": "Denmark",
    "BE": "Belgium",
    "DE": "Germany",
    "SE": "Sweden",
    "NO": "Norway",
    "GB": "United Kingdom",
}


class VismaNetError(Exception):
    """An answer in Visma.net's exception shape (``ExceptionMessage`` etc.)."""

    def __init__(self, message: str, *, status: int = 400, code: str = "1000") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code

    def body(self) -> Dto:
        return {
            "ExceptionType": "IPPException",
            "ExceptionMessage": self.message,
            "ExceptionFaultCode": self.code,
            "ExceptionMessageID": f"{self.code}_{uuid.uuid4()}",
            "ExceptionDetails": "",
        }


def load_seed(seed: Path | Mapping[str, Any] | None) -> dict[str, Any]:
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, Path | str):
        loaded: dict[str, Any] = json.loads(Path(seed).read_text("utf-8"))
        return loaded
    return copy.deepcopy(dict(seed))


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise VismaNetError(f"'{field}' is not a number: {value!r}") from exc


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class VismaNetStore:
    """One company's data; see the module docstring."""

    def __init__(self, seed: Path | Mapping[str, Any] | None = None, *, clock: Clock | None = None):
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        data = load_seed(seed)
        company = data.get("company", {})
        self.company_id = str(company.get("id", "1234567"))
        self.company_name = str(company.get("name", "Sandbox company"))
        self.currency = str(company.get("baseCurrency", "EUR"))
        self.default_customer_class: str | None = company.get("defaultCustomerClass")
        self.default_item_class: str | None = company.get("defaultItemClass")
        self.branches = {str(b["number"]): dict(b) for b in data.get("branches", [])}
        self.vat_categories = {
            str(v["vatCategoryId"]): {"active": True, **v} for v in data.get("vatCategories", [])
        }
        self.vat_zones = {str(z["id"]): dict(z) for z in data.get("vatZones", [])}
        self.customer_classes = {str(c["id"]): dict(c) for c in data.get("customerClasses", [])}
        self.credit_terms = {str(t["id"]): dict(t) for t in data.get("creditTerms", [])}
        self.item_classes = {str(c["id"]): dict(c) for c in data.get("itemClasses", [])}
        self.attributes = {str(a["id"]): dict(a) for a in data.get("attributes", [])}
        self.warehouses = {str(w["id"]): dict(w) for w in data.get("warehouses", [{"id": "MAIN"}])}
        self.order_types = {str(t["orderType"]): dict(t) for t in data.get("orderTypes", [])} or {
            "SO": {"orderType": "SO", "description": "Sales order"},
            "IN": {"orderType": "IN", "description": "Invoice"},
        }
        self._ids = itertools.count(1)
        self.customers: dict[str, Dto] = {}
        self.inventory: dict[str, Dto] = {}
        self.stock: dict[str, dict[str, Decimal]] = {}
        self.orders: dict[str, Dto] = {}
        self.adjustments: dict[str, Dto] = {}
        for row in data.get("customers", []):
            self.create_customer(self._as_write(row), seeding=True)
        for row in data.get("inventory", []):
            number = self.create_inventory(self._as_write(row))
            for warehouse, quantity in (row.get("stock") or {}).items():
                self.stock.setdefault(number, {})[str(warehouse)] = Decimal(str(quantity))
        for row in data.get("salesOrders", []):
            self.create_order(row)

    @staticmethod
    def _as_write(row: Mapping[str, Any]) -> dict[str, Any]:
        """A seed row (plain values, write-field names) without seed-only keys."""
        return {k: v for k, v in row.items() if k != "stock"}

    def now(self) -> str:
        return (
            self.clock().astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
        )

    def _touch(self, dto: Dto, *, created: bool = False) -> None:
        stamp = self.now()
        dto["lastModifiedDateTime"] = stamp
        if created:
            dto["createdDateTime"] = stamp

    # -- references ------------------------------------------------------------------------------
    @staticmethod
    def _ref(table: Mapping[str, Dto], code: Any, what: str) -> Dto:
        if str(code) not in table:
            raise VismaNetError(f"{what} '{code}' cannot be found in the system.", code="1001")
        return table[str(code)]

    def _address(self, given: Any, current: Any = None) -> Dto:
        address = dict(current or {})
        if not isinstance(given, Mapping):
            return address
        for name in ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city"):
            if name in given:
                address[name] = given[name]
        if "countryId" in given:
            country = str(given["countryId"] or "")
            if not re.fullmatch(r"[A-Z]{2}", country):
                raise VismaNetError(f"Country '{country}' cannot be found in the system.")
            address["country"] = {"id": country, "name": COUNTRIES.get(country, country)}
        address.setdefault("addressId", next(self._ids))
        return address

    def _contact(self, given: Any, current: Any = None) -> Dto:
        contact = dict(current or {})
        if isinstance(given, Mapping):
            for name in ("name", "attention", "email", "web", "phone1", "phone2", "fax"):
                if name in given:
                    contact[name] = given[name]
        contact.setdefault("contactId", next(self._ids))
        return contact

    # -- customers -------------------------------------------------------------------------------
    def _next_customer_number(self) -> str:
        numbers = [int(n) for n in self.customers if n.isdigit()]
        return str(max([10000, *numbers]) + 1)

    def create_customer(self, body: Mapping[str, Any], *, seeding: bool = False) -> str:
        number = str(body.get("number") or self._next_customer_number())
        if number in self.customers:
            raise VismaNetError(f"Customer '{number}' already exists.", code="1002")
        if not body.get("name"):
            raise VismaNetError("'Customer name' cannot be empty.", code="1003")
        class_id = body.get("customerClassId") or self.default_customer_class
        if not class_id:
            raise VismaNetError("'Customer class' cannot be empty.", code="1003")
        dto: Dto = {"internalId": next(self._ids), "number": number, "status": "Active"}
        dto["customerClass"] = None
        self._apply_customer(dto, {**body, "customerClassId": class_id})
        if dto.get("vatZone") is None:
            raise VismaNetError(
                "'VAT zone' cannot be empty: the customer class has no default VAT zone.",
                code="1003",
            )
        dto.setdefault("currencyId", self.currency)
        self._touch(dto, created=True)
        self.customers[number] = dto
        return number

    def update_customer(self, number: str, body: Mapping[str, Any]) -> None:
        dto = self.customers.get(number)
        if dto is None:
            raise VismaNetError(f"Customer '{number}' was not found.", status=404, code="1004")
        if body.get("number") not in (None, number):
            raise VismaNetError("The customer number cannot be changed.")
        updated = copy.deepcopy(dto)
        self._apply_customer(updated, body)
        self._touch(updated)
        self.customers[number] = updated

    def _apply_customer(self, dto: Dto, body: Mapping[str, Any]) -> None:
        for name in ("name", "vatRegistrationId", "corporateId", "accountReference"):
            if name in body:
                dto[name] = body[name]
        if "status" in body:
            if body["status"] not in CUSTOMER_STATUSES:
                raise VismaNetError(f"Status '{body['status']}' is not valid for a customer.")
            dto["status"] = body["status"]
        if "currencyId" in body:
            if not re.fullmatch(r"[A-Z]{3}", str(body["currencyId"] or "")):
                raise VismaNetError(
                    f"Currency '{body['currencyId']}' cannot be found in the system."
                )
            dto["currencyId"] = body["currencyId"]
        if "customerClassId" in body:
            cls = self._ref(self.customer_classes, body["customerClassId"], "Customer class")
            dto["customerClass"] = {"id": cls["id"], "description": cls.get("description", "")}
            if "vatZoneId" not in body and dto.get("vatZone") is None and cls.get("vatZone"):
                zone = self._ref(self.vat_zones, cls["vatZone"], "VAT zone")
                dto["vatZone"] = self._zone(zone)
        if "vatZoneId" in body:
            dto["vatZone"] = self._zone(self._ref(self.vat_zones, body["vatZoneId"], "VAT zone"))
        dto.setdefault("vatZone", None)
        if "creditTermsId" in body:
            terms = self._ref(self.credit_terms, body["creditTermsId"], "Credit terms")
            dto["creditTerms"] = {"id": terms["id"], "description": terms.get("description", "")}
        for name in ("mainAddress", "invoiceAddress", "deliveryAddress"):
            if name in body:
                dto[name] = self._address(body[name], dto.get(name))
        for name in ("mainContact", "invoiceContact", "deliveryContact"):
            if name in body:
                dto[name] = self._contact(body[name], dto.get(name))

    @staticmethod
    def _zone(zone: Dto) -> Dto:
        return {
            "id": zone["id"],
            "description": zone.get("description", ""),
            "defaultVatCategory": zone.get("defaultVatCategory"),
        }

    # -- inventory -------------------------------------------------------------------------------
    def create_inventory(self, body: Mapping[str, Any]) -> str:
        number = str(body.get("inventoryNumber") or "").strip()
        if not number:
            raise VismaNetError("'Inventory ID' cannot be empty.", code="1003")
        if number in self.inventory:
            raise VismaNetError(f"Inventory item '{number}' already exists.", code="1002")
        if not body.get("description"):
            raise VismaNetError("'Description' cannot be empty.", code="1003")
        item_class = body.get("itemClass") or self.default_item_class
        if not item_class:
            raise VismaNetError("'Item class' cannot be empty.", code="1003")
        dto: Dto = {
            "inventoryId": next(self._ids),
            "inventoryNumber": number,
            "status": "Active",
            "type": "FinishedGoodItem",
            "baseUnit": "PCS",
            "defaultPrice": 0,
            "crossReferences": [],
            "attributes": [],
        }
        self._apply_inventory(dto, {**body, "itemClass": item_class})
        self._touch(dto, created=True)
        self.inventory[number] = dto
        return number

    def update_inventory(self, number: str, body: Mapping[str, Any]) -> None:
        dto = self.inventory.get(number)
        if dto is None:
            raise VismaNetError(
                f"Inventory item '{number}' was not found.", status=404, code="1004"
            )
        if body.get("inventoryNumber") not in (None, number):
            raise VismaNetError("The inventory ID cannot be changed.")
        updated = copy.deepcopy(dto)
        self._apply_inventory(updated, body)
        self._touch(updated)
        self.inventory[number] = updated

    def _apply_inventory(self, dto: Dto, body: Mapping[str, Any]) -> None:
        for name in ("description", "body", "baseUnit", "salesUnit", "purchaseUnit"):
            if name in body:
                dto[name] = body[name]
        if "status" in body:
            if body["status"] not in INVENTORY_STATUSES:
                raise VismaNetError(f"Status '{body['status']}' is not valid for an item.")
            dto["status"] = body["status"]
        if "type" in body:
            if body["type"] not in INVENTORY_TYPES:
                raise VismaNetError(f"Item type '{body['type']}' is not valid.")
            dto["type"] = body["type"]
        if "itemClass" in body:
            cls = self._ref(self.item_classes, body["itemClass"], "Item class")
            dto["itemClass"] = {"id": cls["id"], "description": cls.get("description", "")}
        if "postingClass" in body:
            dto["postingClass"] = {"id": body["postingClass"], "description": ""}
        if "vatCode" in body:
            vat = self._ref(self.vat_categories, body["vatCode"], "VAT category")
            dto["vatCode"] = {"id": vat["vatCategoryId"], "description": vat.get("description", "")}
        if "defaultPrice" in body and body["defaultPrice"] is not None:
            dto["defaultPrice"] = _json_number(_decimal(body["defaultPrice"], "Default price"))
        for line in body.get("attributeLines") or []:
            attribute_id = str(line.get("attributeId") or "")
            attribute = self._ref(self.attributes, attribute_id, "Attribute")
            rows = [a for a in dto["attributes"] if a["id"] != attribute_id]
            rows.append(
                {
                    "id": attribute_id,
                    "description": attribute.get("description", attribute_id),
                    "value": line.get("attributeValue"),
                }
            )
            dto["attributes"] = sorted(rows, key=lambda a: str(a["id"]))
        for ref in body.get("crossReferences") or []:
            kind, value = ref.get("alternateType"), ref.get("alternateID")
            refs = [r for r in dto["crossReferences"] if r.get("alternateType") != kind]
            if ref.get("operation") != "Delete" and value:
                refs.append({"alternateType": kind, "alternateID": value, "description": ""})
            dto["crossReferences"] = refs

    def inventory_view(self, number: str, *, warehouses: bool) -> Dto:
        dto = copy.deepcopy(self.inventory[number])
        if warehouses:
            stock = self.stock.get(number, {})
            dto["warehouseDetails"] = [
                {
                    "warehouse": {
                        "id": w,
                        "description": self.warehouses.get(w, {}).get("name", w),
                    },
                    "isDefault": i == 0,
                    "quantityOnHand": _json_number(q),
                    "available": _json_number(q),
                    "availableForShipment": _json_number(q),
                    "lastModifiedDateTime": dto["lastModifiedDateTime"],
                }
                for i, (w, q) in enumerate(sorted(stock.items()))
            ]
        return dto

    def summary(self, number: str) -> list[Dto]:
        if number not in self.inventory:
            raise VismaNetError(
                f"Inventory item '{number}' was not found.", status=404, code="1004"
            )
        item = self.inventory[number]
        return [
            {
                "inventory": {"number": number, "description": item.get("description")},
                "warehouse": {"id": w, "description": self.warehouses.get(w, {}).get("name", w)},
                "available": _json_number(q),
                "availableForShipment": _json_number(q),
                "onHand": _json_number(q),
                "baseUnit": item.get("baseUnit"),
            }
            for w, q in sorted(self.stock.get(number, {}).items())
        ]

    # -- sales orders ----------------------------------------------------------------------------
    def _next_order_number(self) -> str:
        numbers = [int(n) for n in self.orders if n.isdigit()]
        return str(max([0, *numbers]) + 1).zfill(6)

    def create_order(self, body: Mapping[str, Any]) -> str:
        order_type = str(body.get("orderType") or "SO")
        self._ref(self.order_types, order_type, "Order type")
        number = str(body.get("orderNumber") or self._next_order_number())
        if len(number) > 15:
            raise VismaNetError(f"Order number '{number}' is longer than 15 characters.")
        if number in self.orders:
            raise VismaNetError(f"Sales order '{number}' already exists.", code="1002")
        if not body.get("customer"):
            raise VismaNetError("'Customer' cannot be empty.", code="1003")
        customer = self._ref(self.customers, body["customer"], "Customer")
        branch_code = body.get("branchNumber", body.get("branch"))
        branch = self._ref(self.branches, branch_code, "Branch") if branch_code else None
        terms = (
            self._ref(self.credit_terms, body["terms"], "Credit terms")
            if body.get("terms")
            else None
        )
        lines = body.get("lines") or []
        if not lines:
            raise VismaNetError("A sales order needs at least one line.", code="1003")
        total = Decimal(0)
        out_lines = []
        for i, line in enumerate(lines, start=1):
            out = self._order_line(i, line)
            total += Decimal(str(out["extPrice"]))
            out_lines.append(out)
        dto: Dto = {
            "orderType": order_type,
            "orderNo": number,
            "status": "Hold" if body.get("hold") else "Open",
            "hold": bool(body.get("hold")),
            "date": str(body.get("date") or self.clock().date().isoformat())[:10] + "T00:00:00",
            "customerOrder": body.get("customerOrder"),
            "customerRefNo": body.get("customerRefNo"),
            "customer": {
                "internalId": customer["internalId"],
                "number": customer["number"],
                "name": customer.get("name"),
            },
            "currency": body.get("currency") or customer.get("currencyId") or self.currency,
            "description": body.get("description"),
            "branchNumber": {"number": branch["number"], "name": branch.get("name", "")}
            if branch
            else None,
            "terms": {"id": terms["id"], "description": terms.get("description", "")}
            if terms
            else None,
            "shipVia": {"id": body["shipVia"], "description": ""} if body.get("shipVia") else None,
            "lines": out_lines,
            "orderTotal": _json_number(total),
        }
        self._touch(dto, created=True)
        self.orders[number] = dto
        return number

    def _order_line(self, number: int, line: Mapping[str, Any]) -> Dto:
        sku = line.get("inventoryNumber") or line.get("inventoryId")
        if not sku:
            raise VismaNetError(f"Line {number}: 'Inventory ID' cannot be empty.", code="1003")
        item = self.inventory.get(str(sku))
        if item is None:
            raise VismaNetError(
                f"Line {number}: inventory item '{sku}' cannot be found in the system.",
                code="1001",
            )
        if item.get("status") in ("Inactive", "NoSales", "MarkedForDeletion"):
            raise VismaNetError(f"Line {number}: inventory item '{sku}' is {item['status']}.")
        if line.get("taxCategory"):
            self._ref(self.vat_categories, line["taxCategory"], f"Line {number}: VAT category")
        if line.get("warehouse"):
            self._ref(self.warehouses, line["warehouse"], f"Line {number}: warehouse")
        quantity = _decimal(line.get("quantity", 1), "Quantity")
        price = _decimal(
            line["unitPrice"] if line.get("unitPrice") is not None else item.get("defaultPrice", 0),
            "Unit price",
        )
        discount = _decimal(line.get("discountAmount") or 0, "Discount amount")
        percent = _decimal(line.get("discountPercent") or 0, "Discount percent")
        extended = quantity * price * (1 - percent / 100) - discount
        return {
            "lineNbr": number,
            "inventory": {
                "number": item["inventoryNumber"],
                "description": item.get("description"),
            },
            "warehouse": {"id": line["warehouse"], "description": ""}
            if line.get("warehouse")
            else None,
            "uom": line.get("uom") or item.get("baseUnit"),
            "quantity": _json_number(quantity),
            "openQty": _json_number(quantity),
            "unitPrice": _json_number(price),
            "discountPercent": _json_number(percent),
            "discountAmount": _json_number(discount),
            "extPrice": _json_number(extended.quantize(Decimal("0.01"))),
            "lineDescription": line.get("lineDescription") or item.get("description"),
            "taxCategory": line.get("taxCategory") or (item.get("vatCode") or {}).get("id"),
        }

    # -- inventory adjustments -------------------------------------------------------------------
    def create_adjustment(self, body: Mapping[str, Any]) -> str:
        lines = body.get("adjustmentLines") or []
        if not lines:
            raise VismaNetError("An adjustment needs at least one line.", code="1003")
        out = []
        for line in lines:
            sku = str(line.get("inventoryNumber") or "")
            if sku not in self.inventory:
                raise VismaNetError(f"Inventory item '{sku}' cannot be found in the system.")
            warehouse = str(line.get("warehouseId") or next(iter(self.warehouses)))
            self._ref(self.warehouses, warehouse, "Warehouse")
            out.append(
                {
                    "inventoryNumber": sku,
                    "warehouse": warehouse,
                    "quantity": _decimal(line.get("quantity", 0), "Quantity"),
                }
            )
        reference = str(len(self.adjustments) + 1).zfill(6)
        self.adjustments[reference] = {
            "referenceNumber": reference,
            "status": "Balanced",
            "date": body.get("date"),
            "description": body.get("description"),
            "lines": out,
        }
        return reference

    def release_adjustment(self, reference: str) -> None:
        adjustment = self.adjustments.get(reference)
        if adjustment is None:
            raise VismaNetError(
                f"Inventory adjustment '{reference}' was not found.", status=404, code="1004"
            )
        if adjustment["status"] == "Released":
            raise VismaNetError(f"Inventory adjustment '{reference}' is already released.")
        for line in adjustment["lines"]:
            levels = self.stock.setdefault(line["inventoryNumber"], {})
            levels[line["warehouse"]] = levels.get(line["warehouse"], Decimal(0)) + line["quantity"]
            self._touch(self.inventory[line["inventoryNumber"]])
        adjustment["status"] = "Released"
