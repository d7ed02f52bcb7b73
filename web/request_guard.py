"""RequestGuard: the HTTP checks that happen before any GraphQL parsing
(RELIABILITY.md "Demand control" and "Exposure and errors").

- Every HTTP response carries `x-request-id`; the same id is the context's
  request id, so a masked error's `requestId` finds its logged traceback.
- Request bodies over `max_body_bytes` (1 MiB) are refused with 413 before
  the application reads them, whether or not Content-Length is declared.
- POST /graphql accepts only `application/json` (415 otherwise): a browser
  can send text/plain or form bodies cross-site without a CORS preflight,
  so accepting them would allow CSRF.
- Paths in `streamed_paths` (the CSV upload) are passed on unread: their
  endpoint streams the body to disk and enforces its own, larger limit.
- A JSON array body (operation batching) is refused with 400: one request
  must not carry many operations past the per-document limits."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revgraph.resolvers.i18n import _, choose, set_language

JSON_TYPES = ("application/json", "application/graphql-response+json")


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        graphql_path: str = "/graphql",
        streamed_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.graphql_path = graphql_path
        self.streamed_paths = streamed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Every request pays this guard: the three headers it reads are found
        # in one pass over the raw list, not through two Headers views.
        content_type = declared = accept_language = None
        for name, value in scope["headers"]:  # the first of each, as Headers.get reads
            if name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"content-length":
                declared = value if declared is None else declared
            elif name == b"accept-language":
                accept_language = value if accept_language is None else accept_language
        request_id = os.urandom(8).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        # Public endpoints (forms, intake, webhooks) answer in the browser's
        # language; /graphql refines it from the credential (graphql_view).
        set_language(browser_language(accept_language.decode("latin-1") if accept_language else None))
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # No response of the app sets its own: appended, not searched for.
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send_with_id)
            return
        path = scope["path"].rstrip("/")
        if path in self.streamed_paths:
            await self.app(scope, receive, send_with_id)
            return
        is_graphql = path == self.graphql_path
        if is_graphql:
            media_type = (content_type or b"").decode("latin-1").split(";", 1)[0].strip().lower()
            if media_type not in JSON_TYPES:
                await self._refuse(
                    send_with_id,
                    415,
                    _("POST /graphql takes a JSON body: send Content-Type: application/json."),
                )
                return
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(send_with_id, 413, self._too_large())
            return
        body = await self._read_body(receive)
        if body is None:
            await self._refuse(send_with_id, 413, self._too_large())
            return
        if is_graphql and body.lstrip()[:1] == b"[":
            await self._refuse(
                send_with_id,
                400,
                _("Batching (a JSON array of operations) is not supported: send one operation per request."),
            )
            return
        await self.app(scope, _replay(body, receive), send_with_id)

    def _too_large(self) -> str:
        return _("The request body exceeds {limit} bytes.", limit=self.max_body_bytes)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _refuse(send: Send, status: int, message: str) -> None:
        body = error_body(status, message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def browser_language(accept_language: str | None) -> str:
    """The language of a caller not yet known: Accept-Language's choice,
    remembered for the usual short headers (a server sees few distinct
    ones, and every request asks; a long one is not kept)."""
    if accept_language is not None and len(accept_language) > 128:
        return choose(None, accept_language)
    return _browser_language(accept_language)


@lru_cache(maxsize=256)
def _browser_language(accept_language: str | None) -> str:
    return choose(None, accept_language)


def error_body(status: int, message: str) -> bytes:
    """A refused HTTP request in the GraphQL-over-HTTP error shape, so
    clients parse one format whatever refused them (this guard or the view,
    web/graphql_http.py)."""
    code = {413: "LIMIT_EXCEEDED", 404: "NOT_FOUND"}.get(status, "BAD_REQUEST")
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
