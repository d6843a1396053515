"""``koppel sandbox``: which credentials a sandbox takes, and clear errors for the others."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.cli.sandbox import credentials_of, sandbox_app
from reconciler.errors import UsageError


def test_defaults_are_laid_under_the_given_credentials() -> None:
    assert credentials_of("afas", {}) == {"token": "sandbox-token"}
    assert credentials_of("mpluskassa", {"secret": "s3"}) == {
        "ident": "sandbox-ident",
        "secret": "s3",
    }


def test_an_unknown_credential_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="takes no credential api_key; it takes: token"):
        credentials_of("afas", {"api_key": "x"})


def test_the_app_accepts_the_given_token() -> None:
    app = sandbox_app("afas", seed=None, credentials={"token": "abc"})
    assert app.sandbox.token == "abc"


def test_a_credential_without_a_value_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(cli, ["sandbox", "afas", "--credential", "token"])
    assert outcome.exit_code == 2
    assert "expected NAME=VALUE" in outcome.output


@pytest.mark.parametrize(
    "system", ["afas", "mpluskassa", "aspos", "twinfield", "eaccounting", "economic", "vismanet"]
)
def test_every_system_has_a_sandbox_that_starts(
    system: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each system's sandbox is built by `koppel sandbox` with its defaults; a credential a
    person gives is not echoed, a port of 0 becomes a free one, bound before it is announced."""
    import connectors.sandbox

    served: list[int] = []

    def serve(app: object, sock: socket.socket) -> None:
        served.append(sock.getsockname()[1])
        sock.close()

    monkeypatch.setattr(connectors.sandbox, "serve", serve)
    name = next(iter(credentials_of(system, {})))
    outcome = CliRunner().invoke(
        cli, ["sandbox", system, "--port", "0", "--credential", f"{name}=s3cr3t-value"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert served
    assert served[0] > 0
    assert f"sandbox on http://127.0.0.1:{served[0]} (" in outcome.output
    secretish = any(part in name for part in ("secret", "token", "key"))
    assert ("s3cr3t-value" in outcome.output) is not secretish


def test_a_port_in_use_is_a_usage_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = CliRunner().invoke(cli, ["sandbox", "afas", "--port", str(port)])
    assert outcome.exit_code == 2
    assert f"error: cannot serve on 127.0.0.1:{port}: Address already in use" in outcome.output
    assert "hint: pick another port, or 0 for a free one" in outcome.output
