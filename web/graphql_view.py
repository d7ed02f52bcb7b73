"""/graphql over HTTP and graphql-transport-ws: credentials into the request
context, protocol restrictions, and the websocket's presence keeper.

HTTP requests are authenticated lazily, by the DemandControl extension
after the document passed its limits, so a refused document costs no SQL.
Websockets authenticate once, in `connection_init`; a socket closes with 4403
the moment its credential is revoked (resolvers/revocations.py) and checks
it again before each operation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, Message
from strawberry.types.unset import UNSET

from revgraph.resolvers.attempt_limits import AttemptThrottle
from revgraph.resolvers.board_hub import current_sink
from revgraph.resolvers.context import Context
from revgraph.resolvers.credentials import Credential, authenticate, authenticate_many, check_credential
from revgraph.resolvers.i18n import _, choose, close_reason, set_language, speaking
from revgraph.resolvers.poll_cache import CachedData, PollCache
from revgraph.resolvers.rate_limit import RateLimiter
from revgraph.resolvers.revocations import credential_active, current_revocation_watch
from revgraph.resolvers.settings import Settings
from revgraph.schema.poll import PollVerdicts
from revgraph.web.browser_session import cookie_refusal, cookie_token, csrf_matches, refused
from revgraph.web.graphql_http import JsonRequestErrors
from revgraph.web.poll_path import PollPath, checked_credential, etag_matches
from revgraph.web.request_guard import browser_language
from revgraph.web.ws_frames import FrameWriter

log = logging.getLogger(__name__)


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def request_token(request: Request) -> str | None:
    """The bearer token, or else the browser's session cookie (whose CSRF
    checks `cookie_refusal` made first)."""
    header = request.headers.get("authorization")
    return bearer(header) if header else cookie_token(request)


def client_ip(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def request_id_of(request: Request | WebSocket) -> str:
    """The id RequestGuard gave this request (also in `x-request-id`)."""
    return request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex[:16]


class RevGraphWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with two additions: while an authenticated socket
    is open, its user stays present; and once its credential is revoked, it
    sends nothing more, runs nothing more and closes with 4403."""

    # Leaves the presence checks of its credential (PresenceChecks).
    presence: Callable[[], None] | None = None
    # Set the moment the credential is known to be withdrawn.
    revoked = False
    closing: asyncio.Task | None = None
    unwatch: Callable[[], None] | None = None
    # The live frame sinks of the running operations, by operation id: each
    # is closed the moment its operation ends or the credential is revoked
    # (the hub writes to a sink without asking whether it is still alive).
    sinks: dict[str, OperationSink] | None = None

    @staticmethod
    def _get_pre_execution_close_reason(error: Any) -> str | None:
        """Strawberry closes the socket (4400) on a syntax error; a client
        gets the protocol's `error` message with the GraphQL errors instead,
        as it gets them over HTTP, and the socket and its other operations
        stay up. (The one private hook of the handler overridden here; the
        websocket tests fail if an upgrade renames it.)"""
        return None

    async def run_operation(self, operation: Operation) -> None:
        # Each operation runs in a task of its own, so this is seen by that
        # operation's resolvers only: the board hub writes its frames here.
        sink = OperationSink(self, operation)
        if self.sinks is None:
            self.sinks = {}
        self.sinks[operation.id] = sink
        if not sink.alive():  # revoked or completed before it started
            sink.close()
        current_sink.set(sink)
        set_language(self.context.get("language"))
        try:
            if await self._credential_in_force(operation):
                await super().run_operation(operation)
        finally:
            self._close_sink(operation.id, sink)

    def _close_sink(self, operation_id: str, sink: OperationSink | None = None) -> None:
        """No frame more for this operation (`sink`: only if it is still the
        operation's under that id, which a later operation may reuse)."""
        sinks = self.sinks or {}
        current = sinks.get(operation_id)
        if current is not None and (sink is None or current is sink):
            del sinks[operation_id]
            current.close()
        elif sink is not None:
            sink.close()

    def forget_id(self, id: str) -> None:
        # The operation sends its last message (complete or error): its
        # frames stop here, before that message.
        self._close_sink(id)
        super().forget_id(id)

    async def cleanup_operation(self, operation_id: str) -> None:
        # The client completed it (or the socket is going away).
        self._close_sink(operation_id)
        await super().cleanup_operation(operation_id)

    async def _credential_in_force(self, operation: Operation) -> bool:
        """The revocation event reaches this process a moment after the
        commit: the database says whether an operation may start."""
        actor = self.context["ctx"].actor
        try:
            in_force = not self.revoked and actor is not None and await credential_active(actor)
        except Exception:
            log.exception("websocket credential check failed")
            error = GraphQLError(
                _("The credential could not be checked; try again."), extensions={"code": "INTERNAL"}
            )
            await operation.send_initial_errors([error])
            return False
        if not in_force:
            self.credential_revoked()
        return in_force

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.presence is None:
            watch = current_revocation_watch()
            seen = self.context.get("revocations_seen")
            actor = self.context["ctx"].actor
            if watch is not None and seen is not None:
                self.unwatch = watch.register(actor, self.credential_revoked, since=seen)
            view: RevGraphView = self.view  # type: ignore[assignment]
            self.presence = view.presence_checks.join(
                self.context.get("ws_token"), actor.role, self.credential_revoked
            )

    def credential_revoked(self) -> None:
        """Stop sending at once, then close with 4403."""
        if self.revoked:
            return
        self.revoked = True
        for sink in list((self.sinks or {}).values()):
            sink.close()
        self.closing = asyncio.create_task(self._close_revoked(), name="ws-revoked")

    async def _close_revoked(self) -> None:
        with contextlib.suppress(Exception), speaking(self.context.get("language")):
            await self.websocket.close(
                code=4403, reason=close_reason(_("Forbidden: the token was revoked or expired"))
            )

    async def send_message(self, message: Message) -> None:
        if self.revoked:
            return
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self.unwatch is not None:
            self.unwatch()
        if self.presence is not None:
            self.presence()
        await super().shutdown()


class PresenceChecks:
    """The presence keeper of a process's websockets: one check per
    interval for all of them, in one statement per MANY_CHUNK tokens
    (resolvers/credentials.py `authenticate_many`).

    Each check refreshes the users' presence and is the last resort for an
    expiry, or a revocation (or role change) whose event never arrived.
    Each socket authenticating once a minute was ~0.45 ms of CPU per socket
    and minute: with 5,000 sockets over two processes, ~38 ms/s, more than
    half of the servers' idle CPU (bench/READS.md, 2026-12-07). One task
    per process checks every token held by an open socket every
    `ws_presence_interval_seconds`, whether the sockets belong to one user
    or to thousands; a socket joining is checked within one interval. The
    task ends with the process's last socket."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Each token held by an open socket: each of its sockets, with the
        # role it was opened with and what closes it.
        self.groups: dict[str, dict[object, tuple[str, Callable[[], None]]]] = {}
        self.task: asyncio.Task | None = None

    def join(self, token: str, role: str, revoked: Callable[[], None]) -> Callable[[], None]:
        """Keep `token` checked while the socket is open: `revoked` is
        called once the token no longer authenticates, or with another
        role than `role`. Returns how the socket leaves."""
        members = self.groups.setdefault(token, {})
        member = object()
        members[member] = (role, revoked)
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.create_task(self._keep(), name="ws-presence")

        def leave() -> None:
            if members.pop(member, None) is not None and not members:
                self._drop(token, members)

        return leave

    def _drop(self, token: str, members: dict) -> None:
        if self.groups.get(token) is members:
            del self.groups[token]
        task = self.task
        if not self.groups and task is not None and task is not asyncio.current_task():
            self.task = None
            task.cancel()

    async def _keep(self) -> None:
        interval = self.settings.limits.ws_presence_interval_seconds
        while self.groups:
            await asyncio.sleep(interval)
            tokens = list(self.groups)
            try:
                actors = await authenticate_many(self.settings, tokens)
            except Exception:
                log.exception("websocket presence check failed")
                continue
            for token in tokens:
                members = self.groups.get(token)
                if members is None:
                    continue
                actor = actors.get(token)
                # A role changed while its revocation event went unheard (a
                # bus outage) closes the sockets too: they must not keep the
                # old role.
                for member, (role, revoked) in list(members.items()):
                    if actor is None or actor.role != role:
                        del members[member]
                        revoked()
                if not members:
                    self._drop(token, members)
        if self.task is asyncio.current_task():
            self.task = None


class OperationSink:
    """The `next` frames of one graphql-transport-ws operation, written
    straight to its socket (resolvers/board_hub.FrameSink)."""

    __slots__ = ("handler", "operation", "prefix", "send_now", "socket", "variables", "writer")

    def __init__(self, handler: RevGraphWSHandler, operation: Operation) -> None:
        self.handler = handler
        self.operation = operation
        self.variables = operation.variables
        self.prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'
        self.socket: WebSocket = handler.websocket.ws  # type: ignore[attr-defined]
        self.writer = FrameWriter(self.socket.scope, self.prefix.encode(), b"}")
        # Send one result at once if the socket takes it so (FrameSink.send_now):
        # the writer's own method, so the hub's call per subscriber and event
        # goes to it directly. False once closed (the handler closes it when
        # the operation ends or the credential is revoked): the hub's only
        # check per event.
        self.send_now: Callable[[bytes], bool] = self.writer.write

    def alive(self) -> bool:
        operation = self.operation
        return (
            not self.handler.revoked
            and not operation.completed
            and self.handler.operations.get(operation.id) is operation
        )

    def send(self, payload: str) -> Coroutine[Any, Any, None]:
        return self.socket.send_text(self.prefix + payload + "}")

    def close(self) -> None:
        """Write no frame more (the hub then finds it not alive)."""
        self.writer.close()

    def send_now_many(self, payloads: list[bytes]) -> bool:
        return self.writer.write_many(payloads)


class SharedFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends a `next` whose data is a result shared by many subscribers (one
    execution per event and scope, schema/board.py) with the payload
    encoded once, not once per socket."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        payload = message.get("payload")
        if message.get("type") != "next" or not isinstance(payload, dict) or set(payload) != {"data"}:
            # Strawberry would send the view's orjson bytes as a binary
            # frame; graphql-transport-ws speaks text frames only (a browser
            # cannot JSON.parse a Blob and drops the connection).
            text = response_json(message).decode()
        else:
            text = (
                '{"id":' + json.dumps(message["id"]) + ',"type":"next","payload":' + _encoded(payload) + "}"
            )
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


_recent_payloads: OrderedDict[int, tuple[object, str]] = OrderedDict()


def _encoded(payload: dict) -> str:
    """JSON of a payload, memoised by the identity of its data dict (kept
    alive in the memo, so the id cannot be reused while it is cached)."""
    data = payload["data"]
    hit = _recent_payloads.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    _recent_payloads[id(data)] = (data, text)
    while len(_recent_payloads) > 256:
        _recent_payloads.popitem(last=False)
    return text


GRAPHIQL_PAGE = Path(__file__).with_name("graphiql.html")


def response_json(data: object) -> bytes:
    """A response body as compact UTF-8 JSON; what orjson refuses (an
    integer past 64 bits inside a JSON scalar) goes through json.dumps."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# The ASGI scope's key of an HTTP request's Context, from get_context until
# `run` has the answer and closes it (Context.close).
_REQUEST_CONTEXT = "revgraph.context"


class RevGraphView(JsonRequestErrors, GraphQL):
    graphql_transport_ws_handler_class = RevGraphWSHandler
    websocket_adapter_class = SharedFrameWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, schema: Any, settings: Settings) -> None:
        limits = settings.limits
        super().__init__(
            schema,
            # GraphiQL only while developing; production answers 404.
            graphql_ide="graphiql" if settings.env == "development" else None,
            # Strawberry runs only queries over GET; mutations answer 400.
            allow_queries_via_get=True,
            # The legacy graphql-ws protocol is off: a client asking only for
            # it is closed with 4406.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=limits.ws_init_timeout_seconds),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=settings.allowed_origins,
        )
        self.settings = settings
        self.rate_limiter = RateLimiter(settings)
        self.throttle = AttemptThrottle(settings)
        # Report answers for repeated polls (schema/poll.py), per process,
        # and the documents that qualify; repeats take the poll path.
        self.poll_cache = PollCache(
            settings.poll_cache_bytes,
            computations=settings.report_computations,
            busy_percent=settings.report_busy_percent,
        )
        self.poll_verdicts = PollVerdicts()
        self.poll_path = PollPath(settings, self.poll_cache, self.poll_verdicts, self.rate_limiter)
        self.presence_checks = PresenceChecks(settings)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        ctx = Context(
            settings=self.settings,
            client_ip=client_ip(request),
            request_id=request_id_of(request),
            throttle=self.throttle,
        )
        if isinstance(request, Request):
            request.scope[_REQUEST_CONTEXT] = ctx  # closed once answered (`run`)
        context: dict[str, Any] = {
            "ctx": ctx,
            "request": request,
            "response": response,
            "bad_token": False,
            "rate_limiter": self.rate_limiter,
            "poll_cache": self.poll_cache,
            "poll_verdicts": self.poll_verdicts,
            "transport": "ws" if isinstance(request, WebSocket) else "http",
            "accept_language": request.headers.get("accept-language"),
        }
        # Until the credential says whose it is: the browser's language.
        context["language"] = browser_language(context["accept_language"])
        set_language(context["language"])
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            token = request_token(request)
            checked, credential = checked_credential(request, token) if token else (False, None)
            if header and not token:
                context["bad_token"] = True
            elif checked:
                # The poll path read it already (web/poll_path.py).
                self._credential_into(context, credential)
            elif token:
                context["authenticate"] = self._authenticator(context, token)
        return context

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """Strawberry's: an empty Response the hooks add headers and a
        status to, without its content-length — cleared from the raw list,
        not deleted through a MutableHeaders built for it per request."""
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.raw_headers.clear()
        return sub_response

    def _authenticator(self, context: dict[str, Any], token: str) -> Any:
        """Resolve the bearer token once, when DemandControl admits the
        operation; an unknown, expired or revoked one marks `bad_token`."""

        async def resolve() -> None:
            context.pop("authenticate", None)
            self._credential_into(context, await check_credential(self.settings, token))

        return resolve

    @staticmethod
    def _credential_into(context: dict[str, Any], credential: Credential | None) -> None:
        ctx = context["ctx"]
        ctx.actor = credential.actor if credential else None
        ctx.log_position = credential.log_position if credential else None
        ctx.topic_positions = credential.topic_positions if credential else None
        context["bad_token"] = credential is None
        if credential is not None:
            context["language"] = choose(credential.actor.locale, context.get("accept_language"))
            set_language(context["language"])

    async def on_ws_connect(self, context: dict[str, Any]) -> Any:
        """Authenticate the socket from the connection_init payload; a
        missing or invalid token closes it with 4403."""
        params = context.get("connection_params") or {}
        raw = (
            (params.get("authorization") or params.get("Authorization")) if isinstance(params, dict) else None
        )
        token = bearer(raw) if isinstance(raw, str) else None
        if raw is None:
            token = self._cookie_token_of_socket(context, params)
        watch = current_revocation_watch()
        if watch is not None:
            # Revocations heard from here on are applied when the socket
            # registers, in case one arrives while the token is checked.
            context["revocations_seen"] = watch.generation
        actor = await authenticate(self.settings, token) if token else None
        if actor is None:
            with speaking(choose(None, context.get("accept_language"))):
                reason = _("A valid `authorization: Bearer <token>` is required in connection_init.")
            raise ConnectionRejectionError({"reason": reason})
        context["ctx"].actor = actor
        context["ws_token"] = token
        context["language"] = choose(actor.locale, context.get("accept_language"))
        return None

    def _cookie_token_of_socket(self, context: dict[str, Any], params: Any) -> str | None:
        """The browser's session cookie, when connection_init carries its CSRF
        token as `csrf` (the handshake's Origin was checked by Strawberry)."""
        socket = context.get("request")
        token = cookie_token(socket) if isinstance(socket, WebSocket) else None
        sent = params.get("csrf") if isinstance(params, dict) else None
        if token is None or not isinstance(sent, str):
            return None
        return token if csrf_matches(self.settings, token, sent) else None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """A repeated report poll takes the poll path (web/poll_path.py). A
        GET whose If-None-Match names the ETag of its answer (schema/poll.py)
        is answered 304 without a body."""
        if isinstance(request, Request) and context is UNSET:
            # A GET without a document runs nothing (GraphiQL's page): no CSRF check.
            runs = request.method != "GET" or "query" in request.query_params
            problem = cookie_refusal(self.settings, request) if runs else None
            if problem:
                return refused(problem)
            answered = await self.poll_path.answer(request, request_token(request))
            if answered is not None:
                return answered
        try:
            response = await super().run(request, context, root_value)
        finally:
            ctx = request.scope.pop(_REQUEST_CONTEXT, None) if isinstance(request, Request) else None
        if ctx is not None and not isinstance(response, StreamingResponse):
            # The answer is encoded: nothing reads the context any more
            # (a streamed answer still does; it keeps its context).
            ctx.close()
        if (
            isinstance(request, Request)
            and request.method == "GET"
            and isinstance(response, Response)
            and response.status_code == 200
            and etag_matches(request.headers.get("if-none-match"), response.headers.get("etag"))
        ):
            headers = {
                k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
            }
            return Response(status_code=304, headers=headers)
        return response

    def encode_json(self, data: object) -> str | bytes:
        """Responses are encoded by orjson (~10x json.dumps: a board's
        answer is ~3,000 values); a cached answer's data was encoded once:
        spliced, not encoded again."""
        answer = data.get("data") if isinstance(data, dict) else None
        if not isinstance(answer, CachedData):
            return response_json(data)
        rest = response_json({k: v for k, v in data.items() if k != "data"}).decode()
        return '{"data":' + answer.json + ("," + rest[1:] if rest != "{}" else "}")

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the package's own files (web/static/vendor/graphiql):
        Strawberry's page loads it from a CDN and is blank offline."""
        return HTMLResponse(GRAPHIQL_PAGE.read_text(encoding="utf-8"))

    async def aclose(self) -> None:
        await self.rate_limiter.aclose()
        await self.throttle.aclose()
