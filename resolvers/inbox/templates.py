"""An inbox's message templates: what may be sent outside the channel's
reply window (on WhatsApp, the templates Meta approved). One per (inbox,
name, language); the body's placeholders {{1}}..{{n}} are filled from
sendTemplate's variables (resolvers/inbox/replies.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.inbox import Inbox, MessageTemplate
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox.intake import check_body
from revgraph.resolvers.inbox.replies import PLACEHOLDER, variable_count
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record

# "pt_BR", "en_US", "pt-BR", "en", "es_419": a language and optional subtags.
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*$")
MAX_LANGUAGE_CHARS = 16


def templates_of(ctx: Context) -> loaders.BatchLoader:
    """An inbox's templates by name and language, one query per request."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(inbox_ids: list[int]) -> list[list[MessageTemplate]]:
            rows = await MessageTemplate.filter(workspace_id=workspace_id, inbox_id__in=inbox_ids)
            grouped: dict[int, list[MessageTemplate]] = {}
            for row in sorted(rows, key=lambda r: (r.name, r.language, r.id)):
                grouped.setdefault(row.inbox_id, []).append(row)
            return [grouped.get(i, []) for i in inbox_ids]

        return batch

    return loaders.loader(ctx, "inbox_templates", factory)


def _language(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > MAX_LANGUAGE_CHARS or not LANGUAGE.match(text):
        raise DomainError(
            "INVALID", _('A language is a code like "pt_BR", "en_US" or "pt-BR".'), ["input", "language"]
        )
    return text


def _template_body(channel: str, value: Any) -> tuple[str, int]:
    """The body and its variable count: placeholders {{1}}..{{n}}, none missing."""
    field = ["input", "body"]
    body = check_body(channel, value, field)
    count = variable_count(body)
    used = {int(number) for number in PLACEHOLDER.findall(body)}
    missing = sorted(set(range(1, count + 1)) - used)
    if 0 in used or missing:
        gap = f"{{{{{missing[0]}}}}} is missing" if missing else "{{0}} is not a placeholder"
        raise DomainError(
            "INVALID",
            _(
                "Placeholders are numbered {{{{1}}}} to {{{{{count}}}}} without gaps: {gap}.",
                count=count,
                gap=gap,
            ),
            field,
        )
    return body, count


async def upsert_message_template(ctx: Context, inbox_id: str, data: Mapping[str, Any]) -> Inbox:
    """ADMIN saves a template of an inbox by (name, language): a new one is
    added, an existing one gets the new body. The same body again changes
    nothing and records nothing."""
    actor = ctx.require_admin()
    inbox = await named_record(ctx, Inbox, inbox_id, ["inboxId"])
    name = required_text(data.get("name"), ["input", "name"], what=_("Template name"))
    language = _language(data.get("language"))
    body, count = _template_body(inbox.channel, data.get("body"))
    for attempt in range(2):
        try:
            async with unit_of_work():
                await _save_template(ctx, actor, inbox, name, language, body, count)
            break
        except IntegrityError:
            # Saved concurrently by someone else: the second pass updates it.
            if attempt:
                raise
    return inbox


async def _save_template(
    ctx: Context, actor: Actor, inbox: Inbox, name: str, language: str, body: str, count: int
) -> None:
    template = (
        await MessageTemplate.filter(inbox_id=inbox.id, name=name, language=language)
        .select_for_update()
        .first()
    )
    created = template is None
    if template is None:
        template = await MessageTemplate.create(
            workspace_id=inbox.workspace_id,
            inbox_id=inbox.id,
            name=name,
            language=language,
            body=body,
            variable_count=count,
        )
    elif template.body == body:
        return
    else:
        template.body, template.variable_count = body, count
        await template.save(update_fields=["body", "variable_count", "updated_at"])
    said = (
        N_("{actor} added the template {name} ({language}) of the inbox {inbox}")
        if created
        else N_("{actor} changed the template {name} ({language}) of the inbox {inbox}")
    )
    await record_event(
        actor,
        actor.workspace_id,
        "message_template.upserted",
        N_(
            said.msgid,
            actor=await actor_name(ctx),
            name=name,
            language=language,
            inbox=inbox.name,
        ),
        data={
            "inboxId": encode_id("Inbox", inbox.id),
            "name": name,
            "language": language,
            "variableCount": count,
            "created": created,
        },
    )
