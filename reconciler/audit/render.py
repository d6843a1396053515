"""Diffs and histories for people and tools: plain text for a terminal, markdown for a
pull-request comment, JSON for anything that reads it back.

Pure (strings in, strings out). Values are shown as JSON so that ``"01"`` (a code) and ``1`` (a
number) stay distinguishable — the difference that decides what a target system receives.
Specs hold references to secrets only, so no value shown here is a secret.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.audit.model import Comparison, HistoryEntry, Side
from reconciler.audit.semantic import (
    MISSING,
    DocKey,
    DocumentChange,
    FieldChange,
    SemanticDiff,
    Uncompared,
)

MARKERS = {"added": "+", "removed": "-", "changed": "~"}
HISTORY_PATHS = 8
"""Field paths a history line lists per document before it says how many more there are."""


def value_text(value: Any) -> str:
    """A value as compact JSON, or ``(none)`` for the missing side of an added/removed field."""
    if value is MISSING:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def counts_text(diff: SemanticDiff) -> str:
    """``1 added, 0 removed, 2 changed (3 fields)``, or ``no semantic change``."""
    if diff.empty:
        return "no semantic change"
    c = diff.counts()
    fields = f" ({c['fields']} field{'s' * (c['fields'] != 1)})" if c["fields"] else ""
    return f"{c['added']} added, {c['removed']} removed, {c['changed']} changed{fields}"


def validity(problems: int) -> str:
    if not problems:
        return "valid"
    return f"invalid ({problems} problem{'s' * (problems != 1)})"


# --- text ------------------------------------------------------------------------------------


def comparison_text(comparison: Comparison) -> str:
    old, new = comparison.old, comparison.new
    lines = [f"semantic diff of {comparison.path}: {old.short} → {new.short}"]
    for document in comparison.diff.documents:
        lines.append(f"{MARKERS[document.change]} {document.key.label}  ({document.file})")
        lines.extend(f"    {_field_text(change)}" for change in document.fields)
    lines.extend(_uncompared_text(item, comparison) for item in comparison.diff.uncompared)
    lines.extend(_warnings(comparison))
    lines.append(counts_text(comparison.diff))
    return "\n".join(lines)


def _field_text(change: FieldChange) -> str:
    return f"{change.path}: {value_text(change.old)} → {value_text(change.new)}"


def _uncompared_text(item: Uncompared, comparison: Comparison) -> str:
    side = comparison.old if item.side == "old" else comparison.new
    return f"? {item.key.label}  ({item.file}): not compared, unreadable at {side.short}"


def _warnings(comparison: Comparison) -> list[str]:
    return [
        f"warning: {side.short} is {validity(side.problems)}; the diff covers what loaded"
        for side in (comparison.old, comparison.new)
        if not side.valid
    ]


def history_text(entries: Sequence[HistoryEntry], *, path: str) -> str:
    if not entries:
        return f"no commits touch {path}"
    blocks = []
    for entry in entries:
        lines = [
            f"{entry.sha[:12]}  {entry.time.isoformat(sep=' ')}  {entry.author} <{entry.email}>",
            f"    {entry.subject}",
            f"    {validity(entry.problems)} · {counts_text(entry.diff)}",
        ]
        for document in entry.diff.documents:
            lines.append(f"    {MARKERS[document.change]} {_history_paths(document)}")
        lines.extend(f"    ? {line}" for line in _uncompared_by_file(entry.diff.uncompared))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _uncompared_by_file(items: Sequence[Uncompared]) -> list[str]:
    # A broken file hides all of its documents; one line per file keeps a history readable.
    groups: dict[tuple[str, str], list[str]] = {}
    for item in items:
        groups.setdefault((item.file, item.side), []).append(item.key.label)
    lines = []
    for (file, side), labels in groups.items():
        where = "the parent" if side == "old" else "this commit"
        count = f"{len(labels)} document{'s' * (len(labels) != 1)}"
        lines.append(f"{file} unreadable in {where}: {count} not compared ({', '.join(labels)})")
    return lines


def _history_paths(document: DocumentChange) -> str:
    if not document.fields:
        return document.key.label
    paths = [change.path for change in document.fields]
    shown = ", ".join(paths[:HISTORY_PATHS])
    more = len(paths) - HISTORY_PATHS
    return f"{document.key.label}: {shown}" + (f" … and {more} more" if more > 0 else "")


# --- markdown --------------------------------------------------------------------------------


def comparison_markdown(comparison: Comparison) -> str:
    """A pull-request comment section: heading, counts, one table per changed document."""
    old, new = comparison.old, comparison.new
    lines = [
        f"### koppel: semantic diff of `{comparison.path}`",
        "",
        f"`{old.short}` → `{new.short}` · **{counts_text(comparison.diff)}**",
    ]
    for side in (old, new):
        if not side.valid:
            lines += [
                "",
                f"> ⚠️ `{side.short}` is {validity(side.problems)}; the diff covers what loaded.",
            ]
    for document in comparison.diff.documents:
        lines += ["", *_document_markdown(document)]
    if comparison.diff.uncompared:
        lines += ["", "Not compared (unreadable on one side):", ""]
        for item in comparison.diff.uncompared:
            side = old if item.side == "old" else new
            lines.append(
                f"- {item.key.kind} `{_name(item.key)}` in `{item.file}` at `{side.short}`"
            )
    return "\n".join(lines) + "\n"


def _document_markdown(document: DocumentChange) -> list[str]:
    title = document.change.capitalize()
    lines = [f"#### {title}: {document.key.kind} `{_name(document.key)}`", ""]
    lines.append(f"in `{document.file}`")
    if document.fields:
        lines += ["", "| field | old | new |", "|---|---|---|"]
        for change in document.fields:
            lines.append(f"| {_code(change.path)} | {_cell(change.old)} | {_cell(change.new)} |")
    return lines


def _name(key: DocKey) -> str:
    return key.name if key.kind == "Tenant" else f"{key.tenant}/{key.name}"


def _cell(value: Any) -> str:
    return "—" if value is MISSING else _code(value_text(value))


def _code(text: str) -> str:
    # A pipe ends a table cell even inside a code span on GitHub; a backtick ends the span.
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def history_markdown(entries: Sequence[HistoryEntry], *, path: str) -> str:
    lines = [f"### koppel: history of `{path}`", ""]
    if not entries:
        lines.append("No commits touch this path.")
    for entry in entries:
        lines.append(
            f"- `{entry.sha[:12]}` {entry.time.isoformat(sep=' ')} **{entry.author}** — "
            f"{entry.subject} · {validity(entry.problems)} · {counts_text(entry.diff)}"
        )
        for document in entry.diff.documents:
            paths = ", ".join(_code(change.path) for change in document.fields)
            label = f"{document.change} {document.key.kind} `{_name(document.key)}`"
            lines.append(f"  - {label}" + (f": {paths}" if paths else ""))
        lines.extend(f"  - {line}" for line in _uncompared_by_file(entry.diff.uncompared))
    return "\n".join(lines) + "\n"


# --- JSON ------------------------------------------------------------------------------------


def diff_json(diff: SemanticDiff) -> dict[str, Any]:
    return {
        "counts": diff.counts(),
        "documents": [
            {
                "kind": d.key.kind,
                "tenant": d.key.tenant,
                "name": d.key.name,
                "change": d.change,
                "file": d.file,
                "fields": [_field_json(change) for change in d.fields],
            }
            for d in diff.documents
        ],
        "uncompared": [
            {
                "kind": u.key.kind,
                "tenant": u.key.tenant,
                "name": u.key.name,
                "file": u.file,
                "unreadableAt": u.side,
            }
            for u in diff.uncompared
        ],
    }


def _field_json(change: FieldChange) -> dict[str, Any]:
    data: dict[str, Any] = {"path": change.path, "change": change.change}
    if change.old is not MISSING:
        data["old"] = change.old
    if change.new is not MISSING:
        data["new"] = change.new
    return data


def _side_json(side: Side) -> dict[str, Any]:
    return {"revision": side.label, "commit": side.sha, "problems": side.problems}


def comparison_json(comparison: Comparison) -> str:
    data = {
        "path": comparison.path,
        "from": _side_json(comparison.old),
        "to": _side_json(comparison.new),
        **diff_json(comparison.diff),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def history_json(entries: Sequence[HistoryEntry], *, path: str) -> str:
    data = {
        "path": path,
        "commits": [
            {
                "commit": entry.sha,
                "parent": entry.parent,
                "author": entry.author,
                "email": entry.email,
                "time": entry.time.isoformat(),
                "message": entry.message.strip(),
                "valid": entry.valid,
                "problems": entry.problems,
                **diff_json(entry.diff),
            }
            for entry in entries
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
