"""The AFAS sandbox when a client goes away mid-request (found by the crash test, which kills
koppel with SIGKILL while it writes)."""

from __future__ import annotations

import asyncio
from typing import Any

from connectors.afas.client import token_header
from connectors.afas.sandbox import create_app


def test_a_write_whose_client_disconnected_is_dropped_without_an_exception() -> None:
    """A POST whose body never arrives (the client was killed) is answered 499 and writes
    nothing, as MplusKASSA's sandbox does, instead of an unhandled ClientDisconnect traceback
    from the server."""
    app = create_app(token="t0k3n")
    orders = dict(app.sandbox.store.orders)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ProfitRestServices/connectors/FbSales",
        "raw_path": b"/ProfitRestServices/connectors/FbSales",
        "query_string": b"",
        "headers": [(b"authorization", token_header("t0k3n").encode())],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 499
    assert app.sandbox.store.orders == orders
