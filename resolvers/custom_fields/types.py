"""The seven field types: what a value may be sent as (people type in
pt-BR forms, integrations send JSON), the one form it is stored in, and
how a stored value reads when filters compare it.

Stored forms: TEXT a trimmed string; NUMBER an integer; DECIMAL a string
like "1250.50" (exact, never a float); DATE "YYYY-MM-DD"; BOOLEAN true or
false; SELECT one option key; MULTI_SELECT a list of option keys. A value
that is null or blank clears the field (the key is dropped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from revgraph.resolvers.i18n import _
from revgraph.resolvers.validation import text_problem

TYPES = ("TEXT", "NUMBER", "DECIMAL", "DATE", "BOOLEAN", "SELECT", "MULTI_SELECT")
SELECT_TYPES = ("SELECT", "MULTI_SELECT")
# A field's key: a stable machine name, also a JSON key and a JSON path
# segment in SQL, so nothing but these characters ever reaches a query.
KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
OPTION_KEY = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
MAX_TEXT_CHARS = 2000
# Integers JSON clients (JavaScript) read exactly.
MAX_NUMBER = 2**53 - 1
MAX_DECIMAL = Decimal(10) ** 15
DECIMAL_PLACES = 6
# What stored values of each type look like: the SQL of `filters` tests the
# same shapes (GLOB on SQLite, ~ on PostgreSQL).
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BRAZILIAN_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
# "1.250.000,00" as Brazilian spreadsheets write it: dots group thousands
# ("1.250" alone stays one and a quarter: JSON clients send that).
BRAZILIAN_GROUPED = re.compile(r"-?[0-9]{1,3}((\.[0-9]{3})+,[0-9]+|(\.[0-9]{3}){2,})")
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,16}")
YES = frozenset({"true", "1", "sim", "s", "yes", "y", "on"})
NO = frozenset({"false", "0", "não", "nao", "n", "no", "off"})


class BadValue(ValueError):
    """A value the field cannot hold; the message says what to send."""


@dataclass(frozen=True)
class FieldShape:
    """What values need to know of a definition."""

    key: str
    type: str
    options: tuple[tuple[str, str], ...] = ()  # (key, label) in display order

    @property
    def option_keys(self) -> list[str]:
        return [key for key, _ in self.options]


def shape_of(definition: Any) -> FieldShape:
    options = tuple((str(o["key"]), str(o["label"])) for o in definition.options or ())
    return FieldShape(definition.key, definition.type, options)


def normalise(shape: FieldShape, value: Any) -> Any:
    """The stored form of `value`, or None when it clears the field."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return _NORMALISERS[shape.type](shape, value)


def _text(shape: FieldShape, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadValue(_("send text."))
    text = value.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise BadValue(_("text is at most {MAX_TEXT_CHARS} characters.", MAX_TEXT_CHARS=MAX_TEXT_CHARS))
    problem = text_problem(text)
    if problem is not None:
        raise BadValue(_("text must not contain {problem}.", problem=problem))
    return text


def _number(shape: FieldShape, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadValue(_("send a whole number, e.g. 3."))
    if abs(value) > MAX_NUMBER:
        raise BadValue(_("a number is between -{MAX_NUMBER} and {MAX_NUMBER}.", MAX_NUMBER=MAX_NUMBER))
    return value


def _decimal(shape: FieldShape, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadValue(_('send a decimal number like "1250.50".'))
    text = value.strip()
    if BRAZILIAN_GROUPED.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif "," in text and "." not in text:
        text = text.replace(",", ".")  # "1250,50" as typed in Brazil
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise BadValue(_('send a decimal number like "1250.50".')) from exc
    if not number.is_finite() or abs(number) >= MAX_DECIMAL:
        raise BadValue(
            _("a decimal is finite and below {MAX_DECIMAL:,} in absolute value.", MAX_DECIMAL=MAX_DECIMAL)
        )
    places = Decimal(1).scaleb(-DECIMAL_PLACES)
    if number.as_tuple().exponent < -DECIMAL_PLACES:  # type: ignore[operator]
        if number != number.quantize(places):
            raise BadValue(
                _("a decimal has at most {DECIMAL_PLACES} decimal places.", DECIMAL_PLACES=DECIMAL_PLACES)
            )
        number = number.quantize(places)
    stored = format(number, "f")
    return stored.removeprefix("-") if number == 0 else stored


def _date(shape: FieldShape, value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(_("send a date like 2025-03-31 (or 31/03/2025)."))
    text = value.strip()
    try:
        brazilian = BRAZILIAN_DATE.fullmatch(text)
        if brazilian:
            day, month, year = (int(part) for part in brazilian.groups())
            return date(year, month, day).isoformat()
        if DATE_TEXT.fullmatch(text):
            return date.fromisoformat(text).isoformat()
        if DATE_TEXT.match(text):
            # A date-time: the date as written, in its own offset.
            return datetime.fromisoformat(text).date().isoformat()
    except ValueError as exc:
        raise BadValue(_("{text!r} is not a calendar date.", text=text)) from exc
    raise BadValue(_("send a date like 2025-03-31 (or 31/03/2025)."))


def _boolean(shape: FieldShape, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in YES | NO:
        return value.strip().lower() in YES
    raise BadValue(_("send true or false."))


def option_key(shape: FieldShape, value: Any) -> str:
    """The option a value names: its key, or its label ignoring case."""
    if not isinstance(value, str):
        raise BadValue(_("send an option key: {items}.", items=", ".join(shape.option_keys)))
    text = value.strip()
    for key, label in shape.options:
        if text == key or text.casefold() == label.casefold():
            return key
    raise BadValue(
        _("{text!r} is not an option: use {items}.", text=text, items=", ".join(shape.option_keys))
    )


def _options(shape: FieldShape, value: Any) -> list[str] | None:
    # Forms and automations send text: "a,b" is the options a and b.
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise BadValue(_("send a list of option keys: {items}.", items=", ".join(shape.option_keys)))
    chosen: list[str] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        key = option_key(shape, item)
        if key not in chosen:
            chosen.append(key)
    return chosen or None


_NORMALISERS = {
    "TEXT": _text,
    "NUMBER": _number,
    "DECIMAL": _decimal,
    "DATE": _date,
    "BOOLEAN": _boolean,
    "SELECT": option_key,
    "MULTI_SELECT": _options,
}


def read(type_name: str, stored: Any) -> Any:
    """A stored value as comparisons see it, or None when the record holds
    no value of the field's type (absent, null, or written before the field
    was defined in another shape)."""
    if type_name in ("TEXT", "SELECT"):
        return stored if isinstance(stored, str) else None
    if type_name == "NUMBER":
        return stored if isinstance(stored, int) and not isinstance(stored, bool) else None
    if type_name == "DECIMAL":
        return Decimal(stored) if isinstance(stored, str) and DECIMAL_TEXT.fullmatch(stored) else None
    if type_name == "DATE":
        return stored if isinstance(stored, str) and DATE_TEXT.fullmatch(stored) else None
    if type_name == "BOOLEAN":
        return stored if isinstance(stored, bool) else None
    if type_name == "MULTI_SELECT":
        return list(stored) if isinstance(stored, list) and stored else None
    return None
