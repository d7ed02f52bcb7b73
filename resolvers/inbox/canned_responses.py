"""Canned responses: saved replies an agent finds while typing, by
"/shortCode" or by words of their title and body. Workspace setup: every
member reads them, ADMIN creates them.

A shortCode is stored lower-cased and without the "/" people type before
it, so it is unique per workspace ignoring case (the table's unique index
says so on every backend) and a prefix finds it however it is typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from revgraph.models.inbox import CannedResponse
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import required_text, search_text

SHORT_CODE = re.compile(r"^[a-z0-9_-]{1,64}$")
# A canned response fits in a message of any channel (WhatsApp's 4,096).
MAX_BODY_CHARS = 4096
MAX_RESULTS = 50


def _short_code(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    code = text.removeprefix("/").lower()
    if not SHORT_CODE.match(code):
        raise DomainError(
            "INVALID",
            _(
                'A shortCode is 1 to 64 letters (a-z, kept lower-case), digits, "_" or "-", e.g. "boas-vindas".'
            ),
            ["input", "shortCode"],
        )
    return code


def _duplicate(code: str) -> DomainError:
    return DomainError(
        "DUPLICATE", _('The shortCode "/{code}" is taken: choose another.', code=code), ["input", "shortCode"]
    )


async def create_canned_response(ctx: Context, data: Mapping[str, Any]) -> CannedResponse:
    """ADMIN saves a reply under a shortCode unique in the workspace (DUPLICATE)."""
    actor = ctx.require_admin()
    code = _short_code(data.get("short_code"))
    title = required_text(data.get("title"), ["input", "title"], what=_("Title"))
    body = required_text(
        data.get("body"), ["input", "body"], max_length=MAX_BODY_CHARS, what=_("Body"), multiline=True
    )
    try:
        async with unit_of_work():
            if await CannedResponse.filter(workspace_id=actor.workspace_id, short_code=code).exists():
                raise _duplicate(code)
            canned = await CannedResponse.create(
                workspace_id=actor.workspace_id,
                short_code=code,
                title=title,
                body=body,
                search_text=f"{title}\n{body}".lower(),
            )
            await record_event(
                actor,
                actor.workspace_id,
                "canned_response.created",
                N_(
                    "{actor} created the canned response /{code} ({title})",
                    actor=await actor_name(ctx),
                    code=code,
                    title=title,
                ),
                data={"cannedResponseId": encode_id("CannedResponse", canned.id), "shortCode": code},
            )
    except IntegrityError as error:
        # Taken by a concurrent create between the check and the insert.
        raise _duplicate(code) from error
    return canned


async def get_canned_response(ctx: Context, pk: int) -> CannedResponse | None:
    actor = ctx.require_actor()
    return await CannedResponse.filter(id=pk, workspace_id=actor.workspace_id).first()


async def canned_responses(ctx: Context, search: str | None) -> list[CannedResponse]:
    """At most 50, by shortCode. "/code" matches shortCodes starting with
    "code"; a single word, shortCodes starting with it or titles and bodies
    containing it; several words, titles and bodies containing every one
    (ignoring case). No search: the first 50."""
    actor = ctx.require_actor()
    text = search_text(search, ctx.settings.limits, ["search"]).lower()
    query = CannedResponse.filter(workspace_id=actor.workspace_id)
    words = text.split()
    if text.startswith("/"):
        query = query.filter(short_code__startswith=text[1:].strip())
    elif len(words) == 1:
        query = query.filter(Q(short_code__startswith=words[0]) | Q(search_text__contains=words[0]))
    else:
        for word in words:
            query = query.filter(search_text__contains=word)
    return list(await query.order_by("short_code", "id").limit(MAX_RESULTS))
