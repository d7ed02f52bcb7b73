"""The webchat's public surface: `GET /widget.js` (the widget, from the
package), `GET /webchat/config` (what a widget shows before connecting)
and `WS /webchat/ws` (a visitor's socket). Nothing here is GraphQL and
nothing accepts a user's credentials: the inbox's public key names the
chat, the signed visitor token names the visitor.

The visitor socket speaks JSON text frames:
- client → server: `hello {token?}` first (within 10 s), then
  `message {clientMessageId, body}`, `identify {name?, email?}`,
  `ack {messageIds, status: DELIVERED|READ}`, `ping`;
- server → client: `ready {token, visitor, widget, messages}`, `message
  {message}` (a new message of the visitor's conversation, theirs or an
  agent's, live), `accepted {clientMessageId, message}`, `identified`,
  `error {code, field, message, clientMessageId?}`, `pong`.
Close codes: 4400 bad frame, 4401 invalid visitor token, 4403 origin not
allowed, 4404 unknown inbox, 4408 no hello in time, 4429 rate limited
(messages, other frames, sockets), 1009 frame too big, 1011 server error,
1012 the server is restarting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from revgraph.resolvers.board_hub import Direct
from revgraph.resolvers.channels.webchat import live, visitors
from revgraph.resolvers.channels.webchat.limits import LEASE_SECONDS, RENEW_SECONDS, Refusal, VisitorLimits
from revgraph.resolvers.channels.webchat.setup import widget_settings
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, choose, close_reason, speaking, translate
from revgraph.resolvers.inbox.stream import inbox_sequence
from revgraph.resolvers.settings import Settings
from revgraph.web.graphql_view import client_ip
from revgraph.web.ws_frames import FrameWriter

log = logging.getLogger(__name__)
WIDGET = Path(__file__).with_name("static") / "widget.js"
HELLO_TIMEOUT_SECONDS = 10.0
# Frame overhead beyond the message's characters (JSON, ids), and UTF-8's
# worst case of 4 bytes a character.
FRAME_OVERHEAD_BYTES = 2048
WIDGET_HEADERS = {"cache-control": "public, max-age=300", "access-control-allow-origin": "*"}
assert RENEW_SECONDS < LEASE_SECONDS


class Closed(Exception):
    """The visitor's socket is to be closed with this code and reason."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason.msgid)
        self.refusal = refusal


async def _close(websocket: WebSocket, refusal: Refusal) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            # The visitor's language: their browser's (the widget sends no other).
            with speaking(choose(None, websocket.headers.get("accept-language"))):
                await websocket.close(refusal.code, close_reason(refusal.reason))


class SocketSink:
    """Where the visitor hub writes a visitor's live frames (board_hub.FrameSink)."""

    variables: dict[str, Any] | None = None

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.writer = FrameWriter(websocket.scope)

    def alive(self) -> bool:
        return self.websocket.application_state == WebSocketState.CONNECTED

    def send(self, payload: str) -> Coroutine[Any, Any, None]:
        return self.websocket.send_text(payload)

    def send_now(self, payload: bytes) -> bool:
        # (the hub does not ask `alive` before this: board_hub.FrameSink)
        return self.alive() and self.writer.write(payload)


class WebchatEndpoints:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limits = VisitorLimits(settings)
        self.max_frame = settings.limits.webchat_max_message_chars * 4 + FRAME_OVERHEAD_BYTES

    @property
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/widget.js", self.widget, methods=["GET"]),
            Route("/webchat/config", self.config, methods=["GET"]),
            WebSocketRoute("/webchat/ws", self.socket),
        ]

    async def aclose(self) -> None:
        await self.limits.aclose()

    async def widget(self, request: Request) -> Response:
        return FileResponse(WIDGET, media_type="text/javascript; charset=utf-8", headers=WIDGET_HEADERS)

    async def config(self, request: Request) -> Response:
        """What the widget draws before its socket opens, for the inbox's
        allowed sites only (CORS names the asking origin)."""
        inbox = await visitors.inbox_by_key(request.query_params.get("inbox"))
        language = choose(None, request.headers.get("accept-language"))
        if inbox is None:
            return JSONResponse({"error": translate("unknown inbox", language)}, status_code=404)
        widget = widget_settings(inbox.settings)
        origin = request.headers.get("origin")
        if origin is not None and not widget.allows(origin):
            return JSONResponse({"error": translate("origin not allowed", language)}, status_code=403)
        headers = {"cache-control": "public, max-age=60", "vary": "Origin"}
        if origin is not None:
            headers["access-control-allow-origin"] = origin
        return JSONResponse(widget.public(), headers=headers)

    # ------------------------------------------------------------ the socket

    async def socket(self, websocket: WebSocket) -> None:
        ip = client_ip(websocket)
        await websocket.accept()
        try:
            await self._visit(websocket, ip)
        except Closed as closing:
            await _close(websocket, closing.refusal)
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("webchat visitor socket failed")
            await _close(websocket, Refusal(1011, N_("internal error")))

    async def _visit(self, websocket: WebSocket, ip: str) -> None:
        inbox = await visitors.inbox_by_key(websocket.query_params.get("inbox"))
        if inbox is None:
            raise Closed(Refusal(4404, N_("unknown inbox")))
        if not widget_settings(inbox.settings).allows(websocket.headers.get("origin")):
            raise Closed(Refusal(4403, N_("origin not allowed")))
        refused = await self.limits.connect(ip)
        if refused is not None:
            raise Closed(refused)
        try:
            hello = await asyncio.wait_for(self.read_frame(websocket), HELLO_TIMEOUT_SECONDS)
        except TimeoutError:
            raise Closed(Refusal(4408, N_("no hello in time"))) from None
        if hello.get("type") != "hello":
            raise Closed(Refusal(4400, N_("the first frame must be hello")))
        visit = visitors.begin(self.settings, inbox, hello.get("token"))
        if visit is None:
            raise Closed(Refusal(4401, N_("invalid visitor token")))
        lease, refused = await self.limits.open(ip, visit.visitor_key)
        if refused is not None:
            raise Closed(refused)
        session = VisitorSession(self, websocket, visit, ip, lease)
        try:
            await session.run()
        except Closed as closing:
            # Closed before the clean-up: the visitor need not wait for it
            # (a live feed stopped while its hub subscribes takes a while).
            await _close(websocket, closing.refusal)
        finally:
            await self.limits.close(ip, visit.visitor_key, lease)
            await session.stop()

    async def read_frame(self, websocket: WebSocket) -> dict[str, Any]:
        """The next JSON object the visitor sent; 4400 or 1009 when it is not one."""
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise Closed(Refusal(4400, N_("frames are JSON text")))
        if len(text) > self.max_frame:
            raise Closed(Refusal(1009, N_("message too big")))
        try:
            frame = json.loads(text)
        except ValueError:
            raise Closed(Refusal(4400, N_("frames are JSON objects"))) from None
        if not isinstance(frame, dict):
            raise Closed(Refusal(4400, N_("frames are JSON objects")))
        return frame


class VisitorSession:
    """One visitor's socket after hello: their history, then their frames
    in and their conversation's new messages out."""

    def __init__(
        self, endpoints: WebchatEndpoints, websocket: WebSocket, visit: visitors.Visit, ip: str, lease: str
    ) -> None:
        self.endpoints = endpoints
        self.settings = endpoints.settings
        self.websocket = websocket
        self.visit = visit
        self.ip = ip
        self.lease = lease
        self.tasks: list[asyncio.Task[None]] = []
        self.following = False

    async def send(self, frame: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(frame, ensure_ascii=False))

    async def run(self) -> None:
        # The stream's position first, then the history: what commits in
        # between comes twice, and the widget keeps one by message id.
        after = await inbox_sequence(self.visit.workspace_id)
        contact_id = await visitors.contact_of(self.visit)
        messages = await visitors.history(self.visit)
        names = await visitors.author_names(messages)
        identity = await visitors.identify_of(self.visit)
        await self.send(
            {
                "type": "ready",
                "token": self.visit.token,
                "visitor": identity,
                "widget": self.visit.widget.public(),
                "messages": [visitors.visitor_view(m, names) for m in messages],
            }
        )
        self.tasks.append(asyncio.create_task(self._renew(), name="webchat-lease"))
        if contact_id is not None:
            self._follow(contact_id, after)
        while True:
            frame = await self.endpoints.read_frame(self.websocket)
            await self._handle(frame)

    def _follow(self, contact_id: int, after: int) -> None:
        self.following = True
        self.tasks.append(asyncio.create_task(self._live(contact_id, after), name="webchat-live"))

    async def _live(self, contact_id: int, after: int) -> None:
        sink = SocketSink(self.websocket)
        direct = Direct(sink=sink, selection_key="webchat", render=live.render)
        ctx = Context(settings=self.settings, client_ip=self.ip)
        try:
            async for record in live.visitor_messages(ctx, self.visit, contact_id, after, direct):
                await sink.send(await live.render(record))
        except Exception:
            # The bus stopped (shutdown) or the socket is gone: the widget
            # reconnects and reads its history again.
            log.info("webchat live feed ended", exc_info=True)
            with contextlib.suppress(Exception):
                await _close(self.websocket, Refusal(1012, N_("service restart")))

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self.endpoints.limits.renew(self.ip, self.visit.visitor_key, self.lease)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind not in ("message", "identify", "ack", "ping"):
            raise Closed(Refusal(4400, N_("unknown frame type {kind!r}", kind=str(kind)[:40])))
        limits = self.endpoints.limits
        if kind == "message":
            refused = await limits.message(self.ip, self.visit.visitor_key)
        else:
            refused = await limits.control_frame(self.visit.visitor_key)
        if refused is not None:
            raise Closed(refused)
        if kind == "ping":
            await self.send({"type": "pong"})
            return
        try:
            if kind == "message":
                await self._message(frame)
            elif kind == "identify":
                await self.send({"type": "identified", "visitor": await visitors.identify(self.visit, frame)})
            else:
                await visitors.acknowledge(self.visit, frame)
        except DomainError as error:
            problem = error.problems[0]
            reply = {
                "type": "error",
                "code": problem.code,
                "field": problem.field,
                "message": problem.message,
            }
            if kind == "message" and isinstance(frame.get("clientMessageId"), str):
                reply["clientMessageId"] = frame["clientMessageId"][:64]
            await self.send(reply)

    async def _message(self, frame: dict[str, Any]) -> None:
        after = None if self.following else await inbox_sequence(self.visit.workspace_id)
        message = await visitors.post(self.settings, self.visit, frame)
        names: dict[int, str] = {}
        await self.send(
            {
                "type": "accepted",
                "clientMessageId": frame.get("clientMessageId"),
                "message": visitors.visitor_view(message, names),
            }
        )
        if after is not None:
            contact_id = await visitors.contact_of(self.visit)
            if contact_id is not None:
                self._follow(contact_id, after)
