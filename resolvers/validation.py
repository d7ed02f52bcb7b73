"""Normalising what people type: e-mails, phones, names, tags, JSON fields,
and the characters and sizes any text or JSON input may have."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.settings import Limits

DEFAULT_PHONE_REGION = "BR"

# Refused in any text: C0 controls but tab, line feed and carriage return
# (NUL among them: PostgreSQL cannot store it), and unpaired surrogates
# (JSON can escape "\ud800"; no UTF-8 database or response can hold it).
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# Names, tags, keys, sources: one line, no control character at all.
_NOT_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(text: str, *, single_line: bool = False) -> str | None:
    """What in `text` no record may hold ("a control character (U+0000)"),
    or None when it is fine."""
    found = (_NOT_IN_NAMES if single_line else _NOT_IN_TEXT).search(text)
    if found is None:
        return None
    point = ord(found.group())
    code = f"{point:04X}"
    if 0xD800 <= point <= 0xDFFF:
        return _("an unpaired surrogate (U+{point})", point=code)
    return _("a control character (U+{point})", point=code)


def check_text(text: str, field: list[str], *, single_line: bool = False, what: str = "Text") -> str:
    problem = text_problem(text, single_line=single_line)
    if problem is not None:
        raise DomainError(
            "INVALID", _("{what} must not contain {problem}.", what=what, problem=problem), field
        )
    return text


Members = Callable[[Any], Iterable[tuple[str, Any]] | None]


def bad_text_in(value: Any, field: list[str], members: Members | None = None) -> DomainError | None:
    """The first text inside a JSON-like value (strings, dict keys and
    values, list items; `members` lists the fields of other objects) that no
    record may hold, as the INVALID error naming its path; None if there is
    none. Iterative, so a deeply nested value cannot exhaust the stack."""
    stack: list[tuple[Any, list[str]]] = [(value, field)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return DomainError("INVALID", _("Text must not contain {problem}.", problem=problem), path)
            continue
        if isinstance(item, dict):
            children: Iterable[tuple[str, Any]] | None = item.items()
        elif isinstance(item, (list, tuple)):
            children = ((str(index), child) for index, child in enumerate(item))
        else:
            children = members(item) if members is not None else None
        pending = []
        for name, child in children or ():
            name = str(name)
            problem = text_problem(name)
            if problem is not None:
                # The path stops above the key: it cannot be echoed back.
                return DomainError("INVALID", _("Keys must not contain {problem}.", problem=problem), path)
            pending.append((child, [*path, name]))
        stack.extend(reversed(pending))
    return None


def normalize_email(value: str, field: list[str]) -> str:
    """Syntax-checked (no DNS look-ups) and lower-cased."""
    try:
        return _email_form(value.strip())
    except EmailNotValidError as exc:
        raise DomainError("INVALID", _("Not a valid e-mail address: {exc}", exc=exc), field) from exc


def normalize_phone(value: str, field: list[str], region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164, reading numbers without a country code as Brazilian."""
    try:
        e164 = _phone_form(value, region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError("INVALID", _("Not a valid phone number: {value!r}.", value=value), field) from exc
    if e164 is None:
        raise DomainError(
            "INVALID",
            _(
                "Not a valid phone number: {value!r} (include the area code, e.g. 11 98765-4321).",
                value=value,
            ),
            field,
        )
    return e164


# The last few thousand answers of the two parsers (each costs about a
# third of a millisecond): a use case checks again what its caller, an
# import reading a row, has just checked, and a normalised value is its
# own answer.
_RECENT = 2048
_recent_phones: OrderedDict[tuple[str, str], str | None] = OrderedDict()


@lru_cache(maxsize=_RECENT)
def _email_form(value: str) -> str:
    return validate_email(value, check_deliverability=False).normalized.lower()


def _phone_form(value: str, region: str) -> str | None:
    """E.164, or None for a number that parses but does not exist."""
    if (value, region) in _recent_phones:
        _recent_phones.move_to_end((value, region))
        return _recent_phones[(value, region)]
    number = phonenumbers.parse(value, region)
    e164 = (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number)
        else None
    )
    _recent_phones[(value, region)] = e164
    if e164 is not None:
        _recent_phones[(e164, region)] = e164
    while len(_recent_phones) > _RECENT:
        _recent_phones.popitem(last=False)
    return e164


def required_text(
    value: str | None,
    field: list[str],
    *,
    max_length: int = 200,
    what: str = "Name",
    multiline: bool = False,
) -> str:
    """Stripped, not blank, at most `max_length` characters; one line
    unless `multiline` (then tabs and line breaks are kept)."""
    text = (value or "").strip()
    if not text:
        raise DomainError("INVALID", _("{what} must not be blank.", what=what), field)
    if len(text) > max_length:
        raise DomainError(
            "INVALID",
            _("{what} must be at most {max_length} characters.", what=what, max_length=max_length),
            field,
        )
    return check_text(text, field, single_line=not multiline, what=what)


def optional_text(
    value: str | None,
    field: list[str],
    *,
    max_length: int = 200,
    what: str = "Value",
    multiline: bool = False,
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        raise DomainError(
            "INVALID",
            _("{what} must be at most {max_length} characters.", what=what, max_length=max_length),
            field,
        )
    return check_text(text, field, single_line=not multiline, what=what)


def search_text(value: str | None, limits: Limits, field: list[str]) -> str:
    """A list's `search`, stripped; longer than the limit is refused (a
    long LIKE pattern costs the database, and SQLite refuses it)."""
    text = (value or "").strip()
    if len(text) > limits.max_search_chars:
        raise DomainError(
            "INVALID",
            _(
                "A search must be at most {limits_max_search_chars} characters.",
                limits_max_search_chars=limits.max_search_chars,
            ),
            field,
        )
    return check_text(text, field, what=_("A search"))


def normalize_tags(tags: list[str], field: list[str], limits: Limits) -> list[str]:
    """Distinct tags in the order given: at most `max_tags`, each one line
    of 1 to `max_tag_chars` characters."""
    if len(tags) > limits.max_tags:
        raise DomainError(
            "INVALID",
            _("A record has at most {limits_max_tags} tags.", limits_max_tags=limits.max_tags),
            field,
        )
    seen: dict[str, None] = {}
    for index, tag in enumerate(tags):
        text = tag.strip()
        if not text or len(text) > limits.max_tag_chars:
            raise DomainError(
                "INVALID",
                _(
                    "Each tag must be 1 to {limits_max_tag_chars} characters.",
                    limits_max_tag_chars=limits.max_tag_chars,
                ),
                [*field, str(index)],
            )
        seen.setdefault(check_text(text, [*field, str(index)], single_line=True, what=_("A tag")), None)
    return list(seen)


def custom_fields_object(value: Any, field: list[str], limits: Limits) -> dict[str, Any]:
    """A JSON object of at most `max_custom_fields` keys (one line, 1 to
    `max_custom_field_key_chars` characters), nested at most
    `max_custom_fields_depth` levels, `max_custom_fields_bytes` as JSON."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError("INVALID", _("customFields must be a JSON object."), field)
    check_custom_fields(value, field, limits)
    return value


def check_custom_fields(
    value: dict[str, Any], field: list[str], limits: Limits, *, what: str = "customFields"
) -> None:
    """The custom-fields limits on a JSON object (also a lead's `utm`)."""
    if len(value) > limits.max_custom_fields:
        raise DomainError(
            "INVALID",
            _(
                "{what} has at most {limits_max_custom_fields} keys.",
                what=what,
                limits_max_custom_fields=limits.max_custom_fields,
            ),
            field,
        )
    longest = limits.max_custom_field_key_chars
    for key in value:
        if not isinstance(key, str) or not key.strip() or len(key) > longest:
            raise DomainError(
                "INVALID",
                _("{what} keys must be 1 to {longest} characters.", what=what, longest=longest),
                field,
            )
        if text_problem(key, single_line=True) is not None:
            raise DomainError(
                "INVALID", _("{what} keys must not contain control characters.", what=what), field
            )
    _check_depth(value, field, limits.max_custom_fields_depth, what)
    bad = bad_text_in(value, field)
    if bad is not None:
        raise bad
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > limits.max_custom_fields_bytes:
        raise DomainError(
            "INVALID",
            _(
                "{what} must be at most {limits_max_custom_fields_bytes} bytes as JSON.",
                what=what,
                limits_max_custom_fields_bytes=limits.max_custom_fields_bytes,
            ),
            field,
        )


def fits_custom_fields(value: dict[str, Any], limits: Limits) -> bool:
    """Whether a record may hold `value` as its custom fields (e.g. after
    filling it from a merge or a returning lead)."""
    try:
        check_custom_fields(value, [], limits)
    except DomainError:
        return False
    return True


def _check_depth(value: Any, field: list[str], deepest: int, what: str) -> None:
    """Levels of objects and lists: {"a": 1} is 1, {"a": {"b": [1]}} is 3."""
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > deepest:
            raise DomainError(
                "INVALID",
                _("{what} may nest objects and lists at most {deepest} levels.", what=what, deepest=deepest),
                field,
            )
        children: list[Any] = []
        for item in level:
            values = item.values() if isinstance(item, dict) else item
            children.extend(v for v in values if isinstance(v, (dict, list)))
        level = children
