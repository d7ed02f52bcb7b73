"""Normalising what people type: e-mails, phones, names, tags, JSON fields."""

from __future__ import annotations

from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from revgraph.resolvers.errors import DomainError

DEFAULT_PHONE_REGION = "BR"


def normalize_email(value: str, field: list[str]) -> str:
    """Syntax-checked (no DNS look-ups) and lower-cased."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError("INVALID", f"Not a valid e-mail address: {exc}", field) from exc
    return result.normalized.lower()


def normalize_phone(value: str, field: list[str], region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164, reading numbers without a country code as Brazilian."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError("INVALID", f"Not a valid phone number: {value!r}.", field) from exc
    if not phonenumbers.is_valid_number(number):
        raise DomainError(
            "INVALID",
            f"Not a valid phone number: {value!r} (include the area code, e.g. 11 98765-4321).",
            field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def required_text(value: str | None, field: list[str], *, max_length: int = 200, what: str = "Name") -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError("INVALID", f"{what} must not be blank.", field)
    if len(text) > max_length:
        raise DomainError("INVALID", f"{what} must be at most {max_length} characters.", field)
    return text


def optional_text(
    value: str | None, field: list[str], *, max_length: int = 200, what: str = "Value"
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        raise DomainError("INVALID", f"{what} must be at most {max_length} characters.", field)
    return text


def normalize_tags(tags: list[str], field: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for index, tag in enumerate(tags):
        text = tag.strip()
        if not text or len(text) > 64:
            raise DomainError("INVALID", "Each tag must be 1 to 64 characters.", [*field, str(index)])
        seen.setdefault(text, None)
    return list(seen)


def custom_fields_object(value: Any, field: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError("INVALID", "customFields must be a JSON object.", field)
    for key in value:
        if not isinstance(key, str) or not key.strip() or len(key) > 64:
            raise DomainError("INVALID", "customFields keys must be 1 to 64 characters.", [*field, str(key)])
    return value
