"""What a run is about: the event's deal (when it has one) or conversation
(inbox triggers) and contact, as the filter language and the templates see
them, read fresh at each step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from revgraph.models.automation import AutomationRule
from revgraph.models.crm import Contact, ContactTag
from revgraph.models.events import Event
from revgraph.models.identity import Team, User
from revgraph.models.inbox import Conversation, Inbox
from revgraph.models.pipeline import Deal, Stage
from revgraph.resolvers.automations.definitions import PLACEHOLDER
from revgraph.resolvers.contact_interests import interest_ids
from revgraph.resolvers.contact_queries import CONTACT_FIELDS
from revgraph.resolvers.custom_fields.filters import custom_field_spec
from revgraph.resolvers.custom_fields.values import definitions_for
from revgraph.resolvers.deal_queries import DEAL_FIELDS
from revgraph.resolvers.filtering import ONE_OF, FieldMap, FieldSpec, matches
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox.queries import CONVERSATION_FIELDS, last_replies
from revgraph.resolvers.stage_gates import filter_values

# Events that mean someone worked the lead (exit condition `unlessContacted`).
# (Messages of the inbox count too: resolvers/inbox/queries.last_replies.)
CONTACT_MADE_KINDS = ("note.added", "task.completed", "call.logged")
# What an AutomationConversationFilter may test: the conversation lists'
# fields (one meaning), and the inbox's channel.
CONVERSATION_CONDITION_FIELDS: FieldMap = {
    **{key: CONVERSATION_FIELDS[key] for key in ("status", "priority", "tags", "inbox_id", "assignee_id")},
    "channel": FieldSpec("inbox__channel", ONE_OF),
}


@dataclass
class Subject:
    contact: Contact | None
    deal: Deal | None
    tags: list[str]
    # The contact's developments of interest (primary keys).
    interests: list[int]
    # The filter fields conditions read, with the workspace's custom fields.
    contact_fields: FieldMap = field(default_factory=lambda: CONTACT_FIELDS)
    deal_fields: FieldMap = field(default_factory=lambda: DEAL_FIELDS)
    # Inbox triggers: the conversation, and its inbox's channel.
    conversation: Conversation | None = None
    channel: str | None = None

    @property
    def owner_id(self) -> int | None:
        """Who the record is with: the deal's owner, the conversation's
        assignee, else the contact's owner."""
        if self.deal is not None:
            return self.deal.owner_id
        if self.conversation is not None:
            return self.conversation.assignee_id
        return self.contact.owner_id if self.contact else None

    @property
    def contact_gid(self) -> str | None:
        return encode_id("Contact", self.contact.id) if self.contact else None

    @property
    def deal_gid(self) -> str | None:
        return encode_id("Deal", self.deal.id) if self.deal else None


async def load_subject(
    contact_id: int | None, deal_id: int | None, conversation_id: int | None = None
) -> Subject:
    deal = await Deal.filter(id=deal_id).first() if deal_id else None
    if deal is not None and deal.contact_id:
        contact_id = deal.contact_id
    conversation = await Conversation.filter(id=conversation_id).first() if conversation_id else None
    if conversation is not None:
        contact_id = conversation.contact_id
    contact = await Contact.filter(id=contact_id).first() if contact_id else None
    tags: list[str] = []
    interests: list[int] = []
    if contact is not None:
        tags = list(
            await ContactTag.filter(contact_id=contact.id).order_by("id").values_list("name", flat=True)
        )
        interests = await interest_ids(contact.id)
    subject = Subject(contact, deal, tags, interests)
    if conversation is not None:
        subject.conversation = conversation
        channel = await Inbox.filter(id=conversation.inbox_id).values_list("channel", flat=True)
        subject.channel = channel[0] if channel else None
    record = deal or contact
    if record is not None:
        definitions = await definitions_for(record.workspace_id, "CONTACT", "DEAL")
        subject.contact_fields = _with_custom_fields(CONTACT_FIELDS, definitions, "CONTACT")
        subject.deal_fields = _with_custom_fields(DEAL_FIELDS, definitions, "DEAL")
    return subject


def _with_custom_fields(fields: FieldMap, definitions: list[Any], entity: str) -> FieldMap:
    mine = [d for d in definitions if d.entity == entity]
    return {**fields, "custom_field": custom_field_spec(mine, entity)}


def contact_values(contact: Contact, tags: list[str], interests: list[int] | None = None) -> dict[str, Any]:
    return {
        "interested_in": list(interests or ()),
        "custom_field": dict(contact.custom_fields or {}),
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "source": contact.source,
        "owner_id": contact.owner_id,
        "company_id": contact.company_id,
        "lifecycle_stage": contact.lifecycle_stage,
        "tags": tags,
        "score": contact.score,
        "created_at": contact.created_at,
        "deleted": contact.deleted_at is not None,
    }


def contact_matches(condition: dict[str, Any] | None, subject: Subject) -> bool:
    if not condition:
        return True
    if subject.contact is None:
        return False
    return matches(
        condition, contact_values(subject.contact, subject.tags, subject.interests), subject.contact_fields
    )


def conversation_values(conversation: Conversation, channel: str | None) -> dict[str, Any]:
    return {
        "status": conversation.status,
        "priority": conversation.priority,
        "tags": list(conversation.tags or []),
        "inbox_id": conversation.inbox_id,
        "assignee_id": conversation.assignee_id,
        "channel": channel,
    }


def conditions_hold(rule: AutomationRule, subject: Subject) -> bool:
    """The rule's ContactFilter, DealFilter and AutomationConversationFilter
    against the subject now; a condition on a record the subject does not
    have does not hold."""
    if rule.conversation_conditions:
        if subject.conversation is None or not matches(
            rule.conversation_conditions,
            conversation_values(subject.conversation, subject.channel),
            CONVERSATION_CONDITION_FIELDS,
        ):
            return False
    if rule.deal_conditions:
        if subject.deal is None or not matches(
            rule.deal_conditions, filter_values(subject.deal), subject.deal_fields
        ):
            return False
    return contact_matches(rule.contact_conditions, subject)


def trigger_matches(rule: AutomationRule, event: Event) -> bool:
    """The trigger's details against the event: from/to stage of a move,
    or "field changed (to value)" of an update."""
    trigger = rule.trigger or {}
    data = event.data or {}
    for key in ("fromStageId", "toStageId"):
        if trigger.get(key) is not None and data.get(key) != trigger[key]:
            return False
    field = trigger.get("field")
    if field is None:
        return True
    changes = data.get("changes") or {}
    if event.kind == "deal.updated":
        change = _deal_change(changes, field)
    else:
        change = _contact_change(changes, field)
    if change is None:
        return False
    if "value" not in trigger:
        return True
    return _same(change.get("to"), trigger["value"], field)


_DEAL_COLUMNS = {
    "contactId": "contact_id",
    "companyId": "company_id",
    "ownerId": "owner_id",
    "developmentId": "development_id",
    "expectedCloseDate": "expected_close_date",
}


def _custom_change(change: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if change is None:
        return None
    before = (change.get("from") or {}).get(key)
    after = (change.get("to") or {}).get(key)
    return None if before == after else {"from": before, "to": after}


def _deal_change(changes: dict[str, Any], field: str) -> dict[str, Any] | None:
    if field.startswith("customFields."):
        return _custom_change(changes.get("custom_fields"), field.split(".", 1)[1])
    return changes.get(_DEAL_COLUMNS.get(field, field))


def _contact_change(changes: dict[str, Any], field: str) -> dict[str, Any] | None:
    if field.startswith("customFields."):
        return _custom_change(changes.get("customFields"), field.split(".", 1)[1])
    return changes.get(field)


def _same(actual: Any, wanted: str, field: str) -> bool:
    if actual is None:
        return wanted == ""
    if field.endswith("Id"):
        # Deal changes hold primary keys, contact changes global ids: either matches.
        type_name = {
            "ownerId": "User",
            "contactId": "Contact",
            "companyId": "Company",
            "developmentId": "Development",
        }[field]
        if isinstance(actual, int):
            return wanted in (str(actual), encode_id(type_name, actual))
    return str(actual) == wanted


async def contacted_since(subject: Subject, event_id: int) -> bool:
    """Someone worked the lead after the triggering event (a note, a
    completed task, a message)."""
    query = Event.filter(id__gt=event_id, kind__in=CONTACT_MADE_KINDS)
    if subject.deal is not None and await query.filter(deal_id=subject.deal.id).exists():
        return True
    if subject.contact is None:
        return False
    if await query.filter(contact_id=subject.contact.id).exists():
        return True
    # A person's reply in the inbox.
    at = await Event.filter(id=event_id).values_list("at", flat=True)
    return bool(at) and bool(await last_replies([subject.contact.id], at[0]))


async def render(text: str, subject: Subject, rule: AutomationRule) -> str:
    """Fill {{contact.name}}, {{deal.title}}, {{owner.name}}, ... with the
    subject's current values (empty when the subject lacks them)."""
    names = set(PLACEHOLDER.findall(text))
    if not names:
        return text
    values: dict[str, Any] = {"rule.name": rule.name}
    if subject.contact is not None:
        values |= {
            "contact.name": subject.contact.name,
            "contact.email": subject.contact.email,
            "contact.phone": subject.contact.phone,
        }
    if subject.deal is not None:
        stage = await Stage.filter(id=subject.deal.stage_id).values_list("name", flat=True)
        values |= {
            "deal.title": subject.deal.title,
            "deal.value": str(subject.deal.value) if subject.deal.value is not None else "",
            "deal.stage": stage[0] if stage else "",
        }
    if any(n.startswith("owner.") for n in names) and subject.owner_id:
        owner = await User.filter(id=subject.owner_id).first()
        if owner is not None:
            values |= {"owner.name": owner.name, "owner.email": owner.email}
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1)) or ""), text)


async def manager_of(user_id: int | None) -> int | None:
    """The manager of the user's team (or of the nearest team above it with one)."""
    if user_id is None:
        return None
    team_id = (await User.filter(id=user_id).values_list("team_id", flat=True) or [None])[0]
    seen: set[int] = set()
    while team_id is not None and team_id not in seen:
        seen.add(team_id)
        team = await Team.filter(id=team_id).first()
        if team is None:
            return None
        if team.manager_id is not None and team.manager_id != user_id:
            return team.manager_id
        team_id = team.parent_id
    return None
