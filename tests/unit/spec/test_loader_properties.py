"""Properties of loading and validation on hostile input: arbitrary bytes, arbitrary YAML, and
random mutations of a valid spec repository always become diagnostics — never an exception.

Settings keep the suite fast and deterministic in CI: a fixed number of examples, no deadline
(file-system timings vary), and ``derandomize`` so every run tries the same inputs. Inputs that
once raised are pinned with ``@example``.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from connectors.registry import capabilities
from reconciler.spec.diagnostics import Code, Diagnostic
from reconciler.spec.loader import parse_documents
from reconciler.spec.validate import Validation, validate_tree
from tests.fixtures.spec_repo import BASELINE

FAST = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Whole-repository examples parse four files each (ruamel's round-trip parser is most of the
# cost), so they get half the examples to keep the suite fast.
REPOSITORY = settings(FAST, max_examples=100)
FILE_LEVEL = {Code.file_encoding} | {code for code in Code if code.value.startswith("yaml-")}


def _parse(raw: bytes) -> tuple[list[Any], list[Diagnostic]]:
    return parse_documents(raw, file=Path("x.yaml"), display="x.yaml")


def _well_formed(diagnostics: list[Diagnostic], text_lines: int) -> None:
    for diag in diagnostics:
        assert isinstance(diag.code, Code)
        assert 1 <= diag.line <= text_lines + 1, diag
        assert diag.column >= 1, diag
        assert diag.message


def _validate(files: dict[str, bytes]) -> Validation:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for name, raw in files.items():
            (root / name).write_bytes(raw)
        return validate_tree(root, capabilities=capabilities())


# -- arbitrary bytes ----------------------------------------------------------------------------
YAML_ALPHABET = st.sampled_from(
    [b"a", b"1", b" ", b"\n", b"\t", b":", b"-", b"[", b"]", b"{", b"}", b",", b"&a", b"*a",
     b"!", b"!!", b"?", b"|", b">", b"#", b"'", b'"', b"%", b"---", b"...", b"<<", b"\xff",
     b"\x00", b"\xef\xbb\xbf", b"\\", b"@", b"`", b"~", b"kind", b"apiVersion",
     b"%YAML 1.", b"e3"]
)  # fmt: skip


@FAST
@given(st.binary(max_size=400) | st.lists(YAML_ALPHABET, max_size=120).map(b"".join))
@example(b"a: \xff\n")  # not UTF-8
@example(b"\x00")  # a control character: ReaderError (regression: vague message at 1:1)
@example(b"? [a]\n: 1\n")  # complex key (regression: accepted as the text "('a',)")
@example(b"%TAG ! tag:x,1:\n---\n!a 1\n")  # namespaced tag (regression: accepted)
@example(b"&a [*a]\n")  # a recursive alias
@example(b"&![&!")  # regression: a reused anchor warned (an error under -W error / pytest)
@example(b"%YAML 1.3\n---\na: 1\n")  # regression: ruamel's AssertionError escaped
@example(b"%YAML 1.1\n---\na: 1e3\n")  # regression: MantissaNoDotYAML1_1Warning
@example(b"[" * 3000)  # regression: seconds of quadratic scanning, then RecursionError
def test_arbitrary_bytes_become_documents_or_diagnostics(raw: bytes) -> None:
    """Any bytes parse into documents or file/YAML diagnostics with sane positions."""
    documents, diagnostics = _parse(raw)
    _well_formed(diagnostics, raw.count(b"\n") + raw.count(b"\r") + 1)
    assert {d.code for d in diagnostics} <= FILE_LEVEL
    for doc in documents:
        assert doc.data is not None


# -- arbitrary YAML -----------------------------------------------------------------------------
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | TEXT
    | st.sampled_from(["2024-01-31", "yes", "~", "null", "0x1F", "1e3", "<<", "&a", "*a", ""])
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)


def _dump(*documents: Any, flow: bool | None = None) -> str:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = flow
    stream = io.StringIO()
    yaml.dump_all(list(documents), stream)
    return stream.getvalue()


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    return type(left) is type(right) and left == right


def _plain(node: Any) -> Any:
    """ruamel's safe-loaded data as the loader presents it: text keys, dates as ISO text."""
    if isinstance(node, dict):
        return {_plain_key(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _plain_key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(_plain(key))


@FAST
@given(DATA, st.sampled_from([None, True, False]))
@example({"?0": None}, None)  # ruamel's emitter writes {?0: null}: lossy, but read alike
@example("\x85", None)  # NEL is a line break to YAML 1.1: written lossily, read alike
def test_dumped_yaml_loads_as_yaml_reads_it(data: Any, flow: bool | None) -> None:
    """YAML written from random plain data (block and flow style) loads as the same plain data
    that ruamel's own safe loader reads from it — which is the input data except where
    ruamel's emitter is lossy — or, for what a spec may not contain, as diagnostics; never an
    exception."""
    try:
        text = _dump(data, flow=flow)
    except Exception:  # ruamel cannot write some texts: not the loader's problem
        assume(False)
    documents, diagnostics = _parse(text.encode())
    _well_formed(diagnostics, text.count("\n") + 1)
    if diagnostics:
        return
    loaded = documents[0].data if documents else None
    assert _equal(loaded, _plain(YAML(typ="safe", pure=True).load(text))), text


TRUNCATE = st.integers(min_value=0, max_value=10_000)


@FAST
@given(DATA, DATA, TRUNCATE)
def test_truncated_yaml_never_raises(first: Any, second: Any, cut: int) -> None:
    """Any prefix of a multi-document YAML stream is documents or diagnostics."""
    try:
        text = _dump(first, second)
    except Exception:  # as above
        assume(False)
    text = text[: cut % (len(text) + 1)]
    _, diagnostics = _parse(text.encode())
    _well_formed(diagnostics, text.count("\n") + 1)


# -- mutations of a valid spec repository -------------------------------------------------------
Mutation = Callable[[str], str]


@st.composite
def _text_mutation(draw: st.DrawFn) -> Mutation:
    kind = draw(st.sampled_from(["truncate", "delete", "insert", "duplicate-line", "swap"]))
    where = draw(st.floats(min_value=0, max_value=1))
    size = draw(st.integers(min_value=1, max_value=40))
    token = draw(
        st.sampled_from(["\n", " ", "  ", ": ", "- ", "[", "]", "{", "}", "&x ", "*x", "!t ",
                         "---\n", "#", "'", '"', "\t", "x", "0", "? ", "<<: "])
        | st.text(max_size=5)
    )  # fmt: skip

    def mutate(text: str) -> str:
        at = int(where * len(text))
        if kind == "truncate":
            return text[:at]
        if kind == "delete":
            return text[:at] + text[at + size :]
        if kind == "insert":
            return text[:at] + token + text[at:]
        lines = text.splitlines(keepends=True)
        if not lines:
            return text
        i = min(int(where * len(lines)), len(lines) - 1)
        if kind == "duplicate-line":
            return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
        j = (i + size) % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines)

    return mutate


@REPOSITORY
@given(st.sampled_from(sorted(BASELINE)), st.lists(_text_mutation(), min_size=1, max_size=3))
def test_mutated_spec_text_validates_without_exceptions(
    name: str, mutations: list[Mutation]
) -> None:
    """Random edits (truncation, deletion, insertion of YAML tokens, duplicated and swapped
    lines) to one file of a valid repository give diagnostics pointing into the files, never an
    exception."""
    files = {file: text.encode() for file, text in BASELINE.items()}
    text = BASELINE[name]
    for mutate in mutations:
        text = mutate(text)
    files[name] = text.encode("utf-8", "surrogatepass")
    result = _validate(files)
    _well_formed(result.diagnostics, max(raw.count(b"\n") for raw in files.values()) + 1)
    assert all(Path(d.file).name in files or d.code is Code.no_specs for d in result.diagnostics)


# Values that are valid somewhere in a spec, so that replaced subtrees often pass the
# structure layer and reach the meaning layer.
PLAUSIBLE = st.sampled_from(
    [None, True, 0, 1, 21, 9.5, -1, "", "shop", "afas", "pos", "books", "tax", "orders",
     "customers", "products", "stock", "quotation", "invoice", "payment-methods", "anonymous",
     "5m", "10s", "24h", "8d", "NL", "BE", "DE", "fail", "POS-{number}", "{", "name[?", "sku",
     "mpluskassa", "twinfield", "afas-profit", [], {}, ["NL"], ["orders"], {"env": "X"},
     {"default": "x"}, {"from": "sku"}, {"const": "A"}]
) | SCALARS  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_paths(value, (*prefix, i)))
    return found


def _documents() -> dict[str, list[Any]]:
    yaml = YAML(typ="safe")
    return {name: list(yaml.load_all(text)) for name, text in sorted(BASELINE.items())}


BASELINE_DOCUMENTS = _documents()


@st.composite
def _data_mutation(draw: st.DrawFn) -> tuple[str, int, tuple[Any, ...], Any]:
    name = draw(st.sampled_from(sorted(BASELINE_DOCUMENTS)))
    index = draw(st.integers(min_value=0, max_value=len(BASELINE_DOCUMENTS[name]) - 1))
    path = draw(st.sampled_from(_paths(BASELINE_DOCUMENTS[name][index])))
    value = draw(PLAUSIBLE | DATA)
    return name, index, path, value


def _set(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    if len(path) == 1:
        node[path[0]] = value
    else:
        node[path[0]] = _set(node[path[0]], path[1:], value)
    return node


@REPOSITORY
@given(st.lists(_data_mutation(), min_size=1, max_size=4))
@example([("flows.yaml", 3, ("spec", "schedule"), {"interval": "5m", "driftScan": "0s"})])
@example([("tables.yaml", 3, ("spec", "defaultPerCountry"), {"": "1"})])
@example([("flows.yaml", 0, ("kind",), [])])  # regression: TypeError (unhashable kind)
@example([("flows.yaml", 0, ("kind",), {"a": 1})])
# regression: urlsplit raised ValueError in the secret-in-URL check
@example([("tenant.yaml", 0, ("spec", "connections", "pos", "endpoint"), "http://[::1")])
def test_mutated_spec_data_validates_without_exceptions(
    mutations: list[tuple[str, int, tuple[Any, ...], Any]],
) -> None:
    """Replacing any subtree of valid documents by a random or plausible value (a wrong
    reference, a bad duration, a list where a mapping belongs) gives diagnostics from every
    layer — often from the meaning layer, as most of the repository stays valid — never an
    exception."""
    documents = copy.deepcopy(BASELINE_DOCUMENTS)
    for name, index, path, value in mutations:
        try:
            documents[name][index] = _set(documents[name][index], path, copy.deepcopy(value))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    try:
        files = {name: _dump(*docs).encode() for name, docs in documents.items()}
    except Exception:  # ruamel cannot write some values: not what is tested
        assume(False)
    result = _validate(files)
    _well_formed(result.diagnostics, max(raw.count(b"\n") for raw in files.values()) + 1)
    assert result.valid == (not result.errors)
