"""Inbox actors: outbound messages leave through their channel's sender
after commit (with retries and backoff), waiting conversations are routed
when someone can take them, and an assignee who goes away has their open
conversations routed again. Each is idempotent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.models.inbox import Message
from revgraph.resolvers.channels.email.sender import EmailChannelSender
from revgraph.resolvers.channels.webchat.sender import WebchatSender
from revgraph.resolvers.inbox import conversations, routing, senders, sla
from revgraph.resolvers.settings import Settings
from revgraph.tasks.broker import broker
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)
senders.register_sender("WEBCHAT", WebchatSender())
# A QUEUED message older than this was lost on its way to the sender
# (a broker restart): the sweep sends it again.
STALE_QUEUED = timedelta(minutes=2)
# A message its channel has not taken this long after it was written (the
# provider down or refusing for a day) will not leave: it ends FAILED, and
# the agent sees why, instead of being retried for ever.
GIVE_UP_AFTER = timedelta(hours=24)
GAVE_UP = "O canal não aceitou a mensagem em 24 horas de tentativas; ela não foi enviada."


senders.register_sender("EMAIL", EmailChannelSender())


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=12, min_backoff=1000, max_backoff=300_000)
async def deliver_message(message_id: int) -> None:
    """Send one QUEUED outbound message; a provider error that retrying may
    fix raises (Dramatiq retries with backoff), a refusal ends FAILED."""
    status = await senders.deliver(settings(), message_id)
    if status == "FAILED":
        log.warning("message %s: the provider refused it", message_id)


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=10, min_backoff=500, max_backoff=30_000)
async def drain_conversations(queue_id: int) -> None:
    """Route a queue's waiting conversations while someone can take them."""
    routed = await routing.drain_conversations(settings(), queue_id)
    if routed:
        log.info("queue %s: %d waiting conversation(s) routed", queue_id, routed)


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=10, min_backoff=500, max_backoff=30_000)
async def reroute_away(user_id: int, why: str) -> None:
    """An assignee went offline or was deactivated: their open conversations
    go through their inboxes' queues again."""
    moved = await routing.reroute_away(settings(), user_id, why)
    if moved:
        log.info("user %s is %s: %d conversation(s) re-routed", user_id, why, moved)


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=3)
async def sweep_outbound() -> None:
    """Send again the outbound messages left QUEUED (a lost task, or retries
    that ran out while the provider was down); one still QUEUED a day after
    it was written ends FAILED, saying so."""
    await resend_or_give_up(datetime.now(UTC))


async def resend_or_give_up(now: datetime) -> None:
    stale = (
        await Message.filter(direction="OUTBOUND", status="QUEUED", created_at__lte=now - STALE_QUEUED)
        .order_by("id")
        .limit(500)
        .values_list("id", "inbox__channel", "created_at")
    )
    for message_id, channel, created_at in stale:
        if channel not in senders.SENDERS:
            continue  # no adapter for its channel yet: it waits for one
        if created_at <= now - GIVE_UP_AFTER:
            await senders.set_status(message_id, "FAILED", error=GAVE_UP)
        else:
            deliver_message.send(message_id)


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=3)
async def check_sla() -> None:
    """The SLA timer: WARNING and BREACHED transitions that fell due are
    recorded (once each). The due checks are rows (sla_next_check_at), so
    a restart or a lost message loses none: the next scan finds them."""
    recorded = await sla.check_due(settings())
    if recorded:
        log.info("%d SLA transition(s) recorded", recorded)


@dramatiq.actor(broker=broker, queue_name="inbox", max_retries=3)
async def wake_snoozed() -> None:
    """Snoozed conversations whose time came are OPEN again (snoozed_until
    is a row, so a restart loses none)."""
    woken = await conversations.wake_due(settings())
    if woken:
        log.info("%d snoozed conversation(s) woke up", woken)


async def hand_to_channels(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: a committed outbound message goes to its sender; a
    returning or freed agent drains waiting conversations; one who left
    hands theirs on."""
    queue_ids: set[int] = set()
    for event in events:
        data = event.get("data") or {}
        if event.get("kind") == "message.created" and data.get("direction") == "OUTBOUND":
            deliver_message.send(int(data["messageId"]))
            continue
        away = routing.away_user(event)
        if away is not None:
            reroute_away.send(*away)
        queue_ids.update(await routing.queues_to_drain(event))
    for queue_id in sorted(queue_ids):
        drain_conversations.send(queue_id)


DISPATCH_HOOKS.append(hand_to_channels)
