"""Processes of the benchmarks: each sandbox in its own process (``koppel sandbox``, or a
benchmark's own), and each koppel pass of the reconcile benchmark in its own process
(``bench.reconcile_pass``), so memory and CPU are attributed to the side that spends them."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.reconcile_pass import IDENT, SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def sandbox(system: str, seed: Path) -> Iterator[str]:
    """Run ``koppel sandbox SYSTEM`` on a port of its own, seeded from ``seed``; yields its base
    URL (a 200,000-article seed takes a while to load)."""
    command = [sys.executable, "-m", "reconciler", "sandbox", system, "--port", "0"]
    command += ["--seed", str(seed), "--token", TOKEN, "--ident", IDENT, "--secret", SECRET]
    with sandbox_process(command, cwd=ROOT) as url:
        yield url


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


ANNOUNCED = re.compile(r"sandbox on (http://[\w.\-\[\]:]+:\d+)")
"""How a sandbox command announces the address it listens on, once it does."""


@contextlib.contextmanager
def sandbox_process(
    command: Sequence[str], *, cwd: Path | None = None, timeout: float = 120.0
) -> Iterator[str]:
    """Run a sandbox command in a child process; yields the base URL it announces.

    The command binds its own port (``--port 0``) and prints "… sandbox on http://HOST:PORT …"
    once it listens: taking the address from the child, instead of probing a port chosen
    beforehand, means a child that could not bind fails here instead of the caller talking to
    whatever else answers on that port. ``timeout`` bounds the wait (a large seed loads first).
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:
        # Keeps draining after the announcement, so the child never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            if not found.is_set():
                lines.append(line)
                match = ANNOUNCED.search(line)
                if match:
                    url.append(match.group(1))
                    found.set()
        found.set()

    reader = threading.Thread(target=read, name="sandbox-output", daemon=True)
    reader.start()
    try:
        if not found.wait(timeout) or not url:
            said = "".join(lines[-20:]).strip() or "nothing"
            raise RuntimeError(f"{command[0]} … did not start a sandbox; it said: {said}")
        yield url[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
