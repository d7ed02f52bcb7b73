"""Runtime settings, read once from the environment (api/RUNNING.md).

They live here rather than in web/ because tasks and resolvers need them too
and imports only flow downward.
"""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from revgraph.resolvers.i18n import N_, Message, _

N = TypeVar("N", int, float)
DEFAULT_DATABASE_URL = "sqlite://./revgraph.sqlite3"
# The WhatsApp Cloud API (Meta's Graph API) base with its version: sends go
# to <base>/<phoneNumberId>/messages. v26.0 is the Graph API version current
# in late 2026 (v20.0 expired on 2026-09-24).
DEFAULT_WHATSAPP_API_URL = "https://graph.facebook.com/v26.0"
# Input limits each read from REVGRAPH_<NAME> (e.g. REVGRAPH_MAX_TAGS).
INPUT_LIMITS = (
    "max_search_chars",
    "max_filter_depth",
    "max_filter_conditions",
    "max_filter_values",
    "max_tags",
    "max_tag_chars",
    "max_custom_fields",
    "max_custom_field_key_chars",
    "max_custom_fields_bytes",
    "max_custom_fields_depth",
)
# The webchat widget's visitors (resolvers/channels/webchat/limits.py),
# each read from REVGRAPH_<NAME> (e.g. REVGRAPH_WEBCHAT_SOCKETS_PER_IP).
WEBCHAT_LIMITS = (
    "webchat_sockets_per_ip",
    "webchat_sockets_per_visitor",
    "webchat_connects_per_ip_per_minute",
    "webchat_messages_per_ip_per_minute",
    "webchat_messages_per_visitor_per_minute",
    "webchat_max_message_chars",
)
# models/crm.py ContactTag.name
TAG_COLUMN_CHARS = 64


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the process must not start."""


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in TRUE | FALSE:
        raise SettingsError(_("{name} must be true or false, got {raw!r}", name=name, raw=raw))
    return value in TRUE


def _database_url(env: dict[str, str]) -> str:
    """REVGRAPH_DATABASE_URL, checked: a known scheme, and for SQLite a
    directory that exists (a typo must not create a database elsewhere)."""
    url = env.get("REVGRAPH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("sqlite", "postgres"):
        raise SettingsError(
            _(
                "REVGRAPH_DATABASE_URL must start with sqlite:// or postgres://, got {got}",
                got=scheme + "://" if scheme else repr(url),
            )
        )
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise SettingsError(
            _("REVGRAPH_DATABASE_URL: the directory {path!r} does not exist", path=str(path.parent))
        )
    return url


def _number(env: dict[str, str], name: str, default: N, parse: Callable[[str], N], what: Message) -> N:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(_("{name} must be {what}, got {raw!r}", name=name, what=what, raw=raw)) from exc


def _int(env: dict[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, N_("an integer"))


def _at_least_one(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    return _number(env, name, default, _at_least_one, N_("a positive integer"))


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, N_("a number of seconds"))


def _seconds_above(least: float, inclusive: bool) -> Callable[[str], float]:
    """A parser of seconds refusing what is not finite, or below `least`
    (or at it, unless `inclusive`)."""

    def parse(raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value) or value < least or (value == least and not inclusive):
            raise ValueError(raw)
        return value

    return parse


def _positive_seconds(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, _seconds_above(0, False), N_("a positive number of seconds"))


def _seconds_or_zero(env: dict[str, str], name: str, default: float) -> float:
    return _number(env, name, default, _seconds_above(0, True), N_("a number of seconds, 0 or more"))


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated IPs or CIDRs (or `*`, any peer), checked now so a typo
    stops the process instead of silently trusting no one."""
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise SettingsError(
                _("REVGRAPH_FORWARDED_ALLOW_IPS: {item!r} is not an IP address or CIDR", item=item)
            ) from exc
    return items


def _public_url(raw: str) -> str | None:
    """REVGRAPH_PUBLIC_URL: an http(s) origin, optionally with a path prefix,
    checked now so a typo does not go out in every link."""
    value = raw.strip().rstrip("/")
    if not value:
        return None
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise SettingsError(
            _(
                "REVGRAPH_PUBLIC_URL must be an http(s) address such as https://crm.example.com, got {raw!r}",
                raw=raw,
            )
        )
    return value


def _api_url(env: dict[str, str], name: str, default: str) -> str:
    """A provider's base URL: http(s), no query or fragment, no trailing slash."""
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return default
    parsed = urlsplit(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise SettingsError(
            _(
                "{name} must be an http(s) address such as {default}, got {raw!r}",
                name=name,
                default=default,
                raw=raw,
            )
        )
    return raw


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a sqlite:// URL, or None for other backends/in-memory."""
    if not database_url.startswith("sqlite://"):
        return None
    raw = database_url[len("sqlite://") :].split("?", 1)[0]
    if raw in ("", ":memory:"):
        return None
    return Path(raw).expanduser()


@dataclass(frozen=True)
class Limits:
    """Demand-control defaults (RELIABILITY.md); every one is a setting."""

    max_depth: int = 10
    max_aliases: int = 100
    max_tokens: int = 2000
    # Field selections once fragments are expanded (each spread counted
    # again): bounds the work of a small document of nested fragments.
    max_fields: int = 5000
    # Contacts one "oferta ativa" job may distribute.
    max_bulk_contacts: int = 10_000
    # Wall time of one query or mutation before it is cancelled.
    operation_timeout_seconds: float = 30.0
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 100
    default_page_size: int = 50
    max_cost: int = 50_000
    max_mutations_per_document: int = 4
    rate_limit_points: int = 500_000
    rate_limit_window_seconds: int = 3600
    login_failures_per_email: int = 10
    login_failures_per_ip: int = 100
    login_failure_window_seconds: int = 15 * 60
    # signUp answers DUPLICATE for a taken e-mail: failed sign-ups per client
    # IP are throttled like failed log-ins (resolvers/attempt_limits.py).
    signup_failures_per_ip: int = 20
    signup_failure_window_seconds: int = 3600
    # resetPassword with an unknown, used or expired token, per client IP.
    password_reset_failures_per_ip: int = 20
    password_reset_failure_window_seconds: int = 3600
    max_subscriptions_per_connection: int = 50
    ws_init_timeout_seconds: float = 5.0
    # An open websocket re-checks its token and refreshes presence this often
    # (one batch per process for every token its sockets hold,
    # web/graphql_view.PresenceChecks). REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS.
    ws_presence_interval_seconds: float = 60.0
    # The server pings each open websocket this often (0: never) and closes
    # it when the pong is not back within as long: it keeps the socket open
    # through proxies' idle timeouts (nginx, AWS ALB: 60 s) and finds dead
    # peers. Each ping costs ~0.13 ms of server CPU (a send, a pong read and
    # parsed): uvicorn's 20 s made 2,500 idle sockets cost ~16 ms/s per
    # process (bench/READS.md, 2026-12-07). REVGRAPH_WS_PING_INTERVAL_SECONDS.
    ws_ping_interval_seconds: float = 30.0
    # Public form posts per client IP and form in each window, and the body
    # size lead capture endpoints (forms and the intake) accept.
    form_posts_per_window: int = 20
    form_post_window_seconds: int = 10 * 60
    capture_max_body_bytes: int = 64 * 1024
    # Bad input (RELIABILITY.md "Exposure and errors"): what one query's
    # search and filter may hold, and how big one record's tags and custom
    # fields may grow. Past them: INVALID, naming the field.
    max_search_chars: int = 256
    max_filter_depth: int = 5
    max_filter_conditions: int = 100
    max_filter_values: int = 100
    max_tags: int = 100
    max_tag_chars: int = 64
    max_custom_fields: int = 100
    max_custom_field_key_chars: int = 64
    max_custom_fields_bytes: int = 16 * 1024
    max_custom_fields_depth: int = 5
    # Webchat visitors: sockets open at once per client IP and per visitor,
    # new sockets per IP and messages per IP and per visitor in a minute,
    # and the characters of one message.
    webchat_sockets_per_ip: int = 20
    webchat_sockets_per_visitor: int = 5
    webchat_connects_per_ip_per_minute: int = 60
    webchat_messages_per_ip_per_minute: int = 60
    webchat_messages_per_visitor_per_minute: int = 20
    webchat_max_message_chars: int = 5000


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = ""
    allow_signup: bool = True
    env: str = "development"
    # Prefix for every Redis key and channel: lets tests (and co-hosted
    # installs) share one Redis without seeing each other.
    redis_prefix: str = "revgraph"
    session_ttl_seconds: int = 30 * 24 * 3600
    presence_timeout_seconds: int = 15 * 60
    # Anonymous introspection can be switched off in production; partners
    # with a key always get it.
    anonymous_introspection: bool = True
    # Browser origins (scheme://host[:port]) other than the API's own whose
    # pages may open the websocket; empty means same-origin only.
    allowed_origins: tuple[str, ...] = ()
    # argon2id cost (RFC 9106 second recommendation by default). Tests lower
    # it so that creating hundreds of users stays fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Outgoing e-mail of automations (sendEmail); unset host: sending fails
    # the run with a clear error instead of dropping the message.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "revgraph@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: int = 10
    # The inbound SMTP listener of e-mail inboxes (`revgraph smtp`): the
    # largest message it takes (SIZE, 552 beyond), the name it greets with,
    # and the certificate it offers STARTTLS with (both paths, or none).
    smtp_max_message_bytes: int = 10 * 1024 * 1024
    smtp_listener_hostname: str = "revgraph.localdomain"
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    # Automation runs: attempts before FAILED, exponential backoff between them.
    automation_max_attempts: int = 5
    automation_min_backoff_ms: int = 1000
    automation_max_backoff_ms: int = 5 * 60_000
    # Proxies (IPs or CIDRs) whose X-Forwarded-For/-Proto are believed; by
    # default none, so nothing on the host can pose as another client IP.
    forwarded_allow_ips: tuple[str, ...] = ()
    # Where people outside the workspace reach this server
    # ("https://crm.example.com"): links sent to contacts (the CSAT survey)
    # start with it. Unset: such links are paths on this server.
    public_url: str | None = None
    # PostgreSQL: the most connections each process's request pool opens
    # (opened as needed, from 1). Tortoise's default of 5 made 20 concurrent
    # writers and dashboards' polls queue for a connection while the server
    # and the database idled (bench/REPORTS.md). A `maxsize` in the URL wins.
    database_pool_size: int = 20
    # Bytes of report answers each process keeps for repeated polls
    # (resolvers/poll_cache.py); 0 keeps none.
    poll_cache_bytes: int = 64 * 1024 * 1024
    # Report answers each process computes at once for polls; the others
    # wait their turn (resolvers/poll_cache.py ComputationTurns); 0: no limit.
    report_computations: int = 2
    # The most of the time each of those turns computes while polls queue:
    # after d seconds of computing it rests d × (100 / percent − 1); 100: no rest.
    report_busy_percent: int = 50
    # REVGRAPH_WHATSAPP_API_URL (api/RUNNING.md); tests point it at a local stand-in.
    whatsapp_api_url: str = DEFAULT_WHATSAPP_API_URL
    # A WhatsApp webhook body larger than this is refused (413) unread.
    whatsapp_max_body_bytes: int = 1024 * 1024
    # One send to the Cloud API: a slower answer is a timeout, retried.
    whatsapp_timeout_seconds: float = 15.0
    # Production refuses webhook URLs on private, loopback and link-local
    # addresses (SSRF) unless this is set (REVGRAPH_WEBHOOK_ALLOW_PRIVATE).
    webhook_allow_private: bool = False
    # Outgoing webhooks (resolvers/webhooks/delivery.py): the most one
    # attempt may take, resolving to the last byte kept (a slower one is a
    # failed attempt, retried; keep it well under the endpoint's 30 s
    # lease), and how often the sweep looks for deliveries whose task was
    # lost (tasks/timers.py). Tests shorten both.
    webhook_attempt_timeout_seconds: float = 10.0
    webhook_sweep_seconds: float = 15.0
    limits: Limits = field(default_factory=Limits)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded(self) -> bool:
        return not self.redis_url

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        database_url = _database_url(env)
        mode = (env.get("REVGRAPH_ENV") or "development").strip().lower()
        if mode not in {"development", "production"}:
            raise SettingsError(_("REVGRAPH_ENV must be development or production, got {mode!r}", mode=mode))
        secret = env.get("REVGRAPH_SECRET_KEY") or ""
        if not secret:
            if mode == "production":
                raise SettingsError(_("REVGRAPH_SECRET_KEY is required when REVGRAPH_ENV=production"))
            secret = _embedded_secret(database_url)
        limits = Limits(
            max_depth=_int(env, "REVGRAPH_MAX_DEPTH", Limits.max_depth),
            max_aliases=_int(env, "REVGRAPH_MAX_ALIASES", Limits.max_aliases),
            max_tokens=_int(env, "REVGRAPH_MAX_TOKENS", Limits.max_tokens),
            max_fields=_int(env, "REVGRAPH_MAX_FIELDS", Limits.max_fields),
            max_bulk_contacts=_int(env, "REVGRAPH_MAX_BULK_CONTACTS", Limits.max_bulk_contacts),
            operation_timeout_seconds=_seconds(
                env, "REVGRAPH_OPERATION_TIMEOUT_SECONDS", Limits.operation_timeout_seconds
            ),
            max_body_bytes=_int(env, "REVGRAPH_MAX_BODY_BYTES", Limits.max_body_bytes),
            max_cost=_int(env, "REVGRAPH_MAX_COST", Limits.max_cost),
            rate_limit_points=_int(env, "REVGRAPH_RATE_LIMIT_POINTS", Limits.rate_limit_points),
            rate_limit_window_seconds=_int(
                env, "REVGRAPH_RATE_LIMIT_WINDOW_SECONDS", Limits.rate_limit_window_seconds
            ),
            login_failures_per_email=_int(
                env, "REVGRAPH_LOGIN_FAILURES_PER_EMAIL", Limits.login_failures_per_email
            ),
            login_failures_per_ip=_int(env, "REVGRAPH_LOGIN_FAILURES_PER_IP", Limits.login_failures_per_ip),
            signup_failures_per_ip=_int(
                env, "REVGRAPH_SIGNUP_FAILURES_PER_IP", Limits.signup_failures_per_ip
            ),
            password_reset_failures_per_ip=_int(
                env, "REVGRAPH_PASSWORD_RESET_FAILURES_PER_IP", Limits.password_reset_failures_per_ip
            ),
            ws_presence_interval_seconds=_positive_seconds(
                env, "REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS", Limits.ws_presence_interval_seconds
            ),
            ws_ping_interval_seconds=_seconds_or_zero(
                env, "REVGRAPH_WS_PING_INTERVAL_SECONDS", Limits.ws_ping_interval_seconds
            ),
            form_posts_per_window=_int(env, "REVGRAPH_FORM_POSTS_PER_WINDOW", Limits.form_posts_per_window),
            form_post_window_seconds=_int(
                env, "REVGRAPH_FORM_POST_WINDOW_SECONDS", Limits.form_post_window_seconds
            ),
            **{
                name: _int(env, f"REVGRAPH_{name.upper()}", getattr(Limits, name))
                for name in (*INPUT_LIMITS, *WEBCHAT_LIMITS)
            },
        )
        if not 1 <= limits.max_tag_chars <= TAG_COLUMN_CHARS:
            raise SettingsError(
                _("REVGRAPH_MAX_TAG_CHARS must be 1 to {limit} (the column's size)", limit=TAG_COLUMN_CHARS)
            )
        return cls(
            database_url=database_url,
            redis_url=env.get("REVGRAPH_REDIS_URL") or None,
            secret_key=secret,
            allow_signup=_flag(env, "REVGRAPH_ALLOW_SIGNUP", True),
            env=mode,
            redis_prefix=env.get("REVGRAPH_REDIS_PREFIX") or "revgraph",
            presence_timeout_seconds=_int(env, "REVGRAPH_PRESENCE_TIMEOUT_SECONDS", 15 * 60),
            anonymous_introspection=_flag(env, "REVGRAPH_ANONYMOUS_INTROSPECTION", mode != "production"),
            allowed_origins=tuple(
                o.strip().rstrip("/")
                for o in (env.get("REVGRAPH_ALLOWED_ORIGINS") or "").split(",")
                if o.strip()
            ),
            argon2_time_cost=_int(env, "REVGRAPH_ARGON2_TIME_COST", 3),
            argon2_memory_kib=_int(env, "REVGRAPH_ARGON2_MEMORY_KIB", 65536),
            smtp_host=env.get("REVGRAPH_SMTP_HOST") or None,
            smtp_port=_int(env, "REVGRAPH_SMTP_PORT", 25),
            smtp_from=env.get("REVGRAPH_SMTP_FROM") or "revgraph@localhost",
            smtp_username=env.get("REVGRAPH_SMTP_USERNAME") or None,
            smtp_password=env.get("REVGRAPH_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "REVGRAPH_SMTP_STARTTLS", False),
            smtp_timeout_seconds=_int(env, "REVGRAPH_SMTP_TIMEOUT_SECONDS", 10),
            smtp_max_message_bytes=_int(env, "REVGRAPH_SMTP_MAX_MESSAGE_BYTES", 10 * 1024 * 1024),
            smtp_listener_hostname=env.get("REVGRAPH_SMTP_HOSTNAME") or "revgraph.localdomain",
            smtp_tls_cert=env.get("REVGRAPH_SMTP_TLS_CERT") or None,
            smtp_tls_key=env.get("REVGRAPH_SMTP_TLS_KEY") or None,
            automation_max_attempts=max(1, _int(env, "REVGRAPH_AUTOMATION_MAX_ATTEMPTS", 5)),
            automation_min_backoff_ms=_int(env, "REVGRAPH_AUTOMATION_MIN_BACKOFF_MS", 1000),
            automation_max_backoff_ms=_int(env, "REVGRAPH_AUTOMATION_MAX_BACKOFF_MS", 5 * 60_000),
            forwarded_allow_ips=_networks(env.get("REVGRAPH_FORWARDED_ALLOW_IPS") or ""),
            public_url=_public_url(env.get("REVGRAPH_PUBLIC_URL") or ""),
            database_pool_size=_positive_int(env, "REVGRAPH_DATABASE_POOL_SIZE", 20),
            poll_cache_bytes=max(0, _int(env, "REVGRAPH_POLL_CACHE_BYTES", 64 * 1024 * 1024)),
            report_computations=max(0, _int(env, "REVGRAPH_REPORT_COMPUTATIONS", 2)),
            report_busy_percent=min(100, max(1, _int(env, "REVGRAPH_REPORT_BUSY_PERCENT", 50))),
            whatsapp_api_url=_api_url(env, "REVGRAPH_WHATSAPP_API_URL", DEFAULT_WHATSAPP_API_URL),
            whatsapp_max_body_bytes=_int(env, "REVGRAPH_WHATSAPP_MAX_BODY_BYTES", 1024 * 1024),
            whatsapp_timeout_seconds=_seconds(env, "REVGRAPH_WHATSAPP_TIMEOUT_SECONDS", 15.0),
            webhook_allow_private=_flag(env, "REVGRAPH_WEBHOOK_ALLOW_PRIVATE", False),
            webhook_attempt_timeout_seconds=_seconds(env, "REVGRAPH_WEBHOOK_ATTEMPT_TIMEOUT_SECONDS", 10.0),
            webhook_sweep_seconds=_seconds(env, "REVGRAPH_WEBHOOK_SWEEP_SECONDS", 15.0),
            limits=limits,
        )


def _embedded_secret(database_url: str) -> str:
    """Generate once and keep beside the SQLite file, so tokens survive restarts."""
    path = sqlite_path(database_url)
    if path is None:
        # In-memory or a server database without a configured key: a
        # per-process secret (development only; production refuses above).
        return secrets.token_urlsafe(32)
    secret_file = path.with_name(path.name + ".secret")
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return secret_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
