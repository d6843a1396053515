"""`koppel test`: fixtures beside the specs prove mappings; mismatches are shown clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = "bakkerij-jansen/tests/pos-to-afas"


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", copy)
    return copy


def test_example_spec_tests_pass() -> None:
    """The example fixtures all pass, and the summary line counts them."""
    result = CliRunner().invoke(cli, ["test", str(ROOT / "specs")])
    assert result.exit_code == 0, result.output
    assert "4 passed, 0 failed" in result.output


def test_a_changed_mapping_shows_expected_and_actual(tmp_path: Path) -> None:
    """Changing the reference template makes the fixtures fail, each naming the field, what
    was expected and what came out."""
    specs = _copy(tmp_path)
    mappings = specs / "bakkerij-jansen" / "mappings.yaml"
    mappings.write_text(mappings.read_text().replace('"POS-{number}"', '"KASSA-{number}"'))
    result = CliRunner().invoke(cli, ["test", str(specs)])
    assert result.exit_code == 1
    assert "fields.reference: expected 'POS-2001', got 'KASSA-2001'" in result.output
    assert "2 passed, 2 failed" in result.output


def test_wrong_outcome_kind_and_bad_input_are_reported(tmp_path: Path) -> None:
    """A fixture expecting a skip for a written record, and one with an invalid input record,
    are failures with their reason and position."""
    specs = _copy(tmp_path)
    fixtures = specs / FIXTURES
    (fixtures / "expects-skip.yaml").write_text(
        "flow: pos-orders\ninput: {number: '9', status: paid, shippingAddress: {country: NL}}\n"
        "expect: {skip: status}\n"
    )
    (fixtures / "bad-input.yaml").write_text(
        "flow: pos-orders\ninput: {number: '9', status: sold}\nexpect: {fields: {}}\n"
    )
    result = CliRunner().invoke(cli, ["test", str(specs)])
    assert result.exit_code == 1
    assert "expected the record to skip, but it was written" in result.output
    assert "bad-input.yaml:2:" in result.output
    assert "input is not a valid orders record" in result.output


def test_invalid_specs_are_not_tested(tmp_path: Path) -> None:
    """With invalid specs, `koppel test` shows the diagnostics and exits 1."""
    specs = _copy(tmp_path)
    flows = specs / "bakkerij-jansen" / "flows.yaml"
    flows.write_text(flows.read_text().replace("type: invoice", "type: invoic"))
    result = CliRunner().invoke(cli, ["test", str(specs)])
    assert result.exit_code == 1
    assert "error[schema-value]" in result.output
