"""GraphQL surface of the consent ledger (resolvers/consent.py): a
contact's consent per channel and its history, and recordConsent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import consent, loaders
from revgraph.schema.common import ctx_of, input_dict, payload_mutation
from revgraph.schema.contacts import Contact, ContactPayload
from revgraph.schema.identity import User
from revgraph.schema.inbox.setup import ChannelKind
from revgraph.schema.permissions import AUTHENTICATED


@strawberry.type(
    description="One opt-in or opt-out of a contact for a channel (the consent ledger, LGPD). Rows are never changed: the newest of a channel is the contact's consent on it."
)
class Consent:
    channel: ChannelKind = strawberry.field(description="The channel it is about.")
    granted: bool = strawberry.field(
        description="true: the contact may receive messages on the channel; false: they opted out (sends are refused with NO_CONSENT)."
    )
    source: str = strawberry.field(
        description='Where it came from: "inbound_message" (the contact wrote first), "keyword" (PARAR/SAIR/STOP or VOLTAR/START), or what the user who recorded it said ("telefone", "formulário", ...).'
    )
    note: str | None = strawberry.field(description="The keyword typed, or the recorder's note.")
    at: datetime = strawberry.field(description="When it was recorded.")
    row: strawberry.Private[Any]

    @strawberry.field(
        description="The user who recorded it; null when the contact did (a message, a keyword)."
    )
    async def recorded_by(self, info: Info) -> User | None:
        if self.row.actor_user_id is None:
            return None
        user = await loaders.users(ctx_of(info)).load(self.row.actor_user_id)
        return User.of(user) if user else None

    @classmethod
    def of(cls, row: Any) -> Consent:
        return cls(
            channel=ChannelKind(row.channel),
            granted=row.granted,
            source=row.source,
            note=row.note,
            at=row.at,
            row=row,
        )


async def consents_of(info: Info, contact_id: int, *, history: bool) -> list[Consent]:
    rows = await consent.consents_of(ctx_of(info)).load(contact_id)
    return [Consent.of(r) for r in (rows if history else consent.current_by_channel(rows))]


@strawberry.input(description="Consent given or withdrawn outside the channel, recorded by a user.")
class RecordConsentInput:
    contact_id: strawberry.ID = strawberry.field(description="A contact the caller may see.")
    channel: ChannelKind = strawberry.field(description="The channel it is about.")
    granted: bool = strawberry.field(description="true: opted in; false: opted out.")
    source: str = strawberry.field(
        description='How it was given, 1-32 characters: "telefone", "presencial", "formulário", ...'
    )
    note: str | None = strawberry.field(
        default=strawberry.UNSET, description="Details for the record (at most 500 characters)."
    )


_consent_mutation = payload_mutation(ContactPayload, "contact", Contact.of)


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description="Record a contact's consent on a channel (opt back in after PARAR, or an opt-out asked for by phone). Anyone who sees the contact may; the same state as now records nothing. Records consent.granted or consent.revoked on the contact's timeline.",
        permission_classes=AUTHENTICATED,
    )
    async def record_consent(self, info: Info, input: RecordConsentInput) -> ContactPayload:
        return await _consent_mutation(consent.record_consent)(info, input_dict(input))
