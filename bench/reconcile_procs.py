"""Processes of the reconcile benchmark: each sandbox as ``koppel sandbox`` in its own process,
and each koppel pass in its own process (``bench.reconcile_pass``), so memory and CPU are
attributed to the side that spends them."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.reconcile_pass import IDENT, SECRET, TOKEN
from connectors.sandbox import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def sandbox(system: str, seed: Path) -> Iterator[str]:
    """Run ``koppel sandbox SYSTEM`` seeded from ``seed``; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "reconciler", "sandbox", system, "--port", str(port)]
    command += ["--seed", str(seed), "--token", TOKEN, "--ident", IDENT, "--secret", SECRET]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a 200,000-article seed takes a while to load
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {system} sandbox did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def koppel_pass(mode: str, flow: str, state: Path, afas: str, kassa: str) -> dict[str, Any]:
    """One pass in a child process (``bench.reconcile_pass``); its JSON figures."""
    command = [sys.executable, "-m", "bench.reconcile_pass", mode, flow, str(state), afas, kassa]
    done = subprocess.run(
        command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise RuntimeError(f"koppel pass {mode} {flow} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
