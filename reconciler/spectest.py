"""Spec tests: fixtures beside the specs prove a mapping change before it is merged.

A ``Mapping`` lists fixture globs in ``tests`` (relative to its file). Each fixture file names a
flow that uses the mapping, an ``input`` record in the canonical model, and what to ``expect``:

    flow: pos-orders
    input: {number: "2001", status: paid, paymentMethod: pin, lines: [{sku: "1006"}]}
    expect:
      fields: {reference: POS-2001, paymentMethod: "01"}   # these fields, compared as the
      customer: {email: a@b.test}                          # target stores them; others free
      debtor: "10000"                                      # or a text the reason contains
      # skip: "status" / fail: "payment-methods"           # the record is dropped, and why

``run_spec_tests`` runs every fixture through the flow's compiled program (no system is called)
and reports each mismatch as one line a person can act on.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.canonical import Entity, parse_record
from reconciler.capabilities import Capabilities
from reconciler.flows.program import DefaultMapping, Desire, Dropped, compile_program
from reconciler.plan.normalise import normalise
from reconciler.spec.loader import parse_documents
from reconciler.spec.models import Flow
from reconciler.spec.models import Mapping as MappingDoc
from reconciler.spec.specset import Loaded, SpecSet

_EXPECT_KEYS = {"fields", "customer", "debtor", "skip", "fail"}


@dataclass
class CaseResult:
    """One fixture's outcome: passed, or the mismatches found."""

    file: str
    mapping: str
    flow: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def run_spec_tests(
    specs: SpecSet,
    root: Path,
    *,
    capabilities: Mapping[str, Capabilities],
    defaults: Callable[[str], DefaultMapping],
) -> list[CaseResult]:
    """Run every fixture the specs' Mappings name; ``defaults(system)`` gives default mappings."""
    results: list[CaseResult] = []
    for mapping in specs.of_type(MappingDoc):
        base = mapping.doc.file.parent
        files: list[Path] = []
        for pattern in mapping.model.spec.tests:
            matched = sorted(Path(p) for p in glob.glob(str(base / pattern), recursive=True))
            if not matched:
                results.append(
                    CaseResult(
                        str(base / pattern),
                        mapping.name,
                        "-",
                        [f"no fixture file matches {pattern!r}"],
                    )
                )
            files.extend(matched)
        for path in files:
            results.append(
                _run_file(
                    specs, mapping, path, root=root, capabilities=capabilities, defaults=defaults
                )
            )
    return results


def _run_file(
    specs: SpecSet,
    mapping: Loaded[MappingDoc],
    path: Path,
    *,
    root: Path,
    capabilities: Mapping[str, Capabilities],
    defaults: Callable[[str], DefaultMapping],
) -> CaseResult:
    display = _display(path, root)
    result = CaseResult(display, mapping.name, "-")
    documents, diagnostics = parse_documents(path.read_bytes(), file=path, display=display)
    if diagnostics:
        result.problems.extend(d.render() for d in diagnostics)
        return result
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        result.problems.append(f"{display}: a fixture is one mapping with flow, input, expect")
        return result
    doc = documents[0]
    data: dict[str, Any] = doc.data
    tenant = str(mapping.model.metadata.tenant)
    flow = specs.find(tenant, Flow, str(data.get("flow")))
    if flow is None:
        result.problems.append(
            _at(doc, ("flow",), f"flow {data.get('flow')!r} does not exist in tenant {tenant!r}")
        )
        return result
    result.flow = flow.name
    if mapping.name not in flow.model.spec.mappings:
        result.problems.append(
            _at(doc, ("flow",), f"flow {flow.name!r} does not use Mapping {mapping.name!r}")
        )
        return result
    expect = data.get("expect")
    if not isinstance(expect, dict) or not expect or set(expect) - _EXPECT_KEYS:
        result.problems.append(
            _at(
                doc,
                ("expect",),
                "expect must be a mapping with some of: " + ", ".join(sorted(_EXPECT_KEYS)),
            )
        )
        return result
    entity = Entity(flow.model.spec.kind)
    try:
        record = parse_record(entity, data.get("input"))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ("input", *first["loc"])
        result.problems.append(
            _at(doc, loc, f"input is not a valid {entity.value} record: {first['msg']}")
        )
        return result
    tenant_spec = specs.tenants[tenant].model.spec
    system = tenant_spec.connections[flow.model.spec.target].system
    program = compile_program(specs, flow, target=capabilities[system], defaults=defaults(system))
    outcome = program.desire(record)
    result.problems.extend(_compare(outcome, expect))
    return result


def _compare(outcome: Desire | Dropped, expect: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for kind in ("skip", "fail"):
        if kind in expect:
            if not isinstance(outcome, Dropped) or outcome.kind != kind:
                got = (
                    "written"
                    if isinstance(outcome, Desire)
                    else f"{outcome.kind}: {outcome.reason}"
                )
                return [f"expected the record to {kind}, but it was {got}"]
            if str(expect[kind]) not in outcome.reason:
                problems.append(
                    f"expected the {kind} reason to mention {expect[kind]!r}, got: {outcome.reason}"
                )
            return problems
    if isinstance(outcome, Dropped):
        return [
            f"expected a written record, but it was {outcome.kind}ped: {outcome.reason}"
            if outcome.kind == "skip"
            else f"expected a written record, but it failed: {outcome.reason}"
        ]
    problems.extend(_compare_fields("fields", outcome.fields, expect.get("fields") or {}))
    if "customer" in expect:
        problems.extend(_compare_fields("customer", outcome.customer or {}, expect["customer"]))
    if "debtor" in expect:
        plan = outcome.debtor
        want = str(expect["debtor"])
        chosen = plan.default.debtor if plan is not None and plan.default is not None else None
        reason = plan.reason if plan is not None else ""
        if want != chosen and want not in reason:
            problems.append(f"debtor: expected {want!r}, got {chosen or reason or 'none'}")
    return problems


def _compare_fields(what: str, actual: Mapping[str, Any], expected: Any) -> list[str]:
    if not isinstance(expected, dict):
        return [f"expect.{what} must be a mapping of field -> value"]
    problems = []
    for name, want in expected.items():
        if name not in actual:
            problems.append(f"{what}.{name}: expected {want!r}, but the field is not written")
            continue
        if normalise(actual[name], name=name) != normalise(want, name=name):
            problems.append(f"{what}.{name}: expected {want!r}, got {actual[name]!r}")
    return problems


def _at(doc: Any, path: tuple[Any, ...], message: str) -> str:
    file, line, column = doc.where(path)
    return f"{file}:{line}:{column}: {message}"


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
