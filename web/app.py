"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from tortoise import connections
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from revgraph.resolvers.database import close_database, open_database
from revgraph.resolvers.events.bus import EventBus, current_bus, dispatch_pending, install_bus
from revgraph.resolvers.revocations import RevocationWatch, install_revocation_watch
from revgraph.resolvers.settings import Settings
from revgraph.schema import build_schema
from revgraph.web import csat as csat_page
from revgraph.web.browser_session import BrowserSessionEndpoints
from revgraph.web.capture_endpoints import CaptureEndpoints
from revgraph.web.exports import ExportEndpoints
from revgraph.web.graphql_view import RevGraphView
from revgraph.web.imports import UPLOAD_PATH, ImportEndpoints
from revgraph.web.memory_probe import install_from_env as install_memory_probe
from revgraph.web.rdstation import RdStationWebhook
from revgraph.web.request_guard import RequestGuard
from revgraph.web.webchat import WebchatEndpoints
from revgraph.web.whatsapp import WhatsAppWebhook
from revgraph.web.ws_frames import KeepServerSend

log = logging.getLogger(__name__)
# The PWA manifest's type, whatever /etc/mime.types the host has (Python's own table lacks it).
mimetypes.add_type("application/manifest+json", ".webmanifest")
STATIC = Path(__file__).with_name("static")
SWEEP_SECONDS = 5.0


async def healthz(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout=2)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.redis_url:
        bus = current_bus()
        try:
            if bus is None:
                raise RuntimeError("not connected")
            await asyncio.wait_for(bus.ping(), timeout=2)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


# The reset page holds a one-time token (in the URL fragment, then in
# memory): no cache keeps it, no Referer carries anything, nothing but this
# server's own files runs or loads on it.
RESET_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "x-frame-options": "DENY",
}


async def reset_password_page(request: Request) -> FileResponse:
    """Where a password reset link lands (`/reset-password#<token>`)."""
    return FileResponse(STATIC / "reset-password.html", headers=RESET_PAGE_HEADERS)


async def _sweep_forever() -> None:
    """Dispatch events an outage or crash left behind (the outbox)."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await dispatch_pending(older_than_seconds=SWEEP_SECONDS)
        except Exception:
            log.exception("event sweep failed")


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> Starlette:
    settings = settings or Settings.from_env()
    schema = build_schema(settings)
    view = RevGraphView(schema, settings)
    capture = CaptureEndpoints(settings)
    webchat = WebchatEndpoints(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(settings, migrate=migrate)
        bus = EventBus(settings)
        await bus.connect()
        install_bus(bus)
        # Open websockets of a revoked credential close, whichever process revoked it.
        watch = RevocationWatch(bus)
        await watch.start()
        install_revocation_watch(watch)
        from revgraph.tasks.broker import start_tasks, stop_tasks

        await start_tasks(settings, bus)
        # The log, not the broker, is the truth: what a crash or an outage
        # left undispatched goes out before the first request.
        recovered = await dispatch_pending()
        if recovered:
            log.info(
                "published %d event(s) recorded while no server was running "
                "(demo data, a migration or an earlier stop)",
                recovered,
            )
        sweeper = asyncio.create_task(_sweep_forever(), name="event-sweeper")
        from revgraph.tasks.timers import run_timers

        # Trash purge, automation waits and overdue tasks, presence.
        timers = asyncio.create_task(run_timers(settings), name="timers")
        # bench/memory.py's dumps on SIGUSR1/SIGUSR2; off unless REVGRAPH_DEBUG_TRACEMALLOC is set.
        install_memory_probe(asyncio.get_running_loop())
        try:
            yield
        finally:
            timers.cancel()
            sweeper.cancel()
            await stop_tasks()
            install_revocation_watch(None)
            await watch.stop()
            install_bus(None)
            await bus.disconnect()
            await view.aclose()
            await capture.aclose()
            await webchat.aclose()
            await close_database()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/reset-password", reset_password_page, methods=["GET"]),
        *BrowserSessionEndpoints(settings, view.throttle).routes,
        *csat_page.routes,
        WebSocketRoute("/graphql", view),
        *capture.routes,
        *WhatsAppWebhook(settings).routes,
        *ExportEndpoints(settings, schema._schema, view.rate_limiter).routes,
        *RdStationWebhook(settings).routes,
        *webchat.routes,
        *ImportEndpoints(settings).routes,
        Mount("/", StaticFiles(directory=STATIC, html=True), name="web"),
    ]
    middleware = [
        Middleware(RequestGuard, max_body_bytes=settings.limits.max_body_bytes, streamed_paths=(UPLOAD_PATH,))
    ]
    if settings.forwarded_allow_ips:
        # The client IP (throttles, form rate limits) and scheme come from
        # X-Forwarded-For/-Proto only when the peer is a proxy named in
        # REVGRAPH_FORWARDED_ALLOW_IPS. Here, not in uvicorn, whose default
        # believes 127.0.0.1: anything on the host could pose as any client.
        trusted = list(settings.forwarded_allow_ips)
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=trusted))
    # Outermost: live frames go straight to a websocket's transport (web/ws_frames.py).
    middleware.insert(0, Middleware(KeepServerSend))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.settings = settings
    app.state.schema = schema
    app.state.webchat = webchat
    return app
