"""Reading OAuth2 token answers, and not repeating a refresh whose answer was lost."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectors.errors import SECRETS
from connectors.oauth import TokenAnswer, token_answer
from connectors.vismanet.client import DEFAULT_SETTINGS, VismaNetClient
from reconciler.errors import ProtocolError, UnavailableError


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


@pytest.mark.parametrize(
    ("refresh", "calls"), [("ref-oauth-3", 1), (None, DEFAULT_SETTINGS.retry.attempts)]
)
def test_a_lost_refresh_answer_is_not_repeated(refresh: str | None, calls: int) -> None:
    """A refresh token may be spent by a request whose answer was lost, so that request is not
    sent again; a client-credentials request is (it spends nothing)."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        raise httpx.ReadError("connection dropped", request=request)

    async def no_wait(_: float) -> None:
        return None

    client = VismaNetClient(
        company_id="1",
        client_id="cid",
        client_secret="csecret-oauth",
        refresh_token=refresh,
        transport=httpx.MockTransport(handler),
        sleep=no_wait,
    )

    async def run() -> None:
        try:
            await client.get("/controller/api/v1/customer", operation="customers")
        finally:
            await client.aclose()

    with pytest.raises(UnavailableError):
        asyncio.run(run())
    assert len(sent) == calls
