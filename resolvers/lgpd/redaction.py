"""Finding and removing a data subject's identifiers in free text and in
JSON: every occurrence of each (case-insensitive) becomes "[removido]"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from revgraph.resolvers.lgpd.subject import REMOVED

# Shorter strings (an "ok", a "1") say nothing about anyone and would
# blank out unrelated words.
MIN_LENGTH = 3


def phone_forms(phone: str | None) -> list[str]:
    """How a phone appears: E.164, its digits, and without Brazil's 55."""
    if not phone:
        return []
    digits = re.sub(r"\D", "", phone)
    forms = [phone, digits]
    if digits.startswith("55") and len(digits) > 11:
        forms.append(digits[2:])
    return forms


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        found = {s.strip() for s in secrets if isinstance(s, str) and len(s.strip()) >= MIN_LENGTH}
        # Longest first, so "ana.souza@x.com" goes before "Ana Souza".
        ordered = sorted(found, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE) if ordered else None
        )

    def contains(self, text: str | None) -> bool:
        return bool(text) and self._pattern is not None and self._pattern.search(text) is not None

    def contains_json(self, value: Any) -> bool:
        return self.contains(json.dumps(value, ensure_ascii=False, default=str))

    def text(self, text: str | None) -> str | None:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(REMOVED, text)

    def value(self, value: Any) -> Any:
        """A JSON value with every string (keys stay) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


def custom_field_strings(values: dict[str, Any] | None) -> list[str]:
    """The text a record's custom fields hold (what could name the person)."""
    out: list[str] = []
    for value in (values or {}).values():
        items = value if isinstance(value, list) else [value]
        out.extend(str(item) for item in items if isinstance(item, str))
    return out
