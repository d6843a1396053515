"""The compiled decoder reads exactly as the Python one: same values, same errors.

Documents are generated from the descriptors the client decodes, with what real and hostile
answers hold: fields missing, repeated and out of order, numbers with signs, spaces, leading zeros,
underscores, other scripts' digits and more digits than 64 bits hold, booleans in every spelling,
text with markup characters, CDATA, comments and child elements, elements in no or another
namespace, processing instructions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.mpluskassa import soap
from connectors.mpluskassa.models import ARTICLE, PRODUCT, RELATION
from connectors.mpluskassa.operations import OPERATIONS

needs_compiled = pytest.mark.skipif(
    not soap.COMPILED, reason=f"the compiled decoder is not built: {soap.NOT_COMPILED_BECAUSE}"
)
Decoder = Callable[[etree._Element, soap.Complex], soap.WireRecord]

NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["", " 7 ", "+5", "-0", "007", "1_000", "٣", "12a", "9" * 19, "\uff11"]),
    st.text(alphabet="0123456789 -+_x", max_size=5),
)
BOOLEANS = st.sampled_from(["true", "false", "1", "0", " true", "TRUE", "yes", "", "2"])
TEXTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8).map(escape),
    st.sampled_from(["a&amp;b", "<![CDATA[x<y]]>", "a<!--c-->b", "x<?pi y?>z", "<![CDATA[]]>"]),
    st.just("<ns1:inner>1</ns1:inner>tail"),
)
NOISE = st.sampled_from(
    [
        "<!--c-->",
        "<?pi x?>",
        "<articleNumber>5</articleNumber>",
        "<o:syncMarker>5</o:syncMarker>",
        "<ns1:unknownElement>x</ns1:unknownElement>",
    ]
)


def _value(kind: soap.Kind | soap.Complex, depth: int) -> st.SearchStrategy[str]:
    if isinstance(kind, soap.Complex):
        return _children(kind, depth + 1)
    if kind is soap.Kind.LONG or kind is soap.Kind.INT:
        return NUMBERS
    if kind is soap.Kind.BOOL:
        return BOOLEANS
    if kind is soap.Kind.DECIMAL:
        return st.sampled_from(["1.50", "-2", "x", ""])
    return TEXTS


def _children(kind: soap.Complex, depth: int = 0) -> st.SearchStrategy[str]:
    if depth > 2:
        return st.just("")
    fields = st.sampled_from(kind.fields).flatmap(
        lambda f: _value(f.type, depth).map(lambda v, f=f: f"<ns1:{f.name}>{v}</ns1:{f.name}>")
    )
    return st.lists(st.one_of(fields, fields, fields, NOISE), max_size=10).map("".join)


def _outcome(decode: Decoder, element: etree._Element, kind: soap.Complex) -> tuple[str, object]:
    try:
        return ("value", decode(element, kind))
    except soap.SoapDecodeError as exc:
        return ("error", str(exc))


def _document(kind: soap.Complex, children: str) -> etree._Element:
    xml = f'<r xmlns:ns1="{soap.NS}" xmlns:o="urn:other">{children}</r>'
    return soap.parse_document(xml.encode())


TYPES = [ARTICLE, PRODUCT, RELATION, OPERATIONS["getOrders"].request]
"""Nested to three levels; the whole product page is the test after."""


@needs_compiled
@pytest.mark.parametrize("kind", TYPES, ids=lambda k: k.name)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_both_decoders_read_every_document_alike(kind: soap.Complex, data: st.DataObject) -> None:
    element = _document(kind, data.draw(_children(kind)))
    compiled = _outcome(soap.decode, element, kind)
    reference = _outcome(soap.decode_in_python, element, kind)
    assert compiled == reference
    assert repr(compiled) == repr(reference)  # the same types too: 1 == True == Decimal(1)


@needs_compiled
def test_a_product_page_decodes_alike() -> None:
    """The client's hot path: a page as the sandbox sends it, every field present."""
    stamp = {"sec": 1, "min": 2, "hour": 3, "day": 4, "mon": 5, "year": 2026}
    stamp |= {"isdst": False, "timezone": 0}
    article = {"articleNumber": 100001, "extArticleId": "SKU-1", "changeTimestamp": stamp}
    article |= {"createTimestamp": stamp, "active": True, "description": 'Tee "large" & co'}
    article |= {"priceIncl": 1995, "priceExcl": 1649, "vatCode": 1, "stockArticle": True}
    products = [{"productNumber": n, "articleList": {"article": [article]}} for n in range(50)]
    op = OPERATIONS["getProducts"]
    body = soap.envelope("GetProductsResponse", op.response, {"productList": {"product": products}})
    element = soap.body_element(body)
    decoded = soap.decode(element, op.response)
    assert decoded == soap.decode_in_python(element, op.response)
    assert decoded["productList"]["product"][7]["articleList"]["article"][0]["priceIncl"] == 1995


@needs_compiled
def test_digits_of_other_scripts_are_not_longs() -> None:
    """xsd:long is ASCII digits; Python's int() would take '٣' (Arabic-Indic three) as 3."""
    element = etree.fromstring(f'<a xmlns="{soap.NS}"><articleNumber>٣</articleNumber></a>')
    for decode in (soap.decode, soap.decode_in_python):
        with pytest.raises(soap.SoapDecodeError, match=r"'٣' is not a valid xsd:long"):
            decode(element, ARTICLE)


@pytest.mark.skipif(
    bool(os.environ.get("KOPPEL_PURE_PYTHON")), reason="installed without it (KOPPEL_PURE_PYTHON)"
)
def test_the_compiled_decoder_is_what_runs() -> None:
    """make builds it (setup.py); a build that silently lost it would make the client slower."""
    assert soap.COMPILED, soap.NOT_COMPILED_BECAUSE
    assert ARTICLE.plan is not None


def test_without_the_compiled_decoder_everything_decodes_in_python() -> None:
    """Not built (or built against another lxml): the import falls back, and says why."""
    script = (
        "import sys; sys.modules['connectors.mpluskassa._soap_decoder'] = None\n"
        "from lxml import etree\n"
        "from connectors.mpluskassa import soap\n"
        "from connectors.mpluskassa.models import ARTICLE\n"
        "assert not soap.COMPILED and ARTICLE.plan is None, soap.NOT_COMPILED_BECAUSE\n"
        "e = etree.fromstring(f'<a xmlns=\"{soap.NS}\"><articleNumber>7</articleNumber></a>')\n"
        "print(soap.decode(e, ARTICLE), '|', soap.NOT_COMPILED_BECAUSE)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    value, reason = done.stdout.split("|")
    assert value.strip() == "{'articleNumber': 7}"
    assert "_soap_decoder" in reason
