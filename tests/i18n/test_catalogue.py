"""The message catalogue: every msgid the code uses has a pt-BR translation
with the same placeholders, the committed .mo files are compiled from the
.po files, and formats follow the language."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from revgraph.resolvers.i18n import (
    N_,
    Listing,
    Message,
    Moment,
    Money,
    _,
    choose,
    from_accept_language,
    speaking,
)

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "resolvers" / "locale"
PT_BR = LOCALE / "pt_BR" / "LC_MESSAGES" / "revgraph.po"


def _placeholders(text: str | tuple[str, ...]) -> set[str]:
    """The {placeholders} of a message, of all its forms for a plural one."""
    if isinstance(text, tuple):
        return set().union(*(_placeholders(form) for form in text))
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _key(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A message's id or string, a plural's forms as a tuple (read_mo gives lists)."""
    return tuple(text) if isinstance(text, list | tuple) else text


def _catalogue(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def test_every_message_of_the_code_is_in_the_catalogue():
    # given the messages extracted from the code now (what pybabel extract sees)
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "nN_": (1, 2)}
    used = {
        message
        for package in ("resolvers", "schema", "web", "tasks")
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, [("**.py", "python")], keywords=keywords
        )
    }
    # then the pt-BR catalogue has each of them (run pybabel update when this fails)
    known = {m.id for m in _catalogue(PT_BR) if m.id}
    assert sorted(used - known) == []


def test_every_msgid_has_a_pt_br_translation_with_the_same_placeholders():
    missing, mismatched = [], []
    for message in _catalogue(PT_BR):
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms) or "fuzzy" in message.flags:
            missing.append(message.id)
        elif any(_placeholders(message.id) != _placeholders(form) for form in forms):
            mismatched.append((message.id, message.string))
    assert missing == []
    assert mismatched == []


def test_the_committed_mo_files_are_compiled_from_the_po_files():
    for po in LOCALE.glob("*/LC_MESSAGES/revgraph.po"):
        with po.with_suffix(".mo").open("rb") as file:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(file) if m.id}
        written = {
            _key(m.id): _key(m.string)
            for m in _catalogue(po)
            if m.id and m.string and all(_key(m.string)) and "fuzzy" not in m.flags
        }
        assert compiled == written, f"{po}: run pybabel compile -d resolvers/locale -D revgraph"


def test_pt_br_is_the_default_and_english_is_the_msgid():
    assert _("Wrong e-mail or password.") == "E-mail ou senha incorretos."
    with speaking("en"):
        assert _("Wrong e-mail or password.") == "Wrong e-mail or password."


def test_the_language_is_the_users_else_accept_language_else_pt_br():
    assert choose("en", "pt-BR") == "en"
    assert choose(None, "en-US,en;q=0.9") == "en"
    assert choose(None, "fr-FR, en;q=0.5, pt;q=0.8") == "pt-BR"
    assert choose(None, "fr, de") == "pt-BR"
    assert choose(None, None) == "pt-BR"
    assert from_accept_language("en;q=0, pt-BR;q=0.1") == "pt-BR"


def test_a_stored_message_renders_in_each_readers_language():
    # given a summary kept as a message with its parameters, nested ones too
    message = N_(
        "{user} changed: {changes}",
        user="Bia",
        changes=Listing(
            [
                N_("renamed to {name}", name="Bia Corretora"),
                N_("role {old} to {new}", old=N_("agent"), new=N_("manager")),
            ]
        ),
    )
    stored = Message.from_data(message.as_data())
    # then each language reads it in its own words
    assert stored.render("pt-BR") == "Bia alterado: renomeado para Bia Corretora, papel de agente para gestor"
    assert stored.render("en") == "Bia changed: renamed to Bia Corretora, role agent to manager"


def test_money_dates_and_numbers_follow_the_language():
    when = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
    message = N_("{user} is now {value}", user="Ana", value=Money(Decimal("1250000"), "BRL"))
    assert message.render("pt-BR") == "Ana agora está R$\xa01.250.000,00"
    assert message.render("en") == "Ana is now R$1,250,000.00"
    snoozed = N_(
        "{value} snoozed conversation #{conversation_number} until {until}",
        value="Ana",
        conversation_number=7,
        until=Moment(when),
    )
    # 15:30 UTC is 12:30 in São Paulo
    assert (
        Message.from_data(snoozed.as_data()).render("pt-BR")
        == "Ana adiou a conversa nº 7 até 06/12/2026 12:30"
    )
    assert snoozed.render("en").endswith("until 12/6/26, 12:30\u202fPM")
    number = N_("{user} is now {value}", user="Ana", value=Decimal("1234.5"))
    assert number.render("pt-BR") == "Ana agora está 1.234,5"
