"""JSON Schemas (2020-12) for every kind, generated from the pydantic models.

The models are the single source of truth; ``schemas/<kind>.json`` are generated from them and
checked in CI (``koppel schemas --check``), so editors (yaml-language-server) and
``check-jsonschema`` see exactly what ``koppel validate`` enforces. ``schemas/koppel.json``
accepts a document of any kind, for files that mix kinds.

One rewrite makes the schemas give precise errors: pydantic writes a discriminated union as
``oneOf`` + ``discriminator`` (an OpenAPI keyword validators ignore), which makes a validator
report "not valid under any of the given schemas" for one wrong field. It becomes an enum on the
discriminator plus ``if``/``then`` per value, so errors point at the field that is wrong.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.spec.models import KINDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
AGGREGATE = "koppel"


def file_name(kind: str) -> str:
    return f"{kind.lower()}.json"


@cache
def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind's documents (cached; do not mutate)."""
    model = KINDS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema = _rewrite(schema)
    # No `$id`: a relative `$id` becomes the base URI, and tools that load the file from disk
    # (check-jsonschema) then resolve `koppel.json`'s `$ref: flow.json` against the working
    # directory instead of the schema's own directory. Without it, the file's location is the
    # base, so references between the files in schemas/ resolve wherever they are.
    header = {
        "$schema": DIALECT,
        "title": f"koppel {kind}",
        "description": (model.__doc__ or "").strip(),
    }
    return {**header, **{k: v for k, v in schema.items() if k not in ("title", "description")}}


def aggregate_schema() -> dict[str, Any]:
    """A schema accepting a document of any kind, delegating to the kind's own schema."""
    return {
        "$schema": DIALECT,
        "title": "koppel spec document (any kind)",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"kind": {"enum": sorted(KINDS)}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": file_name(kind)},
            }
            for kind in sorted(KINDS)
        ],
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every file under ``schemas/``."""
    files = {file_name(kind): kind_schema(kind) for kind in sorted(KINDS)}
    files[f"{AGGREGATE}.json"] = aggregate_schema()
    return files


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def out_of_sync(directory: Path) -> list[str]:
    """Schema files under ``directory`` that differ from the models (missing files included)."""
    stale = []
    for name, schema in all_schemas().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != dumps(schema):
            stale.append(name)
    known = set(all_schemas())
    stale.extend(p.name for p in sorted(directory.glob("*.json")) if p.name not in known)
    return stale


def write(directory: Path) -> list[str]:
    """Write every schema file; return the names written."""
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for name, schema in all_schemas().items():
        (directory / name).write_text(dumps(schema), encoding="utf-8")
        names.append(name)
    return names


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _rewrite(value) for key, value in node.items()}
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and "oneOf" in node:
        prop = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator["mapping"]
        rewritten = {k: v for k, v in node.items() if k not in ("oneOf", "discriminator")}
        rewritten.update(
            {
                "type": "object",
                "required": [prop],
                "properties": {prop: {"enum": list(mapping)}},
                "allOf": [
                    {
                        "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                        "then": {"$ref": ref},
                    }
                    for value, ref in mapping.items()
                ],
            }
        )
        return rewritten
    return node
