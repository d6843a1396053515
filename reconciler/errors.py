"""The one exception hierarchy of koppel.

Every error a person can meet says what failed, where, and what to do about it, and carries the
process exit code the CLI uses for it. Retry decisions are made on two markers only, never on the
error's domain: ``Transient`` (try again, after ``delay`` seconds when the cause says so) and
``Permanent`` (trying again cannot help).

    KoppelError (reason, hint, exit_code)
    ├── UsageError                     wrong command-line use                        exit 2
    ├── SpecError                      the desired state cannot be used               exit 1
    │   └── SpecInvalid                validation found problems (carries diagnostics)
    ├── SecretError                    a secret reference cannot be resolved          exit 1
    ├── MappingError                   a record cannot be mapped (rule, record key)
    ├── PlanError                      a plan cannot be made (e.g. empty desired set)
    ├── StateError                     the state store failed or is busy
    └── ConnectorError                 a target system call failed (system, operation)
        ├── AuthenticationError        credentials refused                     Permanent
        ├── NotFoundError              the record or endpoint does not exist   Permanent
        ├── RejectedError              the target's own validation said no     Permanent
        ├── ProtocolError              the target answered something we cannot read  Permanent
        ├── RateLimitedError           429 / budget exhausted (retry_after)     Transient
        └── UnavailableError           5xx, timeouts, dropped connections       Transient

Messages never contain secret values: connectors mask them before raising (``connectors.errors``).
"""

from __future__ import annotations


class Transient:
    """Marker: the operation may succeed when tried again, after ``delay`` seconds if known."""

    delay: float | None = None


class Permanent:
    """Marker: trying the same operation again cannot succeed; a person has to act."""


class KoppelError(Exception):
    """Root of every error koppel raises on purpose.

    ``reason`` says what failed and where; ``hint`` says what to do; ``exit_code`` is what the
    CLI exits with when this error ends a command.
    """

    exit_code: int = 1

    def __init__(self, reason: str, *, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.reason} ({self.hint})"
        return self.reason


class UsageError(KoppelError):
    """The command line was used wrongly: a missing directory, a bad option value."""

    exit_code = 2


class SpecError(KoppelError):
    """The desired state cannot be loaded or used."""


class SpecInvalid(SpecError):
    """Validation found problems; ``diagnostics`` holds every one of them."""

    def __init__(self, diagnostics: list[object]) -> None:
        count = len(diagnostics)
        super().__init__(
            f"the specs have {count} problem{'s' if count != 1 else ''}",
            hint="run `koppel validate` to see each with its file, line and column",
        )
        self.diagnostics = diagnostics


class SecretError(KoppelError):
    """A secret reference ({env: NAME} or {file: PATH}) could not be resolved."""


class MappingError(KoppelError, Permanent):
    """A record could not be mapped: names the rule's spec file and line and the record key."""


class PlanError(KoppelError):
    """A plan could not be made, e.g. the desired set is suddenly empty."""


class StateError(KoppelError):
    """The state store failed, is locked by another process, or is at an unknown schema version."""


class ConnectorError(KoppelError):
    """A call to a target system failed.

    ``system`` and ``operation`` say where; ``status`` is the HTTP status when there was one;
    ``reference`` is the target's own log reference (AFAS ``profitLogReference``, e-conomic
    ``logId``) so a person can find the event on the target's side.
    """

    def __init__(
        self,
        reason: str,
        *,
        system: str,
        operation: str,
        status: int | None = None,
        reference: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"{system} {operation}"
        if status is not None:
            where += f" (HTTP {status})"
        text = f"{where}: {reason}"
        if reference:
            text += f" [reference {reference}]"
        super().__init__(text, hint=hint)
        self.system = system
        self.operation = operation
        self.status = status
        self.reference = reference
        self.detail = reason
        # True when the request may have been carried out although it failed (a timeout after
        # sending, a 500 mid-write): the caller must look the record up before writing again.
        self.maybe_applied = False


class AuthenticationError(ConnectorError, Permanent):
    """The target refused the credentials (401/403, SOAP Client.Authentication)."""


class NotFoundError(ConnectorError, Permanent):
    """The record, connector or endpoint does not exist in the target."""


class RejectedError(ConnectorError, Permanent):
    """The target's own validation rejected the request; its message is kept verbatim."""


class ProtocolError(ConnectorError, Permanent):
    """The target answered in a shape the client cannot read."""


class UnavailableError(ConnectorError, Transient):
    """The target is unavailable: 5xx, timeout or dropped connection."""

    def __init__(
        self,
        reason: str,
        *,
        system: str,
        operation: str,
        status: int | None = None,
        reference: str | None = None,
        hint: str | None = None,
        delay: float | None = None,
        refused: bool = False,
    ) -> None:
        super().__init__(
            reason,
            system=system,
            operation=operation,
            status=status,
            reference=reference,
            hint=hint,
        )
        self.delay = delay
        # The target said it did nothing (a lock held by another user): sending it again is
        # safe even for a create, so such an error is never ``maybe_applied``.
        self.refused = refused


class RateLimitedError(UnavailableError):
    """The target asked us to slow down (429, or a budget header ran out)."""
