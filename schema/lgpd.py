"""GraphQL surface of LGPD requests (resolvers/lgpd): a data subject's
export and erasure, ADMIN only."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers.lgpd.erasure import erase_contact
from revgraph.resolvers.lgpd.export import export_contact_data
from revgraph.schema.common import UserError, payload_mutation
from revgraph.schema.contacts import Contact, ContactPayload
from revgraph.schema.permissions import ADMIN


@strawberry.type(description="Result of exportContactData.")
class ContactDataExportPayload:
    export: JSON | None = strawberry.field(
        default=None,
        description="Everything held about the contact, as one JSON document: the record with custom fields and tags, contacts merged into it, consents (current per channel and the whole ledger), conversations with their messages, deals, tasks, notes, touchpoints, assignments, interests and the timeline. Save it as a .json file to hand to the data subject.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


_export = payload_mutation(ContactDataExportPayload, "export", lambda document: document)
_erase = payload_mutation(ContactPayload, "contact", Contact.of)


@strawberry.type
class LgpdMutation:
    @strawberry.mutation(
        description="LGPD access and portability: everything held about a contact (trashed ones too) as one JSON document. ADMIN only; `reason` (1-500 characters, e.g. the request's protocol) is logged with who asked in a contact.data_exported event.",
        permission_classes=ADMIN,
    )
    async def export_contact_data(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> ContactDataExportPayload:
        return await _export(export_contact_data)(info, id, reason)

    @strawberry.mutation(
        description="LGPD erasure on request: anonymise a contact now (trashed ones too), everywhere it appears — its fields and custom fields, its messages and attachments' names, events' summaries and data, outgoing webhook deliveries, stored provider payloads, consent notes, notes — keeping every row so counts and reports do not change. A later message from the same phone or e-mail opens a new contact. ADMIN only; logged with who and why in a contact.erased event; erasing again changes nothing.",
        permission_classes=ADMIN,
    )
    async def erase_contact(self, info: Info, id: strawberry.ID, reason: str) -> ContactPayload:
        return await _erase(erase_contact)(info, id, reason)
