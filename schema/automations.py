"""GraphQL types of automations: rules, their triggers and actions, runs and
notifications (the queries and mutations: schema/automation_operations.py)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.models.distribution import Queue as QueueRow
from revgraph.models.pipeline import Stage as StageRow
from revgraph.resolvers import loaders
from revgraph.resolvers.automations.definitions import KIND_NAMES
from revgraph.resolvers.distribution.live import visible_contact, visible_deal
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import queries as inbox_queries
from revgraph.schema.automation_inputs import (
    AutomationEmailRecipient,
    AutomationField,
    AutomationNotifyRecipient,
    AutomationTaskAssignee,
    AutomationTriggerKind,
)
from revgraph.schema.common import Node, ctx_of
from revgraph.schema.connections import Connection
from revgraph.schema.contacts import Contact
from revgraph.schema.deals import Deal, Stage
from revgraph.schema.identity import User
from revgraph.schema.inbox.conversation_types import Conversation, ConversationPriority
from revgraph.schema.queues import Queue


@strawberry.enum(description="Where a run is: PENDING/RUNNING/WAITING, or finished (the other four).")
class AutomationRunStatus(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    EXITED = "EXITED"


@strawberry.enum(description="The kind of an action.")
class AutomationActionType(Enum):
    CREATE_TASK = "createTask"
    SET_FIELD = "setField"
    ADD_TAG = "addTag"
    REMOVE_TAG = "removeTag"
    MOVE_DEAL = "moveDeal"
    DISTRIBUTE = "distribute"
    ASSIGN = "assign"
    SEND_EMAIL = "sendEmail"
    NOTIFY = "notify"
    ADJUST_SCORE = "adjustScore"
    ASSIGN_CONVERSATION = "assignConversation"
    TRANSFER_CONVERSATION = "transferConversation"
    RESOLVE_CONVERSATION = "resolveConversation"
    SEND_CANNED_RESPONSE = "sendCannedResponse"
    SET_CONVERSATION_PRIORITY = "setConversationPriority"
    ADD_CONVERSATION_TAG = "addConversationTag"


async def _stage(info: Info, pk: int | None) -> Stage | None:
    if pk is None:
        return None
    row = await loaders.loader(ctx_of(info), "stages", lambda ws: loaders.by_id(ws, StageRow)).load(pk)
    return Stage.of(row) if row else None


async def _user(info: Info, pk: int | None) -> User | None:
    row = await loaders.users(ctx_of(info)).load(pk) if pk else None
    return User.of(row) if row else None


async def _queue(info: Info, pk: int | None) -> Queue | None:
    if pk is None:
        return None
    row = await loaders.loader(ctx_of(info), "queues", lambda ws: loaders.by_id(ws, QueueRow)).load(pk)
    return Queue.of(row) if row else None


@strawberry.type(description="What starts a rule.")
class AutomationTrigger:
    kind: AutomationTriggerKind = strawberry.field(description="The event kind.")
    field: str | None = strawberry.field(
        description="DEAL_UPDATED / CONTACT_UPDATED: the field that changed."
    )
    value: str | None = strawberry.field(description="With field: the value it changed to; null: any change.")
    from_stage_pk: strawberry.Private[int | None]
    to_stage_pk: strawberry.Private[int | None]

    @strawberry.field(description="DEAL_STAGE_CHANGED: the stage left, if the rule names one.")
    async def from_stage(self, info: Info) -> Stage | None:
        return await _stage(info, self.from_stage_pk)

    @strawberry.field(description="DEAL_STAGE_CHANGED: the stage entered, if the rule names one.")
    async def to_stage(self, info: Info) -> Stage | None:
        return await _stage(info, self.to_stage_pk)


@strawberry.type(description="Create a task about the subject.")
class AutomationCreateTask:
    title: str = strawberry.field(description="Title template.")
    due_in_minutes: int | None = strawberry.field(description="Due this many minutes after the action.")
    assign_to: AutomationTaskAssignee = strawberry.field(description="OWNER or USER.")
    user_pk: strawberry.Private[int | None]

    @strawberry.field(description="With assignTo USER: who.")
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_pk)


@strawberry.type(description="Set a field of the subject.")
class AutomationSetField:
    field: AutomationField = strawberry.field(description="Which field.")
    custom_field_key: str | None = strawberry.field(description="For custom fields: the key.")
    value: str | None = strawberry.field(description="The value as text; null clears.")


@strawberry.type(description="Move the deal (through the stage gates).")
class AutomationMoveDeal:
    lost_reason: str | None = strawberry.field(description="For a LOST stage.")
    stage_pk: strawberry.Private[int]

    @strawberry.field(description="The target stage.")
    async def stage(self, info: Info) -> Stage | None:
        return await _stage(info, self.stage_pk)


@strawberry.type(description="Send an e-mail.")
class AutomationSendEmail:
    to: AutomationEmailRecipient = strawberry.field(description="CONTACT, OWNER or ADDRESS.")
    address: str | None = strawberry.field(description="With to ADDRESS.")
    subject: str = strawberry.field(description="Subject template.")
    body: str = strawberry.field(description="Body template.")


@strawberry.type(description="Notify a user.")
class AutomationNotify:
    to: AutomationNotifyRecipient = strawberry.field(description="OWNER, MANAGER or USER.")
    message: str = strawberry.field(description="Message template.")
    user_pk: strawberry.Private[int | None]

    @strawberry.field(description="With to USER: who.")
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_pk)


@strawberry.type(description="Where assignConversation / transferConversation send the conversation.")
class AutomationConversationTarget:
    reason: str | None = strawberry.field(
        description="transferConversation: the reason written in the thread."
    )
    user_pk: strawberry.Private[int | None]
    queue_pk: strawberry.Private[int | None]

    @strawberry.field(description="To this user (null: through the queue).")
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_pk)

    @strawberry.field(description="Through this queue (null: to the user).")
    async def queue(self, info: Info) -> Queue | None:
        return await _queue(info, self.queue_pk)


@strawberry.type(description="When a delayed action is skipped (and the run ends).")
class AutomationExitCondition:
    unless_contacted: bool = strawberry.field(description="Someone worked the lead after the trigger.")
    unless_matches: JSON | None = strawberry.field(description="The contact matches this ContactFilter.")


@strawberry.type(description="One step of a rule; the member named by `type` is set.")
class AutomationAction:
    type: AutomationActionType = strawberry.field(description="Which member is set.")
    wait_minutes: int | None = strawberry.field(description="Wait before the action, in minutes.")
    exit_condition: AutomationExitCondition | None = strawberry.field(description="With a wait.")
    create_task: AutomationCreateTask | None = strawberry.field(description="createTask.")
    set_field: AutomationSetField | None = strawberry.field(description="setField.")
    tag: str | None = strawberry.field(description="addTag / removeTag / addConversationTag: the tag.")
    move_deal: AutomationMoveDeal | None = strawberry.field(description="moveDeal.")
    send_email: AutomationSendEmail | None = strawberry.field(description="sendEmail.")
    notify: AutomationNotify | None = strawberry.field(description="notify.")
    points: int | None = strawberry.field(description="adjustScore: points added (negative: taken).")
    assign_conversation: AutomationConversationTarget | None = strawberry.field(
        description="assignConversation: to whom."
    )
    transfer_conversation: AutomationConversationTarget | None = strawberry.field(
        description="transferConversation: to whom, and why."
    )
    short_code: str | None = strawberry.field(
        description="sendCannedResponse: the canned response's shortCode."
    )
    priority: ConversationPriority | None = strawberry.field(
        description="setConversationPriority: the priority."
    )
    params: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="distribute: the queue.")
    async def queue(self, info: Info) -> Queue | None:
        if self.type is not AutomationActionType.DISTRIBUTE:
            return None
        return await _queue(info, self.params["queueId"])

    @strawberry.field(description="assign: the new owner.")
    async def assignee(self, info: Info) -> User | None:
        if self.type is not AutomationActionType.ASSIGN:
            return None
        return await _user(info, self.params["userId"])

    @classmethod
    def of(cls, action: dict[str, Any]) -> AutomationAction:
        kind, p = action["type"], action["params"]
        exit_condition = action.get("exit")
        return cls(
            type=AutomationActionType(kind),
            wait_minutes=action.get("waitMinutes"),
            exit_condition=AutomationExitCondition(
                unless_contacted=bool(exit_condition.get("unlessContacted")),
                unless_matches=exit_condition.get("unlessMatches"),
            )
            if exit_condition
            else None,
            create_task=AutomationCreateTask(
                title=p["title"],
                due_in_minutes=p.get("dueInMinutes"),
                assign_to=AutomationTaskAssignee(p["assignTo"]),
                user_pk=p.get("userId"),
            )
            if kind == "createTask"
            else None,
            set_field=AutomationSetField(
                field=AutomationField(p["field"]),
                custom_field_key=p.get("customFieldKey"),
                value=p.get("value"),
            )
            if kind == "setField"
            else None,
            tag=p.get("tag"),
            points=p.get("points"),
            assign_conversation=AutomationConversationTarget(
                reason=None, user_pk=p.get("userId"), queue_pk=p.get("queueId")
            )
            if kind == "assignConversation"
            else None,
            transfer_conversation=AutomationConversationTarget(
                reason=p.get("reason"), user_pk=p.get("userId"), queue_pk=p.get("queueId")
            )
            if kind == "transferConversation"
            else None,
            short_code=p.get("shortCode"),
            priority=ConversationPriority(p["priority"]) if kind == "setConversationPriority" else None,
            move_deal=AutomationMoveDeal(lost_reason=p.get("lostReason"), stage_pk=p["stageId"])
            if kind == "moveDeal"
            else None,
            send_email=AutomationSendEmail(
                to=AutomationEmailRecipient(p["to"]),
                address=p.get("address"),
                subject=p["subject"],
                body=p["body"],
            )
            if kind == "sendEmail"
            else None,
            notify=AutomationNotify(
                to=AutomationNotifyRecipient(p["to"]), message=p["message"], user_pk=p.get("userId")
            )
            if kind == "notify"
            else None,
            params=p,
        )


@strawberry.type(description="An automation rule: trigger → conditions → ordered actions. ADMIN only.")
class AutomationRule(Node):
    name: str = strawberry.field(description="Shown as the actor of what it does on the timeline.")
    enabled: bool = strawberry.field(description="Disabled rules start no runs.")
    trigger: AutomationTrigger = strawberry.field(description="What starts it.")
    contact_conditions: JSON | None = strawberry.field(
        description="The ContactFilter the subject must match."
    )
    deal_conditions: JSON | None = strawberry.field(description="The DealFilter the subject must match.")
    conversation_conditions: JSON | None = strawberry.field(
        description="The AutomationConversationFilter the conversation must match (conversation triggers)."
    )
    actions: list[AutomationAction] = strawberry.field(description="The steps, in order.")
    created_at: datetime = strawberry.field(description="When it was created; it acts on later events only.")

    @classmethod
    def of(cls, row: Any) -> AutomationRule:
        trigger = row.trigger or {}
        return cls(
            id=strawberry.ID(encode_id("AutomationRule", row.id)),
            name=row.name,
            enabled=row.enabled,
            trigger=AutomationTrigger(
                kind=AutomationTriggerKind(KIND_NAMES[row.trigger_kind]),
                field=trigger.get("field"),
                value=trigger.get("value"),
                from_stage_pk=trigger.get("fromStageId"),
                to_stage_pk=trigger.get("toStageId"),
            ),
            contact_conditions=row.contact_conditions,
            deal_conditions=row.deal_conditions,
            conversation_conditions=row.conversation_conditions,
            actions=[AutomationAction.of(a) for a in row.actions or []],
            created_at=row.created_at,
        )


@strawberry.type(description="One rule applied to one event: status, attempts and the last error.")
class AutomationRun(Node):
    status: AutomationRunStatus = strawberry.field(description="Where the run is.")
    error: str | None = strawberry.field(description="The last failure's message (SMTP replies included).")
    reason: str | None = strawberry.field(description="Why it was SKIPPED or EXITED.")
    attempts: int = strawberry.field(description="Failed attempts of the current step so far.")
    depth: int = strawberry.field(
        description="Chain depth: 1 for a person's event, +1 per automation in between."
    )
    steps_done: int = strawberry.field(description="Actions completed.")
    event_kind: str = strawberry.field(description="The triggering event's kind.")
    wake_at: datetime | None = strawberry.field(description="WAITING: when the next action is due.")
    created_at: datetime = strawberry.field(description="When the event started it.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    row: strawberry.Private[Any]

    @strawberry.field(description="The rule (also when it was deleted since).")
    async def rule(self) -> AutomationRule:
        from revgraph.models.automation import AutomationRule as RuleRow

        return AutomationRule.of(await RuleRow.get(id=self.row.rule_id))

    @strawberry.field(description="The subject's contact, if any.")
    async def contact(self, info: Info) -> Contact | None:
        row = await visible_contact(ctx_of(info), self.row.contact_id) if self.row.contact_id else None
        return Contact.of(row) if row else None

    @strawberry.field(description="The subject's deal, if any.")
    async def deal(self, info: Info) -> Deal | None:
        row = await visible_deal(ctx_of(info), self.row.deal_id) if self.row.deal_id else None
        return Deal.of(row) if row else None

    @strawberry.field(description="The conversation of a conversation trigger, if any.")
    async def conversation(self, info: Info) -> Conversation | None:
        if not self.row.conversation_id:
            return None
        ctx = ctx_of(info)
        row = await inbox_queries.get_conversation(ctx, self.row.conversation_id)
        return Conversation.of(row, ctx) if row else None

    @classmethod
    def of(cls, row: Any) -> AutomationRun:
        return cls(
            id=strawberry.ID(encode_id("AutomationRun", row.id)),
            status=AutomationRunStatus(row.status),
            error=row.error,
            reason=row.reason,
            attempts=row.attempts,
            depth=row.depth,
            steps_done=row.next_step,
            event_kind=row.event_kind,
            wake_at=row.wake_at,
            created_at=row.created_at,
            finished_at=row.finished_at,
            row=row,
        )


@strawberry.type(description="A message to you from an automation.")
class Notification(Node):
    message: str = strawberry.field(description="The text.")
    read_at: datetime | None = strawberry.field(description="When you marked it read; null: unread.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    row: strawberry.Private[Any]

    @strawberry.field(description="The contact it is about, if you may see it.")
    async def contact(self, info: Info) -> Contact | None:
        row = await visible_contact(ctx_of(info), self.row.contact_id) if self.row.contact_id else None
        return Contact.of(row) if row else None

    @strawberry.field(description="The deal it is about, if you may see it.")
    async def deal(self, info: Info) -> Deal | None:
        row = await visible_deal(ctx_of(info), self.row.deal_id) if self.row.deal_id else None
        return Deal.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> Notification:
        return cls(
            id=strawberry.ID(encode_id("Notification", row.id)),
            message=row.message,
            read_at=row.read_at,
            created_at=row.created_at,
            row=row,
        )


@strawberry.type(name="AutomationRunConnection", description="A page of runs, newest first.")
class AutomationRunConnection(Connection[AutomationRun]):
    pass


@strawberry.type(name="NotificationConnection", description="A page of notifications, newest first.")
class NotificationConnection(Connection[Notification]):
    pass
