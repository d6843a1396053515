"""``koppel sandbox SYSTEM``: run a system's sandbox (its real wire protocol, in memory)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from reconciler.cli.handling import handle_errors
from reconciler.errors import UsageError

SANDBOXES = {
    "afas": "connectors.afas.sandbox",
    "mpluskassa": "connectors.mpluskassa.sandbox",
    "aspos": "connectors.aspos.sandbox",
    "twinfield": "connectors.twinfield.sandbox",
    "eaccounting": "connectors.eaccounting.sandbox",
    "economic": "connectors.economic.sandbox",
    "vismanet": "connectors.vismanet.sandbox",
}
"""System -> sandbox module exposing ``create_app`` and ``DEFAULT_CREDENTIALS``."""


def _module(system: str) -> ModuleType:
    if system not in SANDBOXES:
        raise UsageError(f"no sandbox for {system!r}; available: {', '.join(sorted(SANDBOXES))}")
    try:
        return importlib.import_module(SANDBOXES[system])
    except ModuleNotFoundError as exc:
        raise UsageError(f"the {system} sandbox is not installed in this build") from exc


def credentials_of(system: str, given: Mapping[str, str]) -> dict[str, str]:
    """The sandbox's default credentials with the given ones laid over; an unknown name is a
    usage error listing the known ones."""
    defaults: Mapping[str, str] = getattr(_module(system), "DEFAULT_CREDENTIALS", {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise UsageError(
            f"the {system} sandbox takes no credential {', '.join(unknown)}; "
            f"it takes: {', '.join(sorted(defaults)) or 'none'}"
        )
    return {**defaults, **given}


def sandbox_app(system: str, *, seed: Path | None, credentials: Mapping[str, str]) -> Any:
    """The ASGI app of a system's sandbox accepting the given credentials (defaults for the
    others)."""
    return _module(system).create_app(seed=seed, **credentials_of(system, credentials))


def _secretish(name: str) -> bool:
    return any(part in name for part in ("secret", "token", "key", "password"))


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise UsageError(f"--credential {value!r}: expected NAME=VALUE, e.g. token=abc")
        pairs[name.strip().replace("-", "_")] = text
    return pairs


@click.command()
@click.argument("system", type=click.Choice(sorted(SANDBOXES)))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="0: a free port, bound before the address is printed.",
)
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
    "--credential",
    "given",
    multiple=True,
    metavar="NAME=VALUE",
    help="A credential the sandbox accepts instead of its default, e.g. token=abc (AFAS), "
    "ident=… secret=… (MplusKASSA), api_key=… (AsPos), access_token=… (OAuth2 systems); "
    "repeatable. KOPPEL_SANDBOX_<NAME> variables set them too.",
)
@click.option("--token", default=None, help="AFAS: the token data clients must send.")
@click.option("--ident", default=None, help="MplusKASSA: the ident clients must send.")
@click.option("--secret", default=None, help="MplusKASSA: the secret clients must send.")
@handle_errors
def sandbox(
    *,
    system: str,
    port: int,
    host: str,
    seed: Path | None,
    given: tuple[str, ...],
    token: str | None,
    ident: str | None,
    secret: str | None,
) -> None:
    """Run the sandbox of SYSTEM until interrupted.

    Faults can be injected at run time: POST /_sandbox/faults with JSON such as
    {"fail_next": 3, "fail_status": 503} or {"rate_limit_after": 5, "retry_after": 1};
    POST /_sandbox/reset restores the seed data and clears the faults.
    """
    import os

    defaults: Mapping[str, str] = getattr(_module(system), "DEFAULT_CREDENTIALS", {})
    from_env = {
        name: os.environ[f"KOPPEL_SANDBOX_{name.upper()}"]
        for name in defaults
        if f"KOPPEL_SANDBOX_{name.upper()}" in os.environ
    }
    named = {"token": token, "ident": ident, "secret": secret}
    options = {k: v for k, v in named.items() if v is not None and k in defaults}
    credentials = credentials_of(system, {**from_env, **options, **_pairs(given)})
    app = sandbox_app(system, seed=seed, credentials=credentials)
    given_names = {*from_env, *options, *_pairs(given)}
    # The built-in defaults are public sandbox values; what a person gave is not repeated.
    shown = ", ".join(
        f"{k}=…" if k in given_names and _secretish(k) else f"{k}={v}"
        for k, v in credentials.items()
    )
    from connectors.sandbox import base_url, listen, serve

    sock = listen(host, port)
    url = base_url(sock)
    click.echo(f"{system} sandbox on {url} ({shown}; Ctrl-C stops it)", err=True)
    serve(app, sock)
