"""SecretResolver.keep: where a rotated secret goes, and that its value is never logged."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from reconciler.secrets import SecretResolver
from reconciler.spec.models.base import SecretRef


def test_a_file_reference_is_rewritten_atomically(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("old\n")
    resolver = SecretResolver({})
    ref = SecretRef(file=str(secret))
    assert resolver.keep(ref, "new-value", what="X refresh token") is True
    assert resolver.resolve(ref, what="X") == "new-value"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["token"]


def test_an_environment_variable_keeps_it_for_this_process_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    resolver = SecretResolver({"TOKEN": "old"})
    ref = SecretRef(env="TOKEN")
    with caplog.at_level(logging.WARNING, logger="koppel.secrets"):
        assert resolver.keep(ref, "rotated-secret-value", what="X refresh token") is False
    assert resolver.resolve(ref, what="X") == "rotated-secret-value"
    assert "{file: PATH}" in caplog.text
    assert "rotated-secret-value" not in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_file_is_a_warning_without_the_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "token").write_text("old")
    folder.chmod(0o500)
    try:
        with caplog.at_level(logging.WARNING, logger="koppel.secrets"):
            kept = SecretResolver({}).keep(
                SecretRef(file=str(folder / "token")), "rotated-secret-value", what="X"
            )
    finally:
        folder.chmod(0o700)
    assert kept is False
    assert "cannot be rewritten" in caplog.text
    assert "rotated-secret-value" not in caplog.text


def test_a_missing_folder_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="koppel.secrets"):
        kept = SecretResolver({}).keep(
            SecretRef(file=str(tmp_path / "gone" / "token")), "rotated-secret-value", what="X"
        )
    assert kept is False
    assert "rotated-secret-value" not in caplog.text
