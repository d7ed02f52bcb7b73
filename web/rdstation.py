"""`/webhooks/rdstation/<workspaceId>`: RD Station Marketing's conversion
webhook (README "Parceiros"). The shared secret comes as `?token=` (RD
Station's webhook settings take only a URL) or the `x-revgraph-token`
header; the conversions are stored, answered 200 at once and captured by a
task (resolvers/partners/rdstation.py)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from revgraph.resolvers.i18n import _
from revgraph.resolvers.partners import rdstation
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)


class RdStationWebhook:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.max_body = settings.limits.capture_max_body_bytes

    @property
    def routes(self) -> list[Route]:
        return [Route("/webhooks/rdstation/{workspace}", self.delivery, methods=["POST"])]

    async def delivery(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return _error(413, _("The body exceeds {limit} bytes.", limit=self.max_body))
        body = await request.body()
        if len(body) > self.max_body:
            return _error(413, _("The body exceeds {limit} bytes.", limit=self.max_body))
        token = request.headers.get("x-revgraph-token") or request.query_params.get("token")
        try:
            stored = await rdstation.accept(self.settings, request.path_params["workspace"], token, body)
        except rdstation.Refused as refused:
            return _error(refused.status, str(refused))
        from revgraph.tasks.partners import capture_rdstation_conversion

        for row_id in stored:
            try:
                capture_rdstation_conversion.send(row_id)
            except Exception:
                # Stored and committed: the sweep captures it within a minute.
                log.exception("could not enqueue RD Station conversion %s", row_id)
        return JSONResponse({"ok": True, "stored": len(stored)})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message}, status_code=status)
