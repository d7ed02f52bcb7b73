"""Counted messages (ngettext, nN_) in each language's plural forms, text
columns that keep a Message and are read in each reader's language, the
terminal's language of the CLI, and websocket close reasons that fit."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.resolvers.distribution.strategies import Candidate, choose
from revgraph.resolvers.i18n import (
    N_,
    Message,
    close_reason,
    from_environment,
    kept,
    ngettext,
    nN_,
    shown,
    speaking,
)

STAGE_DEALS = (
    "{stage} has {count} deal: name the stage it moves to.",
    "{stage} has {count} deals: name the stage they move to.",
)


def test_ngettext_picks_the_languages_form_and_fills_count():
    assert (
        ngettext(*STAGE_DEALS, 1, stage="Proposta")
        == "Proposta tem 1 negócio: informe a etapa para onde ele vai."
    )
    assert (
        ngettext(*STAGE_DEALS, 3, stage="Proposta")
        == "Proposta tem 3 negócios: informe a etapa para onde eles vão."
    )
    with speaking("en"):
        assert (
            ngettext(*STAGE_DEALS, 1, stage="Proposta") == "Proposta has 1 deal: name the stage it moves to."
        )
        assert (
            ngettext(*STAGE_DEALS, 3, stage="Proposta")
            == "Proposta has 3 deals: name the stage they move to."
        )
    # no "(s)" left in either language
    assert "(s)" not in ngettext(*STAGE_DEALS, 2, stage="X")


def test_a_stored_counted_message_renders_per_reader_and_count():
    message = nN_(
        "failed after {count} attempt: {text}",
        "failed after {count} attempts: {text}",
        2,
        text=N_("never"),
    )
    stored = Message.from_data(message.as_data())
    assert stored == message
    assert stored.render("pt-BR") == "falhou após 2 tentativas: nunca"
    assert stored.render("en") == "failed after 2 attempts: never"
    one = nN_("failed after {count} attempt: {text}", "failed after {count} attempts: {text}", 1, text="x")
    assert Message.from_data(one.as_data()).render("en") == "failed after 1 attempt: x"


def test_a_kept_message_in_a_text_column_is_read_in_each_language():
    reason = N_("{because} {reason}", because=N_("Handed off by the bot."), reason=N_("Nobody skipped."))
    column = kept(reason)
    assert isinstance(column, str) and column.startswith('{"$message":')
    assert shown(column, "pt-BR") == "Repassada pelo bot. Ninguém foi pulado."
    assert shown(column, "en") == "Handed off by the bot. Nobody skipped."
    with speaking("en"):
        assert shown(column) == "Handed off by the bot. Nobody skipped."
    # text written before (or by people) is shown as it is
    assert shown("ROUND_ROBIN: no previous assignment") == "ROUND_ROBIN: no previous assignment"
    assert shown('{"$message": broken') == '{"$message": broken'
    assert shown(None) is None
    assert kept("plain") == "plain"


def _member(i: int, **fields) -> Candidate:
    values = {"weight": 1, "capacity": None, "active": True, "online": True, "open_leads": 0}
    return Candidate(member_id=i, user_id=100 + i, name=f"m{i}", position=i, **{**values, **fields})


def test_a_distribution_reason_is_kept_and_read_in_each_language():
    members = [_member(1, online=False), _member(2), _member(3, capacity=2, open_leads=2)]
    members[1].last_assigned_at = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
    round_robin = kept(choose("ROUND_ROBIN", "ONLINE", members, None).reason)
    assert shown(round_robin, "en") == (
        "ROUND_ROBIN: no previous assignment; next in turn is m2 (position 2). "
        "Skipped: m1 (offline), m3 (at capacity 2/2)."
    )
    assert shown(round_robin, "pt-BR") == (
        "ROUND_ROBIN: nenhuma atribuição anterior; a vez é de m2 (posição 2). "
        "Pulados: m1 (offline), m3 (no limite 2/2)."
    )
    least = kept(choose("LEAST_LOADED", "OFFLINE", members[1:2], None).reason)
    assert shown(least, "pt-BR") == (
        "LEAST_LOADED: m2 0 em aberto (último lead 06/12/2026 12:30); quem tem menos leads abertos é m2. "
        "Ninguém foi pulado."
    )
    nobody = kept(choose("WEIGHTED", "ONLINE", members[:1], None).reason)
    assert shown(nobody, "en").startswith("WEIGHTED in ONLINE mode: nobody eligible")


def test_the_cli_speaks_the_terminals_language_else_pt_br():
    assert from_environment({"LANG": "en_US.UTF-8"}) == "en"
    assert from_environment({"LANG": "pt_BR.UTF-8"}) == "pt-BR"
    # POSIX order: LC_ALL, then LC_MESSAGES, then LANG
    assert from_environment({"LC_ALL": "en_GB.UTF-8", "LANG": "pt_BR.UTF-8"}) == "en"
    assert from_environment({"LC_MESSAGES": "en", "LANG": "pt_BR.UTF-8"}) == "en"
    assert from_environment({"LC_ALL": "", "LANG": "en_US"}) == "en"
    # no language, or one the product does not speak: pt-BR
    assert from_environment({"LANG": "C.UTF-8"}) == "pt-BR"
    assert from_environment({"LANG": "fr_FR.UTF-8"}) == "pt-BR"
    assert from_environment({}) == "pt-BR"


def test_a_close_reason_fits_the_123_bytes_of_a_close_frame():
    assert close_reason(N_("too many open connections")) == "conexões abertas demais"
    long = "ç" * 100  # 200 bytes of UTF-8
    cut = close_reason(long)
    assert len(cut.encode("utf-8")) <= 123 and cut == "ç" * 61
    with speaking("en"):
        assert close_reason(N_("Forbidden: the token was revoked or expired")) == (
            "Forbidden: the token was revoked or expired"
        )
