"""`koppel run` tells the notification webhook when a spec revision is rejected."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.sandbox import SandboxServer
from reconciler.cli.run import _notifier
from reconciler.loop.reconciler import RevisionStatus
from reconciler.spec.diagnostics import Code, Diagnostic


def test_a_rejected_revision_is_announced(tmp_path: Path) -> None:
    """The webhook receives one Slack-compatible message naming the rejected revision, the one
    that keeps running and the first problem."""
    received: list[dict[str, object]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    with SandboxServer(app) as server:
        reconciler = SimpleNamespace(revision=RevisionStatus(), on_pass=None, on_revision=None)
        notifier = _notifier(reconciler, f"{server.url}/hook")
        assert notifier is not None
        status = RevisionStatus(
            good=SimpleNamespace(short="aaaaaaaaaaaa"),  # type: ignore[arg-type]
            rejected="bbbbbbbbbbbb",
            problems=[Diagnostic("specs/x/flows.yaml", 3, 9, Code.schema_value, "bad kind")],
        )

        async def go() -> None:
            reconciler.on_revision(status)
            await asyncio.sleep(0)
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
            await notifier.sender.aclose()

        asyncio.run(go())
    (body,) = received
    text = str(body["text"])
    assert "bbbbbbbbbbbb is invalid" in text
    assert "aaaaaaaaaaaa keeps running" in text
    assert "specs/x/flows.yaml:3:9" in text
