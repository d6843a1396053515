"""SOAP 1.1 envelopes of the MplusQapi, and a small codec between its XML and plain dicts.

Both the client (requests out, responses in) and the sandbox (requests in, responses out) use this
module, so the two can only disagree where the WSDL's schema (checked by the contract tests) would
catch it. The codec is driven by ``Complex`` descriptors (``models.py``): an ordered subset of a
WSDL complex type's elements, because the WSDL declares ``xsd:sequence`` everywhere and a reader
that follows the schema rejects elements out of order.

Decoding has two implementations of one reading: ``decode_in_python`` here, the reference, and
the compiled ``_soap_decoder`` (Cython over lxml's C API, built by ``setup.py``), which
``decode`` uses when it is importable: about eight times faster on a product page, where decoding
was most of a serial read's client time. Without it (not built, or built against another lxml)
everything works as before, only slower; ``COMPILED`` says which one runs.

Parsing is hardened: no DTDs, no entity expansion, no network, no huge trees. A SOAP message may
not carry a document type declaration at all (SOAP 1.1 section 3), so one is refused outright.
No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from lxml import etree

try:
    from connectors.mpluskassa import _soap_decoder as _compiled

    NOT_COMPILED_BECAUSE: str | None = None
except ImportError as exc:  # not built, or built against another lxml (its message says)
    NOT_COMPILED_BECAUSE = str(exc)
COMPILED = NOT_COMPILED_BECAUSE is None
"""Whether ``decode`` runs the compiled decoder; ``NOT_COMPILED_BECAUSE`` says why not."""

NS = "urn:mplusqapi"
ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_Q_ENVELOPE = f"{{{ENV_NS}}}Envelope"
_Q_BODY = f"{{{ENV_NS}}}Body"
_Q_FAULT = f"{{{ENV_NS}}}Fault"

WireRecord = dict[str, Any]
"""One decoded wire structure: element name -> int, bool, str, Decimal, dict or list of them."""


class Kind(Enum):
    """The XML Schema simple types the koppel subset of the WSDL uses."""

    LONG = "xsd:long"
    INT = "xsd:int"
    BOOL = "xsd:boolean"
    STR = "xsd:string"
    DECIMAL = "xsd:decimal"


@dataclass(frozen=True)
class Field:
    """One element of a complex type: its name, type, and occurrence bounds."""

    name: str
    type: Kind | Complex
    many: bool = False
    required: bool = False


_COMPLEX, _TEXT, _NUMBER, _OTHER = range(4)
"""How ``decode`` reads an element: a nested type, a string, a long or int, anything else."""
_Decoded = tuple[str, int, bool, Any]
"""(field name, one of the four above, many, type: the Complex of a nested type, else its
Kind): a plain tuple, unpacked once per element."""


def _decoded(spec: Field) -> _Decoded:
    kind = spec.type
    if isinstance(kind, Complex):
        how = _COMPLEX
    elif kind is Kind.STR:
        how = _TEXT
    elif kind is Kind.LONG or kind is Kind.INT:
        how = _NUMBER
    else:
        how = _OTHER
    return (spec.name, how, spec.many, kind)


def _plan(name: str, fields: list[Field], required: tuple[str, ...]) -> Any:
    """The compiled decoder's plan of a type (nested types already have theirs), or None."""
    if not COMPILED:
        return None
    how = {Kind.STR: _compiled.TEXT, Kind.LONG: _compiled.NUMBER, Kind.INT: _compiled.NUMBER}
    how[Kind.BOOL] = _compiled.BOOLEAN
    entries = [
        (spec.name, _compiled.COMPLEX, spec.many, spec.type.plan)
        if isinstance(spec.type, Complex)
        else (spec.name, how.get(spec.type, _compiled.OTHER), spec.many, spec.type)
        for spec in fields
    ]
    return _compiled.Plan(name, entries, required, _read_value, _absent)


@dataclass(frozen=True)
class Complex:
    """An ordered subset of one WSDL complex type's ``xsd:sequence``."""

    name: str
    fields: tuple[Field, ...]
    unread: frozenset[str] = frozenset()
    """Elements of the sequence that are encoded (the sandbox sends them, as the API does) but
    not decoded: nothing in koppel reads them, and decoding is the client's hot path."""
    by_tag: Mapping[str, _Decoded] = dataclass_field(init=False, repr=False, compare=False)
    """Qualified tag -> how ``decode`` reads the element (see ``_decoded``)."""
    required: tuple[str, ...] = dataclass_field(init=False, repr=False, compare=False)
    plan: Any = dataclass_field(init=False, repr=False, compare=False)
    """The compiled decoder's form of this type (None without it)."""

    def __post_init__(self) -> None:
        # Decoding looks every element up by its qualified tag: a dict keeps that O(1), and
        # comparing lxml's "{ns}name" tags directly skips building a QName per element.
        read = [f for f in self.fields if f.name not in self.unread]
        index = {f"{{{NS}}}{f.name}": _decoded(f) for f in read}
        object.__setattr__(self, "by_tag", index)
        needed = tuple(f.name for f in self.fields if f.required and not f.many)
        object.__setattr__(self, "required", needed)
        object.__setattr__(self, "plan", _plan(self.name, read, needed))


class SoapDecodeError(ValueError):
    """The XML does not follow the (subset of the) schema: bad number, missing element, no body."""


@dataclass(frozen=True)
class Fault:
    """A SOAP 1.1 Fault: ``code`` without its namespace prefix, e.g. ``Client.Authentication``."""

    code: str
    message: str


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_blank_text=True,
)


def parse_document(data: bytes) -> etree._Element:
    """Parse untrusted XML with the hardened parser; a DTD is refused."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, _PARSER))
    except etree.XMLSyntaxError as exc:
        raise SoapDecodeError(f"not well-formed XML: {exc}") from exc
    # lxml-stubs lack DocInfo.doctype; it is "" when the document has no DTD.
    if getattr(tree.docinfo, "doctype", ""):
        raise SoapDecodeError("a SOAP message may not contain a document type declaration")
    return tree.getroot()


# -- encoding -------------------------------------------------------------------------------------
def _text(kind: Kind, value: Any) -> str:
    if kind is Kind.BOOL:
        return "true" if value else "false"
    if kind in (Kind.LONG, Kind.INT):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{kind.value} needs an int, got {type(value).__name__}")
        return str(value)
    if kind is Kind.DECIMAL:
        return str(Decimal(value))
    return str(value)


def encode_into(parent: etree._Element, complex_type: Complex, data: Mapping[str, Any]) -> None:
    """Append ``data``'s elements to ``parent`` in the type's sequence order.

    Missing optional elements are left out; a missing required one is a programming error.
    """
    for spec in complex_type.fields:
        value = data.get(spec.name)
        if value is None:
            if spec.required and not spec.many:
                raise ValueError(f"{complex_type.name}.{spec.name} is required")
            continue
        values: Iterable[Any] = value if spec.many else (value,)
        for item in values:
            child = etree.SubElement(parent, f"{{{NS}}}{spec.name}")
            if isinstance(spec.type, Complex):
                encode_into(child, spec.type, item)
            else:
                child.text = _text(spec.type, item)


def envelope(operation: str, complex_type: Complex, data: Mapping[str, Any]) -> bytes:
    """A complete SOAP 1.1 envelope whose body holds ``<operation>`` encoded from ``data``."""
    root = etree.Element(_Q_ENVELOPE, nsmap={"SOAP-ENV": ENV_NS, "ns1": NS})
    etree.SubElement(root, f"{{{ENV_NS}}}Header")
    body = etree.SubElement(root, _Q_BODY)
    element = etree.SubElement(body, f"{{{NS}}}{operation}")
    encode_into(element, complex_type, data)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def fault_envelope(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope; ``code`` like ``Client.Authentication`` gets the env prefix."""
    root = etree.Element(_Q_ENVELOPE, nsmap={"SOAP-ENV": ENV_NS})
    body = etree.SubElement(root, _Q_BODY)
    fault = etree.SubElement(body, _Q_FAULT)
    # faultcode and faultstring are unqualified in SOAP 1.1.
    etree.SubElement(fault, "faultcode").text = f"SOAP-ENV:{code}"
    etree.SubElement(fault, "faultstring").text = message
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


# -- decoding -------------------------------------------------------------------------------------
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _value(kind: Kind, text: str | None) -> Any:
    """The Python value of a simple element; raises ValueError/KeyError/InvalidOperation."""
    raw = (text or "").strip()
    if kind is Kind.LONG or kind is Kind.INT:
        if "_" in raw or not raw.isascii():  # int() accepts 1_000 and other scripts' digits
            raise ValueError(raw)
        return int(raw)
    if kind is Kind.BOOL:
        return _BOOLEANS[raw]
    return Decimal(raw)


def _read_value(type_name: str, field_name: str, kind: Kind, text: str | None) -> Any:
    """A simple element's value by the general rules; a value that is not one is an error."""
    try:
        return _value(kind, text)
    except (ValueError, KeyError, InvalidOperation) as exc:
        raw = (text or "").strip()
        message = f"{type_name}.{field_name}: {raw!r} is not a valid {kind.value}"
        raise SoapDecodeError(message) from exc


def _absent(type_name: str, field_name: str) -> None:
    raise SoapDecodeError(f"{type_name}.{field_name} is required but absent")


def decode(element: etree._Element, complex_type: Complex) -> WireRecord:
    """The children of ``element`` as a dict, per the descriptor.

    Elements outside koppel's subset are skipped (the real API has many more); a value that does
    not parse as its schema type, or a missing required element, raises ``SoapDecodeError``.
    This is the client's hot path (a page of 100 products is ~3,600 elements): the compiled
    decoder when it is built, else ``decode_in_python``; both read alike.
    """
    if complex_type.plan is not None:
        return _compiled.decode(element, complex_type.plan)
    return decode_in_python(element, complex_type)


def decode_in_python(element: etree._Element, complex_type: Complex) -> WireRecord:
    """``decode`` in Python: the reference reading, and what runs without the compiled one."""
    out: WireRecord = {}
    index = complex_type.by_tag
    for child in element:
        # Comments and processing instructions have no string tag, so they are never found.
        entry = index.get(child.tag)
        if entry is None:
            continue
        name, how, many, kind = entry
        if how == _TEXT:
            value: Any = child.text or ""
        elif how == _COMPLEX:
            value = decode_in_python(child, kind)
        else:
            text = child.text
            if how == _NUMBER and text and text.isascii() and text.isdigit():
                value = int(text)  # the common case, without the general path's checks
            else:
                value = _read_value(complex_type.name, name, kind, text)
        if many:
            found = out.get(name)
            if found is None:
                out[name] = [value]
            else:
                found.append(value)
        else:
            out[name] = value
    for name in complex_type.required:
        if name not in out:
            _absent(complex_type.name, name)
    return out


def body_element(data: bytes) -> etree._Element:
    """The first element inside the envelope's Body (an operation, a response or a Fault)."""
    root = parse_document(data)
    if root.tag != _Q_ENVELOPE:
        raise SoapDecodeError(f"expected a SOAP 1.1 Envelope, got {etree.QName(root).localname}")
    body = root.find(_Q_BODY)
    if body is None:
        raise SoapDecodeError("the envelope has no Body")
    for child in body.iterchildren("*"):
        return child
    raise SoapDecodeError("the envelope's Body is empty")


def read_fault(element: etree._Element) -> Fault | None:
    """The Fault in a body element, or None when the element is not a Fault."""
    if element.tag != _Q_FAULT:
        return None
    code = (element.findtext("faultcode") or "").strip()
    message = (element.findtext("faultstring") or "").strip()
    # Drop the QName prefix: what follows it is the dotted code (Client.Authentication).
    return Fault(code=code.split(":", 1)[-1], message=message)


def operation_name(element: etree._Element) -> str:
    """The local name of a body element in the ``urn:mplusqapi`` namespace."""
    qname = etree.QName(element)
    if qname.namespace != NS:
        raise SoapDecodeError(f"body element {qname.localname!r} is not in namespace {NS}")
    return qname.localname
