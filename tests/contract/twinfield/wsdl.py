"""The XML Schemas inside Twinfield's own WSDLs, for contract checks, when the reference exists.

The WSDLs are reference material outside the repository (``<repo>/../shared/reference``, or
``KOPPEL_REFERENCE_DIR``); they are never copied in. ``processxml.wsdl`` imports
``http://microsoft.com/wsdl/types/`` only for the type ``guid`` (the header's ``CompanyId``), so a
local stand-in for that one type is resolved in its place: nothing is fetched from the network.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
MS_TYPES = "http://microsoft.com/wsdl/types/"
_HEX = "[0-9a-fA-F]"
_GUID = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_STAND_IN = f"""<s:schema xmlns:s="{XS}" targetNamespace="{MS_TYPES}">
  <s:simpleType name="guid"><s:restriction base="s:string">
    <s:pattern value="{_GUID}"/>
  </s:restriction></s:simpleType>
</s:schema>""".encode()


def reference_dir() -> Path:
    configured = os.environ.get("KOPPEL_REFERENCE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3].parent / "shared" / "reference"


def wsdl_path(name: str) -> Path:
    return reference_dir() / "twinfield" / name


class _StandIn(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.endswith("ms-types-stand-in.xsd"):
            return self.resolve_string(_STAND_IN, context)
        return None


def _definitions(name: str) -> etree._Element | None:
    path = wsdl_path(name)
    if not path.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser).getroot()


@cache
def schema(name: str) -> etree.XMLSchema | None:
    """The schema in one WSDL's ``types``, or None when the reference is not there."""
    definitions = _definitions(name)
    if definitions is None:
        return None
    found = definitions.find(f"{{{WSDL_NS}}}types/{{{XS}}}schema")
    assert found is not None, f"{name} has no types/schema"
    for imported in found.findall(f"{{{XS}}}import"):
        if imported.get("namespace") == MS_TYPES:
            imported.set("schemaLocation", "ms-types-stand-in.xsd")
    nsmap = {k: v for k, v in definitions.nsmap.items() if k}
    nsmap.update({k: v for k, v in found.nsmap.items() if k})
    root = etree.Element(found.tag, nsmap=nsmap, attrib=dict(found.attrib))
    root.extend(list(found))
    loader = etree.XMLParser(resolve_entities=False, no_network=True)
    loader.resolvers.add(_StandIn())
    return etree.XMLSchema(etree.fromstring(etree.tostring(root), loader))


@cache
def soap_actions(name: str) -> dict[str, str]:
    """Operation -> SOAPAction of the WSDL's SOAP 1.1 binding."""
    definitions = _definitions(name)
    if definitions is None:
        return {}
    actions = {}
    for operation in definitions.iter(f"{{{WSDL_NS}}}operation"):
        binding = operation.find(f"{{{SOAP_NS}}}operation")
        if binding is not None:
            actions[str(operation.get("name"))] = str(binding.get("soapAction"))
    return actions
