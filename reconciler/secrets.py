"""Resolving secret references ({env: NAME} or {file: PATH}) to their values, at run time only.

Effectful (it reads the environment and files), so it is kept out of the pure spec layer. A
reference that cannot be resolved raises ``SecretError`` naming the reference, never a value.
Resolved values are registered with the connectors' masking registry by the clients that use them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SecretError
from reconciler.spec.models.base import SecretRef


class SecretResolver:
    """Resolves references against an environment (``os.environ`` by default) and the disk."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, files: Mapping[str, str] | None = None
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._files = dict(files or {})
        """Path -> content standing in for secret files (the demo and tests)."""

    def resolve(self, ref: SecretRef, *, what: str) -> str:
        """The secret's value; ``what`` says whose secret it is, for the error message."""
        if ref.env is not None:
            value = self._environ.get(ref.env)
            if value is None or not value.strip():
                raise SecretError(
                    f"{what}: the environment variable {ref.env} is not set",
                    hint=f"export {ref.env}=… (or mount it from your secret store)",
                )
            return value.strip()
        if ref.file in self._files:
            return self._files[str(ref.file)]
        path = Path(str(ref.file))
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise SecretError(
                f"{what}: cannot read the secret file {path}: {reason}",
                hint="check that the file is mounted and readable by koppel",
            ) from exc
        if not value:
            raise SecretError(f"{what}: the secret file {path} is empty")
        return value
