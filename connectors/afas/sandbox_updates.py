"""The AFAS sandbox's UpdateConnectors: AFAS's own validation, numbering and result keys.

Each handler takes the parsed body of ``POST``/``PUT /connectors/{id}`` and changes the
``ProfitStore`` as Profit would, or raises ``AfasError`` with the message Profit gives (500 with
``externalMessage``/``profitLogReference``). A body is one transaction: it is validated whole
before anything is written. Both accepted spellings of ``Objects`` (a list of single-key objects
or a plain map) and of ``Element`` (an object or a list) are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.afas.sandbox_store import AfasError, ProfitStore, not_found

Body = Mapping[str, Any]
Handler = Callable[[ProfitStore, Body, bool], dict[str, Any] | None]


def elements(node: object) -> list[dict[str, Any]]:
    """``Element`` as a list, whichever of AFAS's two shapes was sent."""
    if isinstance(node, Mapping):
        element = node.get("Element")
        if isinstance(element, list):
            return [e for e in element if isinstance(e, dict)]
        if isinstance(element, dict):
            return [element]
    return []


def objects(element: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The sub-elements called ``name`` of an element (``Objects`` as list or map)."""
    found: list[dict[str, Any]] = []
    raw = element.get("Objects")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and name in entry:
            found.extend(elements(entry[name]))
    return found


def fields(element: Mapping[str, Any]) -> dict[str, Any]:
    raw = element.get("Fields")
    return {k: v for k, v in raw.items() if not k.startswith("@")} if isinstance(raw, dict) else {}


def _root(body: Body, name: str) -> list[dict[str, Any]]:
    if name not in body:
        raise AfasError(f"Het object '{name}' ontbreekt in het bericht.", status=400)
    found = elements(body[name])
    if not found:
        raise AfasError(f"Het object '{name}' bevat geen Element.", status=400)
    return found


def _required(values: Mapping[str, Any], *names: str, label: str) -> None:
    for name in names:
        if values.get(name) in (None, ""):
            raise AfasError(f"Veld '{name}' is verplicht ({label}).")


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("1", "true")


# -- debtors ---------------------------------------------------------------------------------


def sales_relation(kind: str) -> Handler:
    """KnSalesRelationOrg (organisation + contact) or KnSalesRelationPer (person)."""
    sub = "KnOrganisation" if kind == "KnSalesRelationOrg" else "KnPerson"

    def handle(store: ProfitStore, body: Body, update: bool) -> dict[str, Any]:
        element = _root(body, kind)[0]
        relation = fields(element)
        debtor_id = str(element.get("@DbId") or relation.get("DbId") or "")
        party = (objects(element, sub) or [{}])[0]
        party_fields = fields(party)
        addresses = objects(party, "KnBasicAddressAdr")
        for address in addresses:
            _required(fields(address), "CoId", label="adres: land")
        if update:
            if debtor_id not in store.debtors:
                raise not_found("Verkooprelatie")
            debtor = store.debtors[debtor_id]
        else:
            _required(relation, "CuId", label="Valuta")
            if not party:
                raise AfasError(f"Het object '{sub}' is verplicht bij een nieuwe verkooprelatie.")
            name = party_fields.get("Nm") if sub == "KnOrganisation" else _person_name(party_fields)
            if not name:
                raise AfasError("Veld 'Naam' is verplicht.")
            if debtor_id and debtor_id in store.debtors:
                raise AfasError(f"Verkooprelatie '{debtor_id}' bestaat al.")
            debtor_id = debtor_id or store.next_number("DbId")
            debtor = {"DbId": debtor_id, "BcCo": store.next_number("BcCo"), "kind": sub}
            debtor["CreateDate"] = None
        changes = {k: v for k, v in relation.items() if k != "DbId"}
        changes.update(_party_changes(sub, debtor, party))
        if addresses:
            changes["address"] = {**debtor.get("address", {}), **fields(addresses[0])}
        debtor.update(changes)
        stamp = store.touch()
        debtor["ModifiedDate"] = stamp
        debtor["CreateDate"] = debtor.get("CreateDate") or stamp
        store.debtors[debtor_id] = debtor
        return {kind: {"DbId": debtor_id, "BcCo": debtor["BcCo"]}}

    return handle


def _party_changes(sub: str, debtor: Mapping[str, Any], party: Mapping[str, Any]) -> dict[str, Any]:
    """What the organisation or person sub-element changes on the debtor."""
    party_fields = fields(party)
    changes: dict[str, Any] = {}
    if sub == "KnPerson":
        person = {k: v for k, v in party_fields.items() if k in ("FiNm", "In", "Is", "LaNm")}
        if person:
            changes["Nm"] = _person_name({**debtor.get("person", {}), **person})
            changes["person"] = {**debtor.get("person", {}), **person}
        email = party_fields.get("EmA2") or party_fields.get("EmAd")
        phone = party_fields.get("TeN2") or party_fields.get("TeNr")
    else:
        if party_fields.get("Nm"):
            changes["Nm"] = party_fields["Nm"]
        email, phone = party_fields.get("EmAd"), party_fields.get("TeNr")
        if party_fields.get("CcNr"):
            changes["CcNr"] = party_fields["CcNr"]
        contacts = objects(party, "KnContact")
        if contacts:
            changes["contact"] = fields((objects(contacts[0], "KnPerson") or [{}])[0])
    if email is not None:
        changes["EmAd"] = email
    if phone is not None:
        changes["TeNr"] = phone
    return changes


def _person_name(values: Mapping[str, Any]) -> str:
    return " ".join(str(values[k]) for k in ("FiNm", "Is", "LaNm") if values.get(k))


# -- sales documents -------------------------------------------------------------------------


def sales_document(root: str, lines_name: str) -> Handler:
    """FbSales, FbSalesQuotation and FbDirectInvoice: a header with lines, numbered by OrNu."""

    def handle(store: ProfitStore, body: Body, update: bool) -> dict[str, Any]:
        element = _root(body, root)[0]
        header = fields(element)
        lines = [fields(line) for line in objects(element, lines_name)]
        for line in lines:
            _required(line, "VaIt", "ItCd", "QuUn", label="orderregel")
            if str(line["VaIt"]) == "2":
                _required(line, "BiUn", label="orderregel: eenheid")
                if str(line["ItCd"]) not in store.articles:
                    raise not_found("Itemcode")
        if "Unit" in header and not any(
            str(a.get("AdminId")) == str(header["Unit"]) for a in store.administrations
        ):
            raise not_found("Administratie")
        if "DbId" in header and str(header["DbId"]) not in store.debtors:
            raise not_found("Verkooprelatie")
        if update:
            number = str(header.get("OrNu") or element.get("@OrNu") or "")
            if number not in store.orders:
                raise not_found("Nummer")
            document = store.orders[number]
        else:
            _required(header, "DbId", label="Verkooprelatie")
            number = store.next_number("OrNu")
            document = {"OrNu": number, "kind": root, "lines": [], "CreateDate": None}
        document.update({k: v for k, v in header.items() if k != "OrNu"})
        for line in lines:
            document["lines"].append({**line, "GuLi": "{" + str(uuid.uuid4()).upper() + "}"})
        stamp = store.touch()
        document["ModifiedDate"] = stamp
        document["CreateDate"] = document.get("CreateDate") or stamp
        store.orders[number] = document
        return {root: {"OrNu": number}}

    return handle


# -- articles and stock ----------------------------------------------------------------------


def item_article(store: ProfitStore, body: Body, update: bool) -> dict[str, Any]:
    values = fields(_root(body, "FbItemArticle")[0])
    _required(values, "ItCd", label="Itemcode")
    code = str(values["ItCd"])
    if update:
        if code not in store.articles:
            raise not_found("Itemcode")
        article = store.articles[code]
    else:
        _required(values, "Grp", "BiUn", label="artikel")
        if code in store.articles:
            raise AfasError(f"Artikel '{code}' bestaat al.")
        article = {"CreateDate": None}
    article.update(values)
    stamp = store.touch()
    article["ModifiedDate"] = stamp
    article["CreateDate"] = article.get("CreateDate") or stamp
    store.articles[code] = article
    return {"FbItemArticle": {"ItCd": code}}


def stock_mutation(store: ProfitStore, body: Body, update: bool) -> None:
    if update:
        raise AfasError("FbStockMutation ondersteunt alleen toevoegen.", status=400)
    values = fields(_root(body, "FbStockMutation")[0])
    _required(values, "VaOt", "ReId", "VaIt", "ItCd", "War", "BiUn", "QuUn", "Qu", label="mutatie")
    if values.get("Loc") is None:
        raise AfasError("Veld 'Loc' is verplicht (mutatie).")
    code = str(values["ItCd"])
    if code not in store.articles:
        raise not_found("Itemcode")
    if str(values["War"]) not in store.warehouses:
        raise not_found("Magazijn")
    kind = str(values["VaOt"])
    sign = {"31": 1, "41": 1, "32": -1, "42": -1}.get(kind)
    if sign is None:
        raise AfasError(f"Mutatiesoort '{kind}' wordt niet ondersteund in de sandbox.")
    key = (code, str(values["War"]))
    store.stock[key] = store.stock.get(key, Decimal(0)) + sign * Decimal(str(values["Qu"]))
    store.articles[code]["ModifiedDate"] = store.touch()
    # Profit answers an FbStockMutation insert with an empty 201


# -- journal entries -------------------------------------------------------------------------


def fi_entries(store: ProfitStore, body: Body, update: bool) -> dict[str, Any]:
    if update:
        raise AfasError("FiEntries ondersteunt alleen toevoegen.", status=400)
    element = _root(body, "FiEntryPar")[0]
    header = fields(element)
    _required(header, "Year", "Peri", "JoCo", label="boeking")
    lines = [fields(line) for line in objects(element, "FiEntries")]
    if not lines:
        raise AfasError("Een boeking heeft ten minste één regel nodig.")
    debit = credit = Decimal(0)
    for line in lines:
        _required(line, "VaAs", "AcNr", "EnDa", "BpDa", label="boekingsregel")
        if str(line["VaAs"]) == "2" and str(line["AcNr"]) not in store.debtors:
            raise not_found("Debiteur")
        debit += Decimal(str(line.get("AmDe") or 0))
        credit += Decimal(str(line.get("AmCr") or 0))
    if debit != credit:
        raise AfasError(f"De boeking is niet in balans (debet {debit}, credit {credit}).")
    number = store.next_number("EnNo")
    unit = str(header.get("UnId") or "1")
    invoice = next((str(x["InId"]) for x in lines if x.get("InId")), f"V{number}")
    store.entries.append({**header, "EnNo": number, "lines": lines, "ModifiedDate": store.touch()})
    return {"FiEntries": {"EnNo": number, "UnId": unit, "InID": invoice}}


_LINE = ("VaIt", "ItCd", "BiUn", "QuUn")
MANDATORY: Mapping[str, tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]] = {
    "KnSalesRelationOrg": (("CuId",), {"KnOrganisation": ("Nm",), "KnBasicAddressAdr": ("CoId",)}),
    "KnSalesRelationPer": (("CuId",), {"KnPerson": (), "KnBasicAddressAdr": ("CoId",)}),
    "FbSales": (("DbId",), {"FbSalesLines": _LINE}),
    "FbSalesQuotation": (("DbId",), {"FbSalesQuotationLines": _LINE}),
    "FbDirectInvoice": (("DbId",), {"FbDirectInvoiceLines": _LINE}),
    "FbItemArticle": (("ItCd", "Grp", "BiUn"), {}),
    "FbStockMutation": (("VaOt", "ReId", "VaIt", "ItCd", "War", "Loc", "BiUn", "QuUn", "Qu"), {}),
    "FiEntries": (("Year", "Peri", "JoCo"), {"FiEntries": ("VaAs", "AcNr", "EnDa", "BpDa")}),
}
"""Per UpdateConnector: the mandatory fields the handlers enforce, and per sub-object; what
``/metainfo/update/{id}`` reports."""

HANDLERS: Mapping[str, tuple[str, Handler]] = {
    "knsalesrelationorg": ("KnSalesRelationOrg", sales_relation("KnSalesRelationOrg")),
    "knsalesrelationper": ("KnSalesRelationPer", sales_relation("KnSalesRelationPer")),
    "fbsales": ("FbSales", sales_document("FbSales", "FbSalesLines")),
    "fbsalesquotation": (
        "FbSalesQuotation",
        sales_document("FbSalesQuotation", "FbSalesQuotationLines"),
    ),
    "fbdirectinvoice": (
        "FbDirectInvoice",
        sales_document("FbDirectInvoice", "FbDirectInvoiceLines"),
    ),
    "fbitemarticle": ("FbItemArticle", item_article),
    "fbstockmutation": ("FbStockMutation", stock_mutation),
    "fientries": ("FiEntries", fi_entries),
}
"""Lower-case connector id -> (id as AFAS spells it, handler)."""


def apply(
    store: ProfitStore, connector: str, body: object, *, update: bool
) -> dict[str, Any] | None:
    """Run one UpdateConnector call; the ``results`` body, or None for an empty answer."""
    if connector.lower() not in HANDLERS:
        raise AfasError(
            "General message: Deze UpdateConnector wordt niet ondersteund of de gebruiker is "
            "niet geautoriseerd.",
            status=401,
        )
    if not isinstance(body, Mapping):
        raise AfasError("Het bericht is geen JSON-object.", status=400)
    _, handler = HANDLERS[connector.lower()]
    with store.lock:
        try:
            result = handler(store, body, update)
        finally:
            # Even a refused body may have moved a counter: the views are recomputed.
            store.writes += 1
            store.views.clear()
    return None if result is None else {"results": result}
