# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled form of ``soap.decode``: the same reading of an lxml tree, at C speed.

``soap.py`` holds the reference decoder and uses this module when it is built (see ``setup.py``).
Decoding a page of 100 products touches about 3,000 elements; in Python each costs an lxml proxy
object, a ``{namespace}name`` string and several dictionary operations, which made decoding most
of the client's time on a serial read. Here the walk reads libxml2's nodes directly, through
lxml's public C API, and creates only the values themselves.

Semantics are those of the reference decoder, value for value and error for error (a property
test compares the two on generated documents): element text is lxml's ``.text`` (the first run of
text and CDATA nodes), unknown elements, other namespaces, comments and processing instructions
are skipped, a repeated single element keeps its last value. Anything beyond the common case (a
number that is not plain ASCII digits, a boolean that is not exactly true/false/1/0, a decimal, a
missing required element) is handed back to the reference code's functions, so messages match.

The tree is only read, under the GIL, while the caller holds the element (so the document stays
alive); nothing here allocates C memory per element.
"""

from cpython.long cimport PyLong_FromLongLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strcmp, strlen
from lxml.includes cimport etreepublic as cetree
from lxml.includes cimport tree

from lxml import etree

cdef extern from "lxml-version.h":
    cdef char* LXML_VERSION_STRING

# The structures read here are lxml's and libxml2's as of the lxml this module was compiled
# against: with another lxml they may differ, so that is refused (soap.py then decodes in Python).
if etree.__version__ != LXML_VERSION_STRING.decode():
    raise ImportError(
        f"compiled against lxml {LXML_VERSION_STRING.decode()}, running {etree.__version__}: "
        "reinstall koppel (make .venv/.installed) to rebuild it"
    )
cetree.import_lxml__etree()

COMPLEX, TEXT, NUMBER, BOOLEAN, OTHER = range(5)
"""How an element is read; ``soap.py`` builds plans with these codes."""

cdef const char* _NS = b"urn:mplusqapi"
cdef int _MAX_DIGITS = 18  # fits a signed 64-bit integer; longer runs take the reference path


cdef class Plan:
    """One complex type, ready for the walk: its fields' local names, how each is read."""

    cdef Py_ssize_t count
    cdef const char** tags
    cdef int* how
    cdef bint* many
    cdef list names
    cdef list kinds
    cdef list encoded
    cdef tuple required
    cdef str type_name
    cdef object read_value
    cdef object absent

    def __cinit__(self, str type_name, list fields, tuple required, read_value, absent):
        self.count = len(fields)
        self.tags = <const char**>PyMem_Malloc(max(self.count, 1) * sizeof(char*))
        self.how = <int*>PyMem_Malloc(max(self.count, 1) * sizeof(int))
        self.many = <bint*>PyMem_Malloc(max(self.count, 1) * sizeof(bint))
        if not self.tags or not self.how or not self.many:
            raise MemoryError()
        self.names, self.kinds, self.encoded = [], [], []
        for i, (name, how, many, kind) in enumerate(fields):
            if how == COMPLEX and not isinstance(kind, Plan):
                raise TypeError(f"{type_name}.{name}: a nested type needs its Plan")
            encoded = name.encode()
            self.encoded.append(encoded)  # keeps the bytes that tags[i] points into alive
            self.tags[i] = <const char*>encoded
            self.how[i] = how
            self.many[i] = many
            self.names.append(name)
            self.kinds.append(kind)
        self.type_name = type_name
        self.required = required
        self.read_value = read_value
        self.absent = absent

    def __dealloc__(self):
        PyMem_Free(self.tags)
        PyMem_Free(self.how)
        PyMem_Free(self.many)


cdef inline bint _is_text(tree.xmlNode* node):
    return node is not NULL and (
        node.type == tree.XML_TEXT_NODE or node.type == tree.XML_CDATA_SECTION_NODE
    )


cdef inline str _unicode(const char* content):
    return PyUnicode_DecodeUTF8(content, strlen(content), NULL)


cdef object _text(tree.xmlNode* element):
    """lxml's ``.text``: the first run of text/CDATA children, None when there is none."""
    cdef tree.xmlNode* node = element.children
    if not _is_text(node):
        return None
    if not _is_text(node.next):
        return _unicode(<const char*>node.content)
    parts = []
    while _is_text(node):
        parts.append(_unicode(<const char*>node.content))
        node = node.next
    return "".join(parts)


cdef object _digits(tree.xmlNode* element):
    """The int of a sole text child of plain ASCII digits, else None (the reference path)."""
    cdef tree.xmlNode* node = element.children
    cdef const char* text
    cdef long long value = 0
    cdef int i = 0
    if not _is_text(node) or _is_text(node.next):
        return None
    text = <const char*>node.content
    if text[0] == 0:
        return None
    while text[i] != 0:
        if text[i] < 48 or text[i] > 57 or i >= _MAX_DIGITS:
            return None
        value = value * 10 + (text[i] - 48)
        i += 1
    return PyLong_FromLongLong(value)


cdef object _boolean(tree.xmlNode* element):
    cdef tree.xmlNode* node = element.children
    cdef const char* text
    if not _is_text(node) or _is_text(node.next):
        return None
    text = <const char*>node.content
    if strcmp(text, b"true") == 0 or strcmp(text, b"1") == 0:
        return True
    if strcmp(text, b"false") == 0 or strcmp(text, b"0") == 0:
        return False
    return None


cdef Py_ssize_t _field(Plan plan, const char* name, Py_ssize_t start):
    """The field index of a local name, or -1; the search starts where the last match was,
    because elements come in the schema's sequence order."""
    cdef Py_ssize_t i
    for i in range(start, plan.count):
        if strcmp(plan.tags[i], name) == 0:
            return i
    for i in range(0, start):
        if strcmp(plan.tags[i], name) == 0:
            return i
    return -1


cdef dict _decode(tree.xmlNode* element, Plan plan):
    cdef dict out = {}
    cdef tree.xmlNode* child = element.children
    cdef Py_ssize_t i, last = 0
    cdef int how
    while child is not NULL:
        if (
            child.type != tree.XML_ELEMENT_NODE
            or child.ns is NULL
            or child.ns.href is NULL
            or strcmp(<const char*>child.ns.href, _NS) != 0
        ):
            child = child.next
            continue
        i = _field(plan, <const char*>child.name, last)
        if i < 0:
            child = child.next
            continue
        last = i
        how = plan.how[i]
        if how == TEXT:
            value = _text(child)
            if value is None:
                value = ""
        elif how == COMPLEX:
            value = _decode(child, <Plan>plan.kinds[i])
        else:
            value = None
            if how == NUMBER:
                value = _digits(child)
            elif how == BOOLEAN:
                value = _boolean(child)
            if value is None:
                value = plan.read_value(plan.type_name, plan.names[i], plan.kinds[i], _text(child))
        name = plan.names[i]
        if plan.many[i]:
            found = out.get(name)
            if found is None:
                out[name] = [value]
            else:
                (<list>found).append(value)
        else:
            out[name] = value
        child = child.next
    for name in plan.required:
        if name not in out:
            plan.absent(plan.type_name, name)
    return out


def decode(cetree._Element element not None, Plan plan not None):
    """The children of ``element`` as a dict, per ``plan`` (see ``soap.decode``)."""
    return _decode(element._c_node, plan)
