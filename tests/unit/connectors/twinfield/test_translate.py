"""Pure translation between Twinfield's XML and koppel's records, without a sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from connectors.twinfield import soap, translate
from connectors.twinfield.models import WriteSettings
from reconciler.canonical import OrderStatus


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("Stationsstraat 1", {"street": "Stationsstraat", "houseNumber": "1"}),
        (
            "Lindelaan 4 B",
            {"street": "Lindelaan", "houseNumber": "4", "houseNumberSuffix": "B"},
        ),
        ("Postbus", {"street": "Postbus"}),
        ("Plein 1940 12a", {"street": "Plein 1940", "houseNumber": "12", "houseNumberSuffix": "a"}),
    ],
)
def test_street_lines_split_into_street_number_and_suffix(line: str, parts: dict[str, str]) -> None:
    """A street line splits at its last house number; a line without one is all street; the
    line written back splits the same way."""
    assert translate.split_street(line) == parts
    assert translate.split_street(translate.street_line(parts)) == parts


def test_a_dimension_with_a_vat_number_is_a_company_with_its_contact() -> None:
    """VAT number and contact line make a company; its contact splits into first and last."""
    element = translate.dimension_element(
        {
            "code": "1",
            "name": "Acme BV",
            "contact": "Jan de Vries",
            "vatNumber": "NL1B01",
            "email": "Info@Acme.test",
            "country": "NL",
        },
        office="001",
    )
    customer = translate.customer_from_dimension(element)
    assert (customer.company_name, customer.first_name, customer.last_name) == (
        "Acme BV",
        "Jan",
        "de Vries",
    )
    assert customer.email == "info@acme.test"


def test_a_dimension_without_company_facts_is_a_person() -> None:
    """A bare name is a person's."""
    element = translate.dimension_element({"code": "2", "name": "Piet van Dam"}, office="001")
    customer = translate.customer_from_dimension(element)
    assert (customer.is_company, customer.first_name, customer.last_name) == (
        False,
        "Piet",
        "van Dam",
    )


def test_the_vat_rate_is_the_one_valid_on_the_day() -> None:
    """A VAT code's percentage is the latest one starting on or before the day asked for."""
    vat = etree.fromstring(
        "<vat><code>VL</code><percentages>"
        "<percentage><date>20190101</date><percentage>9</percentage></percentage>"
        "<percentage><date>20120101</date><percentage>6</percentage></percentage>"
        "</percentages></vat>"
    )
    assert translate.vat_rate(vat) == Decimal(9)
    assert translate.vat_rate(vat, on=dt.date(2015, 6, 1)) == Decimal(6)


def test_errors_collect_every_error_message() -> None:
    """Every element marked msgtype=error contributes its msg; warnings do not."""
    answer = etree.fromstring(
        '<dimensions result="0"><dimension result="0"><name msgtype="error" msg="Naam is '
        'verplicht."/><website msgtype="warning" msg="w"/><code msgtype="error" msg="Code."/>'
        "</dimension></dimensions>"
    )
    assert translate.errors(answer) == ["Naam is verplicht.", "Code."]
    assert translate.errors(etree.fromstring('<x result="1"/>')) == []


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999"), places=2)


@given(st.lists(st.tuples(amounts, st.sampled_from(["VH", "VL", "VN"])), min_size=1, max_size=6))
def test_a_transaction_always_balances(lines: list[tuple[Decimal, str]]) -> None:
    """The total line equals the detail lines plus their VAT, whatever the amounts."""
    rates = {"VH": Decimal(21), "VL": Decimal(9), "VN": Decimal(0)}
    record = {
        "reference": "R-1",
        "customer": "1000",
        "orderDate": "2024-03-01",
        "lines": [{"quantity": "1", "unitPrice": str(a), "vatCode": c} for a, c in lines],
    }
    element = translate.transaction_element(
        record, office="001", settings=WriteSettings(), rates=rates, today=dt.date(2024, 3, 1)
    )
    total = Decimal(element.findtext("lines/line[@type='total']/value") or "")
    details = element.findall("lines/line[@type='detail']")
    summed = sum(
        Decimal(d.findtext("value") or "") + Decimal(d.findtext("vatvalue") or "0") for d in details
    )
    assert total == summed
    assert element.findtext("header/period") == "2024/03"
    assert element.findtext("header/duedate") == "20240331"


def test_a_matched_receivable_is_paid() -> None:
    """A transaction whose total line is matched reads as paid, else completed."""
    xml = (
        "<transaction><header><code>VRK</code><number>1</number></header><lines>"
        "<line type='total'><dim2>1</dim2><value>1</value><matchstatus>{}</matchstatus></line>"
        "</lines></transaction>"
    )
    matched = etree.fromstring(xml.format("matched"))
    open_ = etree.fromstring(xml.format("available"))
    assert translate.transaction_status(matched) == (OrderStatus.paid, True)
    assert translate.transaction_status(open_) == (OrderStatus.completed, False)


def test_envelopes_round_trip_and_refuse_dtds() -> None:
    """What the client writes the sandbox reads back; a DTD is refused outright."""
    body = soap.process_xml_request("<read><type>vat</type></read>", soap.Header("t", "001"))
    assert soap.xml_request_of(soap.body_element(body)) == "<read><type>vat</type></read>"
    assert soap.header_of(body) == soap.Header("t", "001")
    search = soap.SearchRequest("DIM", "*", 0, 1, 10, (("dimtype", "DEB"),))
    assert soap.search_of(
        soap.body_element(soap.search_request(search, soap.Header("t", "1")))
    ) == (search)
    with pytest.raises(soap.SoapDecodeError, match="document type"):
        soap.parse(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
