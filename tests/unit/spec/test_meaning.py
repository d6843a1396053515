"""The meaning layer: references resolve, flows are possible for both systems, tables cover
what flows need, target key rules, schedules, mapping rules, cycles and connections — each rule
broken once in an otherwise valid tenant, asserting code, file, line and column."""

from __future__ import annotations

import pytest

from connectors.registry import capabilities
from reconciler.spec.diagnostics import Code, render
from tests.fixtures.spec_repo import Break, SpecRepo, codes, only


def _check(spec_repo: SpecRepo, case: Break, code: Code) -> None:
    where = case.apply(spec_repo)
    diag = only(spec_repo.validate(), code)
    assert (diag.file, diag.line, diag.column) == where
    assert case.expected in diag.message


# -- tenants ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://koppel:Pa55word@api.mpluskassa.nl:34567",
        "https://api.mpluskassa.nl:34567/?token=Pa55word",
        "https://api.mpluskassa.nl:34567/?x=1&ApiKey=Pa55word",
    ],
    ids=["userinfo", "token-query", "apikey-query"],
)
def test_secret_in_url(spec_repo: SpecRepo, endpoint: str) -> None:
    """Credentials in an endpoint URL (user:password@ or a secret query parameter) are
    secret-in-url at the URL, and the password is echoed in no output format."""
    spec_repo.replace(
        "tenant.yaml", "endpoint: https://api.mpluskassa.nl:34567", f"endpoint: {endpoint}"
    )
    result = spec_repo.validate()
    diag = only(result, Code.secret_in_url)
    assert (diag.file, diag.line, diag.column) == (
        "tenant.yaml",
        *spec_repo.position("tenant.yaml", "https://"),
    )
    for fmt in ("text", "json", "github"):
        assert "Pa55word" not in render(result.diagnostics, fmt)


def test_url_without_credentials_is_fine(spec_repo: SpecRepo) -> None:
    """Harmless query parameters are not mistaken for secrets."""
    spec_repo.replace(
        "tenant.yaml",
        "endpoint: https://api.mpluskassa.nl:34567",
        "endpoint: https://api.mpluskassa.nl:34567/?branch=2&monkey=1",
    )
    assert spec_repo.validate().diagnostics == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      accessToken: {env: TWINFIELD_TOKEN}\n", ""),
        ("      accessToken: {env: TWINFIELD_TOKEN}\n", "      clientId: koppel-app\n"),
    ],
    ids=["nothing", "client-id-without-secret"],
)
def test_oauth_connection_without_credentials(spec_repo: SpecRepo, old: str, new: str) -> None:
    """An OAuth connection (Twinfield) with neither an access token nor client id and secret is
    connection-incomplete at the connection, naming it and what to add."""
    spec_repo.replace("tenant.yaml", old, new)
    diag = only(spec_repo.validate(), Code.connection_incomplete)
    assert diag.file == "tenant.yaml"
    assert diag.line == spec_repo.line("tenant.yaml", "system: twinfield")
    assert "'books'" in diag.message
    assert "accessToken" in diag.message


def test_oauth_connection_with_client_credentials_is_complete(spec_repo: SpecRepo) -> None:
    """Client id plus client secret is a complete OAuth connection."""
    spec_repo.replace(
        "tenant.yaml",
        "      accessToken: {env: TWINFIELD_TOKEN}\n",
        "      clientId: koppel-app\n      clientSecret: {file: /run/secrets/tf}\n",
    )
    assert spec_repo.validate().diagnostics == []


# -- references ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        Break(
            "flows.yaml",
            "  source: afas\n  target: pos\n  schedule",
            "  source: erp\n  target: pos\n  schedule",
            "erp",
            "known connections: afas, books, pos",
        ),
        Break("flows.yaml", "  target: afas", "  target: erp", "erp", "target connection 'erp'"),
        Break(
            "flows.yaml",
            "mappings: [pos-to-afas]",
            "mappings: [pos-to-afaz]",
            "pos-to-afaz",
            "known: afas-to-pos, pos-to-afas",
        ),
        Break(
            "flows.yaml",
            "paymentMethod: payment-methods",
            "paymentMethod: payment-method",
            "payment-method\n",
            "ValueMap 'payment-method'",
        ),
        Break(
            "flows.yaml",
            "defaultDebtor: anonymous",
            "defaultDebtor: anon",
            "anon\n",
            "DefaultDebtor 'anon'",
        ),
        Break(
            "flows.yaml",
            "  dependsOn: [customers]",
            "  dependsOn: [customer]",
            "customer]",
            "Flow 'customer'",
        ),
        Break(
            "flows.yaml",
            "    taxCodes: tax\n    valueMaps",
            "    taxCodes: btw\n    valueMaps",
            "btw",
            "TaxCodeTable 'btw'",
        ),
        Break(
            "mappings.yaml",
            "lookup: payment-methods",
            "lookup: payment-method",
            "payment-method}",
            "ValueMap 'payment-method'",
        ),
    ],
    ids=[
        "source",
        "target",
        "mapping",
        "value-map",
        "default-debtor",
        "depends-on",
        "tax-table",
        "mapping-lookup",
    ],
)
def test_unresolved_reference(spec_repo: SpecRepo, case: Break) -> None:
    """A reference to a document or connection that does not exist is unresolved-reference at
    the reference itself (the list item, for lists), naming what exists instead."""
    _check(spec_repo, case, Code.unresolved_reference)


def test_reference_to_a_document_of_another_tenant(spec_repo: SpecRepo) -> None:
    """References resolve within the flow's tenant only: a DefaultDebtor of the same name in
    another tenant does not count."""
    spec_repo.write(
        "other.yaml", spec_repo.texts["tenant.yaml"].replace("name: shop", "name: other")
    )
    spec_repo.replace(
        "tables.yaml", "  name: anonymous\n  tenant: shop", "  name: anonymous\n  tenant: other"
    )
    diag = only(spec_repo.validate(), Code.unresolved_reference)
    assert (diag.file, diag.line) == ("flows.yaml", spec_repo.line("flows.yaml", "defaultDebtor"))
    assert "the tenant has no DefaultDebtor" in diag.message


def test_mapping_of_the_wrong_entity(spec_repo: SpecRepo) -> None:
    """A flow using a mapping written for another entity is wrong-kind-reference at the item."""
    _check(
        spec_repo,
        Break(
            "flows.yaml",
            "mappings: [afas-to-pos]",
            "mappings: [pos-to-afas]",
            "pos-to-afas]\n  products",
            "maps orders, but this flow moves products",
        ),
        Code.wrong_kind_reference,
    )


# -- capabilities -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        Break(
            "flows.yaml",
            "  kind: stock\n  source: afas\n  target: pos",
            "  kind: stock\n  source: afas\n  target: books",
            "books",
            "Twinfield cannot write stock",
        ),
        Break(
            "flows.yaml",
            "  kind: stock\n  source: afas",
            "  kind: stock\n  source: books",
            "books",
            "Twinfield cannot read stock",
        ),
        Break(
            "flows.yaml",
            "  kind: products\n  source: afas\n  target: pos",
            "  kind: products\n  source: afas\n  target: books",
            "books",
            "Twinfield cannot write products",
        ),
    ],
    ids=["stock-into-twinfield", "stock-from-twinfield", "products-into-twinfield"],
)
def test_unsupported_flow_direction(spec_repo: SpecRepo, case: Break) -> None:
    """A flow its source cannot read or its target cannot write (per the capability tables) is
    unsupported-flow at the connection."""
    _check(spec_repo, case, Code.unsupported_flow)


def test_unsupported_order_type(spec_repo: SpecRepo) -> None:
    """An order type the target cannot receive (a quotation into MplusKASSA) is
    unsupported-order-type at orders.type, listing what the target supports."""
    spec_repo.replace(
        "flows.yaml", "  source: pos\n  target: afas", "  source: afas\n  target: pos"
    )
    _check(
        spec_repo,
        Break(
            "flows.yaml",
            "type: order",
            "type: quotation",
            "quotation",
            "it supports: invoice, order",
        ),
        Code.unsupported_order_type,
    )


def test_unknown_system(spec_repo: SpecRepo) -> None:
    """A connection whose system has no installed connector (no capability table) is
    unknown-system at the flow's use of it."""
    spec_repo.replace(
        "flows.yaml",
        "  source: afas\n  target: pos\n  schedule",
        "  source: afas\n  target: books\n  schedule",
    )
    tables = {name: table for name, table in capabilities().items() if name != "twinfield"}
    result = spec_repo.validate(tables=tables)
    diag = only(result, Code.unknown_system)
    assert (diag.file, diag.line, diag.column) == (
        "flows.yaml",
        *spec_repo.position("flows.yaml", "books"),
    )
    assert "'twinfield'" in diag.message
    assert spec_repo.validate().diagnostics == []  # with every connector installed


# -- coverage of value maps and tax tables ------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        Break(
            "tables.yaml",
            'entries: {NL: "8000", BE: "8010"}',
            'entries: {NL: "8000"}',
            "",
            "no entry for BE",
        ),
        Break("tables.yaml", "    cancelled: X\n", "", "", "no entry for cancelled"),
    ],
    ids=["revenue-by-country", "order-status"],
)
def test_value_map_missing_a_value_the_flow_needs(spec_repo: SpecRepo, case: Break) -> None:
    """A value map without `otherwise` that lacks a value of a known domain (the flow's
    countries; the order statuses) is value-map-uncovered at the flow's reference to it."""
    case.apply(spec_repo)
    diag = only(spec_repo.validate(), Code.value_map_uncovered)
    role = "revenueAccount" if "BE" in case.expected else "orderStatus"
    assert (diag.file, diag.line) == ("flows.yaml", spec_repo.line("flows.yaml", role))
    assert case.expected in diag.message
    assert "tables.yaml:" in diag.message  # where the map is


def test_value_map_with_unknown_domain_needs_otherwise(spec_repo: SpecRepo) -> None:
    """A value map for values not known in advance (payment methods) needs `otherwise`: without
    it, both the flow's reference and the mapping's lookup are value-map-uncovered."""
    spec_repo.replace("tables.yaml", "  otherwise: fail\n", "")
    result = spec_repo.validate()
    found = sorted((d.file, d.line) for d in result.diagnostics)
    assert codes(result) == [Code.value_map_uncovered] * 2
    assert found == [
        ("flows.yaml", spec_repo.line("flows.yaml", "paymentMethod")),
        ("mappings.yaml", spec_repo.line("mappings.yaml", "paymentMethod")),
    ]
    assert all("otherwise" in d.message for d in result.diagnostics)


def test_value_map_default_covers_everything(spec_repo: SpecRepo) -> None:
    """`otherwise: {default: ...}` covers any value, also of known domains."""
    spec_repo.replace(
        "tables.yaml",
        'entries: {NL: "8000", BE: "8010"}',
        'entries: {}\n  otherwise: {default: "8000"}',
    )
    assert spec_repo.validate().diagnostics == []


def test_value_map_case_sensitivity(spec_repo: SpecRepo) -> None:
    """Entries match case-insensitively unless `caseSensitive: true`."""
    spec_repo.replace(
        "tables.yaml", 'entries: {NL: "8000", BE: "8010"}', 'entries: {nl: "8000", be: "8010"}'
    )
    assert spec_repo.validate().diagnostics == []
    spec_repo.replace(
        "tables.yaml",
        'entries: {nl: "8000", be: "8010"}',
        'entries: {nl: "8000", be: "8010"}\n  caseSensitive: true',
    )
    diag = only(spec_repo.validate(), Code.value_map_uncovered)
    assert "no entry for NL, BE" in diag.message


def test_flow_countries_override_the_tenant_defaults(spec_repo: SpecRepo) -> None:
    """A flow's own `countries` are what its tables must cover: adding DE to the orders flow
    makes both the revenue map and the tax table short of DE."""
    spec_repo.replace(
        "flows.yaml",
        "  dependsOn: [customers]\n",
        "  dependsOn: [customers]\n  countries: [NL, BE, DE]\n",
    )
    result = spec_repo.validate()
    assert sorted(codes(result)) == sorted([Code.value_map_uncovered, Code.tax_table_uncovered])
    assert all("DE" in d.message for d in result.diagnostics)


def test_tax_table_missing_a_country(spec_repo: SpecRepo) -> None:
    """A tax table without a default for a country a flow handles is tax-table-uncovered at
    each flow's reference to it (orders and products use the same table)."""
    spec_repo.replace(
        "tables.yaml", 'defaultPerCountry: {NL: "1", BE: "3"}', 'defaultPerCountry: {NL: "1"}'
    )
    result = spec_repo.validate()
    found = [(d.code, d.file, d.line) for d in result.diagnostics]
    assert found == [
        (Code.tax_table_uncovered, "flows.yaml", spec_repo.line("flows.yaml", "taxCodes: tax")),
        (
            Code.tax_table_uncovered,
            "flows.yaml",
            spec_repo.line("flows.yaml", "taxCodes: tax", occurrence=2),
        ),
    ]
    assert all("no defaultPerCountry for BE" in d.message for d in result.diagnostics)


@pytest.mark.parametrize(
    "case",
    [
        Break(
            "tables.yaml",
            '    - {country: BE, rate: 21, code: "3"}\n',
            '    - {country: BE, rate: 21, code: "3"}\n    - {country: NL, rate: 21, code: "9"}\n',
            '{country: NL, rate: 21, code: "9"}',
            "rows[0] already gives the code for NL",
        ),
        Break(
            "tables.yaml",
            '    - {country: BE, rate: 21, code: "3"}\n',
            '    - {country: BE, code: "3"}\n',
            '{country: BE, code: "3"}',
            "needs a `rate` or a `category`",
        ),
    ],
    ids=["same-country-and-rate", "neither-rate-nor-category"],
)
def test_tax_table_rows(spec_repo: SpecRepo, case: Break) -> None:
    """Two rows for the same country and rate, or a row with neither rate nor category, are
    tax-table-duplicate at the offending row."""
    _check(spec_repo, case, Code.tax_table_duplicate)


def test_tax_table_country_keys(spec_repo: SpecRepo) -> None:
    """defaultPerCountry keys must be country codes (schema-value at the key's value)."""
    spec_repo.replace(
        "tables.yaml",
        'defaultPerCountry: {NL: "1", BE: "3"}',
        'defaultPerCountry: {NL: "1", BE: "3", nl: "1"}',
    )
    diag = only(spec_repo.validate(), Code.schema_value)
    assert diag.line == spec_repo.line("tables.yaml", "defaultPerCountry")
    assert "'nl'" in diag.message


# -- target key rules ---------------------------------------------------------------------------
def _orders_into_mplus(spec_repo: SpecRepo) -> None:
    spec_repo.replace(
        "flows.yaml", "  source: pos\n  target: afas", "  source: afas\n  target: pos"
    )


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ("    shippingCosts: {sku: SHIPPING}\n", "SHIPPING"),
        ("    discounts: {mode: order, sku: KORTING}\n", "KORTING"),
    ],
    ids=["shipping-costs", "discounts"],
)
def test_extra_line_sku_must_suit_the_target(
    spec_repo: SpecRepo, settings: str, needle: str
) -> None:
    """Item codes the flow writes itself (shipping costs, order discounts) must follow the
    target's key rule: MplusKASSA article numbers are numeric (target-key-rule at the sku)."""
    _orders_into_mplus(spec_repo)
    spec_repo.replace("flows.yaml", "    type: order\n", "    type: order\n" + settings)
    diag = only(spec_repo.validate(), Code.target_key_rule)
    assert (diag.file, diag.line, diag.column) == (
        "flows.yaml",
        *spec_repo.position("flows.yaml", needle),
    )
    assert "MplusKASSA article numbers are numbers" in diag.message
    spec_repo.replace("flows.yaml", needle, "9001")
    assert spec_repo.validate().diagnostics == []


@pytest.mark.parametrize(
    ("rule", "valid"),
    [
        ("{const: ABC-1}", False),
        ("{const: 12345}", True),
        ('{template: "A-{sku}"}', False),
        ('{template: "9{sku}"}', True),
        ('{template: "{sku}"}', True),
        ("{from: sku}", True),
    ],
)
def test_mapping_sku_rule_against_the_target(spec_repo: SpecRepo, rule: str, valid: bool) -> None:
    """A mapping's constant or template for an article number that the target could never store
    is target-key-rule at the mapping's field; values only known at run time are not judged."""
    spec_repo.replace("mappings.yaml", "    sku: {from: sku}", f"    sku: {rule}")
    result = spec_repo.validate()
    if valid:
        assert result.diagnostics == []
        return
    diag = only(result, Code.target_key_rule)
    assert (diag.file, diag.line) == ("mappings.yaml", spec_repo.line("mappings.yaml", "sku:"))
    assert "flow 'products'" in diag.message


def test_key_rule_only_applies_to_targets_with_a_rule(spec_repo: SpecRepo) -> None:
    """The orders flow into AFAS (no article-number rule) may write any shipping item code."""
    spec_repo.replace(
        "flows.yaml", "    type: order\n", "    type: order\n    shippingCosts: {sku: SHIP}\n"
    )
    assert spec_repo.validate().diagnostics == []


# -- schedules ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        Break("flows.yaml", "interval: 5m", "interval: 10s", "10s", "outside 30s..7d"),
        Break(
            "flows.yaml",
            "{interval: 5m, driftScan: 24h}",
            "{interval: 8d, driftScan: 9d}",
            "8d",
            "outside 30s..7d",
        ),
        Break(
            "flows.yaml",
            "{interval: 5m, driftScan: 24h}",
            "{interval: 2h, driftScan: 1h}",
            "1h}",
            "shorter than the interval",
        ),
        Break("flows.yaml", "driftScan: 24h", "driftScan: 31d", "31d", "longer than 30d"),
    ],
    ids=["too-short", "too-long", "drift-scan-shorter", "drift-scan-too-long"],
)
def test_interval(spec_repo: SpecRepo, case: Break) -> None:
    """Intervals outside 30s..7d, a drift scan more frequent than the interval, and a drift
    scan rarer than 30 days are each interval diagnostics at the offending duration."""
    _check(spec_repo, case, Code.interval)


def test_interval_bounds_are_inclusive(spec_repo: SpecRepo) -> None:
    """30s and 7d themselves are allowed intervals, 30d an allowed drift scan."""
    spec_repo.replace(
        "flows.yaml", "{interval: 5m, driftScan: 24h}", "{interval: 30s, driftScan: 30d}"
    )
    assert spec_repo.validate().diagnostics == []
    spec_repo.replace(
        "flows.yaml", "{interval: 30s, driftScan: 30d}", "{interval: 7d, driftScan: 7d}"
    )
    assert spec_repo.validate().diagnostics == []


# -- mappings -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        Break(
            "mappings.yaml",
            "description: {from: name}",
            "description: {type: string}",
            "{type",
            "(found: none)",
        ),
        Break(
            "mappings.yaml",
            "description: {from: name}",
            "description: {from: name, const: x}",
            "{from: name,",
            "(found: from, const)",
        ),
        Break(
            "mappings.yaml",
            "description: {from: name}",
            "description: {const: x, lookup: payment-methods}",
            "payment-methods}\n    sku",
            "a constant needs no lookup",
        ),
    ],
    ids=["none", "two", "const-with-lookup"],
)
def test_mapping_rule_takes_its_value_from_exactly_one_source(
    spec_repo: SpecRepo, case: Break
) -> None:
    """A field rule needs exactly one of from/const/template (and a constant no lookup):
    mapping-rule at the rule."""
    _check(spec_repo, case, Code.mapping_rule)


def test_mapping_expression(spec_repo: SpecRepo) -> None:
    """A `from` that is not valid JMESPath is mapping-expression at the expression, with the
    parser's reason."""
    _check(
        spec_repo,
        Break(
            "mappings.yaml",
            "description: {from: name}",
            'description: {from: "name[?"}',
            '"name[?"',
            "not a valid JMESPath expression",
        ),
        Code.mapping_expression,
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("POS-{number", "is malformed"),
        ("POS-{}", "placeholder without a path"),
        ("POS-{number:>8}", "placeholder without a path"),
        ("POS-{a b}", "is not a valid path"),
    ],
    ids=["unclosed", "empty", "format-spec", "bad-path"],
)
def test_mapping_template(spec_repo: SpecRepo, template: str, expected: str) -> None:
    """A template that is malformed or has a placeholder that is not a path is
    mapping-template at the template."""
    _check(
        spec_repo,
        Break(
            "mappings.yaml",
            '{template: "POS-{number}"}',
            f'{{template: "{template}"}}',
            f'"{template}"',
            expected,
        ),
        Code.mapping_template,
    )


def test_literal_braces_in_templates_are_fine(spec_repo: SpecRepo) -> None:
    """Doubled braces are literal braces, not placeholders."""
    spec_repo.replace(
        "mappings.yaml", '{template: "POS-{number}"}', '{template: "{{POS}}-{number}"}'
    )
    assert spec_repo.validate().diagnostics == []


# -- dependencies and connections ---------------------------------------------------------------
def test_dependency_cycle_is_reported_once(spec_repo: SpecRepo) -> None:
    """Flows depending on each other in a circle are one dependency-cycle, naming the circle,
    at the dependsOn of the first flow in it."""
    spec_repo.replace(
        "flows.yaml", "  schedule: {interval: 5m, driftScan: 24h}", "  dependsOn: [orders]"
    )
    diag = only(spec_repo.validate(), Code.dependency_cycle)
    assert (diag.file, diag.line) == (
        "flows.yaml",
        spec_repo.line("flows.yaml", "dependsOn: [orders]"),
    )
    assert "customers -> orders -> customers" in diag.message


def test_flow_depending_on_itself(spec_repo: SpecRepo) -> None:
    """A flow that depends on itself is a (one-flow) dependency cycle."""
    spec_repo.replace("flows.yaml", "  dependsOn: [products]", "  dependsOn: [stock]")
    diag = only(spec_repo.validate(), Code.dependency_cycle)
    assert "stock -> stock" in diag.message


def test_same_connection_as_source_and_target(spec_repo: SpecRepo) -> None:
    """A flow from a connection to itself is flow-same-connection at the target."""
    _check(
        spec_repo,
        Break(
            "flows.yaml",
            "  source: afas\n  target: pos\n  schedule",
            "  source: afas\n  target: afas\n  schedule",
            "afas\n  schedule",
            "the same connection",
        ),
        Code.flow_same_connection,
    )
