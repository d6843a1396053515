"""The structure layer: each document against its kind's JSON Schema, with precise positions and
messages a person can act on; secret values are never echoed."""

from __future__ import annotations

import json

import pytest

from reconciler.spec.diagnostics import Code, render
from reconciler.spec.structure import dotted
from tests.fixtures.spec_repo import Break, SpecRepo, codes, only

SECRET = "hunter2-Sup3rS3cret"


def test_valid_baseline_has_no_diagnostics(spec_repo: SpecRepo) -> None:
    """The baseline repository (every kind, every reference kind) is valid: the other tests'
    failures come from the one thing they break."""
    result = spec_repo.validate()
    assert result.diagnostics == []
    assert result.valid
    assert result.files == 4
    assert result.documents == 12
    assert result.specs.count() == {
        "Tenant": 1,
        "Flow": 4,
        "Mapping": 2,
        "ValueMap": 3,
        "TaxCodeTable": 1,
        "DefaultDebtor": 1,
    }


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_document_that_is_not_a_mapping(spec_repo: SpecRepo, text: str) -> None:
    """A document that is a list or a scalar is doc-not-mapping at its start."""
    spec_repo.write("odd.yaml", text)
    diag = only(spec_repo.validate(), Code.doc_not_mapping)
    assert (diag.file, diag.line, diag.column) == ("odd.yaml", 1, 1)


def test_wrong_api_version_is_reported_at_the_value(spec_repo: SpecRepo) -> None:
    """An unknown apiVersion is api-version at its value, telling what to write."""
    spec_repo.replace("tenant.yaml", "apiVersion: koppel/v1", "apiVersion: koppel/v2")
    diag = only(spec_repo.validate(), Code.api_version)
    assert (diag.file, diag.line, diag.column) == ("tenant.yaml", 1, 13)
    assert "koppel/v2" in diag.message
    assert "apiVersion: koppel/v1" in diag.message


def test_missing_api_version_is_reported_once(spec_repo: SpecRepo) -> None:
    """A missing apiVersion is one api-version diagnostic (not also a schema-required one)."""
    spec_repo.replace("tenant.yaml", "apiVersion: koppel/v1\n", "")
    result = spec_repo.validate()
    assert codes(result) == [Code.api_version]
    assert "missing" in result.diagnostics[0].message


def test_unknown_kind_suggests_the_closest(spec_repo: SpecRepo) -> None:
    """A misspelt kind is unknown-kind at the value, listing the kinds and the likely one."""
    spec_repo.replace("tables.yaml", "kind: DefaultDebtor", "kind: DefaultDebitor")
    diag = only(spec_repo.validate(), Code.unknown_kind)
    assert (diag.file, diag.line) == ("tables.yaml", spec_repo.line("tables.yaml", "DefaultDeb"))
    assert diag.column == 7
    assert "did you mean 'DefaultDebtor'?" in diag.message


def test_missing_required_field_is_reported_at_its_parent(spec_repo: SpecRepo) -> None:
    """A missing required field is schema-required at the mapping that lacks it, by name."""
    spec_repo.replace("tenant.yaml", '      participant: "12345"\n', "")
    diag = only(spec_repo.validate(), Code.schema_required)
    assert (diag.file, diag.line, diag.column) == (
        "tenant.yaml",
        *spec_repo.position("tenant.yaml", "afas:"),
    )
    assert "'participant'" in diag.message
    assert "spec.connections.afas" in diag.message


def test_unknown_field_is_reported_at_its_key_with_did_you_mean(spec_repo: SpecRepo) -> None:
    """A misspelt field is schema-unknown-field at its key, suggesting the field meant."""
    spec_repo.replace("tenant.yaml", "participant:", "participent:")
    diag = only(spec_repo.validate(), Code.schema_unknown_field)
    assert (diag.file, diag.line, diag.column) == (
        "tenant.yaml",
        *spec_repo.position("tenant.yaml", "participent"),
    )
    assert "did you mean 'participant'?" in diag.message


def test_unknown_field_without_a_close_match_lists_the_fields(spec_repo: SpecRepo) -> None:
    """An unknown field that resembles nothing lists the allowed fields instead."""
    spec_repo.replace("tables.yaml", '  debtor: "10000"\n', '  debtor: "10000"\n  zzz: 1\n')
    diag = only(spec_repo.validate(), Code.schema_unknown_field)
    assert "expected one of: debtor, rules, whenNoEmail" in diag.message


def test_unknown_field_in_a_system_specific_connection(spec_repo: SpecRepo) -> None:
    """A connection is checked against its own system's fields: ``office`` (Twinfield) on an
    AFAS connection is unknown there, although it exists elsewhere."""
    spec_repo.replace(
        "tenant.yaml", "      system: afas-profit\n", "      system: afas-profit\n      office: x\n"
    )
    diag = only(spec_repo.validate(), Code.schema_unknown_field)
    assert diag.line == spec_repo.line("tenant.yaml", "office: x")
    assert "'office'" in diag.message


@pytest.mark.parametrize(
    "case",
    [
        Break(
            "tenant.yaml", "countries: [NL, BE]", "countries: NL", "NL", "must be a list, not text"
        ),
        Break(
            "flows.yaml",
            "driftScan: 24h}",
            "driftScan: 24h, suspend: yes}",
            "yes",
            "YAML 1.2 reads yes/no/on/off as text",
        ),
        Break(
            "tables.yaml", "  rows:\n", "  rows: {}\n  x:\n", "{}", "must be a list, not a mapping"
        ),
    ],
    ids=["list", "boolean-yes", "mapping-for-list"],
)
def test_wrong_type_is_reported_at_the_value(spec_repo: SpecRepo, case: Break) -> None:
    """A value of the wrong type is schema-type at the value, naming both types as people say
    them (a list, text), with the YAML 1.2 hint for yes/no."""
    where = case.apply(spec_repo)
    diag = only(spec_repo.validate(), Code.schema_type)
    assert (diag.file, diag.line, diag.column) == where
    assert case.expected in diag.message


@pytest.mark.parametrize(
    "case",
    [
        Break("tenant.yaml", "name: shop", "name: Shop_1", "Shop_1", "lowercase letters"),
        Break("tenant.yaml", "countries: [NL, BE]", "countries: [NL, be]", "be]", "ISO 3166-1"),
        Break("flows.yaml", "interval: 5m", "interval: 5 minutes", "5 minutes", "a duration"),
        Break("flows.yaml", "  kind: stock", "  kind: stocks", "stocks", "did you mean 'stock'?"),
        Break(
            "flows.yaml",
            "type: order",
            "type: orders",
            "orders\n    defaultDebtor",
            "did you mean 'order'?",
        ),
        Break(
            "tenant.yaml",
            "      system: afas-profit\n",
            "      system: afas-profit\n      environment: prod\n",
            "prod\n",
            "expected one of: production, test, accept",
        ),
        Break("tenant.yaml", 'participant: "12345"', 'participant: "12"', '"12"', "5 or 6 digits"),
    ],
    ids=["name-pattern", "country", "duration", "flow-kind", "order-type", "enum", "afas"],
)
def test_wrong_value_is_reported_at_the_value(spec_repo: SpecRepo, case: Break) -> None:
    """A value outside its pattern or enum is schema-value at the value, saying in words what is
    expected (and the closest allowed value for enums)."""
    where = case.apply(spec_repo)
    result = spec_repo.validate()
    diag = next(d for d in result.diagnostics if d.code is Code.schema_value)
    assert (diag.file, diag.line, diag.column) == where
    assert case.expected in diag.message


def test_optional_field_explains_its_real_type(spec_repo: SpecRepo) -> None:
    """An optional (nullable) field with a bad value explains the field's own rule, not "must
    be null" (regression: anyOf [X, null] picked the null branch); a secret reference's bad
    variable name — perhaps the secret pasted there — is not repeated."""
    spec_repo.replace("tenant.yaml", "token: {env: AFAS_TOKEN}", f"token: {{env: {SECRET}}}")
    diag = only(spec_repo.validate(), Code.schema_value)
    assert "token.env is not valid" in diag.message
    assert "must be null" not in diag.message
    assert SECRET not in diag.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("token: {env: AFAS_TOKEN}", f"token: {SECRET}", "token"),
        ("token: {env: AFAS_TOKEN}", f"token: [{SECRET}]", "token"),
        ("secret: {env: MPLUS_SECRET}", f'secret: "{SECRET}"', "secret"),
        ("accessToken: {env: TWINFIELD_TOKEN}", f"accessToken: {SECRET}", "accessToken"),
        (
            "accessToken: {env: TWINFIELD_TOKEN}",
            f"clientId: koppel\n      clientSecret: {SECRET}",
            "clientSecret",
        ),
    ],
    ids=["afas-token", "as-list", "mplus-secret", "oauth-access-token", "oauth-client-secret"],
)
def test_inline_secret_is_reported_and_never_echoed(
    spec_repo: SpecRepo, old: str, new: str, field: str
) -> None:
    """A secret written inline is secret-inline at the value, with how to reference it instead;
    the value appears in no output format (text, json, github)."""
    spec_repo.replace("tenant.yaml", old, new)
    result = spec_repo.validate()
    diag = only(result, Code.secret_inline)
    assert diag.file == "tenant.yaml"
    assert diag.line == spec_repo.line("tenant.yaml", SECRET)
    assert f"`{field}: {{env: VARIABLE}}`" in diag.message
    for fmt in ("text", "json", "github"):
        assert SECRET not in render(result.diagnostics, fmt)
    assert SECRET not in json.dumps([d.to_json() for d in result.diagnostics])


def test_secret_reference_with_both_sources(spec_repo: SpecRepo) -> None:
    """A secret reference must name exactly one source; naming both is schema-value, and the
    values are not echoed."""
    spec_repo.replace(
        "tenant.yaml", "token: {env: AFAS_TOKEN}", f"token: {{env: A, file: {SECRET}}}"
    )
    diag = only(spec_repo.validate(), Code.schema_value)
    assert "exactly one of `env` or `file`" in diag.message
    assert SECRET not in diag.message


def test_structure_problems_are_all_reported(spec_repo: SpecRepo) -> None:
    """Several structural problems in one document are each reported (not just the first)."""
    spec_repo.replace("tenant.yaml", "participant:", "participent:")
    spec_repo.replace("tenant.yaml", "countries: [NL, BE]", "countries: [NL, be]")
    assert codes(spec_repo.validate()) == [
        Code.schema_required,
        Code.schema_unknown_field,
        Code.schema_value,
    ]


def test_dotted_paths_read_as_people_write_them() -> None:
    """Paths in messages read as ``spec.rows[2].code``; the empty path is "the document"."""
    assert dotted(("spec", "rows", 2, "code")) == "spec.rows[2].code"
    assert dotted(()) == "the document"
