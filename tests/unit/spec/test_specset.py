"""Building the SpecSet: names unique per tenant and kind, tenants that exist, and no follow-up
noise from documents that are already reported as invalid."""

from __future__ import annotations

from reconciler.spec.diagnostics import Code
from tests.fixtures.spec_repo import SpecRepo, codes, only

SECOND_PAYMENT_MAP = """\
apiVersion: koppel/v1
kind: ValueMap
metadata:
  name: payment-methods
  tenant: shop
spec:
  entries: {cash: K}
  otherwise: fail
"""


def test_duplicate_name_points_at_the_second_and_names_the_first(spec_repo: SpecRepo) -> None:
    """A second document of the same kind and name in the same tenant is duplicate-name at its
    metadata.name, saying where the first one is defined (file:line)."""
    spec_repo.write("more/extra.yaml", SECOND_PAYMENT_MAP)
    diag = only(spec_repo.validate(), Code.duplicate_name)
    assert (diag.file, diag.line, diag.column) == ("more/extra.yaml", 4, 9)
    first_line = spec_repo.line("tables.yaml", "name: payment-methods")
    assert f"first defined at tables.yaml:{first_line}" in diag.message
    assert "'payment-methods'" in diag.message


def test_duplicate_tenant(spec_repo: SpecRepo) -> None:
    """Two Tenant documents with one name are duplicate-name too."""
    spec_repo.write("zz-again.yaml", spec_repo.texts["tenant.yaml"])
    diag = only(spec_repo.validate(), Code.duplicate_name)
    assert diag.file == "zz-again.yaml"
    assert "first defined at tenant.yaml:4" in diag.message


def test_same_name_in_another_kind_or_tenant_is_fine(spec_repo: SpecRepo) -> None:
    """Names are unique per tenant *and kind*: a ValueMap named like a TaxCodeTable, or a
    second tenant with the same document names, is no duplicate."""
    spec_repo.append("tables.yaml", SECOND_PAYMENT_MAP.replace("payment-methods", "tax"))
    other = {name: text.replace("shop", "other") for name, text in spec_repo.texts.items()}
    for name, text in other.items():
        spec_repo.write(f"other/{name}", text)
    result = spec_repo.validate()
    assert result.diagnostics == []
    assert sorted(result.specs.tenants) == ["other", "shop"]


def test_unknown_tenant_lists_the_known_ones(spec_repo: SpecRepo) -> None:
    """A document naming a tenant no Tenant document defines is unknown-tenant at
    metadata.tenant, listing the tenants that exist."""
    spec_repo.replace(
        "tables.yaml", "  name: anonymous\n  tenant: shop", "  name: anonymous\n  tenant: shopp"
    )
    diag = only(spec_repo.validate(), Code.unknown_tenant)
    assert (diag.file, diag.line, diag.column) == (
        "tables.yaml",
        *spec_repo.position("tables.yaml", "shopp"),
    )
    assert "known tenants: shop" in diag.message


def test_tenant_naming_another_tenant(spec_repo: SpecRepo) -> None:
    """A Tenant's own metadata.tenant must be absent or its own name."""
    spec_repo.replace("tenant.yaml", "  name: shop\n", "  name: shop\n  tenant: other\n")
    diag = only(spec_repo.validate(), Code.unknown_tenant)
    assert diag.line == spec_repo.line("tenant.yaml", "tenant: other")


def test_document_without_a_tenant(spec_repo: SpecRepo) -> None:
    """Every kind but Tenant must say which tenant it belongs to (schema-required)."""
    spec_repo.replace("tables.yaml", "  name: anonymous\n  tenant: shop\n", "  name: anonymous\n")
    diag = only(spec_repo.validate(), Code.schema_required)
    assert diag.file == "tables.yaml"
    assert "metadata.tenant" in diag.message


def test_invalid_tenant_causes_no_follow_up_diagnostics(spec_repo: SpecRepo) -> None:
    """When the Tenant document exists but is invalid, its documents are not also reported as
    belonging to an unknown tenant (regression: one typo in the tenant produced one
    unknown-tenant per document of the tenant)."""
    spec_repo.replace("tenant.yaml", "participant:", "participent:")
    assert Code.unknown_tenant not in codes(spec_repo.validate())


def test_invalid_referenced_document_causes_no_unresolved_reference(spec_repo: SpecRepo) -> None:
    """A flow referring to a document that exists but is invalid is not also reported as
    referring to nothing: the one real problem is reported once."""
    spec_repo.replace("tables.yaml", "  otherwise: fail\n", "  otherwise: failure\n")
    spec_repo.replace(
        "flows.yaml", "  schedule: {interval: 5m, driftScan: 24h}", "  schedule: {interval: 5}"
    )
    result = spec_repo.validate()
    assert Code.unresolved_reference not in codes(result), [d.render() for d in result.diagnostics]
    assert codes(result).count(Code.schema_value) + codes(result).count(Code.schema_type) == 2


def test_rule_beyond_the_schema_is_reported_without_follow_up(spec_repo: SpecRepo) -> None:
    """A value the JSON Schema lets through but the model refuses (NaN compares false with any
    bound) is schema-value at the value; flows depending on that flow are not also told it
    does not exist."""
    spec_repo.replace(
        "flows.yaml",
        "  schedule: {interval: 5m, driftScan: 24h}",
        "  schedule: {interval: 5m, driftScan: 24h}\n  safety: {maxChangeShare: .nan}",
    )
    result = spec_repo.validate()
    diag = only(result, Code.schema_value)
    assert (diag.file, diag.line, diag.column) == (
        "flows.yaml",
        *spec_repo.position("flows.yaml", ".nan"),
    )
    assert "spec.safety.maxChangeShare" in diag.message
    assert codes(result) == [Code.schema_value]
