"""Chatbot actors: after the commit of each inbound message of a
conversation with the bot, the bot answers it on the worker (in-process
when embedded). The bot's state row makes every run idempotent (a
redelivered message does nothing twice), and the sweep, at start and
periodically, sends again the conversations whose task was lost, so a
restart resumes the bot at the node it was on."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from revgraph.models.inbox import Conversation
from revgraph.resolvers.chatbot import runner
from revgraph.tasks.broker import broker
from revgraph.tasks.inbox import settings
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)


@dramatiq.actor(broker=broker, queue_name="chatbot", max_retries=10, min_backoff=500, max_backoff=60_000)
async def answer_as_bot(conversation_id: int, message_id: int) -> None:
    """Answer the conversation's unprocessed inbound messages (`message_id`
    is the one that triggered it, for the log; the bot's state says what
    is left to do)."""
    done = await runner.run_bot(settings(), conversation_id)
    if done:
        log.info("bot: conversation %s, %d message(s) answered (from %s)", conversation_id, done, message_id)


@dramatiq.actor(broker=broker, queue_name="chatbot", max_retries=3)
async def sweep_bots() -> None:
    """Send again the bot's conversations with inbound messages it has not answered."""
    for conversation_id in await runner.unfinished_conversations():
        answer_as_bot.send(conversation_id, 0)


async def wake_bots(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: an inbound message of a conversation with the bot
    (PENDING) wakes the bot for it."""
    inbound = {
        int(event["conversation_id"]): int((event.get("data") or {}).get("messageId") or 0)
        for event in events
        if event.get("kind") == "message.created"
        and (event.get("data") or {}).get("direction") == "INBOUND"
        and event.get("conversation_id")
    }
    if not inbound:
        return
    pending = await Conversation.filter(id__in=list(inbound), status="PENDING").values_list("id", flat=True)
    for conversation_id in sorted(pending):
        answer_as_bot.send(conversation_id, inbound[conversation_id])


DISPATCH_HOOKS.append(wake_bots)
