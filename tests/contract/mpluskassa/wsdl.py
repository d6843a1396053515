"""The XML Schema inside MplusKASSA's real WSDL, for contract checks, when the reference exists.

The WSDL is reference material outside the repository (``<repo>/../shared/reference``, or
``KOPPEL_REFERENCE_DIR``); it is never copied in. It imports the SOAP encoding namespace only for
``SOAP-ENC:base64``, so a local stand-in for that one type is resolved in its place: nothing is
fetched from the network.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
_STAND_IN = f"""<xsd:schema xmlns:xsd="{XS}" targetNamespace="{SOAP_ENC}">
  <xsd:simpleType name="base64"><xsd:restriction base="xsd:base64Binary"/></xsd:simpleType>
</xsd:schema>""".encode()


def wsdl_path() -> Path:
    configured = os.environ.get("KOPPEL_REFERENCE_DIR")
    base = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[3].parent / "shared" / "reference"
    )
    return base / "mpluskassa" / "mplusqapi.wsdl"


class _StandIn(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.endswith("soap-encoding-stand-in.xsd"):
            return self.resolve_string(_STAND_IN, context)
        return None


@cache
def wsdl_schema() -> etree.XMLSchema | None:
    """The WSDL's schema, or None when the reference WSDL is not beside the repository."""
    path = wsdl_path()
    if not path.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    definitions = etree.parse(str(path), parser).getroot()
    schema = definitions.find(f"{{{WSDL_NS}}}types/{{{XS}}}schema")
    assert schema is not None, "the WSDL has no types/schema"
    for imported in schema.findall(f"{{{XS}}}import"):
        if imported.get("namespace") == SOAP_ENC:
            imported.set("schemaLocation", "soap-encoding-stand-in.xsd")
    # QName attribute values (type="tns:…") need the WSDL root's prefixes on the schema itself.
    nsmap = {k: v for k, v in definitions.nsmap.items() if k}
    nsmap.update({k: v for k, v in schema.nsmap.items() if k})
    root = etree.Element(schema.tag, nsmap={**nsmap, None: XS}, attrib=dict(schema.attrib))
    root.extend(list(schema))
    loader = etree.XMLParser(resolve_entities=False, no_network=True)
    loader.resolvers.add(_StandIn())
    return etree.XMLSchema(etree.fromstring(etree.tostring(root), loader))
