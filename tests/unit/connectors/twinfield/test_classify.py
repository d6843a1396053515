"""Twinfield's identity server errors as koppel's error classes."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.twinfield.client import classify
from reconciler.errors import AuthenticationError


def _refused(**kwargs: Any) -> httpx.Response:
    request = httpx.Request("POST", "https://login.twinfield.com/auth/authentication/connect/token")
    return httpx.Response(400, request=request, **kwargs)


def test_the_identity_servers_own_words_are_the_message() -> None:
    error = classify(_refused(json={"error": "invalid_grant"}), "identity token")
    assert isinstance(error, AuthenticationError)
    assert "invalid_grant" in str(error)


def test_an_answer_without_words_shows_its_body_not_none() -> None:
    """A body that names no error (not JSON, or JSON without the keys) is shown as it came."""
    for response in (_refused(text="Bad Request: grant refused"), _refused(json={"x": 1})):
        error = classify(response, "identity token")
        assert isinstance(error, AuthenticationError)
        assert "None" not in str(error)
    assert "grant refused" in str(
        classify(_refused(text="Bad Request: grant refused"), "identity token")
    )
