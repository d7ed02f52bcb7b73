"""The web app's session: one per browser, not per tab.

`POST /session` exchanges e-mail and password for a session (the same
session `logIn` issues) kept in an HttpOnly cookie that scripts cannot
read, SameSite=Lax, and Secure when the request came over https (plain
http://localhost in development works; a Secure cookie would not be kept
there by every client). Beside it, a readable cookie holds the CSRF token,
an HMAC of the session under the server's secret: the web app sends it back
in `X-CSRF-Token`, which a page on another site can neither read nor forge.

A request authenticated by the cookie (no `Authorization` header) is
refused with 403 when its Origin (or Sec-Fetch-Site) says another site sent
it, or when the CSRF header is missing or wrong. Bearer tokens work as
before: an API client sends no cookie. A websocket authenticated by the
cookie sends the CSRF token as `csrf` in connection_init; Strawberry already
refuses a handshake from a foreign Origin (cross-site websocket hijacking).

`DELETE /session` logs this browser out; `DELETE /sessions` logs the user
out everywhere (every session, bearer or cookie). Both clear the cookies."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.http.websocket_origin import is_same_origin, normalize_origin

from revgraph.resolvers import identity
from revgraph.resolvers.attempt_limits import AttemptThrottle
from revgraph.resolvers.context import Context
from revgraph.resolvers.credentials import authenticate
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.settings import Settings

SESSION_COOKIE = "revgraph_session"
CSRF_COOKIE = "revgraph_csrf"
CSRF_HEADER = "x-csrf-token"

# In the request's language (Accept-Language, set by request_guard).
FOREIGN_ORIGIN = N_("Request from another site refused: the browser's session only works on this page.")
BAD_CSRF = N_("Missing or invalid CSRF token: reload the page.")


def csrf_token_of(settings: Settings, session_token: str) -> str:
    """The CSRF token that goes with a session: derived, so nothing is stored."""
    return identity.secret_digest(settings, "csrf:" + session_token)


def csrf_matches(settings: Settings, session_token: str, sent: str) -> bool:
    return hmac.compare_digest(sent.encode(), csrf_token_of(settings, session_token).encode())


def cookie_token(connection: HTTPConnection) -> str | None:
    """The session token in the cookie (only ever a session, never an API key)."""
    value = connection.cookies.get(SESSION_COOKIE)
    return value if value and value.startswith(identity.SESSION_PREFIX) else None


def foreign_origin(settings: Settings, headers: Mapping[str, str]) -> bool:
    """Whether another site sent this request (Origin, else Sec-Fetch-Site)."""
    origin = headers.get("origin")
    if origin is not None:
        if is_same_origin(origin, headers.get("host")):
            return False
        return normalize_origin(origin) not in settings.allowed_origins
    return headers.get("sec-fetch-site") not in (None, "same-origin", "none")


def cookie_refusal(settings: Settings, request: HTTPConnection) -> str | None:
    """Why a request riding on the session cookie is refused, or None (no
    cookie in play, or the CSRF checks pass)."""
    if request.headers.get("authorization"):
        return None  # an API client's bearer token: no ambient credential
    token = cookie_token(request)
    if token is None:
        return None
    if foreign_origin(settings, request.headers):
        return str(FOREIGN_ORIGIN)
    if not csrf_matches(settings, token, request.headers.get(CSRF_HEADER) or ""):
        return str(BAD_CSRF)
    return None


def refused(message: str, status: int = 403, code: str = "FORBIDDEN") -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def _set_cookies(settings: Settings, request: Request, response: Response, token: str) -> None:
    secure = request.url.scheme == "https"
    common: dict[str, Any] = {
        "max_age": settings.session_ttl_seconds,
        "path": "/",
        "samesite": "lax",
        "secure": secure,
    }
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, csrf_token_of(settings, token), httponly=False, **common)


def _clear_cookies(request: Request, response: Response) -> None:
    secure = request.url.scheme == "https"
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="lax", secure=secure, httponly=name == SESSION_COOKIE)


class BrowserSessionEndpoints:
    """POST /session (log in), DELETE /session (log out), DELETE /sessions
    (log out everywhere)."""

    def __init__(self, settings: Settings, throttle: AttemptThrottle) -> None:
        self.settings = settings
        self.throttle = throttle

    @property
    def routes(self) -> list[Route]:
        return [
            Route("/session", self.log_in, methods=["POST"]),
            Route("/session", self.log_out, methods=["DELETE"]),
            Route("/sessions", self.log_out_everywhere, methods=["DELETE"]),
        ]

    def _context(self, request: Request) -> Context:
        from revgraph.web.graphql_view import client_ip, request_id_of

        return Context(
            settings=self.settings,
            client_ip=client_ip(request),
            request_id=request_id_of(request),
            throttle=self.throttle,
        )

    async def log_in(self, request: Request) -> Response:
        # A foreign page must not log the browser into its attacker's account.
        if foreign_origin(self.settings, request.headers):
            return refused(str(FOREIGN_ORIGIN))
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            return await self._adopt(request, body["token"])
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("email", "password")):
            return refused(_("Send JSON with email and password."), 400, "BAD_REQUEST")
        try:
            signed_in = await identity.log_in(
                self._context(request), email=body["email"], password=body["password"]
            )
        except DomainError as error:
            problems = [
                {"message": p.message, "extensions": {"code": p.code, "field": p.field}}
                for p in error.problems
            ]
            status = 429 if error.problems[0].code == "LIMIT_EXCEEDED" else 400
            return JSONResponse({"errors": problems}, status_code=status)
        response = JSONResponse(
            {"user": {"name": signed_in.user.name, "email": signed_in.user.email}},
            headers={"cache-control": "no-store"},
        )
        _set_cookies(self.settings, request, response, signed_in.token)
        return response

    async def _adopt(self, request: Request, token: str) -> Response:
        """Keep, as this browser's cookie, a session the page was just given
        by signUp or acceptInvitation (a GraphQL answer): only a live user
        session, never an API key, so a key cannot become an ambient cookie."""
        actor = (
            await authenticate(self.settings, token) if token.startswith(identity.SESSION_PREFIX) else None
        )
        if actor is None:
            return refused(_("Invalid or expired session: log in again."), 401, "UNAUTHENTICATED")
        response = JSONResponse({"user": {"id": actor.user_id}}, headers={"cache-control": "no-store"})
        _set_cookies(self.settings, request, response, token)
        return response

    async def _end(self, request: Request, *, everywhere: bool) -> Response:
        problem = cookie_refusal(self.settings, request)
        if problem:
            return refused(problem)
        token = cookie_token(request)
        actor = await authenticate(self.settings, token) if token else None
        if actor is not None:
            ctx = self._context(request)
            ctx.actor = actor
            if everywhere:
                await identity.log_out_everywhere(ctx)
            else:
                await identity.log_out(ctx)
        # An expired or revoked cookie is cleared all the same.
        response = JSONResponse({"ok": True}, headers={"cache-control": "no-store"})
        _clear_cookies(request, response)
        return response

    async def log_out(self, request: Request) -> Response:
        return await self._end(request, everywhere=False)

    async def log_out_everywhere(self, request: Request) -> Response:
        return await self._end(request, everywhere=True)
