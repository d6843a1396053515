"""``koppel run``: the long-lived reconciler, with its HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import parse_endpoints
from reconciler.cli.handling import handle_errors
from reconciler.errors import UsageError
from reconciler.process import settle_startup
from reconciler.spec.models.base import SecretRef


def _secret_ref(value: str | None, option: str) -> SecretRef | None:
    if value is None:
        return None
    kind, sep, name = value.partition(":")
    if not sep or kind not in ("env", "file") or not name:
        raise UsageError(f"{option} {value!r}: write env:NAME or file:PATH")
    return SecretRef(env=name) if kind == "env" else SecretRef(file=name)


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--listen {value!r}: write HOST:PORT, e.g. 127.0.0.1:8080")
    return host or "127.0.0.1", int(port)


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn without its own signal handling: koppel's handler stops the reconciler
        first (finishing the records in flight, releasing leases) and then the server."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


@click.command()
@click.option("--repo", required=True, help="The spec repository: a URL or a local path.")
@click.option("--branch", default="main", show_default=True)
@click.option(
    "--path",
    "spec_path",
    default="specs",
    show_default=True,
    help="The spec directory inside the repository.",
)
@click.option(
    "--state",
    "state_url",
    envvar="KOPPEL_STATE",
    help="State store URL (default sqlite:///.koppel/state.db; PostgreSQL for several replicas).",
)
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    help="Where the server listens (loopback unless told otherwise).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".koppel/work"),
    show_default=True,
)
@click.option(
    "--poll",
    type=click.FloatRange(min=5),
    default=60.0,
    show_default=True,
    help="Seconds between fetches of the repository.",
)
@click.option(
    "--webhook-secret",
    envvar="KOPPEL_WEBHOOK_SECRET_REF",
    help="env:NAME or file:PATH holding the git webhook's HMAC secret.",
)
@click.option(
    "--action-token",
    envvar="KOPPEL_ACTION_TOKEN_REF",
    help="env:NAME or file:PATH holding the bearer token for operator actions.",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="CONNECTION=URL",
    help="Use another base URL for a connection (sandboxes).",
)
@click.option(
    "--notify-webhook",
    envvar="KOPPEL_NOTIFY_WEBHOOK_REF",
    help="env:NAME or file:PATH holding the URL told when a flow starts failing and when it "
    "recovers (Slack-compatible JSON); default: env:KOPPEL_NOTIFY_WEBHOOK when that is set.",
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    envvar="KOPPEL_LOG_FORMAT",
    default="json",
    show_default=True,
)
@click.option("--log-level", envvar="KOPPEL_LOG_LEVEL", default="info", show_default=True)
@handle_errors
def run(
    *,
    repo: str,
    branch: str,
    spec_path: str,
    state_url: str | None,
    listen: str,
    workdir: Path,
    poll: float,
    webhook_secret: str | None,
    action_token: str | None,
    endpoints: tuple[str, ...],
    notify_webhook: str | None,
    log_format: str,
    log_level: str,
) -> None:
    """Run the reconciler until SIGTERM: watch the repository, run the flows, serve status."""
    from reconciler.logs import configure_logging
    from reconciler.loop.reconciler import LoopSettings

    configure_logging(
        log_level,
        "json" if log_format == "json" else "text",
        static={"replica": LoopSettings().holder},
    )
    if notify_webhook is None and os.environ.get("KOPPEL_NOTIFY_WEBHOOK"):
        notify_webhook = "env:KOPPEL_NOTIFY_WEBHOOK"
    host, port = _listen(listen)
    asyncio.run(
        _serve(
            repo=repo,
            branch=branch,
            spec_path=spec_path,
            state_url=state_url,
            host=host,
            port=port,
            workdir=workdir,
            poll=poll,
            webhook_ref=_secret_ref(webhook_secret, "--webhook-secret"),
            token_ref=_secret_ref(action_token, "--action-token"),
            notify_ref=_secret_ref(notify_webhook, "--notify-webhook"),
            endpoints=parse_endpoints(endpoints),
        )
    )


async def _serve(
    *,
    repo: str,
    branch: str,
    spec_path: str,
    state_url: str | None,
    host: str,
    port: int,
    workdir: Path,
    poll: float,
    webhook_ref: SecretRef | None,
    token_ref: SecretRef | None,
    notify_ref: SecretRef | None,
    endpoints: dict[str, str],
) -> None:
    import uvicorn

    from reconciler.loop.gitsource import GitSource
    from reconciler.loop.reconciler import LoopSettings, Reconciler
    from reconciler.passes.setup import Connections
    from reconciler.secrets import SecretResolver
    from reconciler.server.app import create_app
    from reconciler.state.factory import open_store

    secrets = SecretResolver()
    webhook = secrets.resolve(webhook_ref, what="webhook secret") if webhook_ref else None
    token = secrets.resolve(token_ref, what="action token") if token_ref else None
    notify_url = secrets.resolve(notify_ref, what="notification webhook") if notify_ref else None
    store = open_store(state_url)
    try:
        reconciler = Reconciler(
            source=GitSource(repo, workdir=workdir, branch=branch, path=spec_path),
            store=store,
            connections=Connections(secrets=secrets, endpoints=endpoints),
            settings=LoopSettings(poll_interval=poll),
        )
        notifier = _notifier(reconciler, notify_url)
        app = create_app(reconciler, webhook_secret=webhook, action_token=token)
        server = _quiet_server_class()(
            # log_config=None: uvicorn's lines go through koppel's (JSON) logging too.
            uvicorn.Config(
                app, host=host, port=port, log_level="warning", lifespan="off", log_config=None
            )
        )
        loop = asyncio.get_running_loop()

        def stop() -> None:
            reconciler.stopping.set()
            server.should_exit = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        click.echo(
            f"koppel run: {repo}@{branch}/{spec_path}; serving on http://{host}:{port}", err=True
        )
        settle_startup()
        await asyncio.gather(reconciler.run(), server.serve())
        if notifier is not None:
            await notifier.flush()
            await notifier.wait_idle()
            await notifier.sender.aclose()
    finally:
        store.close()


def _notifier(reconciler: Any, url: str | None) -> Any:
    """Wire failure/recovery notifications into the reconciler's pass callback."""
    if url is None:
        return None
    from reconciler.notify import Notifier, WebhookSender, state_of

    sender = WebhookSender(url)
    notifier = Notifier(sender)
    pending: set[asyncio.Task[bool]] = set()

    def on_revision(status: Any) -> None:
        # A rejected revision is announced once: refresh validates each new commit only once.
        good = status.good.short if status.good else "none"
        first = status.problems[0].render() if status.problems else ""
        body = {
            "text": f":x: koppel: spec revision {status.rejected} is invalid "
            f"({len(status.problems)} problems) and was not applied; revision {good} keeps "
            f"running. First problem: {first}",
            "revision": status.rejected,
            "applied": good,
            "problems": [d.render() for d in status.problems[:10]],
        }
        task = asyncio.get_running_loop().create_task(sender.send(body))
        pending.add(task)
        task.add_done_callback(pending.discard)

    def on_pass(key: tuple[str, str], report: Any, error: str | None) -> None:
        good = reconciler.revision.good
        state = state_of(
            key[0], key[1], report=report, error=error, revision=good.short if good else None
        )
        if state is not None:
            notifier.submit(state)

    reconciler.on_pass = on_pass
    reconciler.on_revision = on_revision
    return notifier
