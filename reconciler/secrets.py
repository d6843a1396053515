"""Resolving secret references ({env: NAME} or {file: PATH}) to their values, at run time only.

Effectful (it reads the environment and files), so it is kept out of the pure spec layer. A
reference that cannot be resolved raises ``SecretError`` naming the reference, never a value.
Resolved values are registered with the connectors' masking registry by the clients that use them.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SecretError
from reconciler.spec.models.base import SecretRef

log = logging.getLogger("koppel.secrets")


class SecretResolver:
    """Resolves references against an environment (``os.environ`` by default) and the disk."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, files: Mapping[str, str] | None = None
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._files = dict(files or {})
        self._kept: dict[str, str] = {}
        """Environment variable -> a rotated value this process keeps in its place."""
        """Path -> content standing in for secret files (the demo and tests)."""

    def resolve(self, ref: SecretRef, *, what: str) -> str:
        """The secret's value; ``what`` says whose secret it is, for the error message."""
        if ref.env is not None and ref.env in self._kept:
            return self._kept[ref.env]
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

    def keep(self, ref: SecretRef, value: str, *, what: str) -> bool:
        """Store a rotated secret (an OAuth2 refresh token spent by its use) where ``ref``
        points, so the next process starts from it; True when it outlives this process.

        A file reference is rewritten atomically (a temporary file beside it, mode 0600, then a
        rename); an environment variable cannot be changed from here, so the value is kept for
        this process only and a warning says to use a file reference. Never logs the value."""
        if ref.env is not None:
            self._kept[ref.env] = value
            log.warning(
                "%s rotated; the environment variable %s cannot keep it past this process: "
                "refer to it as {file: PATH} so koppel can store the new one",
                what,
                ref.env,
            )
            return False
        path = str(ref.file)
        if path in self._files:
            self._files[path] = value
            return True
        target = Path(path)
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(value + "\n")
                os.chmod(temporary, 0o600)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning(
                "%s rotated but the secret file %s cannot be rewritten (%s): the next process "
                "starts from the old one",
                what,
                target,
                exc.strerror or type(exc).__name__,
            )
            return False
        return True
