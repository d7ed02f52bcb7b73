"""The inbox's setup: SLA policies and inboxes, one per channel account
(their templates: resolvers/inbox/templates.py). Workspace setup like
queues and pipelines: every member reads it, ADMIN writes it, each change
one transaction with its event on the log. An inbox's `settings` (the channel's credentials) are
written and never read back: no read path, event or message carries them.

Changing an inbox's SLA policy or business hours recomputes, in the same
transaction, the SLA of its unresolved conversations, and tells their
subscribers when a state moved (conversation.sla_changed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.distribution import Queue
from revgraph.models.identity import Workspace
from revgraph.models.inbox import Conversation, Inbox, SlaPolicy
from revgraph.resolvers import loaders
from revgraph.resolvers.channels.credentials import check_channel_settings
from revgraph.resolvers.channels.webchat import setup as webchat_setup
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import sla
from revgraph.resolvers.inbox.business_hours import validate_business_hours
from revgraph.resolvers.inbox.intake import REPLY_WINDOWS
from revgraph.resolvers.inbox.stream import record_inbox_event
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import check_custom_fields, required_text
from revgraph.resolvers.visibility import named_record

CHANNELS = ("WHATSAPP", "INSTAGRAM", "WEBCHAT", "EMAIL", "SMS", "API")
# SLA targets and warnings: a year at most (what a clock can count).
MAX_MINUTES = 366 * 24 * 60
TARGETS = {
    "first_response_minutes": "firstResponseMinutes",
    "next_response_minutes": "nextResponseMinutes",
    "resolution_minutes": "resolutionMinutes",
}
DEFAULT_WARN_BEFORE_MINUTES = 15
# Per channel: checks the settings its adapter reads (INVALID on the key's
# path) and gives the inbox's address on the channel (from the settings, or
# kept/generated: the webchat's public key), given the address it had.
# Channels whose address RevGraph gives (the webchat widget's public key):
# made when the inbox is created, kept whatever its settings become.
OWN_ADDRESS = {"WEBCHAT": webchat_setup.new_public_key}
# An inbox's changeable columns: (API name, label in change summaries).
INBOX_FIELDS = {
    "name": ("name", N_("name")),
    "queue_id": ("queueId", N_("queue")),
    "business_hours": ("businessHours", N_("business hours")),
    "sla_policy_id": ("slaPolicyId", N_("SLA policy setting")),
    "settings": ("settings", N_("settings")),
    "channel_address": ("channelAddress", N_("address")),
}


# ------------------------------------------------------------------ reads


async def list_inboxes(ctx: Context) -> list[Inbox]:
    """Every inbox of the workspace, by name (every member reads them)."""
    actor = ctx.require_actor()
    rows = await Inbox.filter(workspace_id=actor.workspace_id)
    return sorted(rows, key=lambda row: (row.name.casefold(), row.id))


async def get_inbox(ctx: Context, pk: int) -> Inbox | None:
    actor = ctx.require_actor()
    return await Inbox.filter(id=pk, workspace_id=actor.workspace_id).first()


async def list_sla_policies(ctx: Context) -> list[SlaPolicy]:
    """Every SLA policy of the workspace, by name."""
    actor = ctx.require_actor()
    rows = await SlaPolicy.filter(workspace_id=actor.workspace_id)
    return sorted(rows, key=lambda row: (row.name.casefold(), row.id))


async def get_sla_policy(ctx: Context, pk: int) -> SlaPolicy | None:
    actor = ctx.require_actor()
    return await SlaPolicy.filter(id=pk, workspace_id=actor.workspace_id).first()


def sla_policies(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "sla_policies", lambda ws: loaders.by_id(ws, SlaPolicy))


def routing_queues(ctx: Context) -> loaders.BatchLoader:
    """Queues by id, for the inboxes that route through them."""
    return loaders.loader(ctx, "inbox_queues", lambda ws: loaders.by_id(ws, Queue))


# ------------------------------------------------------------------ SLA policies


def _minutes(value: Any, field: list[str], *, least: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_MINUTES:
        raise DomainError(
            "INVALID",
            _(
                "{what} is a whole number of minutes from {least} to {MAX_MINUTES}.",
                what=what,
                least=least,
                MAX_MINUTES=MAX_MINUTES,
            ),
            field,
        )
    return value


def _policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "firstResponseMinutes": policy.first_response_minutes,
        "nextResponseMinutes": policy.next_response_minutes,
        "resolutionMinutes": policy.resolution_minutes,
        "businessHoursOnly": policy.business_hours_only,
        "warnBeforeMinutes": policy.warn_before_minutes,
    }


async def create_sla_policy(ctx: Context, data: Mapping[str, Any]) -> SlaPolicy:
    """ADMIN creates a policy: at least one target, each a positive number
    of minutes (null: no target), warned `warnBeforeMinutes` ahead (15 by default)."""
    actor = ctx.require_admin()
    policy = SlaPolicy(
        workspace_id=actor.workspace_id,
        name=required_text(data.get("name"), ["input", "name"], what=_("Policy name")),
        business_hours_only=bool(data.get("business_hours_only")),
    )
    for column, name in TARGETS.items():
        value = data.get(column)
        if value is not None:
            value = _minutes(value, ["input", name], least=1, what=_("A target"))
        setattr(policy, column, value)
    if all(getattr(policy, column) is None for column in TARGETS):
        raise DomainError(
            "INVALID",
            _("Set at least one target: first response, next response or resolution minutes."),
            ["input", "firstResponseMinutes"],
        )
    warn = data.get("warn_before_minutes")
    policy.warn_before_minutes = (
        DEFAULT_WARN_BEFORE_MINUTES
        if warn is None
        else _minutes(warn, ["input", "warnBeforeMinutes"], least=0, what=_("The warning"))
    )
    async with unit_of_work():
        await policy.save()
        await record_event(
            actor,
            actor.workspace_id,
            "sla_policy.created",
            N_("{actor} created the SLA policy {policy}", actor=await actor_name(ctx), policy=policy.name),
            data={"slaPolicyId": encode_id("SlaPolicy", policy.id), "slaPolicy": _policy_snapshot(policy)},
        )
    return policy


# ------------------------------------------------------------------ inboxes


def _channel(value: Any) -> str:
    if value not in CHANNELS:
        raise DomainError(
            "INVALID",
            _("Unknown channel {value!r}: use {items}.", value=value, items=", ".join(CHANNELS)),
            ["input", "channel"],
        )
    return str(value)


def _business_hours(value: Any) -> dict[str, Any] | None:
    """The stored calendar, or None when the input clears it."""
    if value is None:
        return None
    field = ["input", "businessHours"]
    calendar = validate_business_hours(
        value.get("timezone"), value.get("days"), value.get("holidays"), field=field
    )
    if not calendar.days:
        raise DomainError(
            "INVALID",
            _("Give at least one opening interval, or leave businessHours out (null)."),
            [*field, "days"],
        )
    return calendar.to_json()


def _settings(ctx: Context, value: Any, channel: str) -> tuple[dict[str, Any], str | None]:
    """The channel's credentials: a JSON object within the custom-fields
    bounds (16 KB by default), checked by its channel when it has a shape;
    null stores none. With the inbox's address on its channel, if any."""
    field = ["input", "settings"]
    if value is not None and not isinstance(value, dict):
        raise DomainError("INVALID", _("settings must be a JSON object."), field)
    if value:
        check_custom_fields(value, field, ctx.settings.limits, what=_("settings"))
    if value:
        # Empty: the inbox exists but is not connected yet (no address).
        return check_channel_settings(channel, value, field)
    return {}, None


async def _address_free(inbox: Inbox) -> None:
    """An address names one inbox of its channel, across workspaces (mail
    for it must reach one place). The unique index settles a race."""
    if inbox.channel_address is None:
        return
    taken = (
        await Inbox.filter(channel=inbox.channel, channel_address=inbox.channel_address)
        .exclude(id=inbox.id or 0)
        .exists()
    )
    if taken:
        raise _address_taken(inbox)


def _address_taken(inbox: Inbox) -> DomainError:
    return DomainError(
        "DUPLICATE",
        _(
            "Another {inbox_channel} inbox already uses {inbox_channel_address}.",
            inbox_channel=inbox.channel,
            inbox_channel_address=inbox.channel_address,
        ),
        ["input", "settings", "phoneNumberId" if inbox.channel == "WHATSAPP" else "address"],
    )


async def _save_inbox(inbox: Inbox, **options: Any) -> None:
    await _address_free(inbox)
    try:
        await inbox.save(**options)
    except IntegrityError as error:
        raise _address_taken(inbox) from error


async def _queue_id(ctx: Context, raw: Any) -> int | None:
    """A routing queue of the workspace in use (not the manual one, not archived)."""
    if raw is None:
        return None
    return (await named_record(ctx, Queue, raw, ["input", "queueId"])).id


async def _sla_policy_id(ctx: Context, raw: Any) -> int | None:
    if raw is None:
        return None
    return (await named_record(ctx, SlaPolicy, raw, ["input", "slaPolicyId"])).id


async def _name_free(workspace_id: int, name: str, inbox_id: int | None) -> None:
    """Inbox names are unique in the workspace, ignoring case. The caller
    holds the workspace's row (no index can say "ignoring case" on both
    backends), so two inboxes cannot take one name at once."""
    await Workspace.filter(id=workspace_id).select_for_update().first()
    names = (
        await Inbox.filter(workspace_id=workspace_id).exclude(id=inbox_id or 0).values_list("name", flat=True)
    )
    if name.casefold() in {other.casefold() for other in names}:
        raise DomainError(
            "DUPLICATE", _("An inbox named {name!r} already exists.", name=name), ["input", "name"]
        )


def _inbox_snapshot(inbox: Inbox) -> dict[str, Any]:
    """The inbox as the API names its fields, for the log: never its settings."""
    return {
        "name": inbox.name,
        "channel": inbox.channel,
        "queueId": encode_id("Queue", inbox.queue_id) if inbox.queue_id else None,
        "businessHours": inbox.business_hours,
        "slaPolicyId": encode_id("SlaPolicy", inbox.sla_policy_id) if inbox.sla_policy_id else None,
        "replyWindowHours": inbox.reply_window_hours,
        "channelAddress": inbox.channel_address,
    }


async def create_inbox(ctx: Context, data: Mapping[str, Any]) -> Inbox:
    """ADMIN creates an inbox: a unique name (DUPLICATE), a channel, and
    optionally the queue that routes its conversations, business hours, an
    SLA policy and the channel's credentials. WhatsApp has a 24-hour reply
    window; other channels none."""
    actor = ctx.require_admin()
    name = required_text(data.get("name"), ["input", "name"], what=_("Inbox name"))
    channel = _channel(data.get("channel"))
    stored, address = _settings(ctx, data.get("settings"), channel)
    inbox = Inbox(
        workspace_id=actor.workspace_id,
        name=name,
        channel=channel,
        queue_id=await _queue_id(ctx, data.get("queue_id")),
        business_hours=_business_hours(data.get("business_hours")),
        sla_policy_id=await _sla_policy_id(ctx, data.get("sla_policy_id")),
        settings=stored,
        channel_address=address,
        reply_window_hours=REPLY_WINDOWS.get(channel),
    )
    if channel in OWN_ADDRESS:
        inbox.channel_address = OWN_ADDRESS[channel]()
    async with unit_of_work():
        await _name_free(actor.workspace_id, name, None)
        await _save_inbox(inbox)
        await record_event(
            actor,
            actor.workspace_id,
            "inbox.created",
            N_(
                "{actor} created the {channel} inbox {name}",
                actor=await actor_name(ctx),
                channel=channel,
                name=name,
            ),
            data={"inboxId": encode_id("Inbox", inbox.id), "inbox": _inbox_snapshot(inbox)},
        )
    return inbox


async def _inbox_changes(ctx: Context, data: Mapping[str, Any], channel: str) -> dict[str, Any]:
    """The validated new values of the fields sent, by column."""
    new: dict[str, Any] = {}
    if "name" in data:
        new["name"] = required_text(data["name"], ["input", "name"], what=_("Inbox name"))
    if "queue_id" in data:
        new["queue_id"] = await _queue_id(ctx, data["queue_id"])
    if "business_hours" in data:
        new["business_hours"] = _business_hours(data["business_hours"])
    if "sla_policy_id" in data:
        new["sla_policy_id"] = await _sla_policy_id(ctx, data["sla_policy_id"])
    if "settings" in data:
        new["settings"], address = _settings(ctx, data["settings"], channel)
        if channel not in OWN_ADDRESS:
            new["channel_address"] = address
    return new


async def update_inbox(ctx: Context, inbox_id: str, data: Mapping[str, Any]) -> Inbox:
    """ADMIN changes the fields sent (null clears an optional one; settings
    are replaced whole). A new SLA policy or new business hours recompute
    the SLA of the inbox's unresolved conversations in the same
    transaction. Records `inbox.updated` with what changed (settings only
    as changed, never their values); no change, no event."""
    actor = ctx.require_admin()
    found = await named_record(ctx, Inbox, inbox_id, ["id"])
    new = await _inbox_changes(ctx, data, found.channel)
    async with unit_of_work():
        inbox = await Inbox.filter(id=found.id).select_for_update().get()
        before, old_queue_id, old_policy_id = _inbox_snapshot(inbox), inbox.queue_id, inbox.sla_policy_id
        columns = [column for column, value in new.items() if getattr(inbox, column) != value]
        if not columns:
            return inbox
        if "name" in columns:
            await _name_free(actor.workspace_id, new["name"], inbox.id)
        for column in columns:
            setattr(inbox, column, new[column])
        await _save_inbox(inbox, update_fields=[*columns, "updated_at"])
        after = _inbox_snapshot(inbox)
        names = [INBOX_FIELDS[c][0] for c in columns]
        changes: dict[str, Any] = {
            name: {"from": before[name], "to": after[name]} for name in names if name != "settings"
        }
        if "settings" in names:
            changes["settings"] = {"changed": True}
        clock_moved = {"sla_policy_id", "business_hours"} & set(columns)
        if clock_moved and (old_policy_id or inbox.sla_policy_id):
            await _refresh_sla(actor, inbox, old_queue_id)
        labels = _listed([INBOX_FIELDS[c][1] for c in columns])
        await record_event(
            actor,
            actor.workspace_id,
            "inbox.updated",
            N_(
                "{actor} changed the {labels} of the inbox {inbox}",
                actor=await actor_name(ctx),
                labels=labels,
                inbox=inbox.name,
            ),
            data={"inboxId": encode_id("Inbox", inbox.id), "changes": changes},
        )
    return inbox


def _listed(labels: list[Any]) -> Any:
    """Labels joined for a sentence: a; a and b; a, b and c."""
    if len(labels) == 1:
        return labels[0]
    return N_("{items} and {last}", items=Listing(labels[:-1]), last=labels[-1])


async def _refresh_sla(actor: Actor, inbox: Inbox, old_queue_id: int | None) -> None:
    """The inbox's unresolved conversations, locked in id order, get their
    SLA recomputed under the inbox's new policy and hours (caller's
    transaction, after the inbox was saved); a state that moved is a
    CONVERSATION_UPDATED for their subscribers, who saw it through the
    inbox's queue as it was before this change."""
    conversations = (
        await Conversation.filter(inbox_id=inbox.id)
        .exclude(status="RESOLVED")
        .order_by("id")
        .select_for_update()
    )
    for conversation in conversations:
        previous = conversation.sla_state
        if not await sla.refresh(conversation):
            await conversation.save(update_fields=["sla_due_at", "sla_next_check_at"])
            continue
        await conversation.save(update_fields=["sla_state", "sla_due_at", "sla_next_check_at"])
        now = conversation.sla_state or "none (no policy)"
        await record_inbox_event(
            actor,
            conversation,
            "conversation.sla_changed",
            N_(
                "Conversation #{conversation_number}: SLA {value} -> {now} (inbox setup changed)",
                conversation_number=conversation.number,
                value=previous or "none",
                now=now,
            ),
            before=(conversation.assignee_id, old_queue_id),
            data={"slaState": conversation.sla_state},
        )
