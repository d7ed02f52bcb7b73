"""The bot at work: it answers a PENDING conversation's inbound messages,
oldest first, one transaction per message. In that transaction it reads
the bot's state (resolvers/chatbot models: the node it waits at, the
answers, the last message it processed), sends its replies (OUTBOUND,
author "bot", QUEUED for the channel's sender after commit like any
reply), writes what it collected into the contact, and saves the state
with that message as processed. So a redelivered task finds nothing left
to do, and a restart resumes at the node the bot was on.

The contact typing a hand-off keyword (the whole message), a HANDOFF node,
or too many invalid answers hand the conversation to people (OPEN, routed
through the queue, the whole thread kept); an END node resolves it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from revgraph.models.chatbot import BotFlow, BotSession
from revgraph.models.crm import Contact
from revgraph.models.distribution import Queue
from revgraph.models.inbox import Conversation, Message
from revgraph.resolvers.chatbot import answers, conditions
from revgraph.resolvers.chatbot.definition import WAITING, node_index
from revgraph.resolvers.chatbot.flows import active_flow
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _, ngettext
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import conversations, handling
from revgraph.resolvers.inbox.stream import inbox_of
from revgraph.resolvers.settings import Settings

BOT = "bot"
# The contact fields a bot collects that must stay unique, as people read them.
FIELD_WORDS = {"email": N_("e-mail"), "phone": N_("phone")}
# Messages one task works through before it lets others run (it is sent
# again for the rest by the next inbound message or the sweep).
MAX_MESSAGES_PER_RUN = 50


async def run_bot(settings: Settings, conversation_id: int) -> int:
    """Answer every inbound message of the conversation the bot has not
    processed yet, each in its own transaction. How many it processed
    (0: nothing to do — not with the bot, or already done)."""
    done = 0
    while done < MAX_MESSAGES_PER_RUN and await _process_next(settings, conversation_id):
        done += 1
    return done


async def _process_next(settings: Settings, conversation_id: int) -> bool:
    async with unit_of_work():
        contact_ids = await Conversation.filter(id=conversation_id).values_list("contact_id", flat=True)
        if not contact_ids:
            return False
        # Intake's lock order (the contact, then its conversation): a
        # message arriving while the bot collects into the contact waits
        # instead of deadlocking.
        await Contact.filter(id=contact_ids[0]).select_for_update().first()
        conversation = await Conversation.filter(id=conversation_id).select_for_update().first()
        if conversation is None or conversation.status != "PENDING":
            return False
        session = await BotSession.filter(conversation_id=conversation_id).select_for_update().first()
        if session is not None and session.status != "WAITING":
            return False
        message = (
            await Message.filter(
                conversation_id=conversation_id,
                direction="INBOUND",
                id__gt=session.last_message_id if session else 0,
            )
            .order_by("id")
            .first()
        )
        if message is None:
            return False
        if session is None:
            flow = await active_flow(conversation.inbox_id)
            if flow is None:
                # The flow was removed between intake and the bot's first turn.
                await Turn(settings, conversation, None, None, message).hand_off(
                    _("The bot's flow was removed before it started."), None
                )
                return False
            session = BotSession(
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                flow_id=flow.id,
                status="WAITING",
                answers={},
            )
        else:
            flow = await BotFlow.get(id=session.flow_id)
        await Turn(settings, conversation, session, flow, message).take()
        session.last_message_id = message.id
        await session.save()
        return session.status == "WAITING"


class Turn:
    """The bot's answer to one inbound message (caller's transaction)."""

    def __init__(
        self,
        settings: Settings,
        conversation: Conversation,
        session: BotSession | None,
        flow: BotFlow | None,
        message: Message,
    ) -> None:
        self.settings = settings
        self.conversation = conversation
        self.session = session
        self.flow = flow
        self.definition: dict[str, Any] = flow.definition if flow else {"nodes": []}
        self.nodes = node_index(self.definition)
        self.message = message
        # A reply is never before the message it answers (provider clocks drift).
        self.at = max(datetime.now(UTC), message.at)
        self.ctx = Context(settings, actor=Actor.system(conversation.workspace_id, BOT))

    @property
    def state(self) -> BotSession:
        assert self.session is not None
        return self.session

    async def take(self) -> None:
        keyword = answers.keyword_in(self.message.body or "", self.definition.get("handOffKeywords") or ())
        if keyword is not None:
            await self.hand_off(
                _("The contact asked for an agent (keyword “{keyword}”).", keyword=keyword), None
            )
        elif self.state.node_id is None:
            await self.walk(self.definition["start"])
        else:
            await self.answer(self.nodes[self.state.node_id])

    async def walk(self, node_id: str) -> None:
        """From `node_id` on until the bot waits for the contact or ends.
        The flow has no cycle without a waiting node (checked when saved),
        so this visits each node at most once."""
        for _step in range(len(self.nodes) + 1):
            node = self.nodes[node_id]
            self.state.node_id = node_id
            kind = node["kind"]
            if kind == "MESSAGE":
                await self.send(node["text"], node)
                node_id = node["next"]
            elif kind == "CONDITION":
                node_id = await self.branch(node)
            elif kind in WAITING:
                self.state.retries = 0
                await self.ask(node)
                return
            elif kind == "HANDOFF":
                if node.get("text"):
                    await self.send(node["text"], node)
                await self.hand_off(node["reason"], node.get("queueId"))
                return
            else:  # END
                if node.get("text"):
                    await self.send(node["text"], node)
                await self.end()
                return
        raise RuntimeError(f"flow {self.state.flow_id} loops without waiting")

    async def ask(self, node: dict[str, Any], *, again: bool = False) -> None:
        if node["kind"] == "QUESTION":
            labels = [option["label"] for option in node["options"]]
            intro = (node.get("invalidText") or answers.INVALID_OPTION) if again else node["text"]
            await self.send(answers.options_text(intro, labels), node, options=labels)
        else:
            text = (
                (node.get("invalidText") or answers.INVALID_FIELD[node["field"]]) if again else node["text"]
            )
            await self.send(text, node)

    async def answer(self, node: dict[str, Any]) -> None:
        body = self.message.body or ""
        if node["kind"] == "QUESTION":
            labels = [option["label"] for option in node["options"]]
            choice = answers.match_option(body, labels)
            if choice is None:
                await self.retry(node)
                return
            self.state.answers = {
                **self.state.answers,
                node["id"]: {"value": labels[choice], "option": choice + 1},
            }
            await self.walk(node["options"][choice]["next"])
            return
        definition = await conditions.custom_definition(
            self.conversation.workspace_id, node.get("customFieldKey")
        )
        value = answers.collected_value(node, body.strip(), definition)
        if value is None:
            await self.retry(node)
            return
        self.state.answers = {**self.state.answers, node["id"]: {"value": value}}
        await self.collect(node, value)
        await self.walk(node["next"])

    async def retry(self, node: dict[str, Any]) -> None:
        self.state.retries += 1
        if self.state.retries > node["retryLimit"]:
            tries = self.state.retries
            await self.hand_off(
                ngettext(
                    "The contact gave no valid answer at “{node}” after {count} attempt.",
                    "The contact gave no valid answer at “{node}” after {count} attempts.",
                    tries,
                    node=node["id"],
                ),
                None,
            )
            return
        await self.ask(node, again=True)

    async def collect(self, node: dict[str, Any], value: Any) -> None:
        """Write a collected value into the contact (contact.updated), unless
        another contact already has that e-mail or phone: then the thread
        says so and the contact stays as it was (merging is for people)."""
        contact = await Contact.filter(id=self.conversation.contact_id).select_for_update().get()
        column = conditions.COLUMNS.get(node["field"])
        if column in ("email", "phone") and await conditions.taken_by_other(contact, column, value):
            what = FIELD_WORDS[column]
            await self.note(
                _(
                    "Bot: the {what} {value} given already belongs to another contact; this contact was not changed.",
                    what=what,
                    value=value,
                )
            )
            return
        changes = conditions.write_field(contact, node, value)
        if not changes:
            return
        await contact.save()
        await record_event(
            self.ctx.actor,
            contact.workspace_id,
            "contact.updated",
            N_(
                "The bot collected the contact's {items} in conversation #{conversation_number}",
                items=", ".join(changes),
                conversation_number=self.conversation.number,
            ),
            data={"changes": changes},
            contact_id=contact.id,
        )

    async def branch(self, node: dict[str, Any]) -> str:
        contact = None
        for rule in node["rules"]:
            if rule["source"] == "BUSINESS_HOURS":
                inbox = await inbox_of(self.conversation)
                open_now = conditions.is_open(inbox.business_hours, self.message.at)
                if open_now == (rule["operator"] == "IS_OPEN"):
                    return rule["next"]
                continue
            if rule["source"] == "ANSWER":
                have = (self.state.answers.get(rule["key"]) or {}).get("value")
            else:
                contact = contact or await Contact.get(id=self.conversation.contact_id)
                have = conditions.contact_value(contact, rule["key"])
            if conditions.holds(rule, have):
                return rule["next"]
        return node["otherwise"]

    async def send(self, text: str, node: dict[str, Any], *, options: list[str] | None = None) -> None:
        """One bot message, QUEUED for the channel's sender. channel_data
        says which flow node wrote it, and for a question its options and
        how the channel may show them (buttons or a list)."""
        message = await conversations.add_message(
            None,
            self.conversation,
            kind="TEXT",
            direction="OUTBOUND",
            status="QUEUED",
            body=text,
            at=self.at,
            author_label=BOT,
            summary=N_(
                "The bot wrote in conversation #{conversation_number}",
                conversation_number=self.conversation.number,
            ),
        )
        data: dict[str, Any] = {
            "bot": {"flowVersion": self.flow.version if self.flow else None, "nodeId": node["id"]}
        }
        if options:
            display = "button" if node.get("display") == "BUTTONS" else "list"
            data["interactive"] = {"type": display, "body": node["text"], "options": options}
        await Message.filter(id=message.id).update(channel_data=data)

    async def note(self, text: str) -> None:
        await conversations.activity(None, self.conversation, text)

    async def hand_off(self, reason: str, queue_id: int | None) -> None:
        """To people: the reason in the thread, then OPEN through the node's
        queue (when still a live routing queue) or the inbox's."""
        if (
            queue_id is not None
            and not await Queue.filter(id=queue_id, archived_at=None, kind="ROUTING").exists()
        ):
            queue_id = None
        if self.session is not None:
            self.session.status = "HANDED_OFF"
            self.session.handoff_reason = reason
        await self.note(_("Bot: conversation handed off to a person. Reason: {reason}", reason=reason))
        await handling.hand_off_to_human(
            self.ctx, encode_id("Conversation", self.conversation.id), reason, queue_id=queue_id
        )

    async def end(self) -> None:
        self.state.status = "ENDED"
        await self.note(_("Bot: flow finished; conversation resolved by the bot."))
        await conversations.resolve_conversation(self.ctx, encode_id("Conversation", self.conversation.id))


# PENDING conversations with an inbound message the bot has not processed,
# whether it never started (no state row) or waits at a node: one indexed
# query, so thousands of conversations waiting on their contacts cost nothing.
UNFINISHED_SQL = """
SELECT c.id FROM conversation c
LEFT JOIN bot_session s ON s.conversation_id = c.id
WHERE c.status = 'PENDING' AND (s.id IS NULL OR s.status = 'WAITING')
  AND EXISTS (
    SELECT 1 FROM message m
    WHERE m.conversation_id = c.id AND m.direction = 'INBOUND' AND m.id > COALESCE(s.last_message_id, 0)
  )
ORDER BY c.id
LIMIT {limit}
"""


async def unfinished_conversations(limit: int = 500) -> list[int]:
    """Conversations with the bot that have an inbound message it has not
    processed (its task was lost: a broker restart, a crash), oldest first."""
    rows = await connections.get("default").execute_query_dict(UNFINISHED_SQL.format(limit=int(limit)))
    return [int(row["id"]) for row in rows]
