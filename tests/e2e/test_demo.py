"""`koppel demo` as a newcomer runs it: both sandboxes, the example tenant, three passes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from reconciler.cli.main import cli
from reconciler.demo.run import run_demo

ROOT = Path(__file__).resolve().parents[2]


def test_demo_applies_settles_and_applies_a_mapping_change() -> None:
    """The first pass writes products, stock, customers and the paid till sales (the unpaid one
    skipped, the one for a missing product and the non-numeric article failing with reasons);
    the second pass writes nothing; the changed mapping updates exactly the synced products."""
    result = asyncio.run(run_demo(ROOT / "specs", Console(quiet=True)))
    first = {report.flow: report.counts for report in result.first}
    pos = first["pos-orders"]
    assert pos is not None
    assert (pos.created, pos.skipped, pos.failed) == (4, 1, 1)
    assert "1999" in pos.failures[0][1]
    products = first["products"]
    assert products is not None
    assert products.failed == 1
    assert "TAART-XL" in products.failures[0][1]
    assert result.second_pass_writes == 0
    assert result.changed is not None
    assert result.changed.counts is not None
    assert result.changed.counts.updated == result.expected_updates == 8
    for report in [*result.first, *result.second]:
        counts = report.counts
        assert counts is not None
        assert (
            counts.read
            == counts.created + counts.updated + counts.unchanged + counts.skipped + counts.failed
        )
    assert result.seconds < 60


def test_demo_command_reports_success() -> None:
    """`koppel demo` exits 0 and ends with its three checks passed."""
    outcome = CliRunner().invoke(cli, ["demo", "--specs", str(ROOT / "specs")])
    assert outcome.exit_code == 0, outcome.output
    assert "✔ the second pass wrote nothing" in outcome.output
    assert "✔ the changed mapping updated exactly the 8 synced records" in outcome.output


def test_demo_secrets_name_their_reference() -> None:
    """Every reference resolves to a demo value named after it, so a tenant's specs run
    unchanged against sandboxes started with those values."""
    from reconciler.demo.run import DemoSecrets
    from reconciler.spec.models.base import SecretRef

    secrets = DemoSecrets()
    assert secrets.resolve(SecretRef(env="AFAS_JANSEN_TOKEN"), what="t") == "demo-afas-jansen-token"
    assert secrets.resolve(SecretRef(file="/run/secrets/mplus-x"), what="t") == "demo-mplus-x"


def test_an_unknown_tenant_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(cli, ["demo", "--specs", str(ROOT / "specs"), "--tenant", "nope"])
    assert outcome.exit_code == 2
    assert "no tenant 'nope'" in outcome.output
