"""/graphql over HTTP and graphql-transport-ws: authentication into the
request context, protocol restrictions, and masking of unexpected errors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from revgraph.resolvers.context import Context
from revgraph.resolvers.identity import authenticate
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_ip(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


class RevGraphView(GraphQL):
    def __init__(self, schema: Any, settings: Settings) -> None:
        limits = settings.limits
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=limits.ws_init_timeout_seconds),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        ctx = Context(settings=self.settings, client_ip=client_ip(request))
        bad_token = False
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            token = bearer(header)
            if token:
                ctx.actor = await authenticate(self.settings, token)
                bad_token = ctx.actor is None
            elif header:
                bad_token = True
        return {"ctx": ctx, "request": request, "response": response, "bad_token": bad_token}

    async def on_ws_connect(self, context: dict[str, Any]) -> Any:
        """Authenticate the socket from the connection_init payload; a
        missing or invalid token closes it with 4403."""
        params = context.get("connection_params") or {}
        raw = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
        token = bearer(raw) if isinstance(raw, str) else None
        actor = await authenticate(self.settings, token) if token else None
        if actor is None:
            raise ConnectionRejectionError(
                {"reason": "A valid `authorization: Bearer <token>` is required in connection_init."}
            )
        context["ctx"].actor = actor
        return None
