"""Loading spec files: a directory tree of YAML files -> documents that remember where every node
came from. Pure apart from reading the files it is given; the only stage that touches the disk.

Untrusted input is expected (a pull request from anyone): every way a file can be bad becomes a
``Diagnostic``, never an exception — syntax errors, duplicate keys, alias bombs and nesting that
expand beyond a bound, custom tags (``!!python/object`` and friends), non-UTF-8 bytes, files over
the size limit, symlinks that leave the spec root.

Files under a directory named ``tests`` are spec-test fixtures (input records and expected
payloads, see ``koppel test``), not specs, and are skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import RoundTripScanner

from reconciler.spec.diagnostics import Code, Diagnostic, relative

MAX_FILE_BYTES = 1024 * 1024
"""Spec files are small; a larger one is a mistake or an attack."""
MAX_NODES = 50_000
"""Nodes one document may expand to, aliases counted each time they are used (alias bombs)."""
MAX_DEPTH = 64
"""Nesting deeper than this is no spec a person wrote (and would exhaust the parser's stack)."""
SPEC_SUFFIXES = (".yaml", ".yml")
FIXTURE_DIR = "tests"

_STANDARD_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _STANDARD_TAG + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class SourceMap:
    """Where each node of one document is: value positions and, for mapping entries, key positions.

    Lines and columns are 1-based, as editors and CI annotations count them.
    """

    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)

    def locate(self, path: Path_, *, key: bool = False) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]


@dataclass
class RawDocument:
    """One YAML document as plain data (str keys; str, int, float, bool, None, list, dict)."""

    file: Path
    display: str
    index: int
    data: Any
    source: SourceMap

    def where(self, path: Path_, *, key: bool = False) -> tuple[str, int, int]:
        pos = self.source.locate(path, key=key)
        return self.display, pos.line, pos.column


@dataclass
class LoadResult:
    documents: list[RawDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0


class _Problem(Exception):
    def __init__(self, code: Code, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.code, self.message, self.line, self.column = code, message, line, column


class _BoundedScanner(RoundTripScanner):
    """The round-trip scanner with the nesting bound enforced while scanning.

    ruamel's scanner does work proportional to the flow depth for every token, so ``[[[[…``
    a few thousand levels deep costs seconds before the composer even recurses; stopping at
    ``MAX_DEPTH`` keeps hostile files cheap. Block nesting is bounded the same way.
    """

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            self._too_deep()
        super().fetch_flow_collection_start(TokenClass, to_push)

    def add_indent(self, column: int) -> bool:
        added = bool(super().add_indent(column))
        if added and len(self.indents) > MAX_DEPTH:
            self._too_deep()
        return added

    def _too_deep(self) -> None:
        raise _Problem(
            Code.yaml_too_deep,
            f"nesting deeper than {MAX_DEPTH} levels; no spec needs this",
            self.reader.line + 1,
            self.reader.column + 1,
        )


def load_tree(root: Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Load every spec file under ``root`` (a directory or a single file)."""
    result = LoadResult()
    root = Path(root)
    if root.is_file():
        _load_file(root, root.parent.resolve(), root.parent, result, max_file_bytes)
        return result
    resolved_root = root.resolve()
    for path in _walk(root, resolved_root, result):
        _load_file(path, resolved_root, root, result, max_file_bytes)
    return result


def _walk(root: Path, resolved_root: Path, result: LoadResult) -> Iterator[Path]:
    for current, dirs, files in os.walk(root, followlinks=False):
        base = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != FIXTURE_DIR)
        for name in dirs:
            candidate = base / name
            if candidate.is_symlink() and not _inside(candidate, resolved_root):
                _file_problem(
                    result,
                    candidate,
                    root,
                    Code.file_symlink_escape,
                    "this directory is a symlink to a place outside the spec root; "
                    "specs must live inside the repository — copy them in instead",
                )
        for name in sorted(files):
            if name.startswith(".") or not name.endswith(SPEC_SUFFIXES):
                continue
            yield base / name


def _inside(path: Path, resolved_root: Path) -> bool:
    try:
        path.resolve().relative_to(resolved_root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _file_problem(result: LoadResult, path: Path, root: Path, code: Code, message: str) -> None:
    result.diagnostics.append(Diagnostic(relative(path, root), 1, 1, code, message))


def _load_file(
    path: Path, resolved_root: Path, root: Path, result: LoadResult, max_file_bytes: int
) -> None:
    result.files += 1
    display = relative(path, root)
    if path.is_symlink() and not _inside(path, resolved_root):
        _file_problem(
            result,
            path,
            root,
            Code.file_symlink_escape,
            "this file is a symlink to a place outside the spec root; specs must live inside "
            "the repository — copy the file in instead",
        )
        return
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            _file_problem(
                result,
                path,
                root,
                Code.file_too_large,
                f"the file has {size} bytes, more than the limit of {max_file_bytes}; "
                "split it into several files",
            )
            return
        raw = path.read_bytes()
    except OSError as exc:
        _file_problem(result, path, root, Code.file_unreadable, f"cannot read: {exc.strerror}")
        return
    documents, diagnostics = parse_documents(raw, file=path, display=display)
    result.documents.extend(documents)
    result.diagnostics.extend(diagnostics)


def parse_documents(
    raw: bytes, *, file: Path, display: str
) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Parse the bytes of one file into documents, or diagnostics saying why not."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [
            Diagnostic(
                display,
                line,
                column,
                Code.file_encoding,
                f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8",
            )
        ]
    yaml = YAML(typ="rt")
    yaml.Scanner = _BoundedScanner
    yaml.allow_duplicate_keys = False
    documents: list[RawDocument] = []
    try:
        with warnings.catch_warnings():
            # ruamel warns about valid YAML (a reused anchor name; a YAML 1.1 float without a
            # dot); the warning would print the file's text on stderr, or raise under -W error.
            warnings.simplefilter("ignore", YAMLWarning)
            for index, node in enumerate(yaml.load_all(text)):
                if node is None:
                    continue  # an empty document (a stray `---`) declares nothing
                source = SourceMap()
                counter = [0]
                data = _plain(node, (), source, counter, depth=0)
                documents.append(RawDocument(file, display, index, data, source))
    except _Problem as problem:
        return documents, [
            Diagnostic(display, problem.line, problem.column, problem.code, problem.message)
        ]
    except DuplicateKeyError as exc:
        line, column = _mark(exc)
        key = _duplicate_key_name(exc)
        return documents, [
            Diagnostic(
                display,
                line,
                column,
                Code.yaml_duplicate_key,
                f"the key {key}appears twice in the same mapping; keep one",
            )
        ]
    except MarkedYAMLError as exc:
        line, column = _mark(exc)
        what = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        return documents, [Diagnostic(display, line, column, Code.yaml_syntax, what)]
    except ReaderError as exc:
        # A control character YAML does not allow (NUL, BEL, ...): say which and where.
        line, column = _offset_position(text, exc.position)
        return documents, [
            Diagnostic(
                display,
                line,
                column,
                Code.yaml_syntax,
                f"the character {_codepoint(exc.character)} is not allowed in YAML; remove it",
            )
        ]
    except AssertionError as exc:
        # ruamel asserts on a %YAML directive with an unknown version (`%YAML 1.3`).
        return documents, [
            Diagnostic(
                display, 1, 1, Code.yaml_syntax, f"cannot parse: {str(exc) or 'invalid YAML'}"
            )
        ]
    except RecursionError:
        # Nesting so deep that the parser itself gives up before our depth bound is reached.
        return documents, [
            Diagnostic(
                display,
                1,
                1,
                Code.yaml_too_deep,
                f"nesting deeper than {MAX_DEPTH} levels; no spec needs this",
            )
        ]
    except (YAMLError, ValueError, TypeError, AttributeError) as exc:
        # The parser's own failures on hostile input: still a diagnostic, never a traceback.
        return documents, [
            Diagnostic(display, 1, 1, Code.yaml_syntax, f"cannot parse: {type(exc).__name__}")
        ]
    return documents, []


def _mark(exc: MarkedYAMLError) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _offset_position(text: str, offset: object) -> tuple[int, int]:
    if not isinstance(offset, int) or not 0 <= offset <= len(text):
        return 1, 1
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _codepoint(character: object) -> str:
    if isinstance(character, str) and len(character) == 1:
        character = ord(character)
    if isinstance(character, int):
        return f"U+{character:04X}"
    return repr(character)


_DUPLICATE_KEY = re.compile(r'duplicate key "(.*?)" with value', re.DOTALL)


def _duplicate_key_name(exc: DuplicateKeyError) -> str:
    # Only the key: ruamel's message also quotes both values, which may be secrets.
    match = _DUPLICATE_KEY.search(exc.problem or "")
    return f'"{match.group(1)}" ' if match else ""


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    return value if isinstance(value, str) else None


def _position(node: Any, fallback: Position) -> Position:
    lc = getattr(node, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        return Position(lc.line + 1, lc.col + 1)
    return fallback


def _plain(node: Any, path: Path_, source: SourceMap, counter: list[int], *, depth: int) -> Any:
    """Convert a round-trip node to plain data, recording positions and enforcing the bounds."""
    counter[0] += 1
    here = source.values.get(path) or source.keys.get(path) or Position(1, 1)
    if counter[0] > MAX_NODES:
        raise _Problem(
            Code.yaml_alias_bomb,
            f"the document expands to more than {MAX_NODES} nodes (anchors and aliases are "
            "counted each time they are used); write the data out or split the document",
            here.line,
            here.column,
        )
    if depth > MAX_DEPTH:
        raise _Problem(
            Code.yaml_too_deep,
            f"nesting deeper than {MAX_DEPTH} levels; no spec needs this",
            here.line,
            here.column,
        )
    _check_tag(node, here)
    if isinstance(node, CommentedMap):
        return _plain_map(node, path, source, counter, depth=depth)
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            try:
                line, col = node.lc.item(i)
                source.values[(*path, i)] = Position(line + 1, col + 1)
            except (KeyError, IndexError, TypeError):
                pass
            items.append(_plain(item, (*path, i), source, counter, depth=depth + 1))
        return items
    if isinstance(node, TaggedScalar):
        return str(node.value)
    return _scalar(node, here)


def _check_tag(node: Any, here: Position) -> None:
    # Any tag but the standard plain-data ones: local (!foo), python/* and tags that a %TAG
    # directive maps to another namespace (tag:evil.example,2000:x) alike.
    tag = _tag_of(node)
    if tag is not None and tag not in _ALLOWED_TAGS:
        raise _Problem(
            Code.yaml_tag,
            f"the tag {tag} is not allowed; specs are plain YAML data (remove the tag)",
            here.line,
            here.column,
        )


def _plain_map(
    node: CommentedMap, path: Path_, source: SourceMap, counter: list[int], *, depth: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # ruamel keeps merge keys (<<) as a separate list; items() already includes merged values.
    for key in node:
        here = _position(node, Position(1, 1))
        try:
            k_line, k_col = node.lc.key(key)
            v_line, v_col = node.lc.value(key)
            key_pos, value_pos = Position(k_line + 1, k_col + 1), Position(v_line + 1, v_col + 1)
        except (KeyError, TypeError):
            key_pos = value_pos = here
        if not isinstance(key, _PLAIN_KEYS):
            # `? [a, b]` and `{[a]: 1}` keys: ruamel builds CommentedKeySeq/KeyMap (tuples).
            raise _Problem(
                Code.yaml_key,
                "a mapping key must be a plain value, not a list or mapping",
                key_pos.line,
                key_pos.column,
            )
        _check_tag(key, key_pos)
        name = _key_text(key, key_pos)
        child = (*path, name)
        source.keys[child] = key_pos
        source.values[child] = value_pos
        out[name] = _plain(node[key], child, source, counter, depth=depth + 1)
    return out


_PLAIN_KEYS = (str, int, float, type(None), dt.date, bytes, TaggedScalar)


def _key_text(key: Any, here: Position) -> str:
    if isinstance(key, TaggedScalar):
        return str(key.value)
    value = _scalar(key, here)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(value: Any, here: Position) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        # JSON has no dates: keep the ISO text the author wrote.
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        raise _Problem(
            Code.yaml_tag, "binary values are not allowed in specs", here.line, here.column
        )
    # Anything else is a typed YAML collection such as !!set: not plain data.
    raise _Problem(
        Code.yaml_tag,
        "typed YAML collections such as !!set are not plain data; write a list or a mapping",
        here.line,
        here.column,
    )
