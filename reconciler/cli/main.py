"""``koppel``: the command-line entry point and the commands' shared plumbing.

Each command parses its options, calls one library function and renders the result. Errors from
the library (``KoppelError``) are printed as one actionable line with their exit code; a
traceback is a bug.
"""

from __future__ import annotations

from importlib.metadata import version

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("koppel"), prog_name="koppel")
def cli() -> None:
    """koppel: integration-as-code for retail ERP and point-of-sale systems.

    Specs (YAML in git) declare tenants, flows, mappings and tables; koppel validates them and
    reconciles the target systems to match.
    """


def _register() -> None:
    from reconciler.cli import (
        audit,
        demo,
        passes,
        records,
        run,
        sandbox,
        schemas,
        spectest,
        validate,
    )

    cli.add_command(validate.validate)
    cli.add_command(schemas.schemas)
    cli.add_command(demo.demo)
    cli.add_command(spectest.spec_test)
    cli.add_command(passes.plan)
    cli.add_command(passes.apply)
    cli.add_command(records.activity)
    cli.add_command(records.quarantine)
    cli.add_command(sandbox.sandbox)
    cli.add_command(run.run)
    cli.add_command(audit.history)
    cli.add_command(audit.diff)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="koppel")
