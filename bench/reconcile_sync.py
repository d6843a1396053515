"""Benchmark: the reconcile core's initial sync, no-op passes and memory, against the sandboxes.

``python -m bench.reconcile_sync [--products 20000] [--orders 5000] [--customers 2000] [--quick]``

Both sandboxes run as ``koppel sandbox`` processes seeded from generated files
(``bench.reconcile_seed``); every koppel pass runs in a process of its own
(``bench.reconcile_pass``), so neither the sandboxes' nor the benchmark's memory and CPU are
counted as koppel's. Measured, each against fresh sandboxes:

- the initial sync of the example tenant's ``products`` flow (AFAS → MplusKASSA) and
  ``pos-orders`` flow (MplusKASSA → AFAS, orders with their customers), in records/s, next to
  the bare httpx baseline (``bench.reconcile_baseline``) at the same concurrency, run before
  koppel's passes and again after them (the mean of the two: see ``_baseline``);
- the no-op second pass (incremental, from the cursor) and a ``reread`` pass (every source
  record read again, answered by fingerprints): time as a share of the initial pass and the
  per-record target reads;
- koppel's peak RSS (``VmHWM`` of the pass's own process) for a plan pass (``plan_pass``,
  ``full=True``: every source record read and looked up in the target, nothing written) of the
  products flow at ``--products`` and at 10 times as many, against an empty till.

``--quick`` divides every size by 10 (a smoke run of a minute or two). Writes
``bench/results/reconcile_sync.json`` (``reconcile_sync_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import reconcile_baseline as baseline
from bench.reconcile_procs import koppel_pass, sandbox
from bench.reconcile_seed import CATALOGUE, afas_seed, mplus_empty, mplus_seed, write_seed

RESULTS = Path(__file__).with_name("results")
MEMORY_FACTOR = 10


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _rate(records: int, seconds: float) -> float:
    return round(records / seconds, 1) if seconds else 0.0


def sync_products(tmp: Path, products: int) -> dict[str, Any]:
    """Initial, no-op and reread passes of ``products``, and the baseline, on fresh sandboxes."""
    afas = write_seed(tmp / "afas.json", afas_seed(products))
    empty = write_seed(tmp / "mplus-empty.json", mplus_empty())

    def bare() -> tuple[int, float, float]:
        with sandbox("afas", afas) as afas_url, sandbox("mpluskassa", empty) as kassa_url:
            cpu = time.process_time()
            records, seconds = asyncio.run(baseline.products(afas_url, kassa_url))
            return records, seconds, time.process_time() - cpu

    before = bare()
    passes = _passes(tmp / "products.db", "products", afas, empty)
    after = bare()
    return _summary("products", _baseline(before, after), passes, base_records=before[0])


def sync_orders(tmp: Path, products: int, orders: int, customers: int) -> dict[str, Any]:
    """The same for ``pos-orders``: till sales (with their customers) into AFAS."""
    afas = write_seed(tmp / "afas.json", afas_seed(min(products, CATALOGUE)))
    till = write_seed(tmp / "mplus-orders.json", mplus_seed(orders, customers, products))

    def bare() -> tuple[int, float, float]:
        with sandbox("afas", afas) as afas_url, sandbox("mpluskassa", till) as kassa_url:
            cpu = time.process_time()
            sales, _, seconds = asyncio.run(baseline.orders(afas_url, kassa_url))
            return sales, seconds, time.process_time() - cpu

    before = bare()
    passes = _passes(tmp / "orders.db", "pos-orders", afas, till)
    after = bare()
    base = {**_baseline(before, after), "customers": customers}
    return _summary("pos-orders", base, passes, base_records=before[0])


def _baseline(before: tuple[int, float, float], after: tuple[int, float, float]) -> dict[str, Any]:
    """The baseline run before koppel's passes and again after them, and their mean.

    Both, because this machine's CPUs slow down under sustained load (a fixed loop took 10-15%
    longer after a minute of both cores busy, and stayed slower for a while): a baseline run
    only before koppel's passes would meet a faster machine than they do."""
    records = before[0]
    seconds = (before[1] + after[1]) / 2
    return {
        "records": records,
        "seconds": round(seconds, 2),
        "cpu_seconds": round((before[2] + after[2]) / 2, 2),
        "records_per_s": _rate(records, seconds),
        "runs": [
            {
                "when": when,
                "seconds": round(secs, 2),
                "cpu_seconds": round(cpu, 2),
                "records_per_s": _rate(n, secs),
            }
            for when, (n, secs, cpu) in (("before", before), ("after", after))
        ],
    }


def _passes(state: Path, flow: str, afas: Path, kassa: Path) -> dict[str, dict[str, Any]]:
    with sandbox("afas", afas) as afas_url, sandbox("mpluskassa", kassa) as kassa_url:
        return {
            mode: koppel_pass(mode, flow, state, afas_url, kassa_url)
            for mode in ("initial", "noop", "reread")
        }


def _summary(
    flow: str, base: dict[str, Any], passes: dict[str, dict[str, Any]], *, base_records: int
) -> dict[str, Any]:
    first = passes["initial"]
    rate = _rate(first["created"], first["seconds"])
    row: dict[str, Any] = {
        "flow": flow,
        "baseline": base,
        "koppel": {mode: _rounded(figures) for mode, figures in passes.items()},
        "koppel_records_per_s": rate,
        "ratio": round(rate / base["records_per_s"], 3) if base["records_per_s"] else None,
        # CPU seconds of the bare loop over koppel's, both processes' own: unlike wall time,
        # not stretched when the host lends this machine's CPUs to others (steal time).
        "cpu_ratio": round(base["cpu_seconds"] / first["cpu_seconds"], 3)
        if first.get("cpu_seconds")
        else None,
        "complete": first["created"] == base_records and not first["failed"],
    }
    for mode in ("noop", "reread"):
        row[f"{mode}_share"] = round(passes[mode]["seconds"] / first["seconds"], 4)
        row[f"{mode}_target_reads"] = passes[mode]["target_reads"]
    return row


def _rounded(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def memory(tmp: Path, products: int) -> dict[str, Any]:
    """Peak RSS of a products plan pass at ``products`` and MEMORY_FACTOR times as many."""
    sizes = {}
    empty = write_seed(tmp / "mplus-empty.json", mplus_empty())
    for size in (products, products * MEMORY_FACTOR):
        afas = write_seed(tmp / f"afas-{size}.json", afas_seed(size))
        with sandbox("afas", afas) as afas_url, sandbox("mpluskassa", empty) as kassa_url:
            figures = koppel_pass("plan", "products", tmp / f"plan-{size}.db", afas_url, kassa_url)
        afas.unlink()
        sizes[str(size)] = _rounded(figures)
    small, large = (sizes[str(s)]["peak_rss_mib"] for s in (products, products * MEMORY_FACTOR))
    return {
        "measured": "peak RSS (VmHWM, the process's own high-water mark) of the koppel "
        "process running plan_pass(full=True) of "
        "the products flow: every AFAS article read and looked up in an empty MplusKASSA, the "
        "plan spooled to disk, nothing written",
        "passes": sizes,
        "growth": round(large / small, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="every size divided by 10")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="measure only the memory at --products and 10 times as many, and replace the "
        "memory figures in the existing results file",
    )
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    products, orders = args.products // scale, args.orders // scale
    customers = args.customers // scale
    if args.memory_only:
        _memory_only(products, "reconcile_sync_quick.json" if args.quick else "reconcile_sync.json")
        return
    started, load_before = time.monotonic(), _load()
    with tempfile.TemporaryDirectory(prefix="koppel-bench-") as tmp:
        work = Path(tmp)
        rows = [sync_products(work, products), sync_orders(work, products, orders, customers)]
        mem = None if args.skip_memory else memory(work, products)
    result = {
        "benchmark": "reconcile_sync",
        "sizes": {
            "products": products,
            "orders": orders,
            "customers": customers,
            "order_catalogue": min(products, CATALOGUE),
        },
        "measured": {
            "initial": "wall time of run_pass(confirm=True) in its own process against fresh "
            "sandboxes (empty target); records/s = records created / seconds. Orders: each "
            "order's customer is created in AFAS once as well (not counted as a record)",
            "baseline": "bench.reconcile_baseline: read every source page, then one create per "
            "record (orders: one per customer first) with httpx at koppel's concurrency "
            f"({baseline.CONCURRENCY}; {baseline.AFAS_CONCURRENCY} on AFAS, as koppel's AFAS "
            "client), against fresh sandboxes, once before koppel's passes and once after; "
            "records/s from the mean of the two times",
            "cpu_ratio": "CPU seconds (user + system) of the bare loop's process over those of "
            "koppel's pass process for the same records: the share of koppel's own work that "
            "is the HTTP floor, robust against steal time, which stretches wall times",
            "noop": "run_pass() right after the initial pass, from the stored cursor",
            "reread": "run_pass(reread=True): every source record read again",
            "target_reads": "per-record target look-ups the pass made (PassReport.target_reads)",
        },
        "targets": {
            "ratio": ">= 0.8",
            "noop_share": "<= 0.05",
            "target_reads": 0,
            "memory_growth": "< 1.5",
        },
        "flows": rows,
        "memory": mem,
        "load_average": {"before": load_before, "after": _load()},
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "seconds": round(time.monotonic() - started, 1),
    }
    _print(result)
    name = "reconcile_sync_quick.json" if args.quick else "reconcile_sync.json"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _memory_only(products: int, name: str) -> None:
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="koppel-bench-") as tmp:
        mem = memory(Path(tmp), products)
    mem["load_average"] = {"before": load_before, "after": _load()}
    path = RESULTS / name
    result = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    result["memory"] = mem
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    sizes = ", ".join(f"{n}: {p['peak_rss_mib']:.0f} MiB" for n, p in mem["passes"].items())
    print(f"peak RSS of a products plan pass: {sizes} (growth x{mem['growth']})")


def _print(result: dict[str, Any]) -> None:
    print(f"{'flow':<11}{'records':>8}{'koppel rec/s':>14}{'bare rec/s':>12}{'ratio':>7}"
          f"{'cpu':>6}{'no-op':>8}{'reads':>6}{'reread':>8}{'reads':>6}")  # fmt: skip
    for row in result["flows"]:
        print(
            f"{row['flow']:<11}{row['baseline']['records']:>8}{row['koppel_records_per_s']:>14}"
            f"{row['baseline']['records_per_s']:>12}{row['ratio']:>7.0%}{row['cpu_ratio']:>6.0%}"
            f"{row['noop_share']:>8.1%}{row['noop_target_reads']:>6}"
            f"{row['reread_share']:>8.1%}{row['reread_target_reads']:>6}"
        )
    mem = result["memory"]
    if mem:
        sizes = ", ".join(f"{n}: {p['peak_rss_mib']:.0f} MiB" for n, p in mem["passes"].items())
        print(f"peak RSS of a products plan pass: {sizes} (growth x{mem['growth']})")
    print(f"load average before/after: {result['load_average']['before']} / "
          f"{result['load_average']['after']} on {result['cpus']} CPUs")  # fmt: skip


if __name__ == "__main__":
    main()
