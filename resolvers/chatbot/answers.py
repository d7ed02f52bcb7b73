"""What the contact typed, read the way people mean it: an option by its
number or its text, a keyword as the whole message, both ignoring case,
accents, extra spaces and the punctuation around them; a collected field
checked with the same normalisers as the rest of the CRM."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.custom_fields.types import BadValue, normalise, shape_of
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.validation import normalize_email, normalize_phone, required_text

# Punctuation people put around a short answer ("2.", "Sim!", "(1)").
AROUND = " \t\r\n.,;:!?¡¿()[]{}\"'*-–—_"


def normalise_answer(text: str) -> str:
    """Lower case, without accents, inner whitespace collapsed, punctuation
    around it dropped: "  Atendente! " and "ATENDENTÉ" read the same."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split()).strip(AROUND)


def keyword_in(text: str, keywords: Sequence[str]) -> str | None:
    """The hand-off keyword the whole message is, if it is one."""
    said = normalise_answer(text)
    return next((word for word in keywords if said and said == normalise_answer(word)), None)


def match_option(text: str, labels: Sequence[str]) -> int | None:
    """The 0-based option the contact chose: its number (1..n) or its text; None otherwise."""
    said = normalise_answer(text)
    if not said:
        return None
    if said.isdigit():
        number = int(said)
        return number - 1 if 1 <= number <= len(labels) else None
    for index, label in enumerate(labels):
        if said == normalise_answer(label):
            return index
    return None


def options_text(text: str, labels: Sequence[str]) -> str:
    """A question as any channel shows it: its text, then the numbered options."""
    lines = "\n".join(f"{number}. {label}" for number, label in enumerate(labels, 1))
    return f"{text}\n\n{lines}"


INVALID_OPTION = "Desculpe, não entendi. Responda com o número ou o texto de uma das opções:"
INVALID_FIELD = {
    "NAME": "Desculpe, não entendi seu nome. Pode escrever de novo?",
    "EMAIL": "Esse e-mail não parece válido. Pode conferir e enviar de novo? (ex.: nome@empresa.com.br)",
    "PHONE": "Esse telefone não parece válido. Envie com DDD, por exemplo 11 98765-4321.",
    "CUSTOM": "Desculpe, não consegui entender essa resposta. Pode enviar de novo?",
}


def collected_value(node: dict[str, Any], text: str, definition: CustomFieldDefinition | None) -> Any:
    """The stored form of a COLLECT answer, or None when it is not valid."""
    field = node["field"]
    try:
        if field == "EMAIL":
            return normalize_email(text, ["answer"])
        if field == "PHONE":
            return normalize_phone(text, ["answer"])
        if field == "NAME":
            return required_text(text, ["answer"], max_length=200, what=_("Name"))
        if definition is None or definition.archived_at is not None:
            return None
        return normalise(shape_of(definition), text)
    except (DomainError, BadValue):
        return None
