"""`koppel run` as a real process against both sandboxes: it loads the spec repository, runs
the flows, serves its status, logs JSON, and on SIGTERM finishes, lets go and exits 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import httpx

from connectors.afas.sandbox import create_app as afas_app
from connectors.mpluskassa.sandbox import create_app as mplus_app
from connectors.sandbox import SandboxServer, free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "reconciler" / "demo" / "seeds" / "bakkerij-jansen"
TENANT = "bakkerij-jansen"
TOKEN, IDENT, SECRET = "afas-e2e-token-9f3a", "mplus-e2e-ident-77c1", "mplus-e2e-secret-41d0"


def _wait(url: str, deadline: float) -> httpx.Response:
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=1)
            if answer.status_code == 200:
                return answer
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time")


def test_koppel_run_reconciles_and_stops_gracefully(tmp_path: Path) -> None:
    """The process becomes ready, passes write into the sandboxes with the revision on every
    activity row, /metrics counts them, logs are JSON without credentials, and SIGTERM ends it
    with exit status 0."""
    repo = git.Repo.init(tmp_path / "specs-repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ine Tegrator")
        config.set_value("user", "email", "ine@example.test")
    shutil.copytree(ROOT / "specs" / TENANT, tmp_path / "specs-repo" / "specs" / TENANT)
    repo.git.add(A=True)
    sha = repo.index.commit("bakkerij specs").hexsha[:12]
    port = free_port()
    with (
        SandboxServer(afas_app(seed=DEMO / "afas.json", token=TOKEN)) as afas,
        SandboxServer(mplus_app(seed=DEMO / "kassa.json", ident=IDENT, secret=SECRET)) as kassa,
    ):
        secret_file = tmp_path / "mplus-secret"
        secret_file.write_text(SECRET)
        spec_file = tmp_path / "specs-repo" / "specs" / TENANT / "tenant.yaml"
        assert "/run/secrets/mplus-jansen-secret" in spec_file.read_text()
        env = {
            **os.environ,
            "AFAS_JANSEN_TOKEN": TOKEN,
            "MPLUS_JANSEN_IDENT": IDENT,
            "HOOK_SECRET": "hook",
            "ACTION_TOKEN": "act",
        }
        # The spec names a file secret; point it at the test's file through a copy of the spec.
        spec_file.write_text(
            spec_file.read_text().replace("/run/secrets/mplus-jansen-secret", str(secret_file))
        )
        repo.git.add(A=True)
        sha = repo.index.commit("secret file for the test").hexsha[:12]
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "run",
                "--repo",
                str(tmp_path / "specs-repo"),
                "--state",
                f"sqlite:///{tmp_path}/state.db",
                "--listen",
                f"127.0.0.1:{port}",
                "--workdir",
                str(tmp_path / "work"),
                "--webhook-secret",
                "env:HOOK_SECRET",
                "--action-token",
                "env:ACTION_TOKEN",
                "--endpoint",
                f"afas={afas.url}/ProfitRestServices",
                "--endpoint",
                f"kassa={kassa.url}",
                "--poll",
                "30",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            try:
                ready = _wait(f"{base}/readyz", deadline)
            except AssertionError:
                process.kill()
                print(process.communicate()[1][-3000:])
                raise
            assert ready.json()["revision"] == sha
            while time.monotonic() < deadline:
                status = httpx.get(f"{base}/api/status", timeout=2).json()
                creates = [a for a in status["activity"] if a["action"] == "create"]
                if len(creates) >= 4:
                    break
                time.sleep(0.3)
            assert {a["revision"] for a in status["activity"]} == {sha}
            metrics = httpx.get(f"{base}/metrics", timeout=2).text
            assert 'koppel_records_total{action="create"' in metrics
            assert f'revision="{sha}",state="applied"' in metrics
            assert 'koppel_target_requests_total{status="200",system="afas-profit"}' in metrics
            assert 'koppel_target_requests_total{status="200",system="mpluskassa"}' in metrics
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line.get("message") == "spec revision applied" for line in lines), err[-2000:]
    actions = [line for line in lines if line.get("event") == "action"]
    assert actions, "one log event per action"
    created = next(line for line in actions if line["action"] == "create")
    assert created["revision"] == sha
    assert created["diff"]["created"]
    for value in (TOKEN, IDENT, SECRET):
        assert value not in err  # credentials never reach the logs
