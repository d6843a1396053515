"""SOAP 1.1 envelopes of Twinfield's web services, and hardened XML parsing.

Twinfield's business data travels inside one SOAP operation, ``ProcessXmlString``: the request
document (``<read>``, ``<dimensions>``, ``<transactions>``, ``<columns>``...) goes as an escaped
string in ``xmlRequest``, the answer comes back as a string in ``ProcessXmlStringResult``
(target-apis.md 3.3). Lists of customers go through the Finder's ``Search`` (3.6). Every call
carries the SOAP header ``Header`` in ``http://www.twinfield.com/`` with the access token and the
office code (3.2). Faults are SOAP 1.1 Faults on HTTP 500 (3.7).

The client (requests out, answers in) and the sandbox (requests in, answers out) share this
module, so both follow one reading of the WSDLs, which the contract tests check. Parsing refuses
DTDs and entities, never touches the network and caps the tree size. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

NS = "http://www.twinfield.com/"
ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
PROCESS_XML = "ProcessXmlString"
SEARCH = "Search"
ACTIONS = {PROCESS_XML: f"{NS}{PROCESS_XML}", SEARCH: f"{NS}{SEARCH}"}
"""Operation -> the SOAPAction the WSDLs declare for it."""

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    dtd_validation=False,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=True,
)


class SoapDecodeError(ValueError):
    """The XML is not what the protocol allows: not well formed, a DTD, no body."""


@dataclass(frozen=True)
class Fault:
    """A SOAP 1.1 Fault: ``code`` without its prefix (``soap:Client``, ``soap:Server``)."""

    code: str
    message: str


@dataclass(frozen=True)
class Header:
    """The authentication header: access token and office (``CompanyCode``)."""

    access_token: str | None
    company_code: str | None


def q(name: str, ns: str = NS) -> str:
    return f"{{{ns}}}{name}"


def parse(data: bytes | str) -> etree._Element:
    """A parsed XML document; DTDs and entities are refused (a SOAP message has none)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise SoapDecodeError("a document type declaration is not allowed")
    try:
        return etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapDecodeError(f"not well-formed XML: {exc}") from None


def to_text(element: etree._Element) -> str:
    """An element as a compact XML string (what goes into ``xmlRequest``)."""
    return etree.tostring(element, encoding="unicode")


def _envelope(header: Header | None) -> tuple[etree._Element, etree._Element]:
    env = etree.Element(q("Envelope", ENV_NS), nsmap={"soap": ENV_NS, "xsi": XSI_NS, "tw": NS})
    if header is not None:
        head = etree.SubElement(env, q("Header", ENV_NS))
        box = etree.SubElement(head, q("Header"))
        if header.access_token is not None:
            etree.SubElement(box, q("AccessToken")).text = header.access_token
        if header.company_code is not None:
            etree.SubElement(box, q("CompanyCode")).text = header.company_code
        # The ProcessXml WSDL declares CompanyId (a GUID) with minOccurs=1, nillable.
        etree.SubElement(box, q("CompanyId")).set(q("nil", XSI_NS), "true")
    body = etree.SubElement(env, q("Body", ENV_NS))
    return env, body


def _bytes(env: etree._Element) -> bytes:
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def process_xml_request(document: str, header: Header) -> bytes:
    """``ProcessXmlString`` with the business document as an (escaped) string."""
    env, body = _envelope(header)
    call = etree.SubElement(body, q(PROCESS_XML))
    etree.SubElement(call, q("xmlRequest")).text = document
    return _bytes(env)


def process_xml_response(result: str) -> bytes:
    env, body = _envelope(None)
    answer = etree.SubElement(body, q(f"{PROCESS_XML}Response"))
    etree.SubElement(answer, q(f"{PROCESS_XML}Result")).text = result
    return _bytes(env)


@dataclass(frozen=True)
class SearchRequest:
    """The Finder's ``Search`` parameters (finder.wsdl)."""

    type: str
    pattern: str
    field: int
    first_row: int
    max_rows: int
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Message:
    """One ``MessageOfErrorCodes`` of a Finder answer."""

    type: str
    text: str
    code: str


@dataclass(frozen=True)
class SearchResult:
    """A Finder answer: messages, the total row count, the columns and the rows."""

    messages: tuple[Message, ...]
    total: int
    columns: tuple[str, ...]
    items: tuple[tuple[str, ...], ...]


def _strings(parent: etree._Element, values: Sequence[str]) -> None:
    for value in values:
        etree.SubElement(parent, q("string")).text = value


def search_request(search: SearchRequest, header: Header) -> bytes:
    env, body = _envelope(header)
    call = etree.SubElement(body, q(SEARCH))
    etree.SubElement(call, q("type")).text = search.type
    etree.SubElement(call, q("pattern")).text = search.pattern
    etree.SubElement(call, q("field")).text = str(search.field)
    etree.SubElement(call, q("firstRow")).text = str(search.first_row)
    etree.SubElement(call, q("maxRows")).text = str(search.max_rows)
    if search.options:
        options = etree.SubElement(call, q("options"))
        for name, value in search.options:
            _strings(etree.SubElement(options, q("ArrayOfString")), [name, value])
    return _bytes(env)


def search_response(result: SearchResult) -> bytes:
    env, body = _envelope(None)
    answer = etree.SubElement(body, q(f"{SEARCH}Response"))
    messages = etree.SubElement(answer, q("SearchResult"))
    for message in result.messages:
        box = etree.SubElement(messages, q("MessageOfErrorCodes"))
        etree.SubElement(box, q("Type")).text = message.type
        etree.SubElement(box, q("Text")).text = message.text
        etree.SubElement(box, q("Code")).text = message.code
    data = etree.SubElement(answer, q("data"))
    etree.SubElement(data, q("TotalRows")).text = str(result.total)
    _strings(etree.SubElement(data, q("Columns")), result.columns)
    items = etree.SubElement(data, q("Items"))
    for row in result.items:
        _strings(etree.SubElement(items, q("ArrayOfString")), row)
    return _bytes(env)


def fault_envelope(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault (``soap:Client`` or ``soap:Server``), as ASP.NET services answer."""
    env, body = _envelope(None)
    fault = etree.SubElement(body, q("Fault", ENV_NS))
    etree.SubElement(fault, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault, "faultstring").text = message
    etree.SubElement(fault, "detail")
    return _bytes(env)


# -- reading envelopes -------------------------------------------------------------------------


def body_element(data: bytes) -> etree._Element:
    """The first element inside ``soap:Body``."""
    root = parse(data)
    if root.tag != q("Envelope", ENV_NS):
        raise SoapDecodeError("the document is not a SOAP 1.1 envelope")
    body = root.find(q("Body", ENV_NS))
    if body is None or len(body) == 0:
        raise SoapDecodeError("the envelope has no body element")
    return body[0]


def header_of(data: bytes) -> Header:
    """The ``Header`` element of a request (empty when there is none)."""
    root = parse(data)
    box = root.find(f"{q('Header', ENV_NS)}/{q('Header')}")
    if box is None:
        return Header(None, None)
    return Header(box.findtext(q("AccessToken")), box.findtext(q("CompanyCode")))


def read_fault(element: etree._Element) -> Fault | None:
    if element.tag != q("Fault", ENV_NS):
        return None
    code = (element.findtext("faultcode") or "").split(":")[-1]
    return Fault(code or "Server", element.findtext("faultstring") or "")


def process_xml_result(element: etree._Element) -> str:
    if element.tag != q(f"{PROCESS_XML}Response"):
        raise SoapDecodeError(
            f"expected {PROCESS_XML}Response, got {etree.QName(element).localname}"
        )
    return element.findtext(q(f"{PROCESS_XML}Result")) or ""


def xml_request_of(element: etree._Element) -> str:
    return element.findtext(q("xmlRequest")) or ""


def search_of(element: etree._Element) -> SearchRequest:
    """The parameters of a ``Search`` request; ints that are not ints are a decode error."""

    def number(name: str) -> int:
        value = element.findtext(q(name))
        try:
            return int(value or "")
        except ValueError:
            raise SoapDecodeError(f"{name} must be an xsd:int, not {value!r}") from None

    options: list[tuple[str, str]] = []
    for pair in element.findall(f"{q('options')}/{q('ArrayOfString')}"):
        values = [s.text or "" for s in pair.findall(q("string"))]
        if len(values) == 2:
            options.append((values[0], values[1]))
    return SearchRequest(
        type=element.findtext(q("type")) or "",
        pattern=element.findtext(q("pattern")) or "",
        field=number("field"),
        first_row=number("firstRow"),
        max_rows=number("maxRows"),
        options=tuple(options),
    )


def search_result(element: etree._Element) -> SearchResult:
    if element.tag != q(f"{SEARCH}Response"):
        raise SoapDecodeError(f"expected {SEARCH}Response, got {etree.QName(element).localname}")
    messages = tuple(
        Message(
            m.findtext(q("Type")) or "",
            m.findtext(q("Text")) or "",
            m.findtext(q("Code")) or "",
        )
        for m in element.findall(f"{q('SearchResult')}/{q('MessageOfErrorCodes')}")
    )
    data = element.find(q("data"))
    if data is None:
        return SearchResult(messages, 0, (), ())
    total = int(data.findtext(q("TotalRows")) or 0)
    columns = tuple(s.text or "" for s in data.findall(f"{q('Columns')}/{q('string')}"))
    items = tuple(
        tuple(s.text or "" for s in row.findall(q("string")))
        for row in data.findall(f"{q('Items')}/{q('ArrayOfString')}")
    )
    return SearchResult(messages, total, columns, items)
