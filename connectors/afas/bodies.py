"""Pure translation of target records into AFAS UpdateConnector bodies (AFAS as a *target*).

Bodies follow the shapes of AFAS's OpenAPI specification, which the contract tests validate
against: ``Objects`` as a list of single-key objects, sub-object ``Element`` as a list, numbers
as numbers and booleans as booleans. Fields a record leaves empty are left out, so a PUT changes
only what it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.afas.models import ItemType, WriteSettings, to_afas_country
from connectors.afas.translate import compact
from connectors.values import iso_date, number, text
from reconciler.canonical import OrderType
from reconciler.errors import MappingError

ROOTS: Mapping[OrderType, tuple[str, str]] = {
    OrderType.order: ("FbSales", "FbSalesLines"),
    OrderType.invoice: ("FbSales", "FbSalesLines"),
    OrderType.quotation: ("FbSalesQuotation", "FbSalesQuotationLines"),
    OrderType.direct_invoice: ("FbDirectInvoice", "FbDirectInvoiceLines"),
}
"""Order type -> (UpdateConnector, lines sub-object). ``invoice`` is an FbSales order with order
processing 2 (packing slip and invoice), so AFAS invoices it when the order is processed."""

INVOICE_PROCESSING = "2"


def _element(
    fields: Mapping[str, Any], objects: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"Fields": compact(fields)}
    if objects:
        element["Objects"] = objects
    return element


def _sub(name: str, *elements: dict[str, Any]) -> dict[str, Any]:
    return {name: {"Element": list(elements)}}


def _address(record: Mapping[str, Any], today: dt.date) -> dict[str, Any] | None:
    if not any(record.get(k) for k in ("street", "postalCode", "city", "country")):
        return None
    number_text = str(record.get("houseNumber") or "").strip()
    return _sub(
        "KnBasicAddressAdr",
        _element(
            {
                "CoId": to_afas_country(str(record.get("country") or "NL")),
                "PbAd": False,
                "Ad": record.get("street"),
                "HmNr": int(number_text) if number_text.isdigit() else None,
                "HmAd": record.get("houseNumberSuffix"),
                "ZpCd": record.get("postalCode"),
                "Rs": record.get("city"),
                "BeginDate": today.isoformat(),
                "ResZip": False,
            }
        ),
    )


def debtor_body(
    record: Mapping[str, Any], settings: WriteSettings, *, today: dt.date, update: bool = False
) -> tuple[str, dict[str, Any]]:
    """(UpdateConnector, body) for a debtor: an organisation with its contact, or a person.

    On update the existing organisation/person is matched on its number (``relationCode``,
    match strategy 0); on insert AFAS numbers a new one (strategy 6/7: always insert).
    """
    relation_fields = {
        # The PUT schema wants the key among the fields; an insert chooses it by @DbId.
        "DbId": record.get("debtorId") if update else None,
        "IsDb": True,
        "CuId": record.get("currency") or (None if update else settings.currency),
        "PaCd": record.get("paymentCondition"),
        "VaDu": record.get("vatDuty"),
        "ColA": record.get("debtorLedgerAccount"),
        "InPv": record.get("invoiceMethod"),
        "LgId": record.get("language"),
        "VaId": record.get("vatNumber"),
        "ToAc": record.get("contraAccount"),
        "VaTp": record.get("salesContactType"),
        # Free (custom) fields are written by their U-code among the debtor's own fields.
        **{str(k): v for k, v in (record.get("customFields") or {}).items()},
    }
    relation_fields.update(custom_fields(record))
    matching = {"AutoNum": False, "BcCo": record.get("relationCode")} if update else {}
    address = _address(record, today)
    person_fields = {
        "PadAdr": True,
        "AutoNum": True,
        "FiNm": record.get("firstName"),
        "In": record.get("initials"),
        "Is": record.get("namePrefix"),
        "LaNm": record.get("lastName"),
        "ViGe": record.get("gender"),
        "AddToPortal": False,
    }
    company = text(record.get("companyName"))
    if company:
        root = "KnSalesRelationOrg"
        contact_person = {**person_fields, "PadAdr": False, "MatchPer": "7"}
        contact_person["EmAd"] = record.get("email")
        contact = _element(
            {"PadAdr": False, "ViKc": "PRS", "EmAd": record.get("email")},
            [_sub("KnPerson", _element(contact_person))],
        )
        has_person = record.get("firstName") or record.get("lastName")
        org = _element(
            {
                "PadAdr": True,
                "AutoNum": True,
                "MatchOga": "0" if update else "6",
                "Nm": company,
                "EmAd": record.get("email"),
                "TeNr": record.get("phone"),
                "CcNr": record.get("cocNumber"),
                **matching,
            },
            [
                o
                for o in (
                    address,
                    _sub("KnContact", contact) if has_person and not update else None,
                )
                if o
            ],
        )
        objects = [_sub("KnOrganisation", org)]
    else:
        root = "KnSalesRelationPer"
        person = _element(
            {
                **person_fields,
                "MatchPer": "0" if update else "7",
                "EmA2": record.get("email"),
                "TeN2": record.get("phone"),
                "MbN2": record.get("mobile"),
                **matching,
            },
            [address] if address else None,
        )
        objects = [_sub("KnPerson", person)]
    element: dict[str, Any] = _element(relation_fields, objects)
    if record.get("debtorId"):
        element = {"@DbId": str(record["debtorId"]), **element}
    return root, {root: {"Element": element}}


def sales_body(record: Mapping[str, Any], settings: WriteSettings) -> tuple[str, dict[str, Any]]:
    """(UpdateConnector, body) for an order, quotation, invoice or direct invoice."""
    order_type = OrderType(record.get("orderType") or OrderType.order)
    if order_type is OrderType.financial_mutation:
        return entries_body(record, settings)
    root, lines_root = ROOTS[order_type]
    administration = record.get("administration") or settings.administration
    fields: dict[str, Any] = {
        "OrNu": record.get("orderNumber"),
        "DbId": record.get("debtorId"),
        "OrDa": iso_date(record.get("orderDate")),
        "RfCs": record.get("reference"),
        "CuId": record.get("currency"),
        "Unit": int(administration) if administration is not None else None,
        "War": record.get("warehouse") or settings.warehouse,
        "PaCd": record.get("paymentCondition"),
        "PaTp": record.get("paymentMethod"),
        "VaDu": record.get("vatDuty"),
        "InVa": record.get("pricesIncludeTax"),
        "Re": record.get("remark"),
        "ExAd": record.get("deliveryNote"),
    }
    if order_type is OrderType.invoice:
        fields["OrPr"] = INVOICE_PROCESSING
    fields.update(custom_fields(record))
    axes = {"V1Cd": record.get("costCenter"), "V2Cd": record.get("costUnit")}
    lines = [_line(line, settings, axes) for line in record.get("lines") or []]
    return root, {
        root: {"Element": _element(fields, [_sub(lines_root, *lines)] if lines else None)}
    }


def custom_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's ``customFields`` as AFAS free fields: field ids (``U…``) among the Fields."""
    custom = record.get("customFields") or {}
    return {str(k): v for k, v in dict(custom).items() if v is not None and v != ""}


def _line(
    line: Mapping[str, Any], settings: WriteSettings, axes: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    item_type = str(line.get("itemType") or (ItemType.article if line.get("sku") else "3"))
    is_article = item_type == ItemType.article
    code = line.get("sku")
    if item_type == ItemType.costs and not code:
        code = settings.shipping_item
        if not code:
            raise MappingError(
                "a shipping-costs line needs an AFAS cost item code",
                hint="set the connection's shipping item (WriteSettings.shipping_item), "
                "e.g. the cost code AFAS uses for transport costs",
            )
    return _element(
        {
            "VaIt": item_type,
            "ItCd": code or "T",
            "Ds": line.get("description"),
            "BiUn": line.get("unit") or (settings.unit if is_article else "*****"),
            "QuUn": number(line.get("quantity", 1)),
            "Upri": number(line["unitPrice"]) if line.get("unitPrice") is not None else None,
            "VaRc": line.get("vatCode"),
            "PRDc": number(line["discountPercentage"])
            if line.get("discountPercentage") is not None
            else None,
            "War": line.get("warehouse"),
            # Cost center and cost unit as axis allocation codes 1 and 2 (the header's unless
            # the line has its own).
            "V1Cd": line.get("costCenter") or (axes or {}).get("V1Cd"),
            "V2Cd": line.get("costUnit") or (axes or {}).get("V2Cd"),
        }
    )


def entries_body(record: Mapping[str, Any], settings: WriteSettings) -> tuple[str, dict[str, Any]]:
    """(``FiEntries``, body with root ``FiEntryPar``) for a financial mutation."""
    date = iso_date(record.get("orderDate")) or ""
    year = int(record.get("year") or date[:4])
    period = int(record.get("period") or date[5:7])
    administration = record.get("administration") or settings.administration
    entries = [
        _element(
            {
                "VaAs": str(entry.get("accountType", "1")),
                "AcNr": str(entry["account"]),
                "EnDa": iso_date(entry.get("date")) or date,
                "BpDa": iso_date(entry.get("date")) or date,
                "BpNr": record.get("reference"),
                # A debtor line's invoice number is the reference unless the entry names one,
                # so the booking is found again in Profit_Debtor_Invoices (no duplicates).
                "InId": entry.get("invoiceNumber")
                or (record.get("reference") if str(entry.get("accountType")) == "2" else None),
                "Ds": entry.get("description"),
                "AmDe": number(entry.get("debit") or 0),
                "AmCr": number(entry.get("credit") or 0),
                "VaId": entry.get("vatCode"),
                "DaEx": iso_date(entry.get("dueDate")),
            }
        )
        for entry in record.get("entries") or _entries_of_lines(record)
    ]
    fields = {
        "Year": year,
        "Peri": period,
        "UnId": int(administration) if administration is not None else None,
        "JoCo": str(record.get("journal") or settings.journal),
    }
    body = {"FiEntryPar": {"Element": _element(fields, [_sub("FiEntries", *entries)])}}
    return "FiEntries", body


def _entries_of_lines(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The journal lines of a sale given as order lines: the debtor debited with the total, each
    line credited to the revenue account with its VAT code (amounts excl. VAT: AFAS books the VAT
    of a line's VAT code itself)."""
    credits = []
    for line in record.get("lines") or []:
        value = Decimal(str(line.get("quantity") or 1)) * Decimal(str(line.get("unitPrice") or 0))
        credits.append(
            {
                "accountType": "1",
                "account": line.get("account") or record.get("revenueAccount"),
                "description": line.get("description") or line.get("sku"),
                "credit": value.quantize(Decimal("0.01")),
                "vatCode": line.get("vatCode"),
            }
        )
    if not credits:
        return []
    if not record.get("debtorId") or any(not c["account"] for c in credits):
        raise MappingError(
            f"financial mutation {record.get('reference')!r} needs a debtor and a revenue "
            "account for each line",
            hint="map revenueAccount (e.g. orders.valueMaps.revenueAccount by country)",
        )
    total = sum((c["credit"] for c in credits), Decimal(0))
    debtor = {
        "accountType": "2",
        "account": record["debtorId"],
        "description": record.get("reference"),
        "debit": total,
        "invoiceNumber": record.get("reference"),
    }
    return [debtor, *credits]


def article_body(
    record: Mapping[str, Any], settings: WriteSettings, *, update: bool = False
) -> dict[str, Any]:
    """An FbItemArticle body; an insert fills the group and unit AFAS requires."""
    ean = text(record.get("ean"))
    fields = {
        "ItCd": record.get("sku"),
        "Ds": record.get("description"),
        "DsEx": record.get("extraDescription"),
        "Grp": record.get("group") or (None if update else settings.article_group),
        "BiUn": record.get("unit") or (None if update else settings.unit),
        "BiSt": record.get("trackStock"),
        "VaRc": record.get("vatGroup"),
        "SaPrice": number(record["salesPrice"]) if record.get("salesPrice") is not None else None,
        "CoPrice": number(record["costPrice"]) if record.get("costPrice") is not None else None,
        "DatPri": iso_date(record.get("priceDate")),
        "VaBc": ("3" if len(ean) == 13 else "0") if ean else None,
        "BaCo": ean,
        "Bl": record.get("blocked"),
    }
    return {"FbItemArticle": {"Element": _element(fields)}}


def stock_mutation_body(
    sku: str,
    delta: Decimal,
    settings: WriteSettings,
    *,
    unit: str | None,
    warehouse: str | None,
    today: dt.date,
) -> dict[str, Any]:
    """The FbStockMutation that moves stock by ``delta`` (receipt if positive, else issue)."""
    quantity = number(abs(delta))
    fields: dict[str, Any] = {
        "VaOt": settings.stock_in_type if delta > 0 else settings.stock_out_type,
        "ReId": settings.stock_reason,
        "Da": today.isoformat(),
        "Ds": "koppel stock reconciliation",
        "VaIt": ItemType.article.value,
        "ItCd": sku,
        "War": warehouse or settings.stock_warehouse,
        "Loc": settings.stock_location,
        "BiUn": unit or settings.unit,
        "QuUn": quantity,
        "Qu": quantity,
    }
    element = {"Fields": {k: v for k, v in fields.items() if v is not None}}
    return {"FbStockMutation": {"Element": element}}
