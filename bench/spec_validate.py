"""Validation cost against plain parsing: ``python -m bench.spec_validate [--tenants 1000]``.

Generates a valid spec repository — N tenants, each with three connections, five flows
(customers, products, stock, orders, and stock counted at the shop back into the ERP), two
mappings, four value maps, a tax table and a default debtor, in four files — then measures:

- **baseline**: read every file and parse it with ruamel.yaml's round-trip parser
  (``YAML(typ="rt").load_all``), keeping the documents, as any tool that reads the repository
  must;
- **validation**: ``validate_tree`` — the same parsing plus positions, bounds, both validation
  layers and the SpecSet.

Each is timed (wall clock, best of ``--repeat``) without tracing, then run once more under
``tracemalloc`` for its peak of Python allocations, so time and memory are measured the same way
for both. The target is validation at most 3x the baseline. Results are printed as a table and
written to ``bench/results/spec_validate.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import platform
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from connectors.registry import capabilities
from reconciler.spec.validate import validate_tree

TARGET = 3.0
RESULTS = Path(__file__).parent / "results" / "spec_validate.json"

# ERPs that can be the other side of every flow below (read and write all four entities and
# receive orders as `order`); tenants rotate through them so several connection shapes occur.
_ERPS = (
    ("afas-profit", '      participant: "{participant}"\n      token: {{env: AFAS_TOKEN}}\n'),
    (
        "visma-net",
        '      companyId: "{participant}"\n      clientId: koppel\n'
        "      clientSecret: {{env: VISMA_SECRET}}\n",
    ),
)

TENANT = """\
apiVersion: koppel/v1
kind: Tenant
metadata:
  name: {tenant}
  labels: {{tier: bench}}
spec:
  connections:
    erp:
      system: {system}
{erp_fields}    pos:
      system: mpluskassa
      endpoint: https://api.mpluskassa.nl:{port}
      ident: {{env: MPLUS_IDENT}}
      secret: {{file: /run/secrets/{tenant}-mplus}}
      branch: {branch}
    books:
      system: twinfield
      office: "{participant}"
      accessToken: {{env: TWINFIELD_TOKEN}}
  defaults:
    countries: [NL, BE, DE]
"""

FLOWS = """\
apiVersion: koppel/v1
kind: Flow
metadata: {{name: customers, tenant: {tenant}}}
spec:
  kind: customers
  source: erp
  target: pos
  schedule: {{interval: 10m, driftScan: 24h}}
  customers:
    taxCodes: tax
    valueMaps: {{classification: customer-groups}}
---
apiVersion: koppel/v1
kind: Flow
metadata: {{name: products, tenant: {tenant}}}
spec:
  kind: products
  source: erp
  target: pos
  mappings: [erp-to-pos]
  filter:
    activeOnly: true
    custom:
      - {{field: customFields.webshop, op: equals, value: true}}
  products:
    taxCodes: tax
    createOnly: [longDescription]
---
apiVersion: koppel/v1
kind: Flow
metadata: {{name: stock, tenant: {tenant}}}
spec:
  kind: stock
  source: erp
  target: pos
  dependsOn: [products]
  schedule: {{interval: 2m, driftScan: 6h}}
---
apiVersion: koppel/v1
kind: Flow
metadata: {{name: orders, tenant: {tenant}}}
spec:
  kind: orders
  source: pos
  target: erp
  dependsOn: [customers, products]
  mappings: [pos-to-erp]
  filter: {{status: [paid, completed]}}
  orders:
    type: order
    defaultDebtor: walk-in
    taxCodes: tax
    shippingCosts: {{sku: "{shipping_sku}"}}
    valueMaps:
      paymentMethod: payment-methods
      revenueAccount: revenue-by-country
      orderStatus: order-status
---
apiVersion: koppel/v1
kind: Flow
metadata: {{name: shop-stock, tenant: {tenant}}}
spec:
  kind: stock
  source: pos
  target: erp
  dependsOn: [stock]
  schedule: {{interval: 15m, driftScan: 24h, suspend: {suspend}}}
  stock: {{formula: physical, warehouse: "{branch}"}}
"""

MAPPINGS = """\
apiVersion: koppel/v1
kind: Mapping
metadata: {{name: pos-to-erp, tenant: {tenant}}}
spec:
  entity: orders
  fields:
    reference: {{template: "POS-{{number}}"}}
    paymentMethod: {{from: payment.method, lookup: payment-methods}}
    revenueAccount: {{from: shippingAddress.country, lookup: revenue-by-country}}
    branch: {{const: "{branch}"}}
  policies: {{description: create_only}}
---
apiVersion: koppel/v1
kind: Mapping
metadata: {{name: erp-to-pos, tenant: {tenant}}}
spec:
  entity: products
  fields:
    sku: {{from: sku}}
    description: {{from: name}}
    priceIncl: {{from: prices.salesIncl, type: decimal}}
  customFields:
    "1": {{from: customFields.origin, default: NL}}
  ignore: [stockLocation]
"""

TABLES = """\
apiVersion: koppel/v1
kind: ValueMap
metadata: {{name: payment-methods, tenant: {tenant}}}
spec:
  entries: {{cash: K, pin: P, ideal: I, creditcard: C}}
  otherwise: fail
---
apiVersion: koppel/v1
kind: ValueMap
metadata: {{name: revenue-by-country, tenant: {tenant}}}
spec:
  entries: {{NL: "8000", BE: "8010", DE: "8020"}}
---
apiVersion: koppel/v1
kind: ValueMap
metadata: {{name: order-status, tenant: {tenant}}}
spec:
  entries:
    open: O
    paid: P
    partiallyPaid: D
    unpaid: U
    shipped: S
    completed: C
    cancelled: X
---
apiVersion: koppel/v1
kind: ValueMap
metadata: {{name: customer-groups, tenant: {tenant}}}
spec:
  entries: {{retail: R, wholesale: W}}
  otherwise: {{default: R}}
---
apiVersion: koppel/v1
kind: TaxCodeTable
metadata: {{name: tax, tenant: {tenant}}}
spec:
  rows:
    - {{country: NL, rate: 21, code: "1"}}
    - {{country: NL, rate: 9, code: "2"}}
    - {{country: NL, rate: 0, code: "0"}}
    - {{country: BE, rate: 21, code: "3"}}
    - {{country: BE, rate: 6, code: "4"}}
    - {{country: DE, rate: 19, code: "5"}}
    - {{country: DE, rate: 7, code: "6"}}
  defaultPerCountry: {{NL: "1", BE: "3", DE: "5"}}
---
apiVersion: koppel/v1
kind: DefaultDebtor
metadata: {{name: walk-in, tenant: {tenant}}}
spec:
  debtor: "{debtor}"
  rules:
    - {{when: {{country: BE}}, debtor: "{debtor_be}"}}
    - {{when: {{channel: webshop}}, debtor: "{debtor_web}"}}
"""

FILES = {
    "tenant.yaml": TENANT,
    "flows.yaml": FLOWS,
    "mappings.yaml": MAPPINGS,
    "tables.yaml": TABLES,
}


def generate(root: Path, tenants: int) -> int:
    """Write a valid repository of ``tenants`` tenants under ``root``; return the file count."""
    count = 0
    for i in range(tenants):
        system, erp_fields = _ERPS[i % len(_ERPS)]
        values = {
            "tenant": f"tenant-{i:05d}",
            "system": system,
            "participant": f"{10000 + i}",
            "port": 30000 + i % 30000,
            "branch": 1 + i % 9,
            "shipping_sku": f"{900000 + i}",
            "suspend": "true" if i % 7 == 0 else "false",
            "debtor": f"{100000 + i}",
            "debtor_be": f"{200000 + i}",
            "debtor_web": f"{300000 + i}",
        }
        values["erp_fields"] = erp_fields.format(**values)
        directory = root / "tenants" / values["tenant"]
        directory.mkdir(parents=True)
        for name, template in FILES.items():
            (directory / name).write_text(template.format(**values), encoding="utf-8")
            count += 1
    return count


def parse_only(root: Path) -> int:
    """The baseline: parse every spec file with ruamel's round-trip parser, keeping the data."""
    yaml = YAML(typ="rt")
    documents: list[Any] = []
    for path in sorted(root.rglob("*.yaml")):
        documents.extend(yaml.load_all(path.read_text(encoding="utf-8")))
    return len(documents)


def validate(root: Path) -> int:
    """The measured operation: the whole validation; fails loudly if the specs are not valid."""
    result = validate_tree(root, capabilities=capabilities())
    if not result.valid:
        shown = "\n".join(d.render() for d in result.diagnostics[:10])
        raise SystemExit(f"generated specs are not valid:\n{shown}")
    return result.documents


def measure(run: Callable[[], int], *, repeat: int) -> dict[str, float | int]:
    """Best wall time of ``repeat`` runs, then the peak of traced allocations of one more."""
    best = float("inf")
    documents = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        documents = run()
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"seconds": round(best, 4), "peak_bytes": peak, "documents": documents}


def profile(root: Path, limit: int = 25) -> str:
    """Where validation spends its time (cProfile, by cumulative time)."""
    profiler = cProfile.Profile()
    profiler.runcall(validate, root)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def run_benchmark(
    tenants: int, *, repeat: int = 1, results: Path | None = RESULTS
) -> dict[str, Any]:
    """Generate, measure both, and (unless ``results`` is None) write the JSON report."""
    with tempfile.TemporaryDirectory(prefix="koppel-bench-") as directory:
        # Warm up outside the measurement: connector tables, schemas, compiled validators.
        generate(Path(directory) / "warm", 1)
        validate(Path(directory) / "warm")
        root = Path(directory) / "repo"
        files = generate(root, tenants)
        baseline = measure(lambda: parse_only(root), repeat=repeat)
        validation = measure(lambda: validate(root), repeat=repeat)
    if baseline["documents"] != validation["documents"]:
        raise SystemExit("baseline and validation saw different documents")
    ratio_time = float(validation["seconds"]) / float(baseline["seconds"])
    ratio_memory = float(validation["peak_bytes"]) / float(baseline["peak_bytes"])
    report = {
        "benchmark": "spec_validate",
        "tenants": tenants,
        "files": files,
        "documents": validation["documents"],
        "repeat": repeat,
        "baseline": {k: v for k, v in baseline.items() if k != "documents"},
        "validation": {k: v for k, v in validation.items() if k != "documents"},
        "ratio": {"time": round(ratio_time, 2), "memory": round(ratio_memory, 2)},
        "target": TARGET,
        "within_target": ratio_time <= TARGET,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def table(report: dict[str, Any]) -> str:
    base, val, ratio = report["baseline"], report["validation"], report["ratio"]
    mib = 1024 * 1024
    rows = [
        f"spec_validate: {report['tenants']} tenants, {report['files']} files, "
        f"{report['documents']} documents (best of {report['repeat']})",
        f"{'':<28}{'wall time':>12}{'peak memory':>16}",
        f"{'baseline (ruamel rt parse)':<28}{base['seconds']:>11.2f}s"
        f"{base['peak_bytes'] / mib:>12.1f} MiB",
        f"{'validate_tree':<28}{val['seconds']:>11.2f}s{val['peak_bytes'] / mib:>12.1f} MiB",
        f"{'ratio':<28}{ratio['time']:>11.2f}x{ratio['memory']:>12.2f}x",
        f"target: time ratio <= {report['target']:.0f}x -> "
        f"{'met' if report['within_target'] else 'NOT met'}",
    ]
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.spec_validate", description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000, help="tenants to generate")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; the best counts")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile summary")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON report")
    args = parser.parse_args(argv)
    report = run_benchmark(
        args.tenants, repeat=args.repeat, results=None if args.no_write else RESULTS
    )
    print(table(report))
    if not args.no_write:
        print(f"wrote {RESULTS}")
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="koppel-bench-") as directory:
            generate(Path(directory), args.tenants)
            print(profile(Path(directory)))
    if not report["within_target"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
