"""A WEBCHAT inbox's setup: its public key (Inbox.channel_address, what the
widget's script tag names) and its settings — the sites allowed to embed
it, the greeting and the colour the widget shows. Unlike other channels'
credentials, none of this is secret: the widget itself shows the greeting
and colour, and the key is in the customer's page."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.validation import text_problem

# 24 random bytes, url-safe: 32 characters nobody guesses.
KEY_BYTES = 24
DEFAULT_TITLE = "Fale conosco"
DEFAULT_GREETING = "Olá! Como podemos ajudar?"
DEFAULT_COLOR = "#1F6FEB"
MAX_ORIGINS = 50
MAX_GREETING_CHARS = 500
MAX_TITLE_CHARS = 60
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
KNOWN_KEYS = {"allowedOrigins", "greeting", "title", "color"}


@dataclass(frozen=True)
class WidgetSettings:
    """What the widget of an inbox shows, and where it may run (no
    allowed origins: any site)."""

    allowed_origins: tuple[str, ...]
    title: str
    greeting: str
    color: str

    def allows(self, origin: str | None) -> bool:
        """Whether a page of `origin` may use the widget. With a list, a
        request without an Origin (not a browser page) is refused too."""
        if not self.allowed_origins:
            return True
        return origin is not None and origin.rstrip("/").lower() in self.allowed_origins

    def public(self) -> dict[str, str]:
        """What any visitor's browser may read."""
        return {"title": self.title, "greeting": self.greeting, "color": self.color}


def new_public_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def widget_settings(stored: dict[str, Any] | None) -> WidgetSettings:
    """The stored settings (already checked), with the pt-BR defaults."""
    stored = stored or {}
    return WidgetSettings(
        allowed_origins=tuple(stored.get("allowedOrigins") or ()),
        title=stored.get("title") or DEFAULT_TITLE,
        greeting=stored.get("greeting") or DEFAULT_GREETING,
        color=stored.get("color") or DEFAULT_COLOR,
    )


def _origin(value: Any, field: list[str]) -> str:
    """scheme://host[:port], lower case, as browsers send it in Origin."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError("INVALID", _("An allowed origin is a non-empty text."), field)
    parsed = urlsplit(value.strip())
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.hostname
        or parsed.username
        or parsed.password
        or parsed.path not in ("", "/")
        or parsed.query
        or parsed.fragment
    ):
        raise DomainError(
            "INVALID",
            _(
                "{value!r} is not an origin: write the site's scheme and host, e.g. https://www.example.com.",
                value=value,
            ),
            field,
        )
    try:
        port = parsed.port
    except ValueError as exc:
        raise DomainError("INVALID", _("{value!r} has an invalid port.", value=value), field) from exc
    default = {"http": 80, "https": 443}[parsed.scheme]
    host = parsed.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parsed.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _text(value: Any, field: list[str], max_chars: int, what: str, *, single_line: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DomainError(
            "INVALID", _("{what} is a non-empty text (leave it out for the default).", what=what), field
        )
    if len(value) > max_chars:
        raise DomainError(
            "INVALID", _("{what} is at most {max_chars} characters.", what=what, max_chars=max_chars), field
        )
    problem = text_problem(value, single_line=single_line)
    if problem is not None:
        raise DomainError(
            "INVALID", _("{what} must not contain {problem}.", what=what, problem=problem), field
        )
    return value.strip()


def check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A WEBCHAT inbox's settings: `allowedOrigins` (list of origins, at
    most 50), `greeting` (at most 500 characters), `title` (60) and `color`
    ("#RRGGBB"); each problem INVALID on its key's path. Unknown keys are
    refused (a typo must not silently allow every site)."""
    field = ["input", "settings"]
    unknown = sorted(set(settings) - KNOWN_KEYS)
    if unknown:
        raise DomainError(
            "INVALID",
            _(
                "Unknown webchat setting {unknown!r}: use {items}.",
                unknown=unknown[0],
                items=", ".join(sorted(KNOWN_KEYS)),
            ),
            [*field, unknown[0]],
        )
    checked: dict[str, Any] = {}
    origins = settings.get("allowedOrigins")
    if origins is not None:
        if not isinstance(origins, list) or len(origins) > MAX_ORIGINS:
            raise DomainError(
                "INVALID",
                _("allowedOrigins is a list of at most {MAX_ORIGINS} origins.", MAX_ORIGINS=MAX_ORIGINS),
                [*field, "allowedOrigins"],
            )
        normal = [_origin(o, [*field, "allowedOrigins", str(i)]) for i, o in enumerate(origins)]
        checked["allowedOrigins"] = list(dict.fromkeys(normal))
    for key, limit, what, single in (
        ("greeting", MAX_GREETING_CHARS, "The greeting", False),
        ("title", MAX_TITLE_CHARS, "The title", True),
    ):
        text = _text(settings.get(key), [*field, key], limit, what, single_line=single)
        if text is not None:
            checked[key] = text
    color = settings.get("color")
    if color is not None:
        if not isinstance(color, str) or not COLOR.match(color):
            raise DomainError("INVALID", _('The colour is "#RRGGBB", e.g. "#1F6FEB".'), [*field, "color"])
        checked["color"] = color.upper()
    return checked


def check_webchat_settings(settings: dict[str, Any], field: list[str]) -> tuple[dict[str, Any], None]:
    """The channel registry's check (resolvers/channels/credentials.py): the
    settings as stored; the address is the public key the inbox was given
    when created, not something the settings name."""
    return check_settings(settings), None


@dataclass(frozen=True)
class WebchatSetup:
    """What an administrator needs to put the widget on a site."""

    public_key: str
    snippet: str
    widget: WidgetSettings


def setup_of(actor_is_admin: bool, inbox: Any, base_url: str) -> WebchatSetup | None:
    """A WEBCHAT inbox's key, snippet and settings, for administrators
    (None for others and other channels). `base_url`: where visitors reach
    this server (REVGRAPH_PUBLIC_URL, else the address the request came to)."""
    if not actor_is_admin or inbox.channel != "WEBCHAT" or not inbox.channel_address:
        return None
    key = inbox.channel_address
    snippet = f'<script src="{base_url.rstrip("/")}/widget.js" data-inbox="{key}" async></script>'
    return WebchatSetup(public_key=key, snippet=snippet, widget=widget_settings(inbox.settings))
