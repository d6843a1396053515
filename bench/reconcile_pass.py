"""One koppel pass of one flow of the example tenant, in a process of its own, for the
reconcile benchmark: ``python -m bench.reconcile_pass MODE FLOW STATE_DB AFAS_URL KASSA_URL``.

MODE is ``initial`` (an applied pass, confirmed: the first sync trips the circuit breaker on
purpose), ``noop`` (an applied pass from the stored cursor), ``reread`` (an applied pass reading
every source record again) or ``plan`` (observe and plan with ``full=True``: every record read
and looked up, nothing written). It prints one JSON line: the pass's wall time and CPU time, its
counts and per-record target reads, and this process's peak RSS (``VmHWM`` of itself, so the
sandboxes, which run in their own processes, are not counted).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.registry import capabilities
from reconciler.errors import SpecInvalid
from reconciler.passes.runner import PassReport, plan_pass, run_pass
from reconciler.passes.setup import Connections, build_context, select_flows
from reconciler.process import settle_startup
from reconciler.secrets import SecretResolver
from reconciler.spec.validate import validate_tree
from reconciler.state.factory import open_store

SPECS = Path(__file__).resolve().parents[1] / "specs"
TENANT = "bakkerij-jansen"
TOKEN, IDENT, SECRET = "bench-afas-token", "bench-ident", "bench-secret"


async def one_pass(mode: str, flow_name: str, state: Path, afas: str, kassa: str) -> dict[str, Any]:
    """Run the pass; the figures the benchmark reads."""
    with tempfile.TemporaryDirectory(prefix="koppel-bench-") as tmp:
        copy = Path(tmp) / "specs"
        shutil.copytree(SPECS, copy)
        validation = validate_tree(copy, capabilities=capabilities())
        if not validation.valid:
            raise SpecInvalid(list(validation.diagnostics))
        specs = validation.specs
        specs.revision = "bench"
    store = open_store(f"sqlite:///{state}")
    connections = Connections(
        secrets=SecretResolver(
            {"AFAS_JANSEN_TOKEN": TOKEN, "MPLUS_JANSEN_IDENT": IDENT},
            files={"/run/secrets/mplus-jansen-secret": SECRET},
        ),
        endpoints={"afas": f"{afas}/ProfitRestServices", "kassa": kassa},
    )
    try:
        [flow] = select_flows(specs, tenant=TENANT, flow=flow_name)
        ctx = build_context(specs, flow, connections=connections, store=store, revision="bench")
        settle_startup()  # as `koppel apply` does once it is set up
        started, cpu_started = time.perf_counter(), time.process_time()
        report: PassReport
        if mode == "plan":
            report = await plan_pass(ctx, full=True)
        else:
            report = await run_pass(ctx, confirm=mode == "initial", reread=mode == "reread")
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    finally:
        await connections.aclose()
        store.close()
    counts = report.counts
    return {
        "mode": mode,
        "flow": flow_name,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "read": counts.read if counts else report.tally.read,
        "created": counts.created if counts else report.tally.create,
        "updated": counts.updated if counts else report.tally.update,
        "unchanged": counts.unchanged if counts else report.tally.noop,
        "failed": counts.failed if counts else report.tally.fail,
        "failures": (counts.failures[:3] if counts else []),
        "stopped": report.stopped,
        "target_reads": report.target_reads,
        "peak_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's own peak resident memory, in MiB.

    ``VmHWM`` (the high-water mark of the process's own address space) where Linux has it:
    ``ru_maxrss`` also counts the parent's image the child was spawned from (exec keeps the
    larger of the two), so a driver holding a large generated seed inflated every figure.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Linux reports ru_maxrss in KiB (macOS in bytes; the benchmark targets Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    mode, flow, state, afas, kassa = sys.argv[1:6]
    profile = os.environ.get("KOPPEL_BENCH_PROFILE")
    if profile:
        # Where the time goes: cProfile's stats written to that file (slower, not timed).
        with cProfile.Profile() as profiler:
            result = asyncio.run(one_pass(mode, flow, Path(state), afas, kassa))
        profiler.dump_stats(profile)
    else:
        result = asyncio.run(one_pass(mode, flow, Path(state), afas, kassa))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
