"""``python -m reconciler``: the same as the ``koppel`` command."""

from reconciler.cli.main import main

main()
