"""What a webchat visitor does: comes (with their token, or for the first
time), says who they are, writes, reads their own conversation, and
acknowledges the replies that reached them.

A visitor is their own contact. The name and e-mail typed in the widget
are not proof of identity — anyone can type anyone's e-mail — so they
never attach the visitor to an existing contact (whose conversations they
would then read); the e-mail is stored on the visitor's contact when no
other contact has it, and agents merge contacts that are one person.

A visitor reads only the messages of their contact's conversations in
their inbox that the contact may read: TEXT and TEMPLATE, never NOTE or
ACTIVITY. Nothing the visitor sends names a conversation, so there is no
id to try."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.crm import Contact
from revgraph.models.identity import User
from revgraph.models.inbox import Inbox, Message
from revgraph.models.webchat import WebchatVisitor
from revgraph.resolvers.channels.webchat import tokens
from revgraph.resolvers.channels.webchat.setup import WidgetSettings, widget_settings
from revgraph.resolvers.contacts import set_name
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, _
from revgraph.resolvers.ids import decode_id, encode_id
from revgraph.resolvers.inbox import intake, senders
from revgraph.resolvers.numbering import next_number
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import normalize_email, optional_text

# What the widget shows when it opens: the newest messages, oldest first.
HISTORY_LIMIT = 100
# Messages one acknowledgement may name.
MAX_ACKS = 100
# What a contact reads of their conversation.
VISIBLE_KINDS = ("TEXT", "TEMPLATE")
CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ACK_STATUSES = ("DELIVERED", "READ")
LABEL = "webchat"

# What a visitor may tell about themselves, as people read it.
VISITOR_FIELDS = {"name": N_("name"), "email": N_("e-mail"), "phone": N_("phone")}


@dataclass(frozen=True)
class Visit:
    """A visitor on a socket: their inbox, their key (from the token) and the
    token to keep (a new one for a first visit)."""

    inbox: Inbox
    visitor_key: str
    token: str
    widget: WidgetSettings

    @property
    def workspace_id(self) -> int:
        return self.inbox.workspace_id


async def inbox_by_key(public_key: Any) -> Inbox | None:
    """The WEBCHAT inbox a widget names by its public key."""
    if not isinstance(public_key, str) or not 0 < len(public_key) <= 64:
        return None
    return await Inbox.filter(channel="WEBCHAT", channel_address=public_key).first()


def begin(settings: Settings, inbox: Inbox, token: Any) -> Visit | None:
    """The visit of the token's visitor, or of a new visitor when there is
    no token; None when the token is not genuine or not of this inbox."""
    if token is None:
        key = tokens.new_visitor_key()
        token = tokens.sign(settings.secret_key, inbox.id, key)
    else:
        verified = tokens.verify(settings.secret_key, token, inbox.id)
        if verified is None:
            return None
        key = verified.visitor_key
    return Visit(inbox, key, token, widget_settings(inbox.settings))


async def _visitor(visit: Visit) -> WebchatVisitor | None:
    return await WebchatVisitor.filter(inbox_id=visit.inbox.id, key=visit.visitor_key).first()


async def identify_of(visit: Visit) -> dict[str, str | None]:
    """What the visitor told of themselves so far."""
    visitor = await _visitor(visit)
    return {"name": visitor.name if visitor else None, "email": visitor.email if visitor else None}


async def _locked_visitor(visit: Visit) -> WebchatVisitor:
    """The visitor's row, held until the caller's transaction ends."""
    return (
        await WebchatVisitor.filter(inbox_id=visit.inbox.id, key=visit.visitor_key).select_for_update().get()
    )


async def _ensure_visitor(visit: Visit) -> None:
    """The visitor's row exists (created in its own statement: a race
    between two of the visitor's tabs leaves one row)."""
    if await _visitor(visit) is None:
        try:
            await WebchatVisitor.create(
                workspace_id=visit.workspace_id, inbox_id=visit.inbox.id, key=visit.visitor_key
            )
        except IntegrityError:
            pass


async def identify(visit: Visit, values: dict[str, Any]) -> dict[str, str | None]:
    """The visitor says who they are (both optional): a name of up to 200
    characters and a valid e-mail. Kept for their contact; a contact that
    already exists takes a name only while it still has the placeholder."""
    name = optional_text(values.get("name"), ["name"], max_length=200, what=_("Name"))
    raw_email = values.get("email")
    if raw_email is not None and not isinstance(raw_email, str):
        raise DomainError("INVALID", _("The e-mail is a text."), ["email"])
    email = normalize_email(raw_email, ["email"]) if raw_email and raw_email.strip() else None
    await _ensure_visitor(visit)
    async with unit_of_work():
        visitor = await _locked_visitor(visit)
        visitor.name = name or visitor.name
        visitor.email = email or visitor.email
        await visitor.save(update_fields=["name", "email", "last_seen_at"])
        if visitor.contact_id is not None:
            contact = await Contact.filter(id=visitor.contact_id, deleted_at=None).select_for_update().first()
            changes = await _fill_contact(contact, visitor) if contact is not None else {}
            if contact is not None and changes:
                await record_event(
                    None,
                    visit.workspace_id,
                    "contact.updated",
                    N_(
                        "The webchat visitor gave their {items}",
                        items=Listing(VISITOR_FIELDS.get(k, k) for k in changes),
                    ),
                    data={"changes": changes},
                    contact_id=contact.id,
                    actor_label=LABEL,
                )
    return {"name": visitor.name, "email": visitor.email}


async def _fill_contact(contact: Contact, visitor: WebchatVisitor) -> dict[str, Any]:
    """What the visitor typed goes on their contact where it is missing (a
    name over the placeholder; an e-mail no other live contact has). The
    changes, as contact.updated names them."""
    changes: dict[str, Any] = {}
    if visitor.name and contact.name.startswith(PLACEHOLDER) and contact.name != visitor.name:
        changes["name"] = {"from": contact.name, "to": visitor.name}
        set_name(contact, visitor.name)
    if (
        visitor.email
        and contact.email is None
        and not await _email_taken(contact.workspace_id, visitor.email)
    ):
        changes["email"] = {"from": None, "to": visitor.email}
        contact.email = visitor.email
    if changes:
        columns = {"name": ["name", "name_search"], "email": ["email"]}
        await contact.save(update_fields=[c for key in changes for c in columns[key]])
    return changes


PLACEHOLDER = "Visitante do site"


async def _email_taken(workspace_id: int, email: str) -> bool:
    return await Contact.filter(workspace_id=workspace_id, email=email, deleted_at=None).exists()


async def _live_contact(contact_id: int | None) -> Contact | None:
    """The visitor's contact, or the one it was merged into; None when it
    was deleted (the visitor then starts anew)."""
    if contact_id is None:
        return None
    contact = await Contact.filter(id=contact_id).first()
    if contact is not None and contact.deleted_at is not None and contact.merged_into_id is not None:
        contact = await Contact.filter(id=contact.merged_into_id).first()
    if contact is None or contact.deleted_at is not None:
        return None
    return contact


async def contact_of(visit: Visit) -> int | None:
    """The visitor's contact now (None before their first message)."""
    visitor = await _visitor(visit)
    contact = await _live_contact(visitor.contact_id if visitor else None)
    return contact.id if contact else None


async def _own_contact(visit: Visit) -> int:
    """The visitor's contact, created with their first message: numbered,
    unowned, source "webchat", named and mailed from what they typed."""
    await _ensure_visitor(visit)
    async with unit_of_work():
        visitor = await _locked_visitor(visit)
        contact = await _live_contact(visitor.contact_id)
        if contact is None:
            contact = Contact(workspace_id=visit.workspace_id, source="webchat")
            contact.number = await next_number(visit.workspace_id, "contact")
            set_name(contact, f"{PLACEHOLDER} {contact.number}")
            await contact.save()
            await _fill_contact(contact, visitor)
            await record_event(
                None,
                visit.workspace_id,
                "contact.created",
                N_("Contact {contact} wrote to the inbox (webchat)", contact=contact.name),
                data={"contact": {"name": contact.name, "email": contact.email, "phone": None}},
                contact_id=contact.id,
                actor_label=LABEL,
            )
        if visitor.contact_id != contact.id:
            visitor.contact_id = contact.id
            await visitor.save(update_fields=["contact_id", "last_seen_at"])
        return contact.id


def check_client_message_id(value: Any) -> str:
    if not isinstance(value, str) or not CLIENT_MESSAGE_ID.match(value):
        raise DomainError(
            "INVALID", _("clientMessageId is 1-64 letters, digits, '-' or '_'."), ["clientMessageId"]
        )
    return value


async def post(settings: Settings, visit: Visit, values: dict[str, Any]) -> Message:
    """The visitor writes: through the inbox's one intake, idempotent by the
    visitor's clientMessageId (a retry after a lost answer stores nothing
    new). Empty or over the webchat's characters per message: INVALID."""
    client_id = check_client_message_id(values.get("clientMessageId"))
    body = intake.check_body("WEBCHAT", values.get("body"), ["body"])
    limit = settings.limits.webchat_max_message_chars
    if len(body) > limit:
        raise DomainError(
            "INVALID", _("A chat message is at most {limit} characters.", limit=limit), ["body"]
        )
    contact_id = await _own_contact(visit)
    received = await intake.receive(
        settings,
        None,
        visit.inbox,
        intake.Sender(name=None, email=None, phone=None, external_id=visit.visitor_key),
        body=body,
        external_id=f"webchat:{visit.visitor_key}:{client_id}",
        at=datetime.now(UTC),
        contact_id=contact_id,
    )
    return received.message


async def history(visit: Visit) -> list[Message]:
    """The newest messages the visitor may read, oldest first."""
    contact_id = await contact_of(visit)
    if contact_id is None:
        return []
    rows = (
        await Message.filter(
            inbox_id=visit.inbox.id, conversation__contact_id=contact_id, kind__in=VISIBLE_KINDS
        )
        .order_by("-at", "-id")
        .limit(HISTORY_LIMIT)
    )
    return list(reversed(rows))


async def author_names(messages: list[Message]) -> dict[int, str]:
    """The first names of the agents who wrote these messages (what the
    visitor sees of them)."""
    ids = {m.author_id for m in messages if m.author_id is not None}
    if not ids:
        return {}
    rows = await User.filter(id__in=ids).values_list("id", "name")
    return {user_id: (name or "").split(" ")[0] or "Atendente" for user_id, name in rows}


def visitor_view(message: Message, names: dict[int, str]) -> dict[str, Any]:
    """A message as the visitor's widget gets it."""
    client_id = None
    if message.direction == "INBOUND" and message.external_id:
        client_id = message.external_id.rsplit(":", 1)[-1]
    return {
        "id": encode_id("Message", message.id),
        "from": "visitor" if message.direction == "INBOUND" else "agent",
        "body": message.body,
        "at": message.at.astimezone(UTC).isoformat(),
        "author": names.get(message.author_id) if message.author_id else None,
        "clientMessageId": client_id,
        "status": message.status,
    }


async def acknowledge(visit: Visit, values: dict[str, Any]) -> int:
    """The widget got (DELIVERED) or showed (READ) agents' messages: their
    status moves on (never back). Only the visitor's own messages count;
    other ids are ignored. How many moved."""
    status = values.get("status")
    raw = values.get("messageIds")
    if status not in ACK_STATUSES:
        raise DomainError("INVALID", _("status is DELIVERED or READ."), ["status"])
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ACKS:
        raise DomainError(
            "INVALID", _("messageIds lists 1 to {MAX_ACKS} ids.", MAX_ACKS=MAX_ACKS), ["messageIds"]
        )
    ids = {pk for kind, pk in filter(None, (decode_id(v) for v in raw)) if kind == "Message"}
    contact_id = await contact_of(visit)
    if not ids or contact_id is None:
        return 0
    own = await Message.filter(
        id__in=ids,
        inbox_id=visit.inbox.id,
        conversation__contact_id=contact_id,
        direction="OUTBOUND",
        kind__in=VISIBLE_KINDS,
    ).values_list("id", flat=True)
    moved = 0
    for message_id in sorted(own):
        if await senders.set_status(message_id, status) is not None:
            moved += 1
    return moved
