"""Diagnostics: every problem found in a spec repository, with where it is and a stable code.

The codes are part of koppel's interface (CI annotations, editors, people searching for them):
they never change meaning once released; ``docs/diagnostics.md`` explains each one, and a test
keeps that page and ``Code`` in step. Output formats: ``text`` (``FILE:LINE:COL: error[CODE]:
message``), ``json`` and ``github`` (workflow-command annotations).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Code(StrEnum):
    """Stable diagnostic codes, grouped by layer: file, yaml, schema, spec (meaning)."""

    # files
    file_unreadable = "file-unreadable"
    file_too_large = "file-too-large"
    file_encoding = "file-encoding"
    file_symlink_escape = "file-symlink-escape"
    no_specs = "no-specs"
    # YAML
    yaml_syntax = "yaml-syntax"
    yaml_duplicate_key = "yaml-duplicate-key"
    yaml_alias_bomb = "yaml-alias-bomb"
    yaml_too_deep = "yaml-too-deep"
    yaml_tag = "yaml-tag"
    yaml_key = "yaml-key"
    # structure (JSON Schema)
    doc_not_mapping = "doc-not-mapping"
    api_version = "api-version"
    unknown_kind = "unknown-kind"
    schema_required = "schema-required"
    schema_unknown_field = "schema-unknown-field"
    schema_type = "schema-type"
    schema_value = "schema-value"
    secret_inline = "secret-inline"  # noqa: S105 - a code name, not a password
    # meaning
    secret_in_url = "secret-in-url"  # noqa: S105 - a code name, not a password
    duplicate_name = "duplicate-name"
    unknown_tenant = "unknown-tenant"
    unresolved_reference = "unresolved-reference"
    wrong_kind_reference = "wrong-kind-reference"
    unsupported_flow = "unsupported-flow"
    unsupported_order_type = "unsupported-order-type"
    unknown_system = "unknown-system"
    value_map_uncovered = "value-map-uncovered"
    tax_table_uncovered = "tax-table-uncovered"
    tax_table_duplicate = "tax-table-duplicate"
    target_key_rule = "target-key-rule"
    interval = "interval"
    mapping_rule = "mapping-rule"
    mapping_expression = "mapping-expression"
    mapping_template = "mapping-template"
    dependency_cycle = "dependency-cycle"
    connection_incomplete = "connection-incomplete"
    flow_same_connection = "flow-same-connection"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: file, 1-based line and column, severity, code and an actionable message."""

    file: str
    line: int
    column: int
    code: Code
    message: str
    severity: Severity = Severity.error

    def render(self) -> str:
        # One diagnostic, one line: editors and scripts split on newlines, and a message can
        # quote user text that contains line breaks (a key, a template).
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {message}"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["code"] = str(self.code)
        data["severity"] = str(self.severity)
        return data

    def github(self) -> str:
        # Workflow commands need %, CR and LF escaped in the message, and also , and : in values.
        message = _escape(f"[{self.code}] {self.message}")
        file = _escape(self.file, prop=True)
        return (
            f"::{self.severity} file={file},line={self.line},col={self.column},"
            f"title=koppel {self.code}::{message}"
        )


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def relative(path: Path, root: Path) -> str:
    """``path`` as shown in diagnostics: relative to the working directory when it is below it
    (what editors and CI annotations expect), else as found under ``root`` (as the user gave it)."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path) if path.is_absolute() or str(root) != "." else str(path.absolute())


def render(diagnostics: list[Diagnostic], fmt: str) -> str:
    """All diagnostics in one of the formats ``text``, ``json`` or ``github``."""
    ordered = sorted(diagnostics)
    if fmt == "json":
        errors = sum(d.severity is Severity.error for d in ordered)
        payload = {
            "valid": errors == 0,
            "errors": errors,
            "warnings": len(ordered) - errors,
            "diagnostics": [d.to_json() for d in ordered],
        }
        return json.dumps(payload, indent=2)
    if fmt == "github":
        return "\n".join(d.github() for d in ordered)
    return "\n".join(d.render() for d in ordered)
