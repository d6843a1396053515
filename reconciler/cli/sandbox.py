"""``koppel sandbox SYSTEM``: run a system's sandbox (its real wire protocol, in memory)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from reconciler.cli.handling import handle_errors
from reconciler.errors import UsageError

SANDBOXES = {
    "afas": "connectors.afas.sandbox",
    "mpluskassa": "connectors.mpluskassa.sandbox",
}
"""System -> sandbox module exposing ``create_app``."""


def sandbox_app(system: str, *, seed: Path | None, credentials: dict[str, str]) -> Any:
    """The ASGI app of a system's sandbox with the given credentials."""
    if system not in SANDBOXES:
        raise UsageError(f"no sandbox for {system!r}; available: {', '.join(sorted(SANDBOXES))}")
    module = importlib.import_module(SANDBOXES[system])
    return module.create_app(seed=seed, **credentials)


@click.command()
@click.argument("system", type=click.Choice(sorted(SANDBOXES)))
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (loopback unless told otherwise).",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed file with the sandbox's data (default: the built-in demo data).",
)
@click.option(
    "--token",
    envvar="KOPPEL_SANDBOX_TOKEN",
    default="sandbox-token",
    show_default=True,
    help="AFAS: the token data clients must send.",
)
@click.option(
    "--ident",
    envvar="KOPPEL_SANDBOX_IDENT",
    default="sandbox-ident",
    show_default=True,
    help="MplusKASSA: the ident clients must send.",
)
@click.option(
    "--secret",
    envvar="KOPPEL_SANDBOX_SECRET",
    default="sandbox-secret",
    show_default=True,
    help="MplusKASSA: the secret clients must send.",
)
@handle_errors
def sandbox(
    *, system: str, port: int, host: str, seed: Path | None, token: str, ident: str, secret: str
) -> None:
    """Run the sandbox of SYSTEM until interrupted.

    Faults can be injected at run time: POST /_sandbox/faults with JSON such as
    {"fail_next": 3, "fail_status": 503} or {"rate_limit_after": 5, "retry_after": 1};
    POST /_sandbox/reset restores the seed data and clears the faults.
    """
    import uvicorn

    credentials = {"token": token} if system == "afas" else {"ident": ident, "secret": secret}
    app = sandbox_app(system, seed=seed, credentials=credentials)
    click.echo(f"{system} sandbox on http://{host}:{port} (Ctrl-C stops it)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
