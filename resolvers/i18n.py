"""What people read, in their language: the gettext catalogue of every
message (resolvers/locale/<lang>/LC_MESSAGES/revgraph.po, compiled to .mo
with pybabel and shipped as package data) and the language of the moment.

The language is context-local: the web layer sets it per request and per
websocket operation (the user's setting, else the workspace's default,
else Accept-Language), tasks set it from the workspace. Source strings
(msgids) are English; pt-BR is the default and a translation of each.

`_()` translates now, `ngettext()` a counted message (the language's plural
forms, never "(s)"); `Message` (made by `N_()`, or `nN_()` for a counted one)
keeps the msgid and its parameters and renders when read: module-level constants, and event
summaries, which are stored once and read in each reader's language.
Parameters are plain values, other Messages, `Money` and `Moment`, which
render in the language's own formats (R$ 1.250.000,00; 06/12/2026 12:30)."""

from __future__ import annotations

import contextvars
import gettext
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, get_timezone
from babel.numbers import format_currency, format_decimal

LOCALES = ("pt-BR", "en")
DEFAULT_LOCALE = "pt-BR"
DOMAIN = "revgraph"
CATALOGUE = Path(__file__).with_name("locale")
TIME_ZONE = "America/Sao_Paulo"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("revgraph_language", default=DEFAULT_LOCALE)


def _gettext_name(locale: str) -> str:
    """ "pt-BR" -> "pt_BR", the directory and Babel name of the language."""
    return locale.replace("-", "_")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (read once per process)."""
    return gettext.translation(DOMAIN, localedir=CATALOGUE, languages=[_gettext_name(locale)], fallback=True)


def supported(locale: str | None) -> str | None:
    """The supported language a tag names ("pt", "pt_br", "en-US"), or None."""
    if not locale:
        return None
    tag = locale.strip().replace("_", "-").lower()
    for known in LOCALES:
        if tag == known.lower():
            return known
    primary = tag.split("-")[0]
    return next((known for known in LOCALES if known.lower().split("-")[0] == primary), None)


def from_accept_language(header: str | None) -> str | None:
    """The supported language an Accept-Language header prefers most, or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _sep, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                continue
        locale = supported(tag)
        if locale and weight > 0:
            ranked.append((-weight, position, locale))
    return min(ranked)[2] if ranked else None


def choose(user_locale: str | None, accept_language: str | None = None) -> str:
    """The language of a caller: their own (the user's setting, else the
    workspace's default, read with the credential), else Accept-Language,
    else pt-BR."""
    return supported(user_locale) or from_accept_language(accept_language) or DEFAULT_LOCALE


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language of a command run in a terminal: as POSIX reads the
    locale, the first of LC_ALL, LC_MESSAGES and LANG that is set decides
    ("en_US.UTF-8" -> en, "pt_BR.UTF-8" -> pt-BR); one naming no supported
    language ("C", "POSIX", "fr_FR"), or none set, is pt-BR."""
    import os

    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if value:
            return supported(value.split(".")[0].split("@")[0]) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def current_language() -> str:
    return _language.get()


def set_language(locale: str | None) -> contextvars.Token[str]:
    """Speak `locale` from here on in this context (a request, an operation)."""
    return _language.set(supported(locale) or DEFAULT_LOCALE)


@contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Speak `locale` inside the block."""
    token = set_language(locale)
    try:
        yield
    finally:
        _language.reset(token)


@dataclass(frozen=True)
class Money:
    """An amount of a currency, formatted as the language writes it."""

    amount: Decimal | int | float | str
    currency: str = "BRL"


@dataclass(frozen=True)
class Moment:
    """A point in time, shown in the workspace's zone as the language writes it."""

    at: datetime
    zone: str = TIME_ZONE


@dataclass(frozen=True)
class Listing:
    """Items (texts or Messages) shown as one comma-separated list."""

    items: tuple[Any, ...]

    def __init__(self, items: Any) -> None:
        object.__setattr__(self, "items", tuple(items))


def _shown(value: Any, locale: str) -> Any:
    name = _gettext_name(locale)
    if isinstance(value, Message):
        return value.render(locale)
    if isinstance(value, Listing):
        return ", ".join(str(_shown(item, locale)) for item in value.items)
    if isinstance(value, Money):
        return format_currency(Decimal(str(value.amount)), value.currency, locale=name)
    if isinstance(value, Moment):
        return format_datetime(value.at, "short", tzinfo=get_timezone(value.zone), locale=name)
    if isinstance(value, Decimal):
        return format_decimal(value, locale=name)
    return value


def translate(msgid: str, locale: str, params: Mapping[str, Any] | None = None) -> str:
    text = translations(locale).gettext(msgid)
    if not params:
        return text
    return text.format(**{key: _shown(value, locale) for key, value in params.items()})


def _(msgid: str, /, **params: Any) -> str:
    """The message in the current language, its {placeholders} filled."""
    return translate(msgid, current_language(), params)


def ngettext(singular: str, plural: str, count: int, /, **params: Any) -> str:
    """The language's singular or plural form for `count` (also the
    {count} placeholder), now; `nN_` keeps it for later."""
    return translate_plural(singular, plural, current_language(), {"count": count, **params})


def translate_plural(singular: str, plural: str, locale: str, params: Mapping[str, Any]) -> str:
    """The form of the language for `params["count"]`, its {placeholders} filled."""
    text = translations(locale).ngettext(singular, plural, int(params["count"]))
    return text.format(**{key: _shown(value, locale) for key, value in params.items()})


class Message:
    """A message rendered when read: a msgid (with its plural, for a
    counted message) and its parameters."""

    __slots__ = ("msgid", "params", "plural")

    def __init__(
        self, msgid: str, params: Mapping[str, Any] | None = None, plural: str | None = None
    ) -> None:
        self.msgid = msgid
        self.params = dict(params or {})
        self.plural = plural

    def render(self, locale: str | None = None) -> str:
        language = supported(locale) or current_language()
        if self.plural is not None:
            return translate_plural(self.msgid, self.plural, language, self.params)
        return translate(self.msgid, language, self.params)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r}, plural={self.plural!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.plural, self.params) == (other.msgid, other.plural, other.params)
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self.msgid)

    def as_data(self) -> dict[str, Any]:
        """JSON to store beside an event, read back by `from_data`."""
        data: dict[str, Any] = {
            "id": self.msgid,
            "params": {key: _stored(value) for key, value in self.params.items()},
        }
        if self.plural is not None:
            data["plural"] = self.plural
        return data

    @classmethod
    def from_data(cls, data: Any) -> Message | None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        plural = data.get("plural") if isinstance(data.get("plural"), str) else None
        if plural is not None and not isinstance(params.get("count"), int):
            plural = None
        return cls(data["id"], {key: _loaded(value) for key, value in params.items()}, plural)


def N_(msgid: str, /, **params: Any) -> Message:
    """A message rendered later, in the language of whoever reads it."""
    return Message(msgid, params)


def nN_(singular: str, plural: str, count: int, /, **params: Any) -> Message:
    """A counted message rendered later: the language's singular or plural
    form for `count` (also a placeholder). pybabel extracts it with
    `-k nN_:1,2`."""
    return Message(singular, {"count": count, **params}, plural)


def _stored(value: Any) -> Any:
    if isinstance(value, Message):
        return {"$message": value.as_data()}
    if isinstance(value, Money):
        return {"$money": [str(value.amount), value.currency]}
    if isinstance(value, Moment):
        return {"$moment": [value.at.isoformat(), value.zone]}
    if isinstance(value, Listing):
        return {"$list": [_stored(item) for item in value.items]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _loaded(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((key, inner),) = value.items()
    if key == "$message":
        return Message.from_data(inner) or ""
    if key == "$money":
        return Money(Decimal(inner[0]), inner[1])
    if key == "$moment":
        return Moment(datetime.fromisoformat(inner[0]), inner[1])
    if key == "$decimal":
        return Decimal(inner)
    if key == "$list" and isinstance(inner, list):
        return Listing(_loaded(item) for item in inner)
    return value


def rendered(text: str | Message, locale: str | None = None) -> str:
    """Text as it is, a Message in `locale` (default: the current language)."""
    return text.render(locale) if isinstance(text, Message) else text


# A websocket close frame's reason holds at most 123 bytes of UTF-8.
CLOSE_REASON_BYTES = 123


def close_reason(text: str | Message) -> str:
    """A websocket close reason in the current language, cut (on a character
    boundary) to the 123 bytes of UTF-8 a close frame holds."""
    encoded = rendered(text).encode("utf-8")[:CLOSE_REASON_BYTES]
    return encoded.decode("utf-8", errors="ignore")


# A text column that keeps a Message (not its rendering) starts with this:
# the JSON of {"$message": ...}, which no text written by people does.
_KEPT = '{"$message":'


def kept(text: str | Message) -> str:
    """What to store in a text column for `text`: a Message as its msgid and
    parameters (JSON), read back in each reader's language by `shown`;
    plain text as it is."""
    if isinstance(text, Message):
        return json.dumps(_stored(text), ensure_ascii=False, separators=(",", ":"))
    return text


def unkept(stored: str) -> str | Message:
    """A text column's Message (to render, or to nest in another message),
    or its text as it is (written before messages were kept, or by people)."""
    if not stored.startswith(_KEPT):
        return stored
    try:
        message = _loaded(json.loads(stored))
    except (ValueError, TypeError, KeyError, IndexError):
        return stored
    return message if isinstance(message, Message) else stored


def shown(stored: str | None, locale: str | None = None) -> str | None:
    """A text column as `locale` (default: the current language) reads it."""
    return rendered(unkept(stored), locale) if stored else stored
