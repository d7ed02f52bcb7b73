"""Reading conversations and messages, always through the caller's
visibility (resolvers/visibility.conversation_q): lists with the
ConversationFilter language, search and keyset ordering, one
conversation, and a conversation's messages oldest first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max

from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation, ConversationTag, Message
from revgraph.resolvers import filtering as f
from revgraph.resolvers.contact_queries import search_q as contact_search_q
from revgraph.resolvers.context import Context
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.numbering import or_number
from revgraph.resolvers.pagination import Page, SortKey, order_keys, paginate_for
from revgraph.resolvers.validation import search_text
from revgraph.resolvers.visibility import conversation_q, scope_of


def _has_all_tags(tags: Any) -> Q:
    return Q(
        *(Q(id__in=Subquery(ConversationTag.filter(tag=tag).values("conversation_id"))) for tag in tags or ())
    )


CONVERSATION_FIELDS: f.FieldMap = {
    "inbox_id": f.FieldSpec("inbox_id", f.ID, "Inbox"),
    "status": f.FieldSpec("status", f.ONE_OF),
    "assignee_id": f.FieldSpec("assignee_id", f.ID, "User"),
    "contact_id": f.FieldSpec("contact_id", f.ID, "Contact"),
    "priority": f.FieldSpec("priority", f.ONE_OF),
    "sla_state": f.FieldSpec("sla_state", f.ONE_OF),
    "tags": f.FieldSpec(
        "tags",
        "tags",
        custom=_has_all_tags,
        evaluate=lambda wanted, have: set(wanted or ()) <= set(have or ()),
    ),
    "last_message_at": f.FieldSpec("last_message_at", f.DATETIME),
}
# ConversationOrderField -> (column, cursor kind). Keyset pagination needs
# NOT NULL keys: ordered by a column that may be empty (waiting since, SLA
# due), the conversations without it are left out of the list.
ORDER_KEYS = {
    "LAST_MESSAGE_AT": ("last_message_at", "datetime"),
    "CREATED_AT": ("created_at", "datetime"),
    "WAITING_SINCE": ("waiting_since", "datetime"),
    "PRIORITY": ("priority_rank", "int"),
    "SLA_DUE_AT": ("sla_due_at", "datetime"),
}
NULLABLE_ORDER = frozenset({"LAST_MESSAGE_AT", "WAITING_SINCE", "SLA_DUE_AT"})
DEFAULT_ORDER = [{"field": "LAST_MESSAGE_AT", "direction": "DESC"}]
MESSAGE_ORDER = [SortKey("at", kind="datetime"), SortKey("id", kind="int")]


def _search_q(workspace_id: int, search: str) -> Q:
    """The contact's name, e-mail or phone, or the conversation's number ("#12")."""
    text = search.strip().lower()
    if not text:
        return Q()
    contacts = Contact.filter(contact_search_q(text), workspace_id=workspace_id)
    return or_number(Q(contact_id__in=Subquery(contacts.values("id"))), text)


async def list_conversations(
    ctx: Context,
    *,
    filter: Mapping[str, Any] | None = None,
    order: list[dict[str, Any]] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    extra: Q | None = None,
    with_total: bool = False,
) -> Page:
    """Conversations the caller may see, filtered, searched and ordered
    (default: the latest message first)."""
    scope = await scope_of(ctx)
    check_filter(filter, CONVERSATION_FIELDS, ctx.settings.limits, ["filter"])
    text = search_text(search, ctx.settings.limits, ["search"])
    keys, non_null = order_keys(order, ORDER_KEYS, DEFAULT_ORDER, NULLABLE_ORDER)
    query = Conversation.filter(
        conversation_q(scope),
        f.filter_q(filter, CONVERSATION_FIELDS),
        _search_q(scope.workspace_id, text),
        non_null,
    )
    if extra is not None:
        query = query.filter(extra)
    return await paginate_for(
        ctx,
        query,
        keys,
        first=first,
        after=after,
        last=last,
        before=before,
        with_total=with_total,
        as_rows=True,
    )


async def get_conversation(ctx: Context, pk: int) -> Conversation | None:
    scope = await scope_of(ctx)
    return await Conversation.filter(conversation_q(scope), id=pk).first()


async def get_message(ctx: Context, pk: int) -> Message | None:
    scope = await scope_of(ctx)
    return await Message.filter(conversation_q(scope, "conversation__"), id=pk).first()


async def conversation_messages(
    ctx: Context,
    conversation_id: int,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    with_total: bool = False,
) -> Page:
    """A (visible) conversation's messages, oldest first."""
    return await paginate_for(
        ctx,
        Message.filter(conversation_id=conversation_id),
        MESSAGE_ORDER,
        first=first,
        after=after,
        last=last,
        before=before,
        with_total=with_total,
    )


async def last_replies(contact_ids: list[int], since: datetime) -> dict[int, datetime]:
    """Each contact's latest reply from a person (TEXT or TEMPLATE to the
    contact, not a note, a history line, a bot's or an automation's message)
    since `since`: contact made, for "worked" and "unless contacted"."""
    if not contact_ids:
        return {}
    rows = (
        await Message.filter(
            conversation__contact_id__in=contact_ids,
            direction="OUTBOUND",
            author_id__isnull=False,
            kind__in=("TEXT", "TEMPLATE"),
            created_at__gte=since,
        )
        .group_by("conversation__contact_id")
        .annotate(latest=Max("created_at"))
        .values("conversation__contact_id", "latest")
    )
    return {row["conversation__contact_id"]: row["latest"] for row in rows}
