"""The consent ledger (LGPD): opt-in and opt-out of a contact per channel,
append-only, each with its source, time and who recorded it; the latest
row is the contact's consent on that channel.

- A contact who writes to an inbox is opted in for its channel (source
  `inbound_message`) unless they opted out before: writing again does not
  undo an opt-out.
- On channels where people text (WHATSAPP, SMS), a whole inbound message
  PARAR, SAIR or STOP (any case, spaces around ignored) opts them out and
  VOLTAR or START opts them back in (source `keyword`), recorded in the
  transaction that stores that message; each is acknowledged in pt-BR.
- A user records consent given or withdrawn elsewhere (recordConsent),
  with its source.
- Nothing but the opt-out's own acknowledgement goes to an opted-out
  contact on that channel: replies, templates, automations and campaigns
  are refused with NO_CONSENT (`require_consent`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from revgraph.models.consent import ConsentRecord
from revgraph.models.crm import Contact
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import optional_text, required_text
from revgraph.resolvers.visibility import named_record

CHANNELS = ("WHATSAPP", "INSTAGRAM", "WEBCHAT", "EMAIL", "SMS", "API")
# Channels where a one-word message is how people say stop.
KEYWORD_CHANNELS = ("WHATSAPP", "SMS")
OPT_OUT_KEYWORDS = frozenset({"PARAR", "SAIR", "STOP"})
OPT_IN_KEYWORDS = frozenset({"VOLTAR", "START"})
OPT_OUT_REPLY = (
    "Pronto, você não receberá mais mensagens nossas por aqui. Se mudar de ideia, é só responder VOLTAR."
)
OPT_IN_REPLY = "Que bom ter você de volta! Você voltará a receber nossas mensagens por aqui."
# The history a contact shows (newest first); the ledger itself keeps all.
MAX_HISTORY = 200


@dataclass
class Keyword:
    """What an inbound keyword did: the new consent and the reply owed."""

    granted: bool
    word: str
    reply: str


def keyword_of(channel: str, body: str) -> Keyword | None:
    """The consent keyword a whole message is, on a channel that has them."""
    if channel not in KEYWORD_CHANNELS:
        return None
    word = body.strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return Keyword(False, word, OPT_OUT_REPLY)
    if word in OPT_IN_KEYWORDS:
        return Keyword(True, word, OPT_IN_REPLY)
    return None


async def latest(contact_id: int, channel: str) -> ConsentRecord | None:
    return await ConsentRecord.filter(contact_id=contact_id, channel=channel).order_by("-id").first()


async def _record(
    actor: Actor | None,
    contact: Contact,
    channel: str,
    *,
    granted: bool,
    source: str,
    note: str | None = None,
    message_id: int | None = None,
    actor_label: str | None = None,
    who: str | None = None,
) -> ConsentRecord:
    """Append one row and its event on the contact's timeline (caller's transaction)."""
    row = await ConsentRecord.create(
        workspace_id=contact.workspace_id,
        contact_id=contact.id,
        channel=channel,
        granted=granted,
        source=source,
        note=note,
        message_id=message_id,
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor_label or (actor.label if actor else None),
        at=datetime.now(UTC),
    )
    how = N_("{source}: {note}", source=source, note=note) if note else source
    fact = (
        N_("{contact} opted in to {channel} messages ({how})", contact=contact.name, channel=channel, how=how)
        if granted
        else N_(
            "{contact} opted out of {channel} messages ({how})",
            contact=contact.name,
            channel=channel,
            how=how,
        )
    )
    await record_event(
        actor,
        contact.workspace_id,
        "consent.granted" if granted else "consent.revoked",
        N_("{who} recorded that {fact}", who=who, fact=fact) if who else fact,
        data={"channel": channel, "granted": granted, "source": source, "note": note, "consentId": row.id},
        contact_id=contact.id,
        actor_label=actor_label,
    )
    return row


async def on_inbound(
    actor: Actor | None, contact: Contact, channel: str, body: str, message_id: int
) -> Keyword | None:
    """The ledger's part of an inbound message (the intake's transaction):
    a first message opts the contact in; a keyword opts them out or back
    in. Returns the keyword when one was acted on (its reply is owed)."""
    current = await latest(contact.id, channel)
    keyword = keyword_of(channel, body)
    if keyword is not None and (current is None or current.granted != keyword.granted):
        await _record(
            actor,
            contact,
            channel,
            granted=keyword.granted,
            source="keyword",
            note=keyword.word,
            message_id=message_id,
            actor_label="channel",
        )
        return keyword
    if keyword is not None:
        # Said again (STOP twice): acknowledged again, nothing new to record.
        return keyword
    if current is None:
        await _record(
            actor,
            contact,
            channel,
            granted=True,
            source="inbound_message",
            message_id=message_id,
            actor_label="channel",
        )
    return None


async def require_consent(contact_id: int, channel: str, field: list[str]) -> None:
    """NO_CONSENT when the contact's latest word on the channel is an opt-out."""
    current = await latest(contact_id, channel)
    if current is not None and not current.granted:
        raise DomainError(
            "NO_CONSENT",
            _(
                "The contact opted out of {channel} messages ({how}); nothing was sent.",
                channel=channel,
                how=N_("{source}: {note}", source=current.source, note=current.note)
                if current.note
                else current.source,
            ),
            field,
        )


async def record_consent(ctx: Context, data: Mapping[str, Any]) -> Contact:
    """recordConsent: a user records consent given (or withdrawn) outside
    the channel — by phone, in person, on a form — with its source. Anyone
    who sees the contact may; the same state again records nothing."""
    actor = ctx.require_actor()
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise DomainError("INVALID", _("Unknown channel {channel!r}.", channel=channel), ["input", "channel"])
    granted = data.get("granted")
    if not isinstance(granted, bool):
        raise DomainError("INVALID", _("granted is true or false."), ["input", "granted"])
    source = required_text(data.get("source"), ["input", "source"], max_length=32, what=_("Source"))
    note = optional_text(data.get("note"), ["input", "note"], max_length=500, what=_("Note"))
    async with unit_of_work():
        contact = await named_record(
            ctx, Contact, data.get("contact_id"), ["input", "contactId"], for_update=True
        )
        current = await latest(contact.id, channel)
        if current is not None and current.granted == granted:
            return contact
        await _record(
            actor,
            contact,
            channel,
            granted=granted,
            source=source,
            note=note,
            who=await actor_name(ctx),
        )
    return contact


def consents_of(ctx: Context) -> loaders.BatchLoader:
    """A contact's ledger rows, newest first (at most MAX_HISTORY), one query per request."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(contact_ids: list[int]) -> list[list[ConsentRecord]]:
            rows = await ConsentRecord.filter(workspace_id=workspace_id, contact_id__in=contact_ids).order_by(
                "-id"
            )
            grouped: dict[int, list[ConsentRecord]] = {}
            for row in rows:
                grouped.setdefault(row.contact_id, []).append(row)
            return [grouped.get(i, [])[:MAX_HISTORY] for i in contact_ids]

        return batch

    return loaders.loader(ctx, "contact_consents", factory)


def current_by_channel(rows: list[ConsentRecord]) -> list[ConsentRecord]:
    """The latest row of each channel (rows newest first), by channel name."""
    seen: dict[str, ConsentRecord] = {}
    for row in rows:
        seen.setdefault(row.channel, row)
    return [seen[channel] for channel in sorted(seen)]
