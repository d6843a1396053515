"""The benchmarks' sandbox processes: the URL comes from the child that bound it, so a child that
cannot bind fails loudly instead of the benchmark talking to whatever holds that port."""

from __future__ import annotations

import socket
import sys

import httpx
import pytest

from bench.reconcile_procs import ROOT, sandbox_process

COMMAND = [sys.executable, "-m", "reconciler", "sandbox", "afas", "--token", "t"]


def test_the_announced_url_is_the_childs_own() -> None:
    with sandbox_process([*COMMAND, "--port", "0"], cwd=ROOT, timeout=60) as url:
        answer = httpx.get(f"{url}/ProfitRestServices/connectors/Profit_Debtor")
    assert answer.status_code == 401  # the sandbox's own answer to a missing token


def test_a_child_that_cannot_bind_fails_with_what_it_said() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match=f"cannot serve on 127.0.0.1:{port}"),
            sandbox_process([*COMMAND, "--port", str(port)], cwd=ROOT, timeout=60),
        ):
            pytest.fail("a sandbox that could not bind was yielded")
