"""The generated JSON Schemas work outside koppel: they are valid 2020-12 schemas, and the
``check-jsonschema`` tool validates spec files with them, offline, with references between the
schema files resolved locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.spec import schema
from tests.fixtures.spec_repo import FLOWS

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "schemas"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"

VALID_FLOW = FLOWS.split("---\n")[3]  # the orders flow of the baseline
INVALID_FLOW = VALID_FLOW.replace("  target: afas\n", "  target: afas\n  targt: afas\n")


@pytest.mark.parametrize("name", sorted(schema.all_schemas()))
def test_schema_files_are_valid_json_schemas(name: str) -> None:
    """Every file in schemas/ is itself a valid JSON Schema (2020-12 meta-schema)."""
    Draft202012Validator.check_schema(schema.all_schemas()[name])


def _check_jsonschema(schema_file: str, instance: Path) -> subprocess.CompletedProcess[str]:
    # A proxy that refuses every connection: any attempt to use the network fails the run.
    env = {
        **os.environ,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    command = [
        str(CHECK_JSONSCHEMA),
        "--no-cache",
        "--schemafile",
        str(SCHEMAS / schema_file),
        str(instance),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=instance.parent,  # not the schemas directory: references must not depend on it
        timeout=60,
    )


@pytest.mark.parametrize("schema_file", ["flow.json", "koppel.json"])
def test_check_jsonschema_accepts_a_valid_flow(tmp_path: Path, schema_file: str) -> None:
    """check-jsonschema passes a valid Flow with the kind's schema and with the aggregate
    koppel.json (whose ``$ref: flow.json`` must resolve to the sibling file — regression: a
    relative ``$id`` made it resolve against the working directory)."""
    instance = tmp_path / "flow.yaml"
    instance.write_text(VALID_FLOW, encoding="utf-8")
    result = _check_jsonschema(schema_file, instance)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("schema_file", ["flow.json", "koppel.json"])
def test_check_jsonschema_rejects_an_invalid_flow(tmp_path: Path, schema_file: str) -> None:
    """check-jsonschema fails (exit 1) on a Flow with an unknown field, naming the field."""
    instance = tmp_path / "flow.yaml"
    instance.write_text(INVALID_FLOW, encoding="utf-8")
    result = _check_jsonschema(schema_file, instance)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'targt' was unexpected" in result.stdout
    assert "Traceback" not in result.stderr
