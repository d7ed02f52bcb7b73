"""The `revgraph` command (api/RUNNING.md): serve, worker, smtp, migrate, schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import ssl
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tortoise.exceptions import ConfigurationError, DBConnectionError, OperationalError

from revgraph.resolvers.i18n import _, from_environment, ngettext, set_language
from revgraph.resolvers.settings import Settings, SettingsError
from revgraph.web.gc_tuning import CollectorRequest, GcSettingError, apply_collector, requested_collector

T = TypeVar("T")


# What a bad setting or an unreachable service exits with: one line, no traceback.
SETTINGS_EXIT = 2


def fail(message: str) -> NoReturn:
    print(f"revgraph: {message}", file=sys.stderr, flush=True)
    sys.exit(SETTINGS_EXIT)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc))


def _shown(url: str) -> str:
    """A database URL without its password, to name it in a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _with_database(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; a database that cannot be reached or opened ends the
    command with one line naming REVGRAPH_DATABASE_URL."""
    try:
        return asyncio.run(work)
    except (OSError, DBConnectionError, OperationalError, ConfigurationError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(
            _(
                "cannot open the database at REVGRAPH_DATABASE_URL={url}: {reason}",
                url=_shown(settings.database_url),
                reason=reason,
            )
        )


def cmd_schema(args: argparse.Namespace) -> int:
    from revgraph.schema import build_schema

    # Printing the SDL signs nothing: it must neither demand a secret in
    # production nor generate one beside a database it never opens.
    environ = {**os.environ, "REVGRAPH_SECRET_KEY": os.environ.get("REVGRAPH_SECRET_KEY") or "unused"}
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        fail(str(exc))
    sys.stdout.write(build_schema(settings).as_str().rstrip() + "\n")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from revgraph.resolvers.database import migrate_database

    settings = _settings()
    applied = _with_database(settings, migrate_database(settings))
    print(
        "revgraph: "
        + ngettext(
            "database schema up to date ({count} migration applied)",
            "database schema up to date ({count} migrations applied)",
            applied,
        )
    )
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Developer tool: write a migration for model changes into models/migrations."""
    from tortoise.cli import cli as tortoise_cli

    os.environ.setdefault("REVGRAPH_DATABASE_URL", "sqlite://:memory:")
    argv = ["-c", "revgraph.resolvers.database.CLI_CONFIG", "makemigrations"]
    if args.name:
        argv += ["--name", args.name]
    return asyncio.run(tortoise_cli.run_cli_async(argv))


async def _prepare(settings: Settings, demo: bool) -> None:
    from revgraph.resolvers.database import close_database, open_database

    await open_database(settings, migrate=True)
    try:
        if demo:
            from revgraph.web.demo import load_demo

            login = await load_demo(settings)
            if login:
                text = _(
                    "demo workspace ready — log in as {email} / {password}", email=login[0], password=login[1]
                )
                print(f"revgraph: {text}", flush=True)
            else:
                print("revgraph: " + _("database not empty; demo data not loaded"), flush=True)
    finally:
        await close_database()


# What every server of the app is started with. Proxy headers are the app's
# to read (web/app.py, REVGRAPH_FORWARDED_ALLOW_IPS): uvicorn's own handling
# would trust X-Forwarded-For from 127.0.0.1 by default.
# Board and inbox events are JSON frames sent to many sockets: per-message
# deflate is answered without context takeover, so a live frame is
# compressed once per event for every socket and written to each directly
# (web/ws_frames.py); a client that offers no deflate gets plain frames.
# An idle keep-alive connection is kept 75 s, past the idle timeouts of the
# load balancers and clients in front (nginx's upstream keepalive and AWS
# ALB: 60 s; httpx: 5 s): with uvicorn's default 5 s a client reusing a
# connection idle for about 5 s raced the server closing it and got a
# reset (seen as httpx ReadErrors by bench/reports.py's movers), and a
# balancer answers that with a 502.
# The tests' server runs with these too.
SERVER_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "ws": "revgraph.web.ws_frames:SharedDeflateProtocol",
    "ws_per_message_deflate": True,
    "timeout_keep_alive": 75,
}


def websocket_pings(settings: Settings) -> dict[str, float | None]:
    """uvicorn's keep-alive pings of open websockets, every
    `ws_ping_interval_seconds` (0: none), a pong awaited as long."""
    interval = settings.limits.ws_ping_interval_seconds
    return {"ws_ping_interval": interval or None, "ws_ping_timeout": interval or None}


def _requested_collector() -> CollectorRequest:
    try:
        return requested_collector()
    except GcSettingError as exc:
        fail(str(exc))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from revgraph.web.allocator import pin_mmap_threshold
    from revgraph.web.app import create_app

    # Before anything large is allocated: the socket buffers of a long run
    # fragmented glibc's heap otherwise (web/allocator.py).
    pin_mmap_threshold()
    settings = _settings()
    wanted = _requested_collector()
    _with_database(settings, _prepare(settings, args.demo))
    app = create_app(settings, migrate=False)
    # Last before serving: what start-up built is frozen out of the
    # collector's full passes, the periodic pause of a list's p99 (web/gc_tuning.py).
    collector = apply_collector(wanted)
    print(
        f"revgraph: garbage collector thresholds {'/'.join(map(str, collector.thresholds))}, "
        f"{collector.frozen} start-up objects frozen",
        flush=True,
    )
    print(f"revgraph: serving on http://{args.host}:{args.port}/ (GraphQL at /graphql)", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop=args.loop,
        log_level=args.log_level,
        **SERVER_OPTIONS,
        **websocket_pings(settings),
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.redis_url:
        fail(
            _(
                "`worker` consumes the Redis task broker; set REVGRAPH_REDIS_URL (in the embedded mode `revgraph serve` runs tasks itself)"
            )
        )
    if args.idle_poll_ms < 10:
        fail(_("--idle-poll-ms is at least 10"))
    # An idle Dramatiq consumer polls Redis with a backoff up to this
    # (Dramatiq's default, 1 s, delays work arriving at a quiet worker by up
    # to a second). Read when dramatiq.worker is imported, here and in the
    # worker processes it spawns.
    os.environ["dramatiq_worker_timeout"] = str(args.idle_poll_ms)
    from dramatiq.cli import main as dramatiq_main

    argv = ["dramatiq", "revgraph.tasks", "--processes", str(args.processes), "--threads", str(args.threads)]
    sys.argv = argv
    return dramatiq_main() or 0


def cmd_smtp(args: argparse.Namespace) -> int:
    from revgraph.web.smtp import serve_smtp

    settings = _settings()
    try:
        _with_database(settings, serve_smtp(settings, args.host, args.port))
    except (ValueError, ssl.SSLError) as exc:
        fail(_("SMTP listener: {error}", error=exc))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revgraph", description="RevGraph operational CRM")
    # The metavar lists the commands people use; makemigrations is a developer tool.
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,worker,smtp,migrate,schema}")

    serve = sub.add_parser("serve", help="run the API (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load a demo workspace when the database is empty")
    serve.add_argument(
        "--loop",
        choices=["asyncio", "uvloop", "auto"],
        default="asyncio",
        help="event loop (asyncio measured steadier in p99, see bench/)",
    )
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run Dramatiq workers for the Redis broker")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument("--threads", type=int, default=4)
    worker.add_argument(
        "--idle-poll-ms",
        type=int,
        default=100,
        help="longest wait between polls of an idle queue, in ms (default 100; Dramatiq's own is 1000)",
    )
    worker.set_defaults(func=cmd_worker)

    smtp = sub.add_parser(
        "smtp", help="run the inbound SMTP listener of e-mail inboxes (delivers to the inbox addressed)"
    )
    smtp.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    smtp.add_argument(
        "--port", type=int, default=2525, help="port to listen on (default 2525; MX mail arrives on 25)"
    )
    smtp.set_defaults(func=cmd_smtp)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date and exit")
    migrate.set_defaults(func=cmd_migrate)

    schema = sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(func=cmd_schema)

    make = sub.add_parser("makemigrations")  # no help: not listed
    make.add_argument("--name")
    make.set_defaults(func=cmd_makemigrations)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One-line errors and notices speak the terminal's language (LC_ALL,
    # LC_MESSAGES, LANG), else pt-BR; logs and --help stay English.
    set_language(from_environment())
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
