"""`koppel apply` killed with SIGKILL at random points, many times, then run to completion:
the journal makes the end result the same as one clean run — no duplicate, nothing lost."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.world import ENV, ROOT, SECRET, SECRET_PATH, TENANT, Sandboxes

SEED = 20261122
KILLS = 15
ANSWER_DELAY = 0.02
"""Seconds every answer to a write is held back after the work is done: passes take long enough
for kills to land mid-write, and a share of them lands after a write and before its answer (every
fourth kill is sure to: it waits for a create whose answer is held)."""
SIZES = {"products": 150, "orders": 100, "customers": 30}
"""Enough work that 15 kills land before the passes run out of it: each restart goes on where
the killed one stopped, and a pass is quick (its state is written per page)."""
DEADLINE = 120.0
"""Generous bound on any single wait, so a hang fails the test instead of stalling CI."""


def _specs(tmp_path: Path) -> Path:
    """A copy of the example tenant whose file secret points at a file of the test."""
    root = tmp_path / "specs"
    shutil.copytree(ROOT / "specs" / TENANT, root / TENANT)
    secret = tmp_path / "mplus-secret"
    secret.write_text(SECRET)
    tenant = root / TENANT / "tenant.yaml"
    tenant.write_text(tenant.read_text().replace(SECRET_PATH, str(secret)))
    return root


def _command(verb: str, specs: Path, state: Path, sandboxes: Sandboxes, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "reconciler", verb, str(specs), "--tenant", TENANT]
    command += ["--state", f"sqlite:///{state}", *extra]
    for name, url in sandboxes.endpoints.items():
        command += ["--endpoint", f"{name}={url}"]
    return command


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def _apply_until_done(command: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Applies until one exits 0 (a record failed by a kill is retried on a later pass)."""
    done = []
    for _ in range(4):
        done.append(_run(command))
        assert "Traceback" not in done[-1].stderr, done[-1].stderr[-3000:]
        if done[-1].returncode == 0:
            return done
    raise AssertionError(f"apply did not finish cleanly:\n{done[-1].stdout[-3000:]}")


def _kill_at_random(
    command: list[str], sandboxes: Sandboxes, rng: random.Random, *, how: str
) -> tuple[bool, str]:
    """Start an apply and SIGKILL it. ``early``: after a random short delay (often before any
    write, even during start-up); ``writes``: once a random number of new writes reached the
    sandboxes, plus a random few milliseconds; ``held``: once a record create is done whose
    answer the sandboxes hold back, so the apply dies certain to have created a record it has
    not heard of. (killed?, how)"""
    before, held = sandboxes.writes, sandboxes.held
    sandboxes.hold(how == "held")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        if how == "early":
            delay = rng.uniform(0.05, 1.6)
            how = f"after {delay:.2f}s"
            time.sleep(delay)
        elif how == "held":
            while sandboxes.held == held and process.poll() is None:
                assert time.monotonic() < deadline, "no create reached the sandboxes"
                time.sleep(0.002)
            how = "with a create's answer held"
        else:
            writes = rng.randint(1, 12)
            how = f"after {writes} writes"
            while sandboxes.writes < before + writes and process.poll() is None:
                assert time.monotonic() < deadline, "no writes reached the sandboxes"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
        if process.poll() is not None:
            stderr = process.communicate(timeout=DEADLINE)[1]
            assert "Traceback" not in stderr, stderr[-3000:]
            return False, how
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=DEADLINE)
        assert process.returncode == -signal.SIGKILL
        return True, how
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        sandboxes.hold(False)


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_the_targets_as_one_clean_run(tmp_path: Path) -> None:
    """Kill `koppel apply` over the example tenant's five flows with SIGKILL at 15 random
    points — during start-up, in reads, mid-write and between a write and its answer — and
    restart it each time; then run it to completion. Both targets then hold every record
    exactly once (no POS order twice in AFAS, no debtor e-mail twice, no MplusKASSA article or
    relation e-mail twice), exactly what a clean uninterrupted run writes into fresh sandboxes,
    and a last `koppel plan --detailed-exitcode` finds nothing left to do. Every intent the
    kills left pending is settled, some of them as found in the target (killed after the write
    and before its answer: recorded, not written again)."""
    rng = random.Random(SEED)
    specs = _specs(tmp_path)
    with Sandboxes.start(**SIZES) as clean:
        _apply_until_done(_command("apply", specs, tmp_path / "clean.db", clean, "--confirm"))
        expected = clean.snapshot()
        assert clean.contents().duplicates() == {}
    assert len(expected["afas orders"]) == 104  # 100 generated paid sales + the demo's 4
    assert len(expected["kassa articles"]) >= 158

    state = tmp_path / "state.db"
    with Sandboxes.start(answer_delay=ANSWER_DELAY, **SIZES) as sandboxes:
        apply = _command("apply", specs, state, sandboxes, "--confirm")
        kills: list[str] = []
        finished = 0
        while len(kills) < KILLS:
            how = ("early", "writes", "held", "writes")[len(kills) % 4]
            killed, how = _kill_at_random(apply, sandboxes, rng, how=how)
            if killed:
                kills.append(how)
            else:
                finished += 1
                assert finished <= 3, f"the passes finished before {KILLS} kills: {kills}"
        writes_under_kills = sandboxes.writes
        _apply_until_done(apply)
        plan = _run(_command("plan", specs, state, sandboxes, "--detailed-exitcode"))
        contents = sandboxes.contents()
        actual = sandboxes.snapshot()

    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-2000:]
    assert contents.duplicates() == {}
    for what, records in expected.items():
        missing = sorted(set(records) - set(actual[what]), key=str)
        extra = sorted(set(actual[what]) - set(records), key=str)
        assert (missing, extra) == ([], []), f"{what}: missing {missing}, extra {extra}"
        different = [key for key in records if records[key] != actual[what][key]]
        assert different == [], (
            f"{what} differ from a clean run: {different[:5]}; the first, clean → now: "
            f"{records[different[0]]} → {actual[what][different[0]]}"
        )
    assert writes_under_kills > 50, "too few writes happened while the kills were landing"
    with sqlite3.connect(state) as db:
        pending = db.execute("SELECT count(*) FROM koppel_intents WHERE outcome IS NULL")
        recovered = db.execute(
            "SELECT count(*) FROM koppel_activity WHERE message LIKE 'found in the target after%'"
        )
        counts = pending.fetchone()[0], recovered.fetchone()[0]
    db.close()
    print(f"kills: {kills}; writes meanwhile: {writes_under_kills}; recovered: {counts[1]}")
    assert counts[0] == 0, "intents left pending after the last pass"
    held = kills.count("with a create's answer held")
    assert held >= 3, kills
    assert counts[1] >= held, (
        f"{held} kills left a created record unheard of, {counts[1]} were found on restart: "
        "recovery wrote a record again instead of finding it"
    )
