"""Replies: what agents write in a conversation. Free text goes only inside
the channel's reply window (WINDOW_CLOSED otherwise, and nothing is
stored); templates go at any time; nothing goes to a contact who opted out
of the channel (NO_CONSENT, resolvers/consent.py); NOTEs are private and
never sent. A
client's retry with the same clientMessageId gets the first message back
and sends nothing. Outbound messages are QUEUED in the transaction and
handed to the channel's sender after commit (resolvers/inbox/senders.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.inbox import Conversation, Inbox, Message, MessageTemplate
from revgraph.resolvers.consent import require_consent
from revgraph.resolvers.context import Context
from revgraph.resolvers.distribution.assign import record_first_contact
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import N_, _, ngettext
from revgraph.resolvers.inbox.conversations import add_message, visible_conversation
from revgraph.resolvers.inbox.intake import can_reply, check_body
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import check_text

PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


@dataclass
class Sent:
    message: Message
    conversation: Conversation


def fill_template(body: str, variables: list[str], field: list[str]) -> str:
    """The template's body with {{1}}, {{2}}... replaced in order; the count must match."""
    wanted = variable_count(body)
    if len(variables) != wanted:
        raise DomainError(
            "INVALID",
            ngettext(
                "This template takes {count} variable, not {given}.",
                "This template takes {count} variables, not {given}.",
                wanted,
                given=len(variables),
            ),
            field,
        )
    return PLACEHOLDER.sub(lambda m: variables[int(m.group(1)) - 1], body)


def variable_count(body: str) -> int:
    """The highest {{n}} of a template body (placeholders are 1..n)."""
    numbers = [int(n) for n in PLACEHOLDER.findall(body)]
    return max(numbers, default=0)


async def _repeat(conversation_id: int, client_message_id: str | None) -> Message | None:
    if client_message_id is None:
        return None
    return await Message.filter(conversation_id=conversation_id, client_message_id=client_message_id).first()


def _client_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise DomainError(
            "INVALID", _("clientMessageId must be 1-255 characters."), ["input", "clientMessageId"]
        )
    return value.strip()


async def send_message(ctx: Context, values: dict[str, Any]) -> Sent:
    """sendMessage: TEXT (to the contact, inside the window) or NOTE (private)."""
    actor = ctx.require_actor()
    kind = values.get("kind") or "TEXT"
    if kind not in ("TEXT", "NOTE"):
        raise DomainError(
            "INVALID", _("sendMessage sends TEXT or NOTE; use sendTemplate for templates."), ["input", "kind"]
        )
    client_message_id = _client_id(values.get("client_message_id"))
    name = await actor_name(ctx)
    try:
        async with unit_of_work():
            conversation = await visible_conversation(
                ctx, values.get("conversation_id"), ["input", "conversationId"]
            )
            repeated = await _repeat(conversation.id, client_message_id)
            if repeated is not None:
                return Sent(repeated, conversation)
            inbox = await Inbox.get(id=conversation.inbox_id)
            body = check_body(inbox.channel, values.get("body"), ["input", "body"])
            now = datetime.now(UTC)
            if kind == "NOTE":
                message = await add_message(
                    actor,
                    conversation,
                    kind="NOTE",
                    body=body,
                    at=now,
                    author_id=actor.user_id,
                    author_label=actor.label if actor.user_id is None else None,
                    client_message_id=client_message_id,
                    summary=N_(
                        "{name} added a note to conversation #{conversation_number}",
                        name=name,
                        conversation_number=conversation.number,
                    ),
                )
                return Sent(message, conversation)
            if not can_reply(inbox, conversation, now):
                raise DomainError(
                    "WINDOW_CLOSED",
                    _("The reply window is closed (24 h after the contact's last message): send a template."),
                    ["input", "body"],
                )
            await require_consent(conversation.contact_id, inbox.channel, ["input", "conversationId"])
            message = await _outbound(
                ctx,
                conversation,
                body=body,
                at=now,
                client_message_id=client_message_id,
                summary=N_(
                    "{name} replied in conversation #{conversation_number}",
                    name=name,
                    conversation_number=conversation.number,
                ),
            )
    except IntegrityError:
        # The same clientMessageId committed concurrently: answer with it.
        conversation = await visible_conversation(
            ctx, values.get("conversation_id"), ["input", "conversationId"], for_update=False
        )
        repeated = await _repeat(conversation.id, client_message_id)
        if repeated is None:
            raise
        return Sent(repeated, conversation)
    return Sent(message, conversation)


async def _outbound(
    ctx: Context,
    conversation: Conversation,
    *,
    body: str,
    at: datetime,
    client_message_id: str | None,
    summary: str,
    template: tuple[str, str, list[str]] | None = None,
) -> Message:
    actor = ctx.require_actor()
    message = await add_message(
        actor,
        conversation,
        kind="TEMPLATE" if template else "TEXT",
        direction="OUTBOUND",
        status="QUEUED",
        body=body,
        at=at,
        author_id=actor.user_id,
        author_label=actor.label if actor.user_id is None else None,
        client_message_id=client_message_id,
        template=template,
        summary=summary,
    )
    # A reply is the assignee's first contact with the lead (distribution's workedAt).
    await record_first_contact(actor, contact_id=conversation.contact_id, deal_id=conversation.deal_id, at=at)
    return message


async def send_template(ctx: Context, values: dict[str, Any]) -> Sent:
    """sendTemplate: an approved template, inside or outside the window."""
    ctx.require_actor()
    name = await actor_name(ctx)
    template_name = check_text(
        values.get("template_name") or "",
        ["input", "templateName"],
        single_line=True,
        what=_("Template name"),
    )
    language = values.get("language") or ""
    variables = [
        check_text(v, ["input", "variables", str(i)], what=_("Variable"))
        for i, v in enumerate(values.get("variables") or [])
    ]
    async with unit_of_work():
        conversation = await visible_conversation(
            ctx, values.get("conversation_id"), ["input", "conversationId"]
        )
        template = await MessageTemplate.filter(
            inbox_id=conversation.inbox_id, name=template_name, language=language
        ).first()
        if template is None:
            raise DomainError(
                "NOT_FOUND",
                _("The inbox has no template with this name and language."),
                ["input", "templateName"],
            )
        body = fill_template(template.body, variables, ["input", "variables"])
        channel = await Inbox.filter(id=conversation.inbox_id).values_list("channel", flat=True)
        await require_consent(conversation.contact_id, channel[0], ["input", "conversationId"])
        message = await _outbound(
            ctx,
            conversation,
            body=body,
            at=datetime.now(UTC),
            client_message_id=None,
            summary=N_(
                "{name} sent template {template} in conversation #{conversation_number}",
                name=name,
                template=template.name,
                conversation_number=conversation.number,
            ),
            template=(template.name, template.language, variables),
        )
    return Sent(message, conversation)
