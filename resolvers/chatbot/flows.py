"""An inbox's flow, set, replaced and removed by an ADMIN. Each set adds
the next version and makes it the active one in one transaction with its
event; a conversation already with the bot keeps the version it started
on. With an active flow, the inbox's new conversations open PENDING (with
the bot) instead of being routed (resolvers/inbox/intake.py)."""

from __future__ import annotations

from typing import Any

from revgraph.models.chatbot import BotFlow, BotSession
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.distribution import Queue
from revgraph.models.inbox import Inbox
from revgraph.resolvers import loaders
from revgraph.resolvers.chatbot.definition import FlowChecker
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.visibility import named_record


async def active_flow(inbox_id: int) -> BotFlow | None:
    """The inbox's active flow version, if it has one."""
    return await BotFlow.filter(inbox_id=inbox_id, active=True).first()


def active_flows(ctx: Context) -> loaders.BatchLoader:
    """Inbox id → its active flow (or None), batched per request."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(inbox_ids: list[int]) -> list[BotFlow | None]:
            rows = await BotFlow.filter(workspace_id=workspace_id, inbox_id__in=inbox_ids, active=True)
            found = {row.inbox_id: row for row in rows}
            return [found.get(i) for i in inbox_ids]

        return batch

    return loaders.loader(ctx, "active_bot_flows", factory)


async def contact_field_keys(workspace_id: int) -> list[str]:
    """Keys of the live custom fields of contacts (what a flow may collect or read)."""
    rows = await CustomFieldDefinition.filter(
        workspace_id=workspace_id, entity="CONTACT", archived_at=None
    ).values_list("key", flat=True)
    return list(rows)


async def _handoff_queues(ctx: Context, nodes: list[dict[str, Any]]) -> tuple[dict[int, int], list[Problem]]:
    """The queue primary key of each HANDOFF node that names one (by node
    position), and a NOT_FOUND problem for each queue the caller cannot
    use (another workspace's, archived, not a routing queue)."""
    found: dict[int, int] = {}
    problems: list[Problem] = []
    for index, node in enumerate(nodes):
        raw = node.get("queue_id")
        if node.get("kind") != "HANDOFF" or raw is None:
            continue
        field = ["input", "nodes", str(index), "queueId"]
        try:
            found[index] = (await named_record(ctx, Queue, raw, field, kind="ROUTING")).id
        except DomainError as error:
            problems.extend(error.problems)
    return found, problems


async def set_inbox_flow(ctx: Context, inbox_id: str, values: dict[str, Any]) -> BotFlow:
    """setInboxFlow: validate the flow as a graph (every problem on its
    path) and make it the inbox's active flow, as its next version."""
    actor = ctx.require_admin()
    inbox = await named_record(ctx, Inbox, inbox_id, ["inboxId"])
    nodes = list(values.get("nodes") or [])
    queues, problems = await _handoff_queues(ctx, nodes)
    checker = FlowChecker(inbox.channel, await contact_field_keys(actor.workspace_id), ["input"])
    checker.problems.extend(problems)
    definition = checker.check(values)
    for index, queue_pk in queues.items():
        definition["nodes"][index]["queueId"] = queue_pk
    name = await actor_name(ctx)
    async with unit_of_work():
        # The inbox's row orders concurrent setters: versions never collide.
        await Inbox.filter(id=inbox.id).select_for_update().get()
        latest = await BotFlow.filter(inbox_id=inbox.id).order_by("-version").first()
        version = latest.version + 1 if latest else 1
        await BotFlow.filter(inbox_id=inbox.id, active=True).update(active=False)
        flow = await BotFlow.create(
            workspace_id=inbox.workspace_id,
            inbox_id=inbox.id,
            version=version,
            definition=definition,
            active=True,
            created_by_id=actor.user_id,
        )
        await record_event(
            actor,
            inbox.workspace_id,
            "inbox.flow_set",
            N_(
                "{name} set version {version} of the bot flow of {inbox}",
                name=name,
                version=version,
                inbox=inbox.name,
            ),
            data={"inboxId": inbox.id, "version": version, "nodes": len(definition["nodes"])},
        )
    return flow


async def remove_inbox_flow(ctx: Context, inbox_id: str) -> Inbox:
    """removeInboxFlow: the inbox's new conversations go straight to people
    again; conversations already with the bot finish their version.
    NOT_FOUND when the inbox has no active flow."""
    actor = ctx.require_admin()
    name = await actor_name(ctx)
    async with unit_of_work():
        inbox = await named_record(ctx, Inbox, inbox_id, ["inboxId"], for_update=True)
        flow = await active_flow(inbox.id)
        if flow is None:
            raise DomainError("NOT_FOUND", _("This inbox has no active bot flow."), ["inboxId"])
        await BotFlow.filter(id=flow.id).update(active=False)
        await record_event(
            actor,
            inbox.workspace_id,
            "inbox.flow_removed",
            N_("{name} removed the bot flow of {inbox}", name=name, inbox=inbox.name),
            data={"inboxId": inbox.id, "version": flow.version},
        )
    return inbox


def bot_sessions(ctx: Context) -> loaders.BatchLoader:
    """Conversation id → the bot's state in it (or None), batched per request.
    Callers hand out only conversations the caller sees."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(conversation_ids: list[int]) -> list[BotSession | None]:
            rows = await BotSession.filter(workspace_id=workspace_id, conversation_id__in=conversation_ids)
            found = {row.conversation_id: row for row in rows}
            return [found.get(i) for i in conversation_ids]

        return batch

    return loaders.loader(ctx, "bot_sessions", factory)


def flow_versions(ctx: Context) -> loaders.BatchLoader:
    """BotFlow id → that version, batched per request."""
    return loaders.loader(ctx, "bot_flows", lambda ws: loaders.by_id(ws, BotFlow))
