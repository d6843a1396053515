"""The SOAP codec: envelopes, sequence order, types, faults and the hardened parser."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from connectors.mpluskassa import soap
from connectors.mpluskassa.models import ARTICLE, PRODUCT
from connectors.mpluskassa.operations import OPERATIONS

Decoder = Callable[[etree._Element, soap.Complex], soap.WireRecord]


@pytest.fixture(params=["compiled", "python"])
def decode(request: pytest.FixtureRequest) -> Decoder:
    """Each decoding test runs on both implementations of the one reading."""
    if request.param == "python":
        return soap.decode_in_python
    if not soap.COMPILED:
        pytest.skip(f"the compiled decoder is not built: {soap.NOT_COMPILED_BECAUSE}")
    return soap.decode


def test_envelope_puts_elements_in_wsdl_sequence_order() -> None:
    """Whatever the dict order, elements are written in the type's sequence order, qualified in
    urn:mplusqapi, with xsd:boolean spelled true/false."""
    article = {"priceIncl": 1995, "active": True, "articleNumber": 100045, "description": "Tee"}
    body = soap.envelope(
        "createProduct",
        OPERATIONS["createProduct"].request,
        {"product": {"articleList": {"article": [article]}}},
    )
    element = soap.body_element(body)
    assert etree.QName(element).namespace == soap.NS
    names = [
        etree.QName(e).localname for e in element.iter() if etree.QName(e).localname in article
    ]
    assert names == ["articleNumber", "active", "description", "priceIncl"]
    assert b"<ns1:active>true</ns1:active>" in body


def test_encode_refuses_a_string_where_a_long_belongs() -> None:
    """An article number must be an int by the time it is encoded: 'A-100' never hits the wire."""
    with pytest.raises(TypeError, match=r"xsd:long needs an int"):
        soap.envelope("x", PRODUCT, {"articleList": {"article": [{"articleNumber": "A-100"}]}})


def test_decode_round_trips_and_skips_unknown_elements(decode: Decoder) -> None:
    """decode(encode(x)) == x; an element outside koppel's subset is ignored."""
    data = {"articleNumber": 7, "active": False, "priceIncl": -250, "description": "Ä"}
    element = etree.Element("a")
    soap.encode_into(element, ARTICLE, data)
    etree.SubElement(element, f"{{{soap.NS}}}nutritionalCharacteristics").text = "x"
    assert decode(element, ARTICLE) == data


def test_unread_elements_are_encoded_but_not_decoded(decode: Decoder) -> None:
    """createTimestamp is on the wire (the sandbox sends it, as the API does) yet the client
    does not spend a product page's time decoding what nothing reads."""
    stamp = {"sec": 1, "min": 2, "hour": 3, "day": 4, "mon": 5, "year": 2026}
    stamp |= {"isdst": False, "timezone": 0}
    data = {"articleNumber": 7, "changeTimestamp": stamp, "createTimestamp": stamp}
    element = etree.Element("a")
    soap.encode_into(element, ARTICLE, data)
    assert [etree.QName(c).localname for c in element] == [
        "articleNumber",
        "changeTimestamp",
        "createTimestamp",
    ]
    assert decode(element, ARTICLE) == {"articleNumber": 7, "changeTimestamp": stamp}


def test_decode_errors_name_the_element(decode: Decoder) -> None:
    """A non-numeric long and a missing required element are decode errors naming the field."""
    element = etree.fromstring(f'<a xmlns="{soap.NS}"><articleNumber>A-100</articleNumber></a>')
    with pytest.raises(soap.SoapDecodeError, match=r"Article\.articleNumber: 'A-100'"):
        decode(element, ARTICLE)
    with pytest.raises(soap.SoapDecodeError, match=r"requestr? is required|request is required"):
        decode(etree.fromstring(f'<g xmlns="{soap.NS}"/>'), OPERATIONS["getProducts"].request)


def test_decimal_and_bool_values(decode: Decoder) -> None:
    """xsd:decimal decodes to Decimal; xsd:boolean accepts 1/0 as the schema allows."""
    kind = soap.Complex("t", (soap.Field("d", soap.Kind.DECIMAL), soap.Field("b", soap.Kind.BOOL)))
    element = etree.fromstring(f'<t xmlns="{soap.NS}"><d>1.50</d><b>1</b></t>')
    assert decode(element, kind) == {"d": Decimal("1.50"), "b": True}


def test_fault_envelope_round_trip() -> None:
    """A fault's dotted code survives without its namespace prefix."""
    fault = soap.read_fault(soap.body_element(soap.fault_envelope("Client.Authentication", "no")))
    assert fault == soap.Fault(code="Client.Authentication", message="no")


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<unclosed>",
        b"<notsoap/>",
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>',
    ],
)
def test_hostile_or_broken_documents_are_refused(payload: bytes) -> None:
    """DTDs (entity expansion), malformed XML and non-envelopes raise SoapDecodeError."""
    with pytest.raises(soap.SoapDecodeError):
        soap.body_element(payload)
