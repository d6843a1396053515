"""``koppel schemas``: the checked-in schemas match the models, and --check notices drift."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.spec import schema

ROOT = Path(__file__).resolve().parents[3]


def _schemas(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["schemas", *args])
    return result.exit_code, result.stdout + result.stderr


def test_repository_schemas_are_in_sync_with_the_models() -> None:
    """The schemas/ directory of this repository is exactly what the models generate."""
    assert schema.out_of_sync(ROOT / "schemas") == []
    code, output = _schemas("--check", "--dir", str(ROOT / "schemas"))
    assert code == 0, output


def test_check_fails_on_a_changed_file_and_passes_after_write(tmp_path: Path) -> None:
    """--check exits 1 naming a changed schema file; --write repairs it; --check then passes."""
    directory = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", directory)
    flow = directory / "flow.json"
    flow.write_text(flow.read_text().replace('"interval"', '"intervall"'), encoding="utf-8")
    code, output = _schemas("--check", "--dir", str(directory))
    assert code == 1
    assert "flow.json" in output
    assert "tenant.json" not in output
    assert _schemas("--write", "--dir", str(directory))[0] == 0
    assert _schemas("--check", "--dir", str(directory))[0] == 0


def test_check_fails_on_a_missing_or_extra_file(tmp_path: Path) -> None:
    """A missing schema file and a stray one are both drift."""
    directory = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", directory)
    (directory / "valuemap.json").unlink()
    (directory / "old.json").write_text("{}", encoding="utf-8")
    code, output = _schemas("--check", "--dir", str(directory))
    assert code == 1
    assert "valuemap.json" in output
    assert "old.json" in output


def test_write_creates_every_schema(tmp_path: Path) -> None:
    """--write into an empty directory creates one file per kind plus the aggregate."""
    code, _ = _schemas("--write", "--dir", str(tmp_path / "out"))
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(schema.all_schemas())
    assert "koppel.json" in written


def test_check_and_write_are_exclusive() -> None:
    """Exactly one of --check and --write: neither or both is a usage error (exit 2)."""
    assert _schemas()[0] == 2
    assert _schemas("--check", "--write")[0] == 2
