"""Secret references resolve from the environment and files, and fail without leaking."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SecretError
from reconciler.secrets import SecretResolver
from reconciler.spec.models.base import SecretRef


def test_env_and_file_references(tmp_path: Path) -> None:
    """{env} reads the variable, {file} the file without its trailing newline."""
    secret = tmp_path / "token"
    secret.write_text("file-value\n")
    resolver = SecretResolver({"AFAS_TOKEN": "env-value"})
    assert resolver.resolve(SecretRef(env="AFAS_TOKEN"), what="t") == "env-value"
    assert resolver.resolve(SecretRef(file=str(secret)), what="t") == "file-value"


def test_missing_references_name_the_reference_not_a_value(tmp_path: Path) -> None:
    """An unset variable or a missing file is a SecretError saying which and what to do."""
    resolver = SecretResolver({"OTHER": "s3cret-value"})
    with pytest.raises(SecretError, match="AFAS_TOKEN is not set") as caught:
        resolver.resolve(SecretRef(env="AFAS_TOKEN"), what="tenant x connection afas")
    assert "s3cret-value" not in str(caught.value)
    with pytest.raises(SecretError, match="cannot read the secret file"):
        resolver.resolve(SecretRef(file=str(tmp_path / "absent")), what="t")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SecretError, match="is empty"):
        resolver.resolve(SecretRef(file=str(empty)), what="t")
