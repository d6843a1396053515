"""Reading OAuth2 token answers."""

from __future__ import annotations

import httpx
import pytest

from connectors.errors import SECRETS
from connectors.oauth import TokenAnswer, token_answer
from reconciler.errors import ProtocolError


def _response(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", "http://id/token"))


def test_an_answer_gives_its_tokens_and_masks_them() -> None:
    answer = token_answer(
        _response(
            {"access_token": "acc-oauth-1", "refresh_token": "ref-oauth-1", "expires_in": 60}
        ),
        system="s",
        operation="token",
    )
    assert answer == TokenAnswer("acc-oauth-1", "ref-oauth-1", 60.0)
    assert "acc-oauth-1" not in SECRETS.mask("acc-oauth-1 ref-oauth-1")
    assert "ref-oauth-1" not in SECRETS.mask("acc-oauth-1 ref-oauth-1")
    bare = token_answer(_response({"access_token": "acc-oauth-2"}), system="s", operation="t")
    assert (bare.refresh_token, bare.expires_in) == (None, None)


@pytest.mark.parametrize("body", [{"token_type": "bearer"}, {"access_token": ""}, ["x"], "x"])
def test_an_answer_without_an_access_token_is_a_protocol_error(body: object) -> None:
    with pytest.raises(ProtocolError, match="without an access_token"):
        token_answer(_response(body), system="s", operation="token")


def test_rotation_keeps_the_new_refresh_token_and_says_so() -> None:
    told: list[str] = []
    assert TokenAnswer("a", "new").rotate("old", told.append) == "new"
    assert TokenAnswer("a", "same").rotate("same", told.append) == "same"
    assert TokenAnswer("a", None).rotate("old", told.append) == "old"
    assert told == ["new"]
