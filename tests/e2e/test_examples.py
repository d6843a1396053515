"""The example spec repository, driven through the CLI as a newcomer would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def test_examples_validate_clean() -> None:
    """Every example tenant validates with no diagnostic at all."""
    result = CliRunner().invoke(cli, ["validate", str(SPECS)])
    assert result.exit_code == 0, result.output
    assert "error[" not in result.output


def test_examples_cover_every_seed_integration() -> None:
    """One tenant per seed integration, each using the systems its seed names."""
    from connectors.registry import capabilities
    from reconciler.spec.validate import validate_tree

    specs = validate_tree(SPECS, capabilities=capabilities()).specs
    systems = {
        name: {c.system for c in tenant.model.spec.connections.values()}
        for name, tenant in specs.tenants.items()
    }
    assert systems == {
        "bakkerij-jansen": {"afas-profit", "mpluskassa"},
        "radhaus-weber": {"afas-profit", "aspos"},
        "tuincentrum-de-linde": {"twinfield", "afas-profit"},
        "noordkaap-outdoor": {"eaccounting", "e-conomic", "visma-net"},
    }
    kinds = {flow.model.spec.kind for flow in specs.flows("bakkerij-jansen")}
    assert kinds == {"orders", "customers", "products", "stock"}


def test_a_broken_reference_gives_one_clear_line(tmp_path: Path) -> None:
    """Renaming a default debtor reference in an example yields exactly one diagnostic that
    names the file, line and column of the reference and the names that do exist."""
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    flows = copy / "bakkerij-jansen" / "flows.yaml"
    text = flows.read_text()
    broken = text.replace(
        "    defaultDebtor: anonymous-sales\n    taxCodes: nl-be\n    valueMaps:\n"
        "      paymentMethod",
        "    defaultDebtor: anonymous\n    taxCodes: nl-be\n    valueMaps:\n      paymentMethod",
        1,
    )
    assert broken != text
    flows.write_text(broken)
    line = next(
        i
        for i, row in enumerate(broken.splitlines(), 1)
        if "defaultDebtor: anonymous\n" in row + "\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(copy)])
    assert result.exit_code == 1
    errors = [row for row in result.output.splitlines() if "error[" in row]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"{flows}:{line}:20: error[unresolved-reference]")
    assert "known: anonymous-sales" in errors[0]


def test_demo_of_another_tenant_runs_it_against_its_sandboxes() -> None:
    """`koppel demo --tenant` shows that tenant's connections and flows, then reconciles it
    against sandboxes of its own systems (AsPos and AFAS here)."""
    result = CliRunner().invoke(cli, ["demo", "--specs", str(SPECS), "--tenant", "radhaus-weber"])
    assert result.exit_code == 0, result.output
    assert "tenant radhaus-weber" in result.output
    assert "aspos → afas" in result.output
    assert "AsPos sandbox" in result.output
    assert "✔ every flow ran (5 flows)" in result.output
    assert "✔ the second pass wrote nothing" in result.output


def test_demo_of_a_tenant_without_sandboxes_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tenant whose system has no sandbox in this build is validated and shown; no pass runs."""
    from reconciler.demo import run

    real = run._sandbox_module

    def without_aspos(system: str) -> object:
        if system == "aspos":
            raise UsageError("aspos has no sandbox in this build")
        return real(system)

    monkeypatch.setattr(run, "_sandbox_module", without_aspos)
    result = CliRunner().invoke(cli, ["demo", "--specs", str(SPECS), "--tenant", "radhaus-weber"])
    assert result.exit_code == 0, result.output
    assert "no pass runs: this build has no sandbox for aspos" in result.output
