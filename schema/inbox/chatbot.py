"""GraphQL surface of the flow chatbot: an inbox's flow (ADMIN reads and
writes it), the example flow, and the bot's state in a conversation (read
by whoever sees the conversation)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers.chatbot import definition as rules
from revgraph.resolvers.chatbot import flows
from revgraph.resolvers.chatbot.example import EXAMPLE_FLOW
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import UserError, ctx_of, input_dict, mutate
from revgraph.schema.permissions import ADMIN

_ACROSS = 'Each problem of a flow is an INVALID (or NOT_FOUND for a queue) userError on its path, e.g. ["input", "nodes", "2", "options", "0", "next"].'


@strawberry.enum(description="What a node of a flow does.")
class BotNodeKind(Enum):
    MESSAGE = strawberry.enum_value("MESSAGE", description="Sends `text`, then goes to `next`.")
    QUESTION = strawberry.enum_value(
        "QUESTION",
        description="Sends `text` with numbered `options` and waits; the contact answers with an option's number or text (case and accents ignored). An invalid answer is asked again, up to `retryLimit` times, then the conversation is handed off.",
    )
    COLLECT = strawberry.enum_value(
        "COLLECT",
        description="Asks for a contact field (`field`), checks it (e-mail and phone as everywhere in the CRM), writes it into the contact and goes to `next`; an invalid value is asked again like a question's.",
    )
    CONDITION = strawberry.enum_value(
        "CONDITION", description="Goes to the `next` of the first rule that holds, else to `otherwise`."
    )
    HANDOFF = strawberry.enum_value(
        "HANDOFF",
        description="Sends `text` (if any), then hands the conversation to people: OPEN, through `queueId` or the inbox's queue, with `reason` in the thread.",
    )
    END = strawberry.enum_value("END", description="Sends `text` (if any) and resolves the conversation.")


@strawberry.enum(
    description="How a channel that can shows a question's options (WhatsApp interactive messages)."
)
class BotOptionDisplay(Enum):
    BUTTONS = strawberry.enum_value(
        "BUTTONS", description="Reply buttons: 1 to 3 options of at most 20 characters."
    )
    LIST = strawberry.enum_value("LIST", description="A list: 1 to 10 options of at most 24 characters.")


@strawberry.enum(description="The contact field a COLLECT node fills.")
class BotCollectField(Enum):
    NAME = "NAME"
    EMAIL = strawberry.enum_value("EMAIL", description="Checked and lower-cased like any contact e-mail.")
    PHONE = strawberry.enum_value(
        "PHONE", description="Read as Brazilian without a country code; stored E.164."
    )
    CUSTOM = strawberry.enum_value(
        "CUSTOM", description="A live custom field of contacts, `customFieldKey`, read as its type."
    )


@strawberry.enum(description="What a condition's rule reads.")
class BotRuleSource(Enum):
    ANSWER = strawberry.enum_value("ANSWER", description="The answer to the QUESTION or COLLECT node `key`.")
    CONTACT_FIELD = strawberry.enum_value(
        "CONTACT_FIELD", description="The contact's `key`: name, email, phone or a custom field's key."
    )
    BUSINESS_HOURS = strawberry.enum_value(
        "BUSINESS_HOURS",
        description="The inbox's business hours at the time the contact wrote (an inbox without them is always open).",
    )


@strawberry.enum(description="How a rule compares (texts ignore case, accents and surrounding spaces).")
class BotRuleOperator(Enum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    CONTAINS = "CONTAINS"
    IS_SET = "IS_SET"
    IS_NOT_SET = "IS_NOT_SET"
    IS_OPEN = strawberry.enum_value("IS_OPEN", description="BUSINESS_HOURS only: inside them.")
    IS_CLOSED = strawberry.enum_value("IS_CLOSED", description="BUSINESS_HOURS only: outside them.")


@strawberry.enum(description="Where the bot is in a conversation.")
class BotState(Enum):
    WAITING = strawberry.enum_value("WAITING", description="At `currentNodeId`, waiting for the contact.")
    HANDED_OFF = strawberry.enum_value("HANDED_OFF", description="Handed to people; the bot stopped.")
    ENDED = strawberry.enum_value("ENDED", description="The flow reached an END node (resolved).")
    STOPPED = strawberry.enum_value(
        "STOPPED",
        description="A person took the conversation from the bot another way (resolved or snoozed it); the bot stopped at `currentNodeId`.",
    )


@strawberry.type(description="An option of a QUESTION node.")
class BotOption:
    label: str = strawberry.field(description="What the contact sees and may type.")
    next: str = strawberry.field(description="The node it leads to.")


@strawberry.type(description="A rule of a CONDITION node.")
class BotRule:
    source: BotRuleSource = strawberry.field(description="What it reads.")
    key: str | None = strawberry.field(description="A node id (ANSWER) or a contact field (CONTACT_FIELD).")
    operator: BotRuleOperator = strawberry.field(description="How it compares.")
    value: str | None = strawberry.field(description="What EQUALS, NOT_EQUALS and CONTAINS compare with.")
    next: str = strawberry.field(description="The node it leads to when it holds.")


@strawberry.type(description="A node of a flow; the fields its kind does not use are null.")
class BotNode:
    id: str = strawberry.field(description="Unique in the flow: 1 to 64 letters, digits, _ or -.")
    kind: BotNodeKind = strawberry.field(description="What it does.")
    text: str | None = strawberry.field(description="What the bot sends.")
    next: str | None = strawberry.field(description="The node after it (MESSAGE, COLLECT).")
    display: BotOptionDisplay | None = strawberry.field(description="How options are shown (QUESTION).")
    options: list[BotOption] | None = strawberry.field(description="The options (QUESTION).")
    retry_limit: int | None = strawberry.field(description="Invalid answers asked again before a hand-off.")
    invalid_text: str | None = strawberry.field(
        description="Sent on an invalid answer; null: a standard pt-BR one."
    )
    field: BotCollectField | None = strawberry.field(description="The contact field (COLLECT).")
    custom_field_key: str | None = strawberry.field(description="The custom field (COLLECT of CUSTOM).")
    rules: list[BotRule] | None = strawberry.field(description="The rules, in order (CONDITION).")
    otherwise: str | None = strawberry.field(description="Where no rule holds (CONDITION).")
    queue_id: strawberry.ID | None = strawberry.field(description="The queue (HANDOFF); null: the inbox's.")
    reason: str | None = strawberry.field(description="Why it hands off, written in the thread (HANDOFF).")

    @classmethod
    def of(cls, node: dict[str, Any]) -> BotNode:
        queue = node.get("queueId")
        return cls(
            id=node["id"],
            kind=BotNodeKind(node["kind"]),
            text=node.get("text"),
            next=node.get("next"),
            display=BotOptionDisplay(node["display"]) if node.get("display") else None,
            options=[BotOption(**o) for o in node["options"]] if "options" in node else None,
            retry_limit=node.get("retryLimit"),
            invalid_text=node.get("invalidText"),
            field=BotCollectField(node["field"]) if node.get("field") else None,
            custom_field_key=node.get("customFieldKey"),
            rules=[
                BotRule(
                    source=BotRuleSource(r["source"]),
                    key=r.get("key"),
                    operator=BotRuleOperator(r["operator"]),
                    value=r.get("value"),
                    next=r["next"],
                )
                for r in node["rules"]
            ]
            if "rules" in node
            else None,
            otherwise=node.get("otherwise"),
            queue_id=strawberry.ID(encode_id("Queue", queue)) if isinstance(queue, int) else queue,
            reason=node.get("reason"),
        )


@strawberry.type(description="A flow: where it starts, the keywords that call a person, its nodes.")
class BotFlowDefinition:
    start: str = strawberry.field(description="The id of the first node.")
    hand_off_keywords: list[str] = strawberry.field(
        description='Whole messages that hand the conversation to people at any point (case and accents ignored); default ["atendente"].'
    )
    nodes: list[BotNode] = strawberry.field(description="The nodes, in the order given.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> BotFlowDefinition:
        return cls(
            start=data["start"],
            hand_off_keywords=list(data.get("handOffKeywords") or ()),
            nodes=[BotNode.of(node) for node in data["nodes"]],
        )


@strawberry.type(description="One version of an inbox's flow.")
class BotFlow:
    version: int = strawberry.field(description="1, 2, ... per inbox; each setInboxFlow adds one.")
    created_at: datetime = strawberry.field(description="When it was set.")
    definition: BotFlowDefinition = strawberry.field(description="The flow.")

    @classmethod
    def of(cls, row: Any) -> BotFlow:
        return cls(
            version=row.version, created_at=row.created_at, definition=BotFlowDefinition.of(row.definition)
        )


@strawberry.type(description="The bot in a conversation: the flow version it runs and where it is.")
class ConversationBot:
    flow_version: int = strawberry.field(description="The version it started on (and keeps).")
    state: BotState = strawberry.field(description="WAITING, HANDED_OFF, ENDED or STOPPED.")
    current_node_id: str | None = strawberry.field(description="The node it is at (or stopped at).")
    current_node_kind: BotNodeKind | None = strawberry.field(description="That node's kind.")
    answers: JSON = strawberry.field(description='Answers so far by node id: {"value": ..., "option": n}.')
    retries: int = strawberry.field(description="Invalid answers in a row at the current node.")
    hand_off_reason: str | None = strawberry.field(description="Why it handed off.")
    updated_at: datetime = strawberry.field(description="Its last step.")


async def conversation_bot(info: Info, conversation: Any) -> ConversationBot | None:
    ctx = ctx_of(info)
    session = await flows.bot_sessions(ctx).load(conversation.id)
    if session is None:
        return None
    flow = await flows.flow_versions(ctx).load(session.flow_id)
    node = rules.node_index(flow.definition).get(session.node_id or "") if flow else None
    return ConversationBot(
        flow_version=flow.version if flow else 0,
        state=BotState(
            "STOPPED" if session.status == "WAITING" and conversation.status != "PENDING" else session.status
        ),
        current_node_id=session.node_id,
        current_node_kind=BotNodeKind(node["kind"]) if node else None,
        answers=session.answers or {},
        retries=session.retries,
        hand_off_reason=session.handoff_reason,
        updated_at=session.updated_at,
    )


async def inbox_flow(info: Info, inbox_id: int) -> BotFlow | None:
    row = await flows.active_flows(ctx_of(info)).load(inbox_id)
    return BotFlow.of(row) if row else None


@strawberry.input(description="An option of a QUESTION node.")
class BotOptionInput:
    label: str = strawberry.field(
        description="1 to 20 characters (BUTTONS) or 24 (LIST); unique; not a bare number."
    )
    next: str = strawberry.field(description="The node it leads to.")


@strawberry.input(description="A rule of a CONDITION node.")
class BotRuleInput:
    source: BotRuleSource = strawberry.field(description="What it reads.")
    operator: BotRuleOperator = strawberry.field(
        description="IS_OPEN/IS_CLOSED for BUSINESS_HOURS; the others otherwise."
    )
    next: str = strawberry.field(description="The node it leads to when it holds.")
    key: str | None = strawberry.field(
        default=None, description="A QUESTION/COLLECT node id (ANSWER) or a contact field (CONTACT_FIELD)."
    )
    value: str | None = strawberry.field(
        default=None, description="Required by EQUALS, NOT_EQUALS and CONTAINS."
    )


@strawberry.input(description="A node; send only the fields its kind uses (INVALID otherwise).")
class BotNodeInput:
    id: str = strawberry.field(description="Unique in the flow: 1 to 64 letters, digits, _ or -.")
    kind: BotNodeKind = strawberry.field(description="What it does.")
    text: str | None = strawberry.field(
        default=None,
        description="Required for MESSAGE, QUESTION (at most 1,024 characters) and COLLECT; the channel's message limits apply.",
    )
    next: str | None = strawberry.field(default=None, description="MESSAGE and COLLECT: the node after it.")
    display: BotOptionDisplay | None = strawberry.field(
        default=None, description="QUESTION: BUTTONS (default up to 3 options) or LIST."
    )
    options: list[BotOptionInput] | None = strawberry.field(
        default=None, description="QUESTION: its options."
    )
    retry_limit: int | None = strawberry.field(
        default=None,
        description=f"QUESTION/COLLECT: 0 to {rules.MAX_RETRY_LIMIT}; default {rules.DEFAULT_RETRY_LIMIT}.",
    )
    invalid_text: str | None = strawberry.field(
        default=None, description="QUESTION/COLLECT: sent on an invalid answer."
    )
    field: BotCollectField | None = strawberry.field(default=None, description="COLLECT: the contact field.")
    custom_field_key: str | None = strawberry.field(
        default=None, description="COLLECT of CUSTOM: a live custom field of contacts."
    )
    rules: list[BotRuleInput] | None = strawberry.field(
        default=None, description=f"CONDITION: 1 to {rules.MAX_RULES} rules."
    )
    otherwise: str | None = strawberry.field(default=None, description="CONDITION: where no rule holds.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="HANDOFF: a routing queue in use; null: the inbox's."
    )
    reason: str | None = strawberry.field(default=None, description="HANDOFF: why, 1 to 500 characters.")


@strawberry.input(
    description=f"A flow: at most {rules.MAX_NODES} nodes, every one reachable from `start`, every edge naming a node, no cycle without a QUESTION or COLLECT. {_ACROSS}"
)
class BotFlowInput:
    start: str = strawberry.field(description="The id of the first node.")
    nodes: list[BotNodeInput] = strawberry.field(description="The nodes.")
    hand_off_keywords: list[str] | None = strawberry.field(
        default=None,
        description=f'At most {rules.MAX_KEYWORDS} whole-message keywords that call a person; null: ["atendente"].',
    )


@strawberry.type(description="Result of setInboxFlow and removeInboxFlow.")
class BotFlowPayload:
    flow: BotFlow | None = strawberry.field(
        default=None, description="The inbox's active flow now (null after removeInboxFlow)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class ChatbotQuery:
    @strawberry.field(
        description="A complete example flow in pt-BR (greeting, business-hours branch, question, e-mail, hand-off; outside hours name and phone with a promised call back), to pass to setInboxFlow as it is. ADMIN only.",
        permission_classes=ADMIN,
    )
    def example_bot_flow(self) -> BotFlowDefinition:
        return BotFlowDefinition.of(EXAMPLE_FLOW)


@strawberry.type
class ChatbotMutation:
    @strawberry.mutation(
        description=f"Set or replace an inbox's bot flow: a new version, active at once for new conversations (those with the bot keep theirs). New conversations of an inbox with a flow start PENDING with the bot. {_ACROSS} ADMIN only.",
        permission_classes=ADMIN,
    )
    async def set_inbox_flow(
        self, info: Info, inbox_id: strawberry.ID, input: BotFlowInput
    ) -> BotFlowPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"flow": BotFlow.of(await flows.set_inbox_flow(ctx, inbox_id, input_dict(input)))}

        return await mutate(BotFlowPayload, work)

    @strawberry.mutation(
        description="Remove an inbox's bot flow (NOT_FOUND when it has none): new conversations are routed to people again; those with the bot finish their version. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def remove_inbox_flow(self, info: Info, inbox_id: strawberry.ID) -> BotFlowPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            await flows.remove_inbox_flow(ctx, inbox_id)
            return {"flow": None}

        return await mutate(BotFlowPayload, work)
