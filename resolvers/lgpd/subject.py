"""What belongs to a data subject: the contact, the duplicates merged into
it (the same person's older records), and the rows that hang off them."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.expressions import Q

from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record

# What people read where personal data was.
REMOVED = "[removido]"
ERASED_NAME = "Titular removido (LGPD)"
ERASED_KIND = "contact.erased"
EXPORTED_KIND = "contact.data_exported"


@dataclass
class Subject:
    contact: Contact
    # The contact and every contact merged into it, directly or not.
    contact_ids: list[int]
    deal_ids: list[int] = field(default_factory=list)
    conversation_ids: list[int] = field(default_factory=list)

    @property
    def workspace_id(self) -> int:
        return self.contact.workspace_id

    def event_q(self) -> Q:
        """Log events about the subject: its contacts, deals and conversations."""
        q = Q(contact_id__in=self.contact_ids)
        if self.deal_ids:
            q |= Q(deal_id__in=self.deal_ids)
        if self.conversation_ids:
            q |= Q(conversation_id__in=self.conversation_ids)
        return q


def request_reason(reason: str | None) -> str:
    """The request's why, required: the log says who asked and why."""
    return required_text(reason, ["reason"], max_length=500, what=_("Reason"))


async def load_subject(ctx: Context, raw_id: str | None, *, for_update: bool = False) -> Subject:
    """The contact an ADMIN names (trashed ones too: erasure does not wait
    for the trash), with its merged duplicates, deals and conversations."""
    contact = await named_record(ctx, Contact, raw_id, ["id"], live=False, for_update=for_update)
    if contact.merged_into_id is not None:
        raise DomainError(
            "INVALID",
            _("This contact was merged into another one: name the contact it was merged into."),
            ["id"],
        )
    ids = [contact.id]
    frontier = [contact.id]
    while frontier:
        frontier = list(
            await Contact.filter(workspace_id=contact.workspace_id, merged_into_id__in=frontier)
            .exclude(id__in=ids)
            .values_list("id", flat=True)
        )
        ids.extend(frontier)
    subject = Subject(contact=contact, contact_ids=ids)
    subject.deal_ids = list(
        await Deal.filter(workspace_id=contact.workspace_id, contact_id__in=ids).values_list("id", flat=True)
    )
    subject.conversation_ids = list(
        await Conversation.filter(workspace_id=contact.workspace_id, contact_id__in=ids).values_list(
            "id", flat=True
        )
    )
    return subject
