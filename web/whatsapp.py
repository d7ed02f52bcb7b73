"""`/webhooks/whatsapp`: the WhatsApp Cloud API's webhook endpoint
(api/RUNNING.md). GET is the subscription handshake; POST verifies the
signature, stores the delivery, answers 200 and leaves the work to a task
(resolvers/channels/whatsapp/webhook.py), so a storm of webhooks costs the
API one insert each and never waits on routing or the database locks of
intake."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from revgraph.resolvers.channels.whatsapp import webhook
from revgraph.resolvers.i18n import _
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)


class WhatsAppWebhook:
    def __init__(self, settings: Settings) -> None:
        self.max_body = settings.whatsapp_max_body_bytes

    @property
    def routes(self) -> list[Route]:
        return [Route("/webhooks/whatsapp", self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return await self.handshake(request)
        return await self.delivery(request)

    async def handshake(self, request: Request) -> Response:
        query = request.query_params
        challenge = await webhook.handshake(
            query.get("hub.mode"), query.get("hub.verify_token"), query.get("hub.challenge")
        )
        if challenge is None:
            return PlainTextResponse("Forbidden", status_code=403)
        return PlainTextResponse(challenge)

    async def delivery(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return _error(413, _("The body exceeds {limit} bytes.", limit=self.max_body))
        body = await request.body()
        if len(body) > self.max_body:
            return _error(413, _("The body exceeds {limit} bytes.", limit=self.max_body))
        try:
            accepted = await webhook.accept(body, request.headers.get("x-hub-signature-256"))
        except webhook.WebhookRefused as refused:
            return _error(refused.status, str(refused))
        from revgraph.tasks.whatsapp import process_whatsapp_webhook

        for row_id in accepted.row_ids:
            try:
                process_whatsapp_webhook.send(row_id)
            except Exception:
                # Stored and committed: the sweep works it within a minute.
                log.exception("could not enqueue WhatsApp webhook %s", row_id)
        return JSONResponse({"ok": True})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message}, status_code=status)
