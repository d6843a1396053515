"""The audit tests share the spec repository with a known history (tests/fixtures/audit_repo)."""

from tests.fixtures.audit_repo import spec_history

__all__ = ["spec_history"]
